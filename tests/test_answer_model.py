"""The fitted answer scorer, figure leads for English askers, declines and the bench answer metrics."""

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.compose import Answerer
from qa.answer.features import chunk_positions, sentence_features
from qa.answer.lead import asks_total, figure_lead, figure_with_unit, units
from qa.answer.scorer import FEATURES, load_model
from qa.eval.answers import evaluate_bench_answers
from qa.numbers import numbers_in
from qa.search.question import analyze
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index
from qa.types import Answer, Chunk, Citation, Document

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def answerer(tiny_corpus, tmp_path, fake_embedder):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    return Answerer(Retriever(Index.load(tmp_path / "index"), fake_embedder))


def answerer_over(tmp_path, embedder, reports: dict[str, str]) -> Answerer:
    """An answerer over a corpus of the given reports (file name -> text), written for the test."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in reports.items():
        (corpus / name).write_text(text, encoding="utf-8")
    update_index(corpus, tmp_path / "index", embedder, progress=False)
    return Answerer(Retriever(Index.load(tmp_path / "index"), embedder))


def test_the_shipped_scorer_loads_with_its_provenance():
    m = load_model()
    assert len(m.coef) == len(FEATURES) and all(np.isfinite(m.coef))
    prov = m.provenance
    for key in ("datasets", "counts_questions", "date", "command", "held_out_top1", "decline"):
        assert key in prov, key
    assert "fit_answer_model.py" in prov["command"] and not any(p in prov["command"] for p in ("/work/", "/root/"))
    assert 0.0 < m.decline_below < 1.0
    runner_up = prov["runner_up"]  # fitted by its own script, on the bench sets' fitted questions
    assert "fit_runner_up.py" in runner_up["command"] and set(runner_up["chosen"]) == {"en", "zh"}
    assert (m.runner_up_keep_en, m.runner_up_keep_zh) == (runner_up["chosen"]["en"], runner_up["chosen"]["zh"])
    other = prov["runner_up_other"]  # its own script, on collected report questions, some of them held out
    assert "fit_runner_up_other.py" in other["command"] and other["held_out"] and "/work/" not in other["command"]
    assert (m.runner_up_other_en, m.runner_up_other_zh) == (other["chosen"]["en"], other["chosen"]["zh"])
    p = m.probability(np.zeros((3, len(FEATURES))))
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


def test_the_english_support_floor_is_fitted_by_its_script_and_lies_below_the_shared_one():
    m = load_model()
    fitted = m.provenance["support_threshold_en"]
    assert "fit_support_threshold.py" in fitted["command"] and not any(
        p in fitted["command"] for p in ("/work/", "/root/"))
    assert m.decline_below_en == fitted["report"]["threshold_en"]
    assert 0.0 < m.decline_below_en < m.decline_below  # English supports on reports sit lower (the fit's finding)
    assert m.support_floor("en") == m.decline_below_en and m.support_floor("zh") == m.decline_below
    # every fitted source sees about the rule's share declined (its 5% quantile, interpolated: 2 of 39)
    for source, counts in fitted["report"]["fitted (answerable: declined)"].items():
        declined, n = map(int, counts["en"].split("/"))
        assert declined <= max(1, round(0.05 * n)), source


def test_an_english_question_is_declined_by_its_own_floor(answerer):
    """A floor set for English questions declines an English question and leaves a Chinese one to the shared
    floor (and the other way round)."""
    zh = "石泉县上半年累计排查安全隐患多少项?"
    en = "How many safety hazards did Shiquan County check in the first half?"
    english_strict = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=0.0,
                                                                 decline_below_en=1.01))
    assert english_strict.ask(en).abstained and not english_strict.ask(zh).abstained
    chinese_strict = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=1.01,
                                                                 decline_below_en=0.0))
    assert chinese_strict.ask(zh).abstained and not chinese_strict.ask(en).abstained


def test_a_model_with_other_features_is_refused(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"features": ["a", "b"], "coef": [1, 2], "intercept": 0}))
    with pytest.raises(ValueError, match="refit"):
        load_model(path)


def test_a_support_model_is_read_and_checked(tmp_path):
    shipped = json.loads((REPO / "qa" / "data" / "answer_model.json").read_text(encoding="utf-8"))
    n = len(FEATURES)
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**shipped, "support": {"coef": [0.0] * n, "intercept": 2.0}}))
    m = load_model(path)
    x = np.random.default_rng(0).normal(size=(4, n))
    assert np.allclose(m.support(x), 1 / (1 + np.exp(-2.0)))  # its own weights, not the choice model's
    assert not np.allclose(m.probability(x), m.support(x))
    path.write_text(json.dumps({**shipped, "support": {"coef": [0.0] * (n - 1), "intercept": 0.0}}))
    with pytest.raises(ValueError, match="support model"):
        load_model(path)


def test_declines_follow_the_support_model_not_the_choice_model(answerer):
    n = len(FEATURES)
    question = "石泉县上半年累计排查安全隐患多少项?"
    sure = replace(answerer.params, coef=(0.0,) * n, intercept=10.0)  # the choice model is always sure
    unsupported = Answerer(answerer.retriever, params=replace(sure, support_coef=(0.0,) * n, support_intercept=-10.0))
    assert unsupported.ask(question).abstained
    supported = Answerer(answerer.retriever, params=replace(sure, support_coef=(0.0,) * n, support_intercept=10.0))
    assert not supported.ask(question).abstained


def test_features_have_one_row_per_candidate(answerer):
    q = analyze("石泉县上半年累计排查安全隐患多少项?")
    res = answerer.retriever.search(q.text)
    index = answerer.retriever.index
    f = sentence_features(q, res, index, answerer.retriever.embedder, answerer.weights, answerer.params,
                          chunk_positions(index))
    assert f.matrix.shape == (len(f.candidates), len(FEATURES)) and len(f.candidates) > 3
    gap = f.matrix[:, FEATURES.index("s_cos_gap")]
    assert gap.max() == 0.0 and gap.min() <= 0.0
    assert set(f.matrix[:, FEATURES.index("numeric")]) == {1.0}


def test_a_decline_lists_the_closest_passages(answerer):
    strict = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=1.01, decline_below_en=1.01))
    a = strict.ask("石泉县上半年累计排查安全隐患多少项?")
    assert a.abstained and not a.citations and len(a.related) >= 2


def test_the_answerer_keeps_no_state_of_a_question(answerer):
    before = set(vars(answerer))
    answerer.ask("石泉县上半年累计排查安全隐患多少项?")
    answerer.ask("How many safety hazards were found?")
    answerer.ask("How many safety hazards were found in 1986?")  # reads the corpus's years once
    assert set(vars(answerer)) - before <= {"weights", "positions", "written_years", "corpus_years"}  # index-level


def test_units_are_glossed_as_what_they_count():
    glosses = dict(units())
    assert glosses["人次"].startswith("attendances") and "ten thousand yuan" in glosses["万元"]
    q = analyze("How many attendances were there?")
    assert figure_with_unit("共培训教师1200人次", q) == ("1200", "attendances (person-times)")
    assert figure_with_unit("投入资金10.8万元", q) == ("10.8", "× ten thousand yuan")


def test_a_figure_lead_names_the_report_place_and_the_sentence_year():
    q = analyze("How many teachers were recruited?")
    doc = Document("d", "d.txt", "石泉县教育局工作总结", 2011, ("石泉县",))
    assert figure_lead("2011年招聘教师26名", q, doc, 1) == "26 teachers (石泉县 Shiquan County, 2011) [1]"
    assert figure_lead("全面加强教师队伍建设", q, doc, 1) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 99999).map(str), st.sampled_from(["年", "人", "万元", "人次", "，", "共",
                                                                          "教师", "2019年", "%", "所", "."])),
                min_size=1, max_size=12))
def test_a_lead_never_states_a_number_absent_from_the_quote(parts):
    quote = "".join(parts)
    lead = figure_lead(quote, analyze("How many people?"), None, 1)
    if lead is not None:
        assert set(numbers_in(lead.replace("[1]", ""))) <= set(numbers_in(quote))


def test_no_single_figure_only_when_a_total_is_asked():
    assert asks_total("How many schools were built in total?") and asks_total("全县一共有多少所学校?")
    assert not asks_total("How many schools does the city have?") and not asks_total("有多少名教师?")


class _Canned:
    def __init__(self, answers):
        self.answers, self.detected = answers, []

    def ask(self, question, detect_filters=True):
        self.detected.append(detect_filters)
        return self.answers[question]


def test_bench_answer_metrics_count_spans_citations_and_declines():
    doc = Document("p1", "p1", "")
    chunk = Chunk("p1", "p1", "p1", 1, (), (0, 10), "总共308分。", "总共308分。")
    hit = Answer("a", "“总共308分。” [1]", (Citation(1, chunk, doc, "总共308分。"),))
    miss = Answer("b", "报告中没有提供这方面的信息。", (), (), True)
    qs = [{"question": "a", "pid": "p1", "answers": ["308"], "lang": "en"},
          {"question": "b", "pid": "p2", "answers": ["4"], "lang": "zh"},
          {"question": "c", "pid": "p3", "lang": "zh"}]  # no answers: not counted
    canned = _Canned({"a": hit, "b": miss})
    out = evaluate_bench_answers(qs, canned)
    assert out["answers_n"] == 2 and out["answer_hit"] == 0.5 and out["citation_hit"] == 0.5
    assert out["declined"] == 0.5 and out["answers_by_lang"]["en"]["answer_hit"] == 1.0
    assert canned.detected == [False, False]  # bench passages carry no report metadata: no filters by default
    evaluate_bench_answers(qs, canned, detect_filters=True)  # `qa eval --detect-filters`: as the product asks
    assert canned.detected[2:] == [True, True]


def test_the_decline_operating_point_keeps_false_declines_under_the_limit():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from decline_curve import operating_point
    finally:
        sys.path.pop(0)
    pos = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.05]
    neg = [0.1, 0.2, 0.3, 0.02]
    t, neg_declined, pos_declined = operating_point(pos, neg, 0.1)
    assert pos_declined <= 0.1 and sum(s < t for s in pos) <= 1
    assert t == 0.25 and neg_declined == 0.75  # 0.1, 0.2 and 0.02 fall below 0.25; 0.3 does not


def test_a_two_part_question_gets_both_parts(answerer):
    a = answerer.ask("石泉县累计排查安全隐患多少项，新录用教师多少名？")
    assert not a.abstained
    assert "58" in a.text and "37" in a.text


def test_an_english_figure_answer_leads_with_the_figure_and_unit_from_the_quote(answerer):
    lenient = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=0.0, decline_below_en=0.0))
    a = lenient.ask("How many 人次 took part in the drills at 石泉县 schools?")
    lead, *rest = a.text.splitlines()
    figure = lead.rpartition(": ")[2].split(" ")[0]
    assert lead.endswith("[1]") and figure in a.citations[0].sentence  # the figure of the cited sentence
    said = a.citations[0].sentence.replace(" ", "")  # ... a figure that a known unit follows there
    assert any(figure + u in said for u, _ in units())  # (what the lead says of it: tests/test_leads.py)
    assert figure in rest[0]  # then the quote, in the report's glyphs
    assert all(n in numbers_in(" ".join(c.chunk.text for c in a.citations))
               for n in numbers_in(a.text.replace("[1]", "").replace("[2]", "").replace("[3]", "")))


def test_a_figure_asked_across_reports_quotes_each_report_that_would_answer_alone(tmp_path):
    from qa.answer.compose import Answerer
    from qa.models.embed import FakeEmbedder
    from qa.search.retrieve import Retriever
    from qa.store.update import update_index

    corpus = tmp_path / "c"
    corpus.mkdir()
    for county, year, n in (("东林县", 2018, 17), ("西岭县", 2019, 29), ("南湖县", 2020, 41)):
        (corpus / f"{year}.txt").write_text(f"{county}教育局{year}年工作总结\n\n一、师资\n{year}年，{county}"
                                            f"新建标准化实验室{n}间，全部投入使用。\n\n二、其他\n植树100棵。\n",
                                            encoding="utf-8")
    emb = FakeEmbedder(dim=64)
    index = update_index(corpus, tmp_path / "i", emb, progress=False, load=True).index
    answer = Answerer(Retriever(index, emb)).ask("各县新建了多少间标准化实验室?")
    assert not answer.abstained
    assert len({c.chunk.source for c in answer.citations}) >= 2


def test_two_figures_asked_of_one_sentence_are_both_quoted(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"qingsong_2019.txt": (
        "青松县教育局2019年工作总结\n\n一、基本情况\n全县现有小学18所，在职教师960人，在校学生12400人。\n\n"
        "二、办学条件\n2019年新建塑胶跑道12条，改造学校食堂5所。\n")})
    a = answerer.ask("青松县有多少名在职教师和多少名在校学生？")
    assert not a.abstained
    assert "960" in a.text and "12400" in a.text


def _script(name):
    import importlib.util

    sys.path.insert(0, str(REPO / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.pop(0)


def test_swapped_negatives_name_a_place_and_a_year_the_corpus_does_not_cover():
    neg = _script("answer_negatives")
    doc = Document("d", "d.txt", "石泉县教育局2011年工作总结", 2011, ("石泉县",), mentions=("石泉县",), years=(2011,))
    text = "石泉县2011年招聘教师26名。"
    gold = [{"id": "a", "question": "石泉县2011年招聘了多少教师?", "answers": ["26"]},
            {"id": "b", "question": "How many teachers did Shiquan County recruit in 2011?", "answers": ["26"]},
            {"id": "c", "question": "石泉县有哪些学校?", "type": "unanswerable", "answers": []}]
    out = neg.swapped_questions(gold, [doc], text, seed=3)
    assert {o["id"] for o in out} == {"a-place", "a-year", "b-place", "b-year"}
    for o in out:
        assert o["answers"] == [] and o["question"] != gold[0]["question"]
        if o["swap"] == "place":
            assert "石泉" not in o["question"] and "shiquan" not in o["question"].lower()
            assert "2011" in o["question"]
        else:
            assert "2011" not in o["question"] and not any(str(y) in o["question"] for y in (2010, 2012))


def test_boosted_trees_in_the_json_score_as_sklearn_does(tmp_path):
    fit = _script("fit_answer_model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 3] * x[:, 5] > 0.3).astype(int)
    model = fit.fit(x, y, "boosting", 1.0, zero=())
    assert model.trees and not any(model.coef)
    from sklearn.ensemble import GradientBoostingClassifier

    b = fit.BOOST
    ref = GradientBoostingClassifier(n_estimators=b.trees, max_depth=b.depth, learning_rate=b.rate,
                                     subsample=b.subsample, random_state=0).fit(x, y)
    assert np.allclose(model.probability(x), ref.predict_proba(x)[:, 1], atol=1e-6)
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"features": list(FEATURES), "coef": list(model.coef), "intercept": model.intercept,
                                "trees": [{k: list(v) for k, v in vars(t).items()} for t in model.trees]}))
    assert np.allclose(load_model(path).probability(x), model.probability(x))


def test_the_logistic_fit_is_not_biased_against_features_of_small_spread():
    """A cosine gap spans a few hundredths; fitted on raw features the penalty would all but drop it."""
    fit = _script("fit_answer_model")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, len(FEATURES)))
    x[:, 1] *= 0.01  # informative, small spread
    y = (x[:, 1] * 100 + 0.3 * rng.normal(size=2000) > 0).astype(int)
    model = fit.fit(x, y, "logistic", 1.0, zero=())
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)).fit(x, y)
    assert np.allclose(model.probability(x), ref.predict_proba(x)[:, 1], atol=1e-6)  # weights mapped back exactly
    assert abs(model.coef[1]) > 50 * max(abs(c) for i, c in enumerate(model.coef) if i != 1)


def test_absolute_cosine_levels_get_no_weight():
    """They belong to one embedding model; a model with other cosine levels must not shift every score."""
    fit = _script("fit_answer_model")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, len(FEATURES)))
    y = (x[:, FEATURES.index("s_cos")] > 0).astype(int)  # the level alone would predict the label
    model = fit.fit(x, y, "logistic", 1.0)
    assert model.coef[FEATURES.index("s_cos")] == 0.0 and model.coef[FEATURES.index("p_cos")] == 0.0


def test_a_place_the_corpus_never_names_is_declined_by_name(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"qingsong_2019.txt": (
        "青松县教育局2019年工作总结\n\n一、基本情况\n全县现有小学18所，在职教师960人。\n\n"
        "二、交流\n组织骨干教师赴西宁市学习培训120人次。\n")})
    away = answerer.ask("兰州市现有多少名在职教师？")
    assert away.abstained and "兰州市" in away.text and away.related  # still lists the closest passages
    assert answerer.ask("蘭州市現有多少名在職教師？").text.count("蘭州市") == 1  # in the asker's script
    named = answerer.ask("西宁市有多少人次参加培训？")  # a place the reports name is not declined for that
    assert "没有涉及" not in named.text
    english = answerer.ask("How many teachers does Lanzhou City have?")
    assert english.abstained and "Lanzhou" in english.text
    assert "do not cover" not in answerer.ask("How many teachers went to Xining City?").text  # named by the reports
    bare = answerer.ask("How many teachers are on staff in Lanzhou?")  # a bare name used as a place
    assert bare.abstained and "Lanzhou" in bare.text
    assert "do not cover" not in answerer.ask("How many teachers went to train in Xining?").text
    # Taiwan's places are written in Wade-Giles: one the reports never name is declined by that name, and one
    # they name (in a report of its own, in Traditional script) is searched
    assert "Kaohsiung" in answerer.ask("How many teachers does Kaohsiung City have?").text
    (tmp_path / "tw").mkdir()
    taiwan = answerer_over(tmp_path / "tw", fake_embedder, {"hsinchu.txt": (
        "新竹縣教育處113年度工作報告\n\n一、基本情況\n全縣國民小學84所，教師2500人。\n")})
    hsinchu = taiwan.ask("How many primary schools does Hsinchu County have?")
    assert "do not cover" not in hsinchu.text and any("新竹县" in n for n in hsinchu.notes)  # its filter applies


def test_a_one_character_county_in_pinyin_is_never_declined(tmp_path, fake_embedder):
    """"Fang County" may be 房县: the gazetteer's names of one character cannot be looked up in the text."""
    answerer = answerer_over(tmp_path, fake_embedder, {"fang.txt": (
        "房县教育局2019年工作总结\n\n一、基本情况\n全县现有小学18所，在职教师960人。\n")})
    assert "do not cover" not in answerer.ask("How many primary schools does Fang County have?").text


