"""The figures chart: one measure across reports or years, from the cited numbers only."""

from __future__ import annotations

from qa.types import Answer, Chunk, Citation, Document
from qa.web.chart import chart_bars, chart_html


def cite(n: int, sentence: str, place: str = "", year: int | None = None, doc: str | None = None) -> Citation:
    d = Document(doc or f"d{n}", f"{n}.txt", f"{place}工作总结", year, (place,) if place else ())
    return Citation(n, Chunk(f"c{n}", d.doc_id, d.source, 1, (), (0, 1), sentence, sentence), d, sentence)


def test_one_measure_across_reports():
    cites = (cite(1, "全县招聘教师26名", "甲县"), cite(2, "共补充教师1,200名", "乙县"), cite(3, "排查隐患49项", "丙县"))
    bars = chart_bars(cites)
    assert [(b.n, b.label, b.value) for b in bars] == [(1, "甲县", 26.0), (2, "乙县", 1200.0)]  # 项 is another measure


def test_years_of_one_report_label_by_year():
    cites = (cite(1, "2019年招聘教师30名", "甲县", doc="d"), cite(2, "2020年招聘教师45名", "甲县", doc="d"))
    assert [b.label for b in chart_bars(cites)] == ["2019年", "2020年"]


def test_no_chart_without_a_comparison():
    one_report = (cite(1, "招聘教师26名，其中男教师10名", "甲县", doc="d"), cite(2, "又招聘5名", "甲县", doc="d"))
    assert chart_bars(one_report) == []
    assert chart_bars((cite(1, "2011年完成", "甲县"), cite(2, "2012年完成", "乙县"))) == []  # years are no measure
    assert chart_html(Answer("q", "x", (cite(1, "招聘教师26名", "甲县"),)), 1) == ""


def test_svg_links_each_bar_and_escapes():
    cites = (cite(1, "招聘教师26名", "<b>甲县"), cite(2, "招聘教师30名", "乙县"), cite(3, "招聘教师3.5万名", "丙县"))
    svg = chart_html(Answer("q", "x [1] [2] [3]", cites), turn=4)
    assert svg.count('class="qa-cite qa-bar"') == 2 and 'href="#qa-src-4-2"' in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "3.5万名" not in svg  # another unit (万名) than the other bar's 名: not charted together


def test_the_chart_compares_what_the_answer_quotes_not_the_rest_of_the_sentence():
    """Each sentence also states a sum of money; the answer quotes the head counts. The money is not charted."""
    cites = (cite(1, "全年资助困难学生3182人，发放资助金额505.3万元。", "甲县"),
             cite(2, "共资助困难学生1252人，资助金额128.8万元。", "乙县"),
             cite(3, "投入资金300万元。", "丙县"))
    text = ("The reports say, by report:\n- 甲县: “全年资助困难学生3182人” [1]\n"
            "- 乙县: “共资助困难学生1252人” [2]\n- 丙县: “投入资金300万元” [3]")
    assert {b.unit for b in chart_bars(cites)} == {"万元"}  # the whole sentences: money is what most share
    svg = chart_html(Answer("q", text, cites), turn=1)
    assert "3182人" in svg and "1252人" in svg and "万元" not in svg


def test_every_label_and_value_is_drawn_inside_the_chart():
    """Long places, long figures and two-digit citation numbers: each text ends inside the drawing's width and
    starts right of its left edge (estimated with the chart's own generous glyph widths)."""
    import re

    from qa.web.chart import STYLE, chart_svg, text_width

    cites = [cite(n, f"全年共培训教师{v}人次", f"{name}") for n, (v, name) in enumerate(
        [("123456.75万", "某某自治县教育和体育局"), ("23456.75万", "乙县"), ("9.5万", "丙区")], start=10)]
    bars = chart_bars(cites)
    assert len(bars) == 3
    svg = chart_svg(bars, turn=1)
    for m in re.finditer(r'<text x="([\d.]+)"[^>]*?( text-anchor="end")?[^>]*>([^<]*)</text>', svg):
        x, end, text = float(m[1]), m[2], m[3]
        left, right = (x - text_width(text), x) if end else (x, x + text_width(text))
        assert left >= 0 and right <= STYLE.width, (text, left, right)
