import numpy as np
import pytest

from qa.search.filters import Filters, detect_places, detect_years, document_matches, place_core, romanize
from qa.store.keyword import KeywordIndex, tokenize
from qa.store.vectors import EXACT_THRESHOLD, VectorIndex, factory_for
from qa.types import Document


def test_tokenize_folds_traditional_and_drops_question_words():
    toks = tokenize("漢川全市中小學一共有多少名在校學生?")
    assert "汉川" in toks and "学生" in toks
    assert "多少" not in toks and "?" not in toks


def test_keyword_search_traditional_query_finds_simplified_text(tmp_path):
    texts = ["乐陵市教育财政投入预计安排58.6亿元", "石泉县累计排查安全隐患58项", "汉川市在校学生28457人"]
    kw = KeywordIndex.build(texts)
    ids, scores = kw.search("樂陵全市教育財政投入預計安排多少?", k=3)
    assert ids[0] == 0 and scores[0] > 0
    kw.save(tmp_path / "bm25")
    again = KeywordIndex.load(tmp_path / "bm25", len(texts))
    assert np.allclose(again.scores("安全隱患 教育"), kw.scores("安全隐患 教育"))
    ids2, scores2 = again.search("安全隱患", k=3)
    assert list(ids2) == [1]
    mask = np.array([True, False, True])
    assert list(again.search("安全隐患", k=3, mask=mask)[0]) == []


def test_keyword_index_of_nothing_answers_nothing():
    kw = KeywordIndex.build([])
    assert kw.search("教师", k=5)[0].size == 0