def test_a_town_the_gazetteer_knows_only_a_homophone_of_is_not_declined_when_the_report_writes_it(
        tmp_path, fake_embedder):
    """The gazetteer (down to county level) reads "Shangcang" as 上苍; the report writes the town 上仓镇."""
    from qa.search.filters import cores_by_pinyin

    assert "上仓" not in cores_by_pinyin().get("shangcang", ("上仓",))  # else this tests nothing
    answerer = answerer_over(tmp_path, fake_embedder, {"town.txt": (
        "上仓镇中心校简介\n\n上仓镇中心校下辖小学12所，在职教师310人。\n")})
    assert "do not cover" not in answerer.ask("How many teachers work in Shangcang town's schools?").text
    assert "do not cover" in answerer.ask("How many teachers work in Lanzhou City's schools?").text


def test_english_place_names_are_read_only_where_they_are_pinyin_before_a_level():
    from qa.search.filters import latin_places

    assert latin_places("How many schools does Qingsong County's bureau run?") == ("qingsong",)
    assert latin_places("What did the Hexi District do?") == ("hexi",)
    assert latin_places("Which County built the most?") == () and latin_places("How big is Green County?") == ()
    assert latin_places("How many pupils are there in Lanzhou?") == ("lanzhou",)  # bare, after a preposition
    assert latin_places("What did Lanzhou report?") == ()  # a bare name elsewhere may be a paper or a person
    assert latin_places("How many students in the Tesla program?") == ()  # not pinyin
    assert latin_places("How many schools does Kaohsiung City run?") == ("kaohsiung",)  # Wade-Giles
    assert latin_places("How many pupils are there in Hsinchu?") == ("hsinchu",)


