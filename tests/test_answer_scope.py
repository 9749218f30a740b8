"""An answer comes from a report that speaks of the years and places the question names (qa/answer/scope.py)."""

from dataclasses import replace

from test_answer_model import answerer_over

from qa.answer.compose import Answerer
from qa.answer.scope import answering_reports, search_naming
from qa.search.question import analyze
from qa.search.retrieve import question_info

HEWAN = ("河湾区教育局2016年工作总结\n\n一、学前教育\n全区新建幼儿园4所，新增学位1200个。与昭平县开展结对帮扶。\n\n"
         "二、办学条件\n2009年建成的实验中学完成改扩建，新增教室36间。\n")
QINGSONG = ("青松县教育局2021年工作总结\n\n一、学前教育\n全县新建幼儿园2所，新增学位500个。\n\n"
            "二、队伍建设\n全县招聘教师60人。\n")
MASKED = "石门乡中心校20xx年工作总结\n\n一、学前教育\n全乡新建幼儿园1所。\n"


def _read(answerer: Answerer):
    return answerer.retriever.index.documents, answerer.retriever.report_paragraphs


def _ids(answerer: Answerer) -> dict[str, str]:
    return {d.source: d.doc_id for d in answerer.retriever.index.documents.values()}


def test_a_report_answers_for_its_own_years_the_next_ones_and_those_its_text_names(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": HEWAN, "qingsong.txt": QINGSONG,
                                                       "shimen.txt": MASKED})
    ids = _ids(answerer)
    every = list(ids.values())
    assert answering_reports(*_read(answerer), every, (2016,), ()).kept == {ids["hewan.txt"], ids["shimen.txt"]}
    assert answering_reports(*_read(answerer), every, (2022,), ()).kept == {ids["qingsong.txt"], ids["shimen.txt"]}
    assert ids["hewan.txt"] in answering_reports(*_read(answerer), every, (2009,), ()).kept  # named in a paragraph only
    # a masked year keeps its visible digits: 20xx covers 2000-2099, not 1987
    assert answering_reports(*_read(answerer), every, (1987,), ()).kept == set()
    assert answering_reports(*_read(answerer), every, (1987,), ()).outside == "year"


