"""Years in every calendar the reports use, masks, and the years a report covers."""

from __future__ import annotations

import pytest

from qa.ingest.dates import covered_years, years_in
from qa.ingest.meta import read_places
from qa.search.filters import detect_years
from qa.textnorm import normalize


@pytest.mark.parametrize("phrase, years", [
    ("2011年上半年", [2011]),
    ("二〇一一年工作总结", [2011]),
    ("二零二零年", [2020]),
    ("民国97年", [2008]),
    ("中华民国九十七年", [2008]),
    ("97学年度第一学期", [2008]),
    ("100年度工作计划", [2011]),
    ("2010-2011学年", [2010, 2011]),
    ("2019年度考核", [2019]),
    ("20xx年", []),
    ("201*年", []),
    ("20**年", []),
    ("二〇××年", []),
    ("发布时间:2020-11-08", []),
    ("近10年来", []),
    ("全年培训3000人次", []),
])
def test_year_phrases_in_each_calendar(phrase, years):
    assert [y.year for y in years_in(normalize(phrase))] == years


def test_traditional_roc_phrases_read_through_the_search_form():
    assert [y.year for y in years_in(normalize("民國97學年度及九十八年度"))] == [2008]
    assert [y.year for y in years_in(normalize("民國九十八年"))] == [2009]


def test_question_years_in_any_calendar():
    assert detect_years("民國97學年度招生多少人?") == (2008,)
    assert detect_years("二〇一一年招聘了多少教师") == (2011,)
    assert detect_years("去年（2025年）的投入") == (2025,)


def test_a_report_covers_the_years_it_reviews_and_plans():
    body = "2020年，全区教育工作成效显著。" + "2020年完成。" * 3 + "2021年工作计划：" + "2021年将推进。" * 3
    cov = covered_years("教育局2020年工作总结", body)
    assert cov.year == 2020 and cov.years == (2020, 2021)
    assert covered_years("工作总结", "201*年，我县……").year is None


@pytest.mark.parametrize("title, body, about", [
    ("石泉县教育局2011年工作总结", "我县共有学校56所。广西壮族自治区评估组来我县检查。", ("石泉县",)),
    ("宁夏回族自治区教育厅工作要点", "全区教育系统……", ("宁夏",)),
    ("教育工作总结", "我县共有学校56所，我县教师2000人，全县学生3万人。威远县教育局。我县……", ("威远县",)),
    ("教育工作总结", "全县新建学校3所，新建教学楼5栋，和平共处，前进一步。新建学校投入3000万元。", ()),
    ("教育工作总结", "我市组团赴香港考察。香港的学校……香港教育……", ()),
])
def test_about_is_the_reports_own_place_not_one_it_mentions(title, body, about):
    assert read_places(normalize(title), normalize(body)).about == about


def test_mentions_keep_every_place_named():
    places = read_places("教育工作总结", "我市组团赴香港考察。我市教师到香港学习，全市……")
    assert places.mentions == ("香港",) and places.about == ()


def test_a_work_report_covers_the_years_it_reviews_by_name_or_relative_to_its_own():
    from qa.ingest.dates import covered_years, relative_years

    body = ("现在，我代表国务院，向大会报告过去五年政府工作。去年国内生产总值增长6.9%。"
            "比去年预算低0.4个百分点。今年发展的主要预期目标是……")
    assert covered_years("2018年政府工作报告", body).years == (2013, 2014, 2015, 2016, 2017, 2018)
    assert relative_years(2018, "去年利润增长。") == ([], [])  # once is not enough to say the report covers it
    assert relative_years(None, body) == ([], [])  # no year of its own: nothing to count from
    assert relative_years(2020, "一年来，我们……明年将……明年要……")[0] == [2021]
    assert relative_years(2013, "五年來，我們……")[1] == [2012, 2011, 2010, 2009, 2008]


def test_a_year_in_a_date_is_not_a_span_of_years():
    from qa.ingest.dates import relative_years

    assert relative_years(2010, "2009年来华访问的代表团。二〇〇九年来信。")[1] == []