def test_the_support_model_is_fitted_without_the_gap_features():
    """The gaps say which sentence of a question is best; a decline must rest on evidence of being answered."""
    fit = _script("fit_answer_model")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, len(FEATURES)))
    y = (x[:, FEATURES.index("s_cos_gap")] + x[:, FEATURES.index("coverage")] > 0).astype(int)
    model = fit.with_support(fit.fit(x, y, "logistic", 1.0), x, y, 1.0, fit.SUPPORT_ZERO["levels"])
    assert model.coef[FEATURES.index("s_cos_gap")] > 0  # the choice model uses the gap
    assert all(model.support_coef[FEATURES.index(f)] == 0.0 for f in fit.SUPPORT_ZERO["levels"])
    assert model.support_coef[FEATURES.index("coverage")] > 0


def test_the_fit_reads_an_english_question_as_the_answerer_does(answerer):
    """Fitted on other features than it is applied to, the scorer's threshold would not hold (it did not: the
    fit read an English question with every dictionary sense, the answerer with retrieval's choice)."""
    from qa.search.retrieve import question_info

    fit = _script("fit_answer_model")
    retriever, question = answerer.retriever, "How many safety hazards were found, and how many were fixed?"
    ex = fit.Examples()
    fit.collect([{"qid": "q", "question": question, "answers": ["58"]}], retriever, "t", ex, {}, answerer.params,
                detect_filters=True)
    res = retriever.search(question, k=10)
    served = sentence_features(question_info(question, res), res, retriever.index, retriever.embedder,
                               answerer.weights, answerer.params, chunk_positions(retriever.index), {})
    assert ex.x[0].shape == served.matrix.shape and np.allclose(ex.x[0], served.matrix)
    # the difference this test guards: every dictionary sense is not what retrieval chose (the features no longer
    # show it on this corpus: concepts no passage holds are left out of an English question's coverage)
    assert analyze(question).terms != question_info(question, res).terms


