"""The cross-lingual lexicon (provenance of every entry) and the fusion with a per-question keyword weight."""

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from qa.search.fusion import Evidence, FusionParams, agreement, fitted_params, fuse, keyword_weight, params_from, scale
from qa.search.lexicon import LEXICON_FILE, candidates, content_words, entries, match, stopwords
from qa.search.retrieve import keyword_query
from qa.store.keyword import KeywordIndex


def _lexicon_lines():
    return resources.files("qa").joinpath(LEXICON_FILE).read_text(encoding="utf-8").splitlines()


def test_every_lexicon_entry_has_a_provenance():
    lines = _lexicon_lines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "CC-CEDICT" in header and "Creative Commons Attribution-ShareAlike 4.0" in header
    assert "scripts/build_lexicon.py" in header
    rows = [line for line in lines if line and not line.startswith("#")]
    assert len(rows) > 10_000
    bad = [r for r in rows if not re.fullmatch(r"[a-z][a-z' \-]*\t[\u4e00-\u9fff]{2,6}\t-?\d+\.\d\tL\d+", r)]
    assert bad == []


def test_lexicon_sources_point_at_distinct_dictionary_lines():
    rows = [line.split("\t") for line in _lexicon_lines() if line and not line.startswith("#")]
    by_line = {}
    for _en, zh, _cost, src in rows:
        by_line.setdefault(src, set()).add(zh)
    assert all(len(heads) == 1 for heads in by_line.values())  # one dictionary entry has one headword


def test_stopwords_are_general_function_words_with_their_source():
    text = resources.files("qa").joinpath("data/stopwords_en.txt").read_text(encoding="utf-8")
    assert text.startswith("# English function words: the words at least two of scikit-learn")
    assert {"the", "how", "many", "were"} <= stopwords()
    # inflected auxiliaries come from the lists that agree; before, "does" was looked up as a word (a deer)
    assert {"did", "does", "doing"} <= stopwords()
    assert content_words("How many teachers did the county hire?") == ["teachers", "county", "hire"]


def test_lexicon_reads_inflected_words_and_phrases():
    assert "教师" in [e.zh for e in candidates("teachers")]
    assert "学生" in [e.zh for e in candidates("students")]
    assert candidates("the") == ()
    assert content_words("How many of the state-owned farms?") == ["state", "owned", "farms"]
    ms = match("Which primary schools opened?")
    assert ms[0].english == "primary schools" and "小学" in [e.zh for e in ms[0].entries]
    assert match("Which primary schools opened?", keep=lambda zh: False) == []


def test_fitted_params_load_with_provenance():
    data = json.loads(resources.files("qa").joinpath("data/fusion.json").read_text(encoding="utf-8"))
    assert {"fitted_on", "date", "command"} <= set(data["provenance"])
    p = fitted_params()
    assert 0.0 <= keyword_weight(p, Evidence(0.5, 0.5, 0.5)) <= 1.0
    with pytest.raises(ValueError, match="unknown fusion parameters"):
        params_from({"bias": 0, "coverage": 0, "agreement": 0, "chinese": 0, "typo": 1})


def test_keyword_weight_follows_the_evidence():
    p = FusionParams(bias=-3.0, coverage=2.0, agreement=4.0, chinese=1.0)
    low = keyword_weight(p, Evidence(coverage=0.0, agreement=0.0, chinese=0.0))
    assert low < keyword_weight(p, Evidence(1.0, 0.0, 0.0)) < keyword_weight(p, Evidence(1.0, 0.8, 0.0))


def test_agreement_is_the_shared_share_of_the_top():
    kw = np.array([0.0, 3.0, 2.0, 0.0, 1.0])
    assert agreement(np.array([1, 2, 3]), kw, 3) == pytest.approx(2 / 3)
    assert agreement(np.array([0, 3]), np.zeros(5), 2) == 0.0


