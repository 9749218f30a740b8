"""The decline for years no report covers (qa/search/years.py): generous coverage, by name, in the asker's script."""

from dataclasses import replace

import pytest
from test_answer_model import answerer_over

from qa.answer.compose import Answerer
from qa.ingest.dates import years_in
from qa.search.years import corpus_years, question_years, report_years, text_years, uncovered_years
from qa.textnorm import normalize
from qa.types import Document

DATED = ("河湾区教育局2016年工作总结\n\n一、学前教育\n全区新建幼儿园4所，新增学位1200个。\n\n"
         "二、办学条件\n2009年建成的实验中学完成改扩建，新增教室36间。\n")
UNDATED = "柳塘镇中心校工作总结\n\n年我镇共有教师85人，组织培训3次。\n"


@pytest.fixture
def dated(tmp_path, fake_embedder):
    return answerer_over(tmp_path, fake_embedder, {"hewan.txt": DATED})


def _corpus(*reports: tuple[Document, str]):
    return corpus_years([d for d, _ in reports], [(d.doc_id, normalize(t)) for d, t in reports])


def test_a_year_no_report_covers_is_declined_by_name_in_each_language(dated):
    zh = dated.ask("河湾区1987年新建了几所幼儿园？")
    assert zh.abstained and "1987年" in zh.text and "没有涉及" in zh.text
    assert zh.related  # still lists the closest passages
    hant = dated.ask("河灣區1987年新建了幾所幼兒園？")
    assert hant.abstained and "1987年" in hant.text and "這些報告沒有涉及" in hant.text
    en = dated.ask("How many kindergartens were built in 1987?")
    assert en.abstained and "do not cover 1987" in en.text and en.related
    chinese_digits = dated.ask("二〇八〇年新建了几所幼儿园？")
    assert chinese_digits.abstained and "2080年" in chinese_digits.text


def test_covered_years_are_not_declined_for_the_year(dated):
    for question in ("河湾区2016年新建了几所幼儿园？", "How many kindergartens were built in 2016?",
                     "河湾区2017年有什么计划？",  # the year after the report's own: a summary plans it
                     "2009年建成的是哪所学校？"):  # named only inside a paragraph
        answer = dated.ask(question)
        assert "没有涉及" not in answer.text and "do not cover" not in answer.text, question
    # past the year check the scorer decides; the fake embedder's cosines say nothing, so no threshold here
    lenient = Answerer(dated.retriever, params=replace(dated.params, decline_below=0.0, decline_below_en=0.0))
    answer = lenient.ask("河湾区2016年新建了几所幼儿园？")
    assert not answer.abstained and "4所" in answer.text


def test_an_undated_report_covers_every_year(tmp_path, fake_embedder):
    answerer = answerer_over(tmp_path, fake_embedder, {"hewan.txt": DATED, "liutang.txt": UNDATED})
    answer = answerer.ask("1987年组织了几次培训？")
    assert "没有涉及" not in answer.text  # no year decline: the undated report may be from then


def test_a_masked_year_keeps_its_visible_digits():
    def doc(i: str) -> Document:
        return Document(i, f"{i}.txt", "工作总结")

    decade = _corpus((doc("a"), "201*年工作总结。全镇教师85人。"))
    assert uncovered_years("2013年有多少教师?", decade) == ()
    assert uncovered_years("1998年有多少教师?", decade) == (1998,)
    assert uncovered_years("2031年有多少教师?", _corpus((doc("a"), "20xx年工作总结。"))) == ()
    assert report_years(doc("a"), "xx年工作总结").every and report_years(doc("a"), "年我镇").every


def test_the_scope_is_the_reports_a_place_filter_keeps():
    a = Document("a", "a.txt", "河湾区2016年工作总结", year=2016, years=(2016,), places=("河湾区",))
    b = Document("b", "b.txt", "工作总结")  # undated: any year
    corpus = _corpus((a, "全区新建幼儿园4所。"), (b, "全镇教师85人。"))
    assert uncovered_years("1987年新建了几所?", corpus) == ()
    assert uncovered_years("1987年新建了几所?", corpus, scope=["a"]) == (1987,)
    assert uncovered_years("1987年新建了几所?", corpus, scope=[]) == ()  # no report kept: all of them count


def test_years_in_text_are_read_generously():
    assert {2011, 2012, 2013, 2014, 2015} <= text_years("“十二五”期间")
    assert {2011, 2012, 2013} <= text_years("2011-2013年")
    assert {1998, 2011} <= text_years("98年建校，11年扩建")
    assert 2020 in text_years("发布时间:2020-11-08")
    assert text_years("全镇教师85人") == frozenset()


def test_only_numbers_the_words_make_years_are_years():
    assert question_years("在2011年和2012年") == (2011, 2012)
    assert question_years("民國97學年度的招生人數?") == (2008,)
    assert question_years("What was done in the first half of 2011?") == (2011,)
    assert question_years("What was spent from 2009 to 2011?") == (2009, 2011)
    assert question_years("有2000名学生的学校有几所?") == ()
    assert question_years("Which schools have 2000 students?") == ()
    assert question_years("What is a budget of 2000 yuan for?") == ()
    assert question_years("How many teachers work in 2000 schools?") == ()
    assert question_years("In 2011 how many schools were built?") == question_years("In 2011, how many?") == (2011,)
    assert question_years("What was built in 2011 was it a school?") == (2011,)


def test_years_written_with_a_typed_zero_or_as_a_school_year_range_are_covered(tmp_path, fake_embedder):
    """Web copies type the zero of 二〇一三 as ○, O or 0, and Hong Kong and Macau write school years 2013/14."""
    report = ("澳门教育局学生福利基金\n\n二O一三/二O一四學年大專助學金獲批名單公佈。\n\n"
              "二O一三/二O一四學年的大專助學金申請人數有二千九百五十四人。\n")
    answerer = answerer_over(tmp_path, fake_embedder, {"fund.txt": report})
    for question in ("2013年有多少人申請大專助學金？", "How many applied for the grant in 2014?"):
        answer = answerer.ask(question)
        assert "沒有涉及" not in answer.text and "do not cover" not in answer.text, question
    assert "do not cover 2009" in answerer.ask("How many applied for the grant in 2009?").text  # not covered
    assert [(y, s) for y, s in ((m.year, m.school) for m in years_in(normalize("二○一三年与2015/16学年")))] == [
        (2013, False), (2015, False), (2016, False)]
    assert [m.year for m in years_in(normalize("2013/2014学年"))] == [2013, 2014]  # not 2014 as a school year