def test_an_english_figure_question_is_not_declined_for_a_word_the_dictionary_renders_otherwise(tmp_path,
                                                                                               fake_embedder):
    """What an English question counts is known through dictionary senses only; the report may use another word.
    The scorer's threshold is set aside (the fake embedder's cosines say nothing): this is the figure check."""
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": (
        "河湾区教育局工作总结\n\n一、基本情况\n全区共有中小学56所，在校学生3.2万人。\n")})
    lenient = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=0.0, decline_below_en=0.0))
    answer = lenient.ask("How many learners are enrolled in the district's schools?")
    assert not answer.abstained and "3.2万" in answer.text


class _FirstColumn:
    """A stand-in scorer whose probability is the first feature column."""

    def probability(self, x, gloss=None):
        return x[:, 0] if gloss is None else x[:, 0] + gloss


def _runner_up_rows(n: int, second_right: float, share: float, rng) -> tuple[list, list]:
    """``n`` made-up questions of three candidates from one passage: the best is right half the time, the runner-up
    (at ``share`` of the best's probability) holds the answer in ``second_right`` of the rest."""
    xs, ys = [], []
    for _ in range(n):
        x = np.zeros((3, len(FEATURES)))
        x[:, 0] = [0.4, 0.4 * share, 0.05]
        x[:, FEATURES.index("inv_rank")] = 1.0
        first = rng.random() < 0.5
        second = not first and rng.random() < second_right
        xs.append(x)
        ys.append(np.array([first, second, not first and not second], dtype=int))
    return xs, ys