def test_fuse_weight_zero_is_dense_order_and_one_is_keyword_order():
    d_ids, d_scores = np.array([0, 1, 2]), np.array([0.9, 0.8, 0.7])
    kw = np.array([0.0, 1.0, 5.0, 3.0])
    cos = lambda ids: np.full(len(ids), 0.75)  # noqa: E731
    assert [h[0] for h in fuse(d_ids, d_scores, kw, 0.0, 4, cosine=cos)] == [0, 1, 3, 2]
    assert [h[0] for h in fuse(d_ids, d_scores, kw, 1.0, 3, cosine=cos)] == [2, 3, 1]
    s = scale(d_ids, d_scores, kw, cos)
    assert list(s.ids) == [0, 1, 2, 3] and list(s.k_rank) == [0, 3, 1, 2] and list(s.d_rank) == [1, 2, 3, 0]


def _kw_index():
    texts = [["教师", "培训"], ["教师", "招聘"], ["学生", "列车", "火车"], ["2020", "训练"]]
    return KeywordIndex.build([], tokens=texts)


def test_an_english_question_searches_the_headwords_the_dense_top_uses():
    p = FusionParams(0.0, 0.0, 0.0, 0.0)
    query, coverage = keyword_query("Teachers trained during 2020?", "teachers trained during 2020?", _kw_index(),
                                    np.array([0]), p)
    terms = query.split()
    assert "教师" in terms and "培训" in terms and "列车" not in terms and "2020" in terms
    assert coverage == 1.0


def test_a_pinyin_name_the_corpus_writes_is_searched_and_counts_as_a_covered_word():
    kw = KeywordIndex.build([], tokens=[["王家湾", "教师"], ["教师", "招聘"], ["学生", "列车"]])
    p = FusionParams(0.0, 0.0, 0.0, 0.0)
    question = "Teachers at Wangjiawan?"
    query, coverage = keyword_query(question, question.lower(), kw, np.array([0]), p)
    assert "王家湾" in query.split() and coverage == 1.0
    query, coverage = keyword_query(question, question.lower(), kw, np.array([0]), p, names=())
    assert "王家湾" not in query.split() and coverage == 0.5  # the names as the retriever found them: none


def test_without_the_lexicon_an_english_question_keeps_only_its_literal_tokens():
    p = FusionParams(0.0, 0.0, 0.0, 0.0)
    query, coverage = keyword_query("Teachers during 2020?", "teachers during 2020?", _kw_index(),
                                    np.array([0]), p, lexicon=False)
    assert query == "2020" and coverage == 0.0


def test_a_chinese_question_covers_the_share_of_its_tokens_the_index_holds():
    query, coverage = keyword_query("教师培训", "教师培训", _kw_index(), np.array([0]), FusionParams(0, 0, 0, 0))
    assert query == "教师培训" and coverage == 1.0


def test_gold_retrieval_reports_each_retriever_beside_the_fusion():
    from qa.eval.retrieval import evaluate_retrieval

    gold = [{"id": "a", "lang": "zh", "question": "q1", "evidence": ["甲乙"]},
            {"id": "b", "lang": "en", "question": "q2", "evidence": ["丙丁"]}]
    texts = {"q1": ["甲乙", "x"], "q2": ["x", "丙丁"]}
    singles = {"q1": {"dense": ["x", "甲乙"], "keyword": ["甲乙"]}, "q2": {"dense": ["丙丁"], "keyword": []}}
    out = evaluate_retrieval(gold, texts.__getitem__, singles.__getitem__)
    assert out["recall@1"] == 0.5 and out["by_retriever"]["dense"]["recall@1"] == 0.5
    assert out["by_retriever"]["keyword"]["by_lang"]["en"]["recall@5"] == 0.0
    assert out["by_retriever"]["fused"]["mrr@10"] == 0.75


def test_irregular_forms_reach_their_base_forms_headwords_first():
    from qa.search.lexicon import lemmas

    assert ("build",) == lemmas()["built"]
    assert "修建" in [e.zh for e in candidates("built")]  # no suffix rule takes "built" back to "build"
    # "spent" is a dictionary key of its own (exhausted); the base form's senses come first
    assert [e.zh for e in candidates("spent")][0] in {e.zh for e in candidates("spend")}


