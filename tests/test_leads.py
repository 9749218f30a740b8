"""English leads: the figure, its unit and what it counts, from the cited sentence only (sentences written
for these tests)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.lead import counted_noun, figure_lead, glosses, plural
from qa.answer.verify import unsupported_numbers
from qa.numbers import numbers_in, scaled_numbers_in
from qa.search.question import analyze
from qa.types import Document

DOC = Document("d", "d.txt", "河西县教育局2014年工作总结", 2014, ("河西县",))


@pytest.mark.parametrize("quote, question, lead", [
    ("2014年通过公开招聘补充教师31名", "How many teachers were recruited?",
     "31 teachers (河西县 Hexi County, 2014) [1]"),
    ("招聘31名教师", "How many teachers were recruited?", "31 teachers (河西县 Hexi County) [1]"),
    ("全县共有幼儿园17所", "How many kindergartens are there?", "17 kindergartens (河西县 Hexi County) [1]"),
    ("全年开展集中培训2800人次", "How many took part in training?",
     "2800 attendances (person-times) (河西县 Hexi County) [1]"),
    ("投入资金56.5万元改造校舍", "How much was invested?", "Funds: 565,000 yuan (河西县 Hexi County) [1]"),
    ("新建教室12间", "How many classrooms were built?", "12 classrooms (河西县 Hexi County) [1]"),
])
def test_a_lead_says_the_figure_its_unit_and_what_it_counts(quote, question, lead):
    assert figure_lead(quote, analyze(question), DOC, 1) == lead


def test_person_times_are_attendances_and_wan_yuan_ten_thousand_yuan():
    q = analyze("How many?")
    assert "attendances (person-times)" in figure_lead("培训教师1200人次", q, None, 1)
    assert figure_lead("投入10.8万元", q, None, 1) == "108,000 yuan [1]"
    assert "people" not in figure_lead("培训教师1200人次", q, None, 1)


@pytest.mark.parametrize("quote, amount, said", [
    ("投入资金5000万元", "50 million", "Funds: 50 million yuan"),
    ("全市教育经费投入18亿元", "1.8 billion", "1.8 billion yuan"),
    ("发放资助资金1897.41525万元", "18.9741525 million", "18.9741525 million yuan"),  # exact: nothing rounded
    ("培训教师1.4619万人次", "14,619", "14,619 attendances (person-times)"),
])
def test_a_figure_times_its_multiplier_is_said_as_the_amount_they_make_and_passes_the_number_check(quote, amount,
                                                                                                     said):
    lead = figure_lead(quote, analyze("How much or how many?"), None, 1)
    assert said in lead
    assert unsupported_numbers(lead, {1: quote}) == []
    assert unsupported_numbers(lead.replace(amount, "7.5 million"), {1: quote}) == ["7500000"]  # another fails


def test_an_amount_of_the_wrong_magnitude_fails_the_number_check():
    """An answer (a configured LLM's too) may say 2350万元 as 23.5 million, never as 2350 million or 2350 yuan."""
    source = {1: "全年投入资金2350万元"}
    assert unsupported_numbers("23.5 million yuan [1]", source) == []
    assert unsupported_numbers("23,500,000 yuan [1]", source) == []
    assert unsupported_numbers("2350 million yuan [1]", source) == ["2350000000"]
    assert unsupported_numbers("2.35 billion yuan [1]", source) == ["2350000000"]


def test_the_unit_of_the_figure_before_is_not_what_the_next_figure_counts():
    q = analyze("How much was paid out?")
    lead = figure_lead("为高龄老人发放1.4619万人次,526.58万元", q, None, 1)
    assert lead == "5.2658 million yuan [1]"  # not "Person-times: ..."


def test_the_figure_whose_noun_the_question_names_leads():
    q = analyze("How many teachers does the county have?")
    assert figure_lead("全县有学校17所，教师800人", q, None, 2) == "800 teachers [2]"


def test_the_place_is_the_one_the_sentence_names_else_the_reports():
    doc = Document("d", "d.txt", "两县工作总结", 2014, ("河西县", "河东县"))
    q = analyze("How many schools were built?")
    assert figure_lead("河东县新建学校3所", q, doc, 1) == "3 schools (河东县 Hedong County) [1]"
    assert figure_lead("新建学校3所", q, doc, 1) == "3 schools (河西县 Hexi County) [1]"


def test_no_place_when_the_cited_passage_speaks_of_another_place_of_the_report():
    """A page's place read from its site's lines (an ad for another county) is not the article's place."""
    doc = Document("p", "p.txt", "kingtop_1", places=("云林县",), mentions=("台中市", "太平区", "云林县"))
    q = analyze("What share of the city's schools will have a hall?")
    passage = "教育局长表示,再投入24亿元为台中市25校盖建礼堂,届时有礼堂的学校增加到233校,比率达77%。"
    lead = figure_lead("届时有礼堂的学校增加到233校,比率达77%", q, doc, 1, passage)
    assert "77%" in lead and "云林" not in lead and "Yunlin" not in lead
    assert "云林县" in figure_lead("比率达77%", q, doc, 1, "全县学校比率达77%")  # nothing speaks against it
    assert "云林县" in figure_lead("比率达77%", q, doc, 1)


def test_the_place_is_spelled_as_the_asker_spelled_it():
    """Taiwan writes its places in Wade-Giles: a question about "Hsinchu County" gets "Hsinchu", not the
    pinyin "Xinzhu"; a question that does not name the place gets the pinyin."""
    doc = Document("t", "t.txt", "新竹縣教育處工作報告", 2024, ("新竹县",))
    asked = figure_lead("全縣國民小學84所", analyze("How many primary schools does Hsinchu County have?"), doc, 1)
    assert asked.startswith("84 ") and asked.endswith("(新竹县 Hsinchu County) [1]")
    assert "Xinzhu County" in figure_lead("全縣國民小學84所", analyze("How many primary schools are there?"), doc, 1)


@pytest.mark.parametrize("quote", ["完成了8个", "比上年提高了5.2%", "建成三所学校", "全面加强队伍建设"])
def test_no_lead_when_what_is_counted_cannot_be_said(quote):
    assert figure_lead(quote, analyze("How many?"), DOC, 1) is None


def test_the_counted_noun_is_read_after_the_unit_else_before_the_figure():
    assert counted_noun("招聘", "教师，全部到岗") == ("教师", glosses()["教师"])
    assert counted_noun("补充教师共", "，全部到岗") == ("教师", glosses()["教师"])
    assert counted_noun("完成了", "") == ("", "")
    assert counted_noun("选派", "骨干教师、专家") == ("", "")  # a noun modifying the next: the head is unknown


def test_a_figure_counts_the_noun_before_it_only_when_its_measure_word_counts_that_class_of_noun():
    q = analyze("How many people?")
    # staff by the kind of school they work in: 2658 people of the primary schools, not 2658 primary schools
    assert figure_lead("其中小学2658人", q, None, 1) == "2658 people [1]"
    assert figure_lead("幼儿园258人", q, None, 1) == "258 people [1]"
    assert figure_lead("招聘护士26名", q, None, 1) == "26 nurses [1]"
    assert figure_lead("在园幼儿3120人", q, None, 1) == "3120 young children [1]"
    # a figure of schools counts the school before it, not the countryside it is in; households are no street
    assert figure_lead("其中小学26所", analyze("How many schools?"), None, 1) == "26 elementary schools [1]"
    assert "rural" not in (figure_lead("其中农村5所", analyze("How many schools?"), None, 1) or "")
    assert figure_lead("涉及街道3户", analyze("How many households?"), None, 1) == "3 households [1]"
    # classes are counted in the school or grade they are in: the gloss alone says what is counted
    assert figure_lead("其中幼儿园12班", analyze("How many classes?"), None, 1) == "12 classes [1]"


def test_every_noun_names_its_wordnet_synset():
    from importlib import resources

    from qa.answer.nouns import NOUNS_FILE, ends_in_noun, noun_class

    lines = resources.files("qa").joinpath(NOUNS_FILE).read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "noun.person" in header and "scripts/build_nouns.py" in header
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in header
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert len(rows) > 10000
    assert [r for r in rows if len(r) != 3 or not r[1].startswith("noun.") or not re.fullmatch(r"WN30:n:\d{8}", r[2])] \
        == []
    assert [noun_class(n) == "noun.person" for n in ("teachers", "pupils", "children", "kindergarten", "staff")] == \
        [True, True, True, False, False]
    assert [ends_in_noun(g) for g in ("schools", "equipment", "state-run", "privately operated")] == \
        [True, True, False, False]
    from qa.answer.units import unit_table

    classes = {r[1] for r in rows}  # the units table names only classes the nouns file knows
    assert [u.zh for u in unit_table() if not set(u.counts) <= classes | {"-"}] == []
    assert {u.zh: u.counts for u in unit_table()}["名"] == ("noun.person",)


def test_a_gloss_that_is_no_noun_names_nothing_a_figure_counts():
    q = analyze("How many schools?")
    # 民办 is a noun to jieba, glossed "privately operated": not "12 privately operateds"
    assert "operated" not in (figure_lead("其中民办12所", q, None, 1) or "")
    assert figure_lead("其中小学12所", q, None, 1) == "12 elementary schools [1]"


def test_a_short_year_is_no_figure_to_lead_with():
    assert figure_lead("07年开工建设", analyze("How many years did it take?"), DOC, 1) is None


def test_plurals_follow_general_english():
    assert [plural(w, "3") for w in ("teacher", "class", "library", "child", "funds", "equipment", "bus")] == \
        ["teachers", "classes", "libraries", "children", "funds", "equipment", "buses"]
    assert plural("teacher", "1") == "teacher"
    assert [plural(w, "3") for w in ("children", "schoolchild", "young child")] == \
        ["children", "schoolchildren", "young children"]


def test_every_gloss_names_its_dictionary_entry():
    from importlib import resources

    text = resources.files("qa").joinpath("data/glosses_zh_en.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert len(rows) > 10000 and all(len(r) == 3 and r[2].startswith("L") and r[2][1:].isdigit() for r in rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 99999).map(str),
                          st.sampled_from(["年", "人", "名", "万元", "人次", "，", "共", "教师", "学校", "2019年", "%",
                                           "所", ".", "个", "电脑", "河西县"])), min_size=1, max_size=12))