def _unit(n, d, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_index_exact_and_subset(tmp_path):
    x = _unit(500, 32)
    v = VectorIndex.build(x)
    assert v.factory == "Flat"
    ids, scores = v.search(x[7], 3)
    assert ids[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
    ids, _ = v.search(x[7], 3, subset=np.array([1, 2, 3]))
    assert set(ids) <= {1, 2, 3} and len(ids) == 3
    v.save(tmp_path / "f.index")
    w = VectorIndex.load(tmp_path / "f.index", "Flat")
    assert list(w.search(x[9], 1)[0]) == [9]


def test_only_the_factories_the_product_chooses_are_built():
    with pytest.raises(ValueError, match="unsupported FAISS factory"):
        VectorIndex.build(_unit(100, 16, seed=1), "IVF32,Flat")


def test_factory_choice_by_size():
    assert factory_for(EXACT_THRESHOLD) == "Flat"
    assert factory_for(EXACT_THRESHOLD + 1) == factory_for(1_000_000) == "SQ8"


def test_sq8_with_exact_rescoring_matches_exact_search(tmp_path):
    x = _unit(20_000, 64, seed=2)
    queries = _unit(50, 64, seed=3)
    flat, sq = VectorIndex.build(x, "Flat"), VectorIndex.build(x, "SQ8")
    recall = np.mean([len(set(flat.search(q, 10)[0]) & set(sq.search(q, 10)[0])) / 10 for q in queries])
    assert recall >= 0.95
    ids, scores = sq.search(queries[0], 10)
    assert np.allclose(scores, x[ids] @ queries[0], atol=1e-5)  # re-scored exactly, best first
    assert list(scores) == sorted(scores, reverse=True)
    subset = np.arange(0, 20_000, 7)
    assert set(sq.search(queries[1], 10, subset=subset)[0]) <= set(subset)
    sq.save(tmp_path / "sq.index")
    loaded = VectorIndex.load(tmp_path / "sq.index", "SQ8")  # no float vectors: quantized scores only
    assert loaded.search(x[5], 1)[0][0] == 5


def test_detect_years():
    assert detect_years("石泉县2011年招聘了多少教师?") == (2011,)
    assert detect_years("How many schools were rebuilt in 2020?") == (2020,)
    assert detect_years("生机比为7.2:1, 安排58.6亿元, 20xx年") == ()


def test_detect_places_in_chinese_and_pinyin():
    known = ["石泉县", "汉川市", "乐陵"]
    assert detect_places("石泉縣上半年排查了多少隱患?", known) == ("石泉县",)
    assert detect_places("How many students does Hanchuan have?", known) == ("汉川市",)
    assert detect_places("What did the county do?", known) == ()
    assert place_core("石泉县") == "石泉" and romanize("汉川") == "hanchuan"


def test_a_pinyin_place_is_never_found_inside_a_longer_word():
    known = ["新竹县", "钟山县"]
    assert detect_places("Which schools, with Xiaoxinzhuang Primary, closed?", known) == ()
    assert detect_places("How many schools does Xinzhu County have?", known) == ("新竹县",)
    assert detect_places("Zhong Shan county's teachers?", known) == ("钟山县",)


def test_a_short_pinyin_name_counts_where_the_question_gives_it_a_level():
    # four letters may be English words run together ("de an"): read only before county, district, city ...
    known = ["安福县", "德安县"]
    assert detect_places("How many first-graders did Anfu County enrol?", known) == ("安福县",)
    assert detect_places("How many schools in Dean County?", known) == ("德安县",)
    assert detect_places("Who is the dean of the school?", known) == ()
    assert detect_places("How many pupils are there in Anfu?", known) == ()


def test_a_place_written_in_wade_giles_is_found_as_taiwan_writes_it():
    known = ["新竹县", "台中市", "钟山县"]
    assert detect_places("How big is Hsinchu County's education budget?", known) == ("新竹县",)
    assert detect_places("How many auditoriums is Taichung building?", known) == ("台中市",)
    assert detect_places("Chung Shan county's teachers?", known) == ("钟山县",)  # Wade-Giles of a mainland one
    assert detect_places("What did the church school do?", known) == ()


def test_document_filter():
    d = Document("d1", "a.txt", "t", year=2011, places=("石泉县",))
    assert document_matches(d, Filters(places=("石泉",)))
    assert not document_matches(d, Filters(places=("乐陵",)))
    assert document_matches(d, Filters(years=(2011,)))


def test_bm25_scores_follow_the_lucene_formula():
    docs = [["a", "b", "b"], ["a"], ["c", "c", "c", "c", "d"], []]
    kw = KeywordIndex.build([], tokens=docs)
    n, avgdl = 4, (3 + 1 + 5 + 0) / 4

    def bm25(tf, df, dl):
        return np.log(1 + (n - df + 0.5) / (df + 0.5)) * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))

    s = kw.scores("b")
    assert s[0] == pytest.approx(bm25(2, 1, 3), rel=1e-5) and s[1] == s[2] == s[3] == 0
    s = kw.scores("a a")  # a repeated query term counts twice
    assert s[1] == pytest.approx(2 * bm25(1, 2, 1), rel=1e-5)
    assert kw.document_frequency("a") == 2 and kw.document_frequency("zzz") == 0


def test_merged_token_parts_index_like_one_list():
    from qa.store.keyword import encode_tokens, merge_token_ids

    parts = [[["教师", "培训"], ["学生"]], [["培训", "安全"]], []]
    whole = KeywordIndex.build([], tokens=[t for p in parts for t in p])
    merged = KeywordIndex.from_ids(*merge_token_ids([encode_tokens(p) for p in parts]))
    for q in ("培训", "安全 教师", "学生"):
        assert np.allclose(whole.scores(q), merged.scores(q))


def test_a_year_the_filters_weigh_is_not_searched_again_as_a_word():
    from qa.search.filters import Filters
    from qa.search.retrieve import strip_filter_terms

    assert strip_filter_terms("某县2011年新建了几所学校", Filters(years=(2011,))) == "某县 新建了几所学校"
    assert strip_filter_terms("how many schools in 2019", Filters(years=(2019,))) == "how many schools"