def test_every_pinyin_entry_has_a_provenance_and_no_english_key():
    from qa.search.lexicon import PINYIN_FILE, entries

    lines = resources.files("qa").joinpath(PINYIN_FILE).read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "CC-CEDICT" in header and "scripts/build_lexicon.py" in header
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert len(rows) > 10_000
    assert all(len(r) == 3 and re.fullmatch(r"[a-z]+", r[0]) and re.fullmatch(r"[\u4e00-\u9fff]{2,6}", r[1])
               and re.fullmatch(r"L\d+", r[2]) for r in rows)
    # one syllable per character: a key is at least as long as two syllables, and never an English key
    sample = {r[0] for r in rows[::500]}
    assert not [k for k in sample if entries(k)]


def test_romanized_chinese_words_reach_their_headwords_but_names_and_english_words_do_not():
    from qa.search.lexicon import match, romanized

    assert [e.zh for e in romanized("hukou")][0] == "户口"
    assert romanized("school") == () and romanized("the") == ()
    found = {m.english: [e.zh for e in m.entries] for m in match("how many pupils sat the zhongkao")}
    assert "中考" in found.get("zhongkao", [])
    # a capitalized word inside the question is a name: a place goes through the gazetteer, not the dictionary
    assert "hukou" not in {m.english for m in match("where is Hukou located")}
    assert "hukou" in {m.english for m in match("Hukou rules for migrant pupils")}


def test_a_words_regular_base_forms_add_their_headwords_after_its_own():
    got = [e.zh for e in candidates("recruitment")]
    assert "招聘" in got  # recruit's, after the written form's own headwords
    own = [e.zh for e in entries("recruitment")]
    assert got[:len(own)] == own
    assert "教学" in [e.zh for e in candidates("teaching")]


@pytest.fixture
def extra_lexicon(tmp_path, monkeypatch):
    """Point QA_LEXICON_EXTRA at a file the test writes; the lexicon's caches are cleared around the test."""
    from qa.search import lexicon

    def use(text: str | None, name: str = "extra.tsv"):
        """``text`` written to ``name`` and named in the environment (None: the variable unset)."""
        if text is None:
            monkeypatch.delenv(lexicon.EXTRA_ENV, raising=False)
        else:
            if text:
                (tmp_path / name).write_text(text, encoding="utf-8")
            monkeypatch.setenv(lexicon.EXTRA_ENV, str(tmp_path / name))  # "": a name with no file
        lexicon._extra_rows.cache_clear()
        entries.cache_clear()

    yield use
    monkeypatch.delenv(lexicon.EXTRA_ENV, raising=False)
    lexicon._extra_rows.cache_clear()
    entries.cache_clear()


def test_an_extra_lexicon_named_in_the_environment_is_looked_up_first(extra_lexicon):
    extra_lexicon(None)
    shipped = [e.zh for e in entries("principal")]
    assert "校长" not in shipped  # CC-CEDICT glosses no word of it as "principal"
    extra_lexicon("# english, chinese, source\nprincipal\t校长\tE12\nprincipal\t本金\tE12\n")
    got = entries("principal")
    assert "本金" in shipped  # a word both give keeps its first place, the extra lexicon's
    assert [e.zh for e in got] == ["校长", "本金", *[w for w in shipped if w != "本金"]]
    assert (got[0].source, got[1].source) == ("E12", "E12")
    assert "校长" in [e.zh for m in match("Who is the principal?") for e in m.entries]
    extra_lexicon(None)
    assert [e.zh for e in entries("principal")] == shipped


def test_a_malformed_or_missing_extra_lexicon_is_refused_with_its_place(extra_lexicon):
    extra_lexicon("principal\t校长\tE12\nprincipal 校长\n")
    with pytest.raises(ValueError, match=r"extra.tsv:2: expected"):
        entries("principal")
    extra_lexicon("", name="absent.tsv")
    with pytest.raises(ValueError, match="absent.tsv: no such file"):
        entries("principal")