def test_a_lead_states_no_number_the_sentence_does_not(parts):
    quote = "".join(parts)
    lead = figure_lead(quote, analyze("How many teachers?"), DOC, 1)
    if lead is not None:  # a figure times its multiplier (5万元: 50,000 yuan) is read as the check reads it
        assert set(numbers_in(lead.replace("[1]", ""))) <= set(numbers_in(quote)) | set(scaled_numbers_in(quote))
        assert unsupported_numbers(lead, {1: quote}) == []


def test_this_year_in_a_report_of_one_year_gives_the_year_and_places_get_their_english_level():
    q = analyze("How many teachers were recruited?")
    assert figure_lead("今年招聘教师31名", q, DOC, 1) == "31 teachers (河西县 Hexi County, 2014) [1]"
    assert figure_lead("招聘教师31名", q, DOC, 1) == "31 teachers (河西县 Hexi County) [1]"  # no year said
    doc = Document("d", "d.txt", "自治区工作总结", 2014, ("宁夏回族自治区",))
    assert figure_lead("招聘教师31名", q, doc, 1) == "31 teachers (宁夏回族自治区) [1]"  # no pinyin guess


def test_a_lead_never_states_a_figure_in_a_unit_the_question_does_not_ask_for():
    # asked for people, the sentence gives yuan: the quote stands alone
    assert figure_lead("编列1412.9万元用于更新校车", analyze("How many students took the exam?"), None, 1) is None
    assert figure_lead("编列1412.9万元用于更新校车", analyze("How much was budgeted?"), None, 1) is not None