def test_the_runner_up_share_is_fitted_on_what_it_gains_against_its_cost():
    ru = _script("fit_runner_up")
    rng = np.random.default_rng(3)
    for second_right, expect_quote in ((0.9, True), (0.0, False)):
        xs, ys = _runner_up_rows(200, second_right, 0.8, rng)
        rows = [ru.outcome(x, y, _FirstColumn()) for x, y in zip(xs, ys, strict=True)]
        assert all(abs(share - 0.8) < 1e-6 for _, share, _ in rows)
        best = max(ru.table(rows, 0.2), key=lambda t: (t["objective"], t["keep"]))["keep"]
        assert (best <= 0.8) == expect_quote, best
    x, y = _runner_up_rows(1, 1.0, 0.9, rng)
    x[0][1, FEATURES.index("inv_rank")] = 0.5  # the runner-up from another passage is not eligible
    x[0][2, FEATURES.index("inv_rank")] = 0.5
    assert ru.outcome(x[0], y[0], _FirstColumn())[1] == 0.0
    # the gloss coverage is scored as the answerer scores it: here it puts the runner-up first
    x, y = _runner_up_rows(1, 1.0, 0.8, rng)
    first, share, _ = ru.outcome(x[0], y[0], _FirstColumn(), np.array([0.0, 0.2, 0.0]))
    assert abs(share - 0.4 / 0.52) < 1e-6 and first == bool(y[0][1])


