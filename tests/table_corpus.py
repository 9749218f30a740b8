"""A small corpus of invented reports whose figures stand in tables: one Word, one HTML, one PDF and one
plain-text report. The schools, places and counts are made up for the tests."""

from __future__ import annotations

import io
from pathlib import Path

DOCX_ROWS = [["学校", "在校生(人)", "教师(人)", "培训人次"],
             ["城关一中", "2310", "156", "420"],
             ["河口镇中心小学", "980", "64", "130"],
             ["白沙乡小学", "415", "32", "57"]]
HTML_ROWS = [["乡镇", "幼儿园(所)", "在园幼儿(人)", "专任教师(人)"],
             ["青石镇", "6", "845", "52"],
             ["柳林乡", "3", "310", "19"],
             ["马坪镇", "4", "522", "33"]]
PDF_ROWS = [["学校", "受益学生(人)", "补助资金(万元)"],
            ["东岭小学", "640", "38.4"],
            ["南湾中学", "1120", "67.2"],
            ["北山小学", "285", "17.1"]]
TXT_ROWS = [["学校", "新建教室(间)", "新增图书(册)", "计算机(台)"],
            ["桃源小学", "8", "3200", "45"],
            ["杏林中学", "12", "5100", "80"],
            ["梅岭小学", "5", "1800", "30"]]


def docx_report(rows: list[list[str]] = DOCX_ROWS) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("城关县教育局2025年工作总结")
    d.add_paragraph("一、学校基本情况")
    d.add_paragraph("2025年，全县进一步优化学校布局，加强师资配备，各校学生、教师和培训情况见下表。")
    d.add_paragraph("表1 2025年各校学生与教师情况")
    table = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("二、下一步工作")
    d.add_paragraph("继续实施教师能力提升工程，力争全年培训覆盖全体在职教师。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def html_report(rows: list[list[str]] = HTML_ROWS) -> str:
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows[1:])
    return ("<html><head><title>学前教育发展报告</title></head><body><nav>首页 | 新闻 | 公开</nav>"
            "<article><h1>云溪县2024年学前教育发展报告</h1><h2>一、办园规模</h2>"
            "<p>全县坚持公益普惠方向，学前教育资源持续扩大，各乡镇幼儿园情况如下。</p>"
            f"<table><caption>2024年各乡镇幼儿园情况</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
            "<h2>二、保教质量</h2><p>开展保教质量评估，全县幼儿园均达到规范办园标准。</p></article>"
            "<footer>版权所有 云溪县教育局</footer></body></html>")


def pdf_report(rows: list[list[str]] | None = PDF_ROWS, *, grid: bool = True) -> bytes:
    """The PDF report, its table drawn cell by cell as report generators do (none when ``rows`` is None)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=16)
    table = Table(rows or [[""]])
    rules = [("GRID", (0, 0), (-1, -1), 0.5, "black")] if grid else []
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), *rules]))
    flow = [table] if rows else [Paragraph("各校补助资金全部用于学生午餐，严禁挪作他用。", style)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([
        Paragraph("石门县2025年农村学生营养午餐工作报告", style),
        Paragraph("一、资金投入", style),
        Paragraph("本年度继续实施农村义务教育学生营养改善计划，补助资金全部按时拨付到校。", style),
        Paragraph("表2 营养午餐补助情况", style),
        *flow,
        Paragraph("二、食品安全", style),
        Paragraph("各校食堂全面落实陪餐制度，未发生食品安全事故。", style),
    ])
    return buf.getvalue()


def txt_report(rows: list[list[str]] = TXT_ROWS) -> str:
    widths = [max(_width(r[k]) for r in rows) + 4 for k in range(len(rows[0]))]
    lines = ["".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return ("青湾县2025年办学条件改善情况汇报\n一、项目建设\n今年投入专项资金改善薄弱学校办学条件，"
            "新建教室、添置图书和计算机如下：\n各校办学条件改善情况\n" + "\n".join(lines)
            + "\n二、存在问题\n部分学校专用教室仍然不足，需要继续加大投入。\n")


def write_corpus(folder: Path, *, pdf: bool = True) -> Path:
    """The four reports in ``folder`` (the PDF only when reportlab is installed and ``pdf``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chengguan.docx").write_bytes(docx_report())
    (folder / "yunxi.html").write_text(html_report(), encoding="utf-8")
    (folder / "qingwan.txt").write_text(txt_report(), encoding="utf-8")
    if pdf:
        (folder / "shimen.pdf").write_bytes(pdf_report())
    return folder


def _width(s: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in s)


def glyph_pdf(lines: list[list[tuple[float, str]]]) -> bytes:
    """A PDF whose text is drawn glyph by glyph, as some generators do: each line a list of (x, text) runs,
    each character of a run drawn on its own at a 12-point pitch."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for k, runs in enumerate(lines):
        for x, text in runs:
            for n, ch in enumerate(text):
                c.setFont("STSong-Light", 12)
                c.drawString(x + 12 * n, 780 - 18 * k, ch)
    c.save()
    return buf.getvalue()