def test_what_a_figure_counts_is_a_noun():
    # 逐渐 has a dictionary gloss ("gradually") but is an adverb: it is not what the share is of
    assert figure_lead("覆盖率达到并逐渐超过了100%", analyze("What share is covered?"), None, 1) is None


def test_the_counted_phrase_ends_at_a_function_word_or_a_plural_head_of_no_known_kind():
    from qa.answer.figures import gives_figure

    # "how many teachers took part when 39 schools ...": the teachers are counted, not the schools
    q = analyze("How many teachers took part when 39 schools made all staff compete for their posts?")
    assert gives_figure("涉及教师1850名。", q)
    assert not gives_figure("全市共有学校39所。", q)  # the schools are the question's own figure's
    # "school safety inspections": a count of inspections (检查, a verbal noun), not of schools
    q = analyze("How many school safety inspections has the county carried out this year?")
    assert gives_figure("开展各类学校安全工作大检查已达九次。", q)


def test_the_lead_names_what_is_counted_in_the_asker_s_words_when_the_dictionary_reads_them_as_the_report_s():
    # 学位 is glossed "academic degree" and 新生 "new": the question's own words say what the report counts
    places = figure_lead("新增学位2000个", analyze("How many school places were added?"), None, 1)
    assert places == "2000 school places [1]"
    assert figure_lead("招收新生286人", analyze("How many new students enrolled?"), None, 1) == "286 new students [1]"
    # asked in other words, the dictionary's gloss stays
    assert figure_lead("招聘教师26名", analyze("How many were hired in all?"), None, 1) == "26 teachers [1]"


def test_every_multiplied_unit_of_the_table_is_said_as_an_amount():
    """A unit glossed "× ..." in units_zh_en.tsv must name a multiplier the lead knows (else a lead would fail)."""
    from qa.answer.figures import unit_table

    for unit in (u for u in unit_table() if u.english.startswith("× ")):
        lead = figure_lead(f"共投入学校3{unit.zh}", analyze("How much or how many?"), None, 1)
        assert lead is None or "×" not in lead, (unit.zh, lead)
        if lead is not None:
            assert unsupported_numbers(lead, {1: f"共投入学校3{unit.zh}"}) == [], lead