def test_quote_marks_and_possessives_do_not_hide_a_word():
    assert content_words("Which schools won the 'vanguard' title in the county's list?")[1:4] == [
        "won", "vanguard", "title"]
    assert "county" in content_words("the county's list")


def test_british_spellings_find_the_dictionarys_american_entries():
    for british, american in [("programme", "program"), ("organisations", "organizations"),
                              ("enrolment", "enrollment"), ("square metres", "square meters"),
                              ("neighbourhood", "neighborhood"), ("subsidised", "subsidized")]:
        assert candidates(american) and candidates(british) == candidates(american), british
    assert [e.zh for e in candidates("tour")] != [e.zh for e in candidates("tor")]  # a word with entries keeps them


def test_one_character_headwords_have_a_provenance_and_are_single_characters():
    from qa.search.lexicon import CHARS_FILE

    lines = resources.files("qa").joinpath(CHARS_FILE).read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "CC-CEDICT" in header and "scripts/build_lexicon.py" in header
    rows = [line for line in lines if line and not line.startswith("#")]
    assert len(rows) > 1_000
    assert [r for r in rows if not re.fullmatch(r"[a-z][a-z' \-]*\t[\u4e00-\u9fff]\t-?\d+\.\d\tL\d+", r)] == []


_FARM_TEXTS = ["年出栏生猪26万头,县级", "养殖牛羊,县级", "基层党组织"]  # three paragraphs and their keyword tokens
_FARM = KeywordIndex.build([], tokens=[["生猪", "出栏", "县级"], ["养殖", "牛羊", "县级"], ["基层", "党组织"]])


def _farm_terms(question: str, top: int, read: bool = True) -> list[str]:
    """What the keyword side searches for ``question`` when the dense top passage is paragraph ``top`` (its
    text read for compounds unless ``read`` is false)."""
    texts = (lambda: [_FARM_TEXTS[top]]) if read else None
    query, _ = keyword_query(question, question.lower(), _FARM, np.array([top]), FusionParams(0.0, 0.0, 0.0, 0.0),
                             top_texts=texts)
    return query.split()


def test_a_word_without_a_corpus_headword_reaches_the_compounds_the_dense_top_passages_make_of_its_character():
    assert "生猪" in _farm_terms("How many pigs were sold?", 0)
    # the same word, where the dense top passages make no compound of 猪: nothing is guessed
    assert "生猪" not in _farm_terms("How many pigs were sold?", 1)
    assert "生猪" not in _farm_terms("How many pigs were sold?", 0, read=False)  # no passages to read: no fallback


def test_a_word_the_dictionary_glosses_only_in_a_phrase_reaches_that_phrases_headword():
    assert "基层" in _farm_terms("How many grassroots organisations?", 2)
    assert "基层" not in _farm_terms("How many grassroots organisations?", 0)  # only as the dense top passages use it


def test_a_division_level_word_gets_no_fallback_concept():
    terms = _farm_terms("How many pigs did the county sell?", 0)
    assert "县级" not in terms and "生猪" in terms


def test_a_compound_is_taken_only_where_the_dictionary_lets_it_mean_the_word():
    p = FusionParams(0.0, 0.0, 0.0, 0.0)
    kw = KeywordIndex.build([], tokens=[["免费", "学费", "一天", "天空"]])
    texts = lambda: ["免费入学,免费午餐", "学费一天"]  # noqa: E731 - the dense top passages' texts
    query, _ = keyword_query("Which fees?", "which fees?", kw, np.array([0]), p, top_texts=texts)
    assert query.split() == ["学费"]  # 免费 is "free of charge", though it is the commoner compound of 费