def test_an_unsure_answer_also_quotes_its_runner_up_from_the_same_passage(tmp_path, fake_embedder):
    a = answerer_over(tmp_path, fake_embedder, {"r.txt": "昭平县教育局工作总结\n\n今年全县新建校舍三栋,改造操场两块。"
                                                                "全县组织教师外出参加培训学习。"})
    q = analyze("What did the county build?")
    res = a.retriever.search(q.text, detect_filters=False)
    cands, _ = a.candidates(q, res)
    assert len({c.sentence for c in cands}) >= 2
    never = Answerer(a.retriever, params=replace(a.params, runner_up_keep_en=2.0))
    always = Answerer(a.retriever, params=replace(a.params, runner_up_keep_en=0.0))
    assert never._runner_up(q, cands[0], cands) is None
    second = always._runner_up(q, cands[0], cands)
    assert second is not None and second.sentence != cands[0].sentence
    assert second.hit.chunk.chunk_id == cands[0].hit.chunk.chunk_id
    assert always._runner_up(replace(q, kind="list"), cands[0], cands) is None  # lists have their own rule


def _two_passages_of_one_report(tmp_path, embedder):
    """An answerer, a figure question, and candidates: the best (a figure of another thing), a sentence of another
    passage of its report that answers, and one of another report that would answer."""
    from qa.answer.features import Candidate
    from qa.search.retrieve import question_info

    answerer = answerer_over(tmp_path, embedder, {
        "report.txt": "青松市教育局2020年工作总结\n\n一、基本情况\n全市现有中小学校48所，其中小学27所，初中12所。\n\n"
                      "二、队伍建设\n全年公开招聘教师120名，新教师全部到农村学校任教。\n",
        "other.txt": "青山县教育局2020年工作总结\n\n全县公开招聘教师45名。\n"})
    question = "青松市2020年招聘了多少名教师?"
    res = answerer.retriever.search(question, detect_filters=False)
    hits = {h.chunk.text.split("\n")[-1][:4]: h for h in res.hits}
    assert {"全市现有", "全年公开", "全县公开"} <= set(hits)  # three passages, two of them from one report
    best = Candidate(0, hits["全市现有"], "全市现有中小学校48所，其中小学27所，初中12所。", "全市现有中小学校48所", 0.8,
                     score=0.5)
    hired = Candidate(0, hits["全年公开"], "全年公开招聘教师120名，新教师全部到农村学校任教。", "全年公开招聘教师120名",
                      0.8, score=0.4)
    elsewhere = replace(hired, hit=hits["全县公开"], sentence="全县公开招聘教师45名。", quote="全县公开招聘教师45名")
    return answerer, question_info(question, res), best, hired, elsewhere


def test_a_close_sentence_of_another_passage_of_the_report_is_quoted_at_its_own_fitted_share(tmp_path, fake_embedder):
    answerer, q, best, hired, elsewhere = _two_passages_of_one_report(tmp_path, fake_embedder)

    def runner_up(other: float, cands: list) -> object:
        params = replace(answerer.params, runner_up_keep_zh=2.0, runner_up_other_zh=other)
        return Answerer(answerer.retriever, params=params)._runner_up(q, best, cands)

    assert runner_up(0.75, [best, hired]) is hired  # 0.4 is 0.8 of the best's 0.5
    assert runner_up(0.85, [best, hired]) is None
    assert runner_up(0.75, [best, elsewhere]) is None  # another report's sentence: the rules of _choose decide
    assert runner_up(0.75, [best, replace(hired, quote="二、队伍建设", sentence="二、队伍建设")]) is None  # no figure


def test_the_other_passage_share_is_fitted_with_the_served_rule_on_what_it_gains_against_its_cost(tmp_path,
                                                                                                 fake_embedder):
    fit = _script("fit_runner_up_other")
    answerer, q, best, hired, _ = _two_passages_of_one_report(tmp_path, fake_embedder)
    second_right, first_right = fit.Asked(q, [best, hired], {id(hired)}), fit.Asked(q, [best, hired], {id(best)})
    assert fit.outcome(second_right, answerer, 0.8) == (True, True)  # hired is at 0.8 of the best
    assert fit.outcome(second_right, answerer, 0.85) == (False, False)
    share, table = fit.choose([second_right] * 2 + [first_right] * 3, answerer, cost=0.2)
    assert share == 0.8 and table[-1]["share"] == 2.0 and table[-1]["right"] == 3  # +2 answers for 5 quotes
    assert fit.choose([second_right] + [first_right] * 5, answerer, cost=0.2)[0] == 2.0  # +1 for 6: never