def test_a_place_counts_where_the_report_is_about_it_or_its_text_names_it(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": HEWAN, "qingsong.txt": QINGSONG})
    ids = _ids(answerer)
    every = list(ids.values())
    assert answering_reports(*_read(answerer), every, (), ("青松县",)).kept == {ids["qingsong.txt"]}
    assert answering_reports(*_read(answerer), every, (), ("昭平县",)).kept == {ids["hewan.txt"]}  # named in passing
    scope = answering_reports(*_read(answerer), every, (), ("石门乡",))
    assert scope.kept == set() and scope.outside == "place"
    # both named: the place holds, then the year
    assert answering_reports(*_read(answerer), every, (2021,), ("河湾区",)).outside == "year"


def test_a_sentence_of_a_report_from_other_years_does_not_answer(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": HEWAN, "qingsong.txt": QINGSONG})
    lenient = Answerer(answerer.retriever, params=replace(answerer.params, decline_below=0.0, decline_below_en=0.0))
    for question in ("2021年新建了几所幼儿园？", "How many kindergartens were built in 2021?"):
        answer = lenient.ask(question)
        cited = {c.document.doc_id for c in answer.citations}
        assert "4所" not in answer.text and cited <= {_ids(answerer)["qingsong.txt"]}, question


def test_the_question_is_searched_again_within_the_reports_that_name_its_place(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": HEWAN, "qingsong.txt": QINGSONG})
    question = "昭平县有几所幼儿园？"
    res = answerer.retriever.search(question)
    assert "昭平县" in res.places
    again = search_naming(answerer.retriever, question_info(question, res), res)
    assert again is not None
    _, found = again
    assert {h.chunk.doc_id for h in found.hits} == {_ids(answerer)["hewan.txt"]}
    assert "重新检索" in found.notes[-1] and "昭平县" in found.notes[-1]


def test_a_special_region_is_named_in_its_own_voice(tmp_path, fake_embedder):
    # invented: a Hong Kong item that writes 本港 and never 香港 answers for Hong Kong; a county's report does not
    item = "医院计划\n\n本港公营医院明年新增病床300张。\n"
    answerer = answerer_over(tmp_path, fake_embedder, {"item.txt": item, "qingsong.txt": QINGSONG})
    ids = _ids(answerer)
    every = list(ids.values())
    assert answering_reports(*_read(answerer), every, (), ("香港",)).kept == {ids["item.txt"]}
    assert answering_reports(*_read(answerer), every, (), ("澳门",)).outside == "place"


def test_a_candidate_repeating_the_count_the_question_names_answers_first():
    from types import SimpleNamespace

    from qa.answer.scope import asked_counts_first
    from qa.search.question import analyze

    # invented: the question points at "the 6 new projects"; another group's sum scores higher
    q = analyze("青松县上半年新开工的6个项目计划总投资多少?")

    def cand(text: str, support: float, quote: str = ""):
        return SimpleNamespace(sentence=text, quote=quote or text, support=support)

    other = cand("另有12个项目主体完工,计划投资5200万元。", 0.5)
    named = cand("启动6个新建项目,计划投资980万元。", 0.3)
    weak = cand("完成6个项目验收,计划投资30万元。", 0.05)
    assert asked_counts_first(q, [other, named], floor=0.13) == [named, other]
    assert asked_counts_first(q, [other, weak], floor=0.13) == [other, weak]  # below the support floor
    assert asked_counts_first(analyze("计划总投资多少?"), [other, named], floor=0.13) == [other, named]
    # in English words; 34个 is no 4个, and a count outside the quoted clause points at nothing
    q = analyze("How much went into the county's four boarding-school projects?")
    total = cand("总投资1.4亿多元,实施34个学校建设项目。", 0.4)
    long = cand("实施7个项目,累计投入资金2350万元,另有4个项目完工。", 0.6, quote="累计投入资金2350万元,")
    four = cand("寄宿制学校项目4个,累计投入资金950万元。", 0.5)
    assert asked_counts_first(q, [total, long, four], floor=0.13) == [four, total, long]


def test_sentences_are_scored_among_the_reports_that_may_answer(tmp_path, fake_embedder):
    from qa.answer.scope import scoped

    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": HEWAN, "qingsong.txt": QINGSONG})
    ids = _ids(answerer)
    res = answerer.retriever.search("青松县2021年新建了多少所幼儿园?", k=10)
    kept, outside = scoped(answerer.retriever, question_info(res.question, res), res)
    assert not outside and kept.hits and {h.chunk.doc_id for h in kept.hits} == {ids["qingsong.txt"]}
    assert [h for h in res.hits if h.chunk.doc_id == ids["qingsong.txt"]] == list(kept.hits)  # in order
    # a question naming nothing keeps every hit
    res = answerer.retriever.search("新建了多少所幼儿园?", k=10)
    same, outside = scoped(answerer.retriever, question_info(res.question, res), res)
    assert same is res and outside == ""


def test_a_report_naming_no_place_may_answer_when_the_others_name_the_place_only_in_passing(tmp_path, fake_embedder):
    # invented: a news item that says only 教育局 (no place), and a county's summary that names Hong Kong in passing
    item = "小一人数预计下跌\n\n教育局估计小一学生人数将在5年后下跌至3.15万人。\n"
    county = ("青松县教育局2021年工作总结\n\n在香港某基金会的援助下,培训教导主任65人。\n\n全县新建幼儿园2所。\n")
    answerer = answerer_over(tmp_path, fake_embedder, {"item.txt": item, "county.txt": county})
    ids = _ids(answerer)
    item_first, county_first = [ids["item.txt"], ids["county.txt"]], [ids["county.txt"], ids["item.txt"]]
    assert answering_reports(*_read(answerer), item_first, (), ("香港",)).kept == {ids["item.txt"], ids["county.txt"]}
    # only the best passage's report: one ranked lower is no sign the place is meant
    assert answering_reports(*_read(answerer), county_first, (), ("香港",)).kept == {ids["county.txt"]}
    # where a report is about the place, one naming no place is no answer for it
    assert answering_reports(*_read(answerer), item_first, (), ("青松县",)).kept == {ids["county.txt"]}


def test_a_report_whose_file_names_the_place_answers_for_it(tmp_path, fake_embedder):
    # invented: a page that says only 我县/全县, saved under the county's name in pinyin; asked about the county in
    # either language, it is not told that no report covers the place
    page = "2019年招生工作\n\n本年度全县招收小学一年级新生1320人,初中一年级新生1580人。我县严格执行招生纪律。\n"
    answerer = answerer_over(tmp_path, fake_embedder, {"anfu_1.txt": page, "qingsong.txt": QINGSONG})
    answer = answerer.ask("安福县招收了多少小学一年级新生？")
    assert not answer.abstained and "1320" in answer.text, answer.text
    # the English question (the test's encoder reads no English) is no longer told the reports do not cover Anfu
    assert "do not cover" not in answerer.ask("How many first-grade pupils did Anfu County enrol?").text
    other = answerer.ask("灵璧县招收了多少小学一年级新生？")  # a county no report is about
    assert other.abstained, other.text



def test_what_a_figure_question_counts_is_never_the_place_it_is_asked_about(tmp_path, fake_embedder):
    # invented: the report says 全县 where the question names the county; the county is no measure a sentence
    # must name for its figure to count what is asked
    report = "安福县教育局2020年工作总结\n\n全县高考本科上线学生1320人,较上年增加85人。\n"
    answerer = answerer_over(tmp_path, fake_embedder, {"report.txt": report, "qingsong.txt": QINGSONG})
    question = "2020年有多少安福县学生考上大学?"
    res = answerer.retriever.search(question)
    assert res.filters.places == ("安福县",)
    assert ("安福县", "安福") in analyze(question).measure  # read alone, the place opens what is counted
    measure = question_info(question, res).measure
    assert measure and not any("安福" in t for g in measure for t in g)