def test_every_synonym_row_names_its_wordnet_synset_and_leads_to_a_lexicon_key():
    from qa.search.lexicon import SYNONYMS_FILE, _rows

    lines = resources.files("qa").joinpath(SYNONYMS_FILE).read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "WordNet 3.0" in header and "scripts/build_synonyms.py" in header
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in header  # its license asks for the notice
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert len(rows) > 1_000
    assert [r for r in rows if len(r) != 3 or not re.fullmatch(r"WN30:n:\d{8}:s1", r[2])] == []
    keys = _rows()
    assert [r for r in rows if r[1] not in keys or r[0] == r[1]] == []


def test_a_word_whose_dictionary_sense_is_another_reaches_its_synonyms_headwords():
    from qa.search.lexicon import synonyms

    # CC-CEDICT glosses 学生 "student; schoolchild": "pupil" alone leads only to 瞳孔, the eye's
    assert [e.zh for e in candidates("pupils")] == ["瞳孔"]
    found = synonyms("pupils")
    assert "学生" in [e.zh for e in found] and all(e.source.startswith("WN30:n:") for e in found)
    assert synonyms("played") == ()  # a verb's form is not read as the noun "play" (drama)

    def searched(tokens, top, text):
        kw = KeywordIndex.build([], tokens=tokens)
        query, _ = keyword_query("How many pupils?", "how many pupils?", kw, np.array([top]),
                                 FusionParams(0.0, 0.0, 0.0, 0.0), top_texts=lambda: [text])
        return query.split()

    assert "学生" not in searched([["学生", "在校"], ["瞳孔", "眼科"]], 0, "在校学生")  # the corpus holds 瞳孔
    assert "学生" in searched([["学生", "在校"], ["教师"]], 0, "在校学生")
    assert "学生" not in searched([["学生", "在校"], ["教师"]], 1, "教师")  # only as the dense top passages use it


def test_the_synonym_build_keeps_a_words_first_sense_and_only_synonyms_whose_first_sense_it_is(tmp_path):
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "build_synonyms.py"
    spec = importlib.util.spec_from_file_location("build_synonyms", script)
    build_synonyms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_synonyms)
    # WordNet's layout: data lines "offset lex_filenum pos word_count(hex) word lex_id ...", index lines
    # "lemma pos synset_count ... offsets, most frequent sense first"
    (tmp_path / "data.noun").write_text(
        "  1 This software and database is being provided\n"
        "00000001 18 n 03 student 0 pupil 0 educatee 0 000 | a learner\n"
        "00000002 08 n 01 pupil 0 000 | the opening in the iris\n"
        "00000003 03 n 03 kind 0 sort 0 form 0 000 | a category\n"
        "00000004 10 n 01 form 0 000 | a shape\n", encoding="latin-1")
    (tmp_path / "index.noun").write_text(
        "  1 This software and database is being provided\n"
        "pupil n 2 0 2 1 00000001 00000002\nstudent n 1 0 1 1 00000001\neducatee n 1 0 1 0 00000001\n"
        "kind n 1 0 1 1 00000003\nsort n 1 0 1 1 00000003\nform n 2 0 2 1 00000004 00000003\n", encoding="latin-1")
    rows = build_synonyms.build(tmp_path, frozenset({"student", "pupil", "sort", "form"}), senses=1)
    assert ("pupil", "student", "WN30:n:00000001:s1") in rows
    assert ("kind", "sort", "WN30:n:00000003:s1") in rows
    assert not [r for r in rows if r[:2] == ("kind", "form")]  # "form" mostly means a shape, not a kind
    assert not [r for r in rows if r[1] == "educatee"]  # no lexicon key: it could lead nowhere


def test_a_compound_the_dictionary_glosses_the_other_way_round_finds_its_headword():
    # CC-CEDICT glosses 学位 "place in school": the question's "school places" reaches it as one phrase
    assert "学位" in [e.zh for e in candidates("school places")]
    assert [m.english for m in match("How many new school places were added?")][:2] == ["new", "school places"]
    # a compound with headwords of its own keeps them
    assert candidates("primary school") and "学位" not in [e.zh for e in candidates("primary school")]