def test_an_english_concept_no_passage_read_holds_is_left_out_of_coverage():
    from qa.answer.features import senses_read
    from qa.search.question import QuestionInfo

    q = QuestionInfo("What share of pupils?", "what share of pupils?", "en", "numeric",
                     terms=(("共享", "分享"), ("学生",)), focus=(("共享", "分享"),), measure=(("学生",),))
    got = senses_read(q, "全区学生中公办学校在读占比达到53%")
    assert got.terms == (("学生",),) and got.focus == () and got.measure == (("学生",),)
    assert senses_read(q, "今年植树100棵") == q  # nothing held: the question stays as asked (coverage 0 everywhere)
    assert senses_read(q, "学生共享图书") == q  # everything held


def test_an_english_figure_question_leads_with_a_sentence_that_states_a_figure():
    from qa.answer.evidence import figure_first
    from qa.answer.features import Candidate
    from qa.search.question import analyze

    hit = None
    plain = Candidate(0, hit, "全面加强党的建设。", "全面加强党的建设。", 0.9, score=0.5)
    figure = Candidate(0, hit, "其中22个支部被评为先进。", "其中22个支部被评为先进。", 0.5, score=0.3)
    q = analyze("How many branches were rated advanced?")
    assert figure_first(q, [plain, figure], pool=8) == [figure, plain]
    assert figure_first(q, [plain, figure], pool=1) == [plain, figure]  # beyond the pool: the scorer's order
    assert figure_first(q, [figure, plain], pool=8) == [figure, plain]
    share = Candidate(0, hit, "达标率达到85%。", "达标率达到85%。", 0.4, score=0.2)
    asked = analyze("What share of branches were rated advanced?")  # a share: the percentage leads
    assert figure_first(asked, [plain, figure, share], pool=8) == [share, plain, figure]
    assert figure_first(asked, [plain, figure], pool=8) == [figure, plain]  # none: any figure


def test_the_listwise_fit_ranks_within_questions_and_gives_question_constants_no_weight():
    fam = _script("fit_answer_model")
    rng = np.random.default_rng(1)
    cov, en = FEATURES.index("coverage"), FEATURES.index("english")

    def questions(n, answered):
        x = rng.normal(size=(n * 5, len(FEATURES)))
        y = np.zeros(n * 5, dtype=int)
        for q in range(n):
            x[q * 5:q * 5 + 5, en] = 0.0 if answered else 1.0  # constant within a question
            if answered:
                y[q * 5 + q % 5] = 1
                x[q * 5 + q % 5, cov] += 3.0
        return x, y

    (xa, ya), (xb, yb) = questions(60, True), questions(60, False)  # "english" questions are never answered
    model = fam.listwise(np.vstack([xa, xb]), np.concatenate([ya, yb]), [5] * 120, 1.0)
    assert abs(model.coef[en]) < 1e-6  # a pointwise fit would give it a large negative weight
    test_x, test_y = questions(50, True)
    top = [int(np.argmax(model.probability(test_x[i:i + 5]))) for i in range(0, 250, 5)]
    assert np.mean([test_y[i * 5 + t] for i, t in enumerate(top)]) >= 0.85
    p = model.probability(test_x)
    assert np.all((p > 0) & (p < 1))


def test_a_reports_title_written_as_its_first_line_is_never_quoted(tmp_path, fake_embedder):
    """A web copy starts with its title; quoting it answers nothing, whatever words it shares with the question."""
    from qa.search.retrieve import question_info

    answerer = answerer_over(tmp_path, fake_embedder, {
        "plan.txt": "区教体局2020年学前教育工作计划\n\n一、重点项目\n学前三年毛入学率达到95%，新增学位4950个。\n",
        "page_1.txt": "南投縣永康國小106年度教育優先區執行成果\n核定經費71966元，執行率83.3%。\n"})
    for question in ("区教体局2020年学前教育工作计划的毛入学率是多少?", "永康國小106年度執行成果的執行率是多少?"):
        res = answerer.retriever.search(question)
        cands, _ = answerer.candidates(question_info(question, res), res)
        quoted = [c.sentence for c in cands]
        assert quoted and not any("工作计划" in s or "執行成果" in s for s in quoted)
        assert any("%" in s for s in quoted)


def test_figures_of_other_measures_are_listed_by_report_not_called_different_figures(tmp_path, fake_embedder):
    """"Different figures" says each report gives its own value of what is asked; a quote that counts
    something else is only listed by report."""
    from qa.answer import wording
    from qa.answer.compose import Candidate, Reading
    from qa.search.question import analyze

    answerer = answerer_over(tmp_path, fake_embedder, {
        "a.txt": "东林县教育局2018年工作总结\n\n一、办学条件\n2018年改造学校食堂12所。\n",
        "b.txt": "西岭县教育局2019年工作总结\n\n一、办学条件\n2019年改造学校食堂7所。\n\n二、其他\n植树300棵。\n"})
    res = answerer.retriever.search("改造了多少所学校食堂？", k=5)
    q = analyze("改造了多少所学校食堂？")
    by_text = {}
    for hit in res.hits:
        for sentence in hit.chunk.text.split("\n"):
            by_text[sentence.strip()] = Candidate(0, hit, sentence.strip(), sentence.strip(), 1.0)
    canteens = [c for s, c in by_text.items() if "食堂" in s]
    trees = next(c for s, c in by_text.items() if "植树" in s)
    reading = Reading({}, frozenset())
    assert len({c.hit.chunk.doc_id for c in canteens}) == 2
    assert answerer._lead(q, canteens, True, reading) == wording.text("differ", "zh")
    mixed = [next(c for c in canteens if c.hit.chunk.doc_id != trees.hit.chunk.doc_id), trees]
    assert answerer._lead(q, mixed, True, reading) == wording.text("by_report", "zh")


def test_another_reports_sentence_is_quoted_when_its_support_reaches_the_floor_of_the_questions_language(
        tmp_path, fake_embedder):
    """A further quote from another report is kept when its support reaches the floor a question of that
    language is declined below: an English question's floor for an English question."""
    from qa.answer.compose import Candidate, Reading
    from qa.search.question import analyze

    answerer = answerer_over(tmp_path, fake_embedder, {
        "a.txt": "东林县教育局2018年工作总结\n\n一、办学条件\n2018年新建实验室12间。\n",
        "b.txt": "西岭县教育局2019年工作总结\n\n一、办学条件\n2019年新建实验室7间。\n"})
    res = answerer.retriever.search("新建实验室", k=5, detect_filters=False)
    first = {}
    for hit in res.hits:
        if "实验室" in hit.chunk.text:
            first.setdefault(hit.chunk.doc_id, hit)
    (a, b) = list(first.values())[:2]
    best = Candidate(0, a, a.chunk.text, a.chunk.text, 1.0, score=1.0, support=0.9)  # the other: no parallel
    other = Candidate(1, b, b.chunk.text, b.chunk.text, 0.0, score=0.1, support=0.11)
    params = replace(answerer.params, decline_below=0.13, decline_below_en=0.1)
    chooser = Answerer(answerer.retriever, params=params)
    reading = Reading({}, frozenset())
    for question, kept in (("How many laboratories were built?", True), ("新建了多少间实验室？", False)):
        chosen = chooser._choose(analyze(question), res, [best, other], reading)
        assert (other in chosen) is kept, question



def test_a_list_answer_quotes_the_numbered_items_that_follow_the_sentence_it_found():
    """Made-up passage: a sentence introduces a run of numbered items (一是/二是/（三）/4、), then prose follows.
    The items after it are what a list question is answered with, in order, and the run stops at the prose."""
    from qa.answer.features import Candidate, items_after
    from qa.types import Chunk, Hit

    sentences = ["加强河道治理，改善沿岸环境。", "一是清理河道淤泥。", "二是加固两岸堤坝。", "（三）种植护坡林木。",
                 "4、建立巡河制度。", "全年未发生汛情。", "五是另一段的条目。"]
    text = "".join(sentences)
    chunk = Chunk("c1", "d1", "a.txt", 1, (), (0, len(text)), text, text)
    hit = Hit(chunk, 1.0, 1, 1)
    cands = [Candidate(0, hit, s, s, 0.5) for s in reversed(sentences)]  # in score order, not text order
    got = [c.sentence for c in items_after(cands[-1], cands)]
    assert got == sentences[1:5]
    assert items_after(cands[0], cands) == []  # the last sentence: nothing follows
    assert items_after(next(c for c in cands if c.sentence == sentences[5]), cands) != []  # 五是 follows it
    plain = [Candidate(0, hit, s, s, 0.5) for s in (sentences[0], sentences[5])]
    assert items_after(plain[0], plain) == []  # prose follows: no list



def test_a_place_name_the_tokenizer_cuts_up_is_not_a_concept_sentences_must_repeat():
    from qa.answer.evidence import TermWeights, concept_coverage
    from qa.search.question import place_terms

    # invented: a district name jieba does not know, cut into pieces; its report's sentences say 辖区 or nothing
    q = analyze("青松岭区有多少专任教师?")
    weights = TermWeights(9, len)
    skip = place_terms(q.text, q.terms, ("青松岭区",))
    assert concept_coverage("中小学专任教师2994人", q, weights, skip) == 1.0
    # with the place's whole name alone skipped, its pieces counted against every sentence that does not name it
    assert concept_coverage("中小学专任教师2994人", q, weights, frozenset({"青松岭区", "青松岭"})) < 1.0
    # a question naming no place keeps every concept
    q = analyze("有多少专任教师?")
    assert place_terms(q.text, q.terms, ()) == frozenset()
