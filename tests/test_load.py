"""Reading files into text: encodings, formats, and the files that must be refused with a reason."""

from __future__ import annotations

import io
import os
import random
import tracemalloc

import pytest

from qa.errors import MAX_FILE_BYTES, UnreadableFile
from qa.ingest import load
from qa.ingest.formats import html_to_text, reflow
from qa.ingest.load import decode_text, extract_text, plausibility

TRAD = ("教育局學期安全工作總結\n一、基本情況\n全縣現有中小學校56所，在校學生21590人，專任教師1764人。"
        "校園安全事關每一名學生的成長，也牽動著千家萬戶。\n（一）加強領導，明確責任。"
        "我局與各學校簽訂了安全工作責任狀，層層落實責任。")
SIMP = ("石泉县教育局2011年上半年工作总结\n一、扎实抓好党建工作\n在县委、县政府的关心支持下，"
        "县教育局党组坚持“以党建引领发展，以发展检验党建”的工作思路，党建工作质量稳步提高。")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5", "cp950", "utf-16",
                                      "utf-16-le", "utf-16-be", "utf-32"])
def test_traditional_text_decodes_from_every_encoding(tmp_path, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(TRAD.encode(encoding))
    assert extract_text(path) == TRAD


@pytest.mark.parametrize("encoding", "utf-8 utf-8-sig gbk gb18030 utf-16 utf-16-le utf-16-be".split())
def test_simplified_text_decodes_from_every_encoding(encoding):
    assert decode_text(SIMP.encode(encoding)) == SIMP


def test_short_texts_in_gbk_and_big5_are_told_apart():
    for text in ("控辍保学工作总结", "教育局年度工作總結", "石泉县教育局工作总结"):
        for encoding in ("gbk", "big5", "utf-16-le"):
            try:
                raw = text.encode(encoding)
            except UnicodeEncodeError:
                continue
            assert decode_text(raw) == text, (text, encoding)


def test_line_ends_become_newlines(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes("一、基本情况\r\n全县共有56所学校。\r二、做法\r\n".encode())
    assert extract_text(path) == "一、基本情况\n全县共有56所学校。\n二、做法\n"


def test_a_few_bad_bytes_inside_a_long_gbk_text_become_replacement_characters():
    raw = (SIMP * 20).encode("gbk")
    broken = raw[:500] + b"\xff\xff" + raw[500:]
    text = decode_text(broken)
    assert "\ufffd" in text and text.count("\ufffd") <= 2 and "石泉县教育局" in text


def test_a_utf8_text_with_a_stray_byte_keeps_its_encoding():
    text = decode_text((SIMP * 2).encode() + b"\x80" + (SIMP * 18).encode())
    assert text.count("\ufffd") == 1 and text.replace("\ufffd", "") == SIMP * 20


def test_plausibility_prefers_the_right_decoding():
    raw = TRAD.encode("big5")
    assert plausibility(raw.decode("cp950")) > 0.9 > plausibility(raw.decode("gb18030", errors="replace"))


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(4000), "binary data (not text)"),
    (random.Random(2).randbytes(4000), "binary data (not text)"),
    (b"report\x00\x01\x02\x03 data" * 200, "binary data (not text)"),
    ("石泉县教育局工作总结".encode()[:-1], "truncated multi-byte text at byte 27 (utf-8)"),
    ("教育局學期安全工作總結".encode("big5")[:-1], "truncated multi-byte text"),
])
def test_unreadable_files_say_why(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as e:
        extract_text(path)
    assert str(e.value).startswith(reason)


@pytest.mark.parametrize("name", ["report.xyz", "report.doc", "README"])
def test_unsupported_types_are_refused_before_reading(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"anything")
    with pytest.raises(UnreadableFile, match="unsupported type"):
        extract_text(path)


def test_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match="cannot read file"):
        extract_text(tmp_path / "gone.txt")


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk and no memory
    with pytest.raises(UnreadableFile, match="file too large"):
        extract_text(path)


def test_a_50_mb_text_file_is_refused_with_a_reason_and_bounded_memory(tmp_path):
    path = tmp_path / "50mb.txt"
    block = ("全县共有中小学校56所，在校学生21590人。" * 2000 + "\n").encode()
    with open(path, "wb") as f:
        while f.tell() < 50 * 1024 * 1024:
            f.write(block)
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile, match="text too long"):
            extract_text(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * os.path.getsize(path)  # the bytes, the str and one copy: no blow-up


def test_html_main_text_without_chrome(tmp_path):
    page = """<!DOCTYPE html><html><head><meta charset="gb2312"><title>站点 - 总结</title>
    <style>p {color: red}</style><script>var x = "不要";</script></head><body>
    <header><a href="/">首页</a> &gt; 工作总结</header><nav><ul><li>导航一</li><li>导航二</li></ul></nav>
    <div class="content"><h1>石泉县教育局工作总结</h1>
    <p>一、扎实抓好<b>党建</b>工作</p><p>全县共有   中小学56所，<br>在校学生21590人。</p>
    <table><tr><td>项目</td><td>数量</td></tr></table><!-- 注释 --><div style="display: none">隐藏</div></div>
    <aside>热门文章</aside><footer>版权所有</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gbk"))
    assert extract_text(path).split("\n") == ["石泉县教育局工作总结", "一、扎实抓好党建工作",
                                             "全县共有 中小学56所，", "在校学生21590人。", "项目 数量"]


def test_a_text_file_holding_a_pages_markup_is_read_without_its_tags(tmp_path):
    """A page's source pasted into a .txt: its paragraphs become lines, the lines without tags stay as written."""
    text = ("区中学2022年中考总结\n\n<p class=\"ql-block\">  初三毕业生共48人。</p> <p class=\"ql-block\">"
            "  最高分<b>556</b>分,平均分87分。</p>\n若 x < 3 且 y > 2,则另行统计。")
    path = tmp_path / "page_1.txt"
    path.write_text(text, encoding="utf-8")
    assert extract_text(path).split("\n") == ["区中学2022年中考总结", "", "初三毕业生共48人。",
                                             "最高分556分,平均分87分。", "若 x < 3 且 y > 2,则另行统计。"]
    plain = tmp_path / "plain.txt"
    plain.write_text(SIMP, encoding="utf-8")
    assert extract_text(plain) == SIMP  # a file without markup is read as it is
    table = tmp_path / "table.md"
    table.write_text("<p>学校情况</p>\n| 学校 | 班级 |\n| --- | --- |\n| 一小 | 12<br>个 |\n", encoding="utf-8")
    assert extract_text(table).split("\n")[:4] == ["学校情况", "| 学校 | 班级 |", "| --- | --- |",
                                                "| 一小 | 12<br>个 |"]


def test_html_prefers_the_article_and_reads_big5_without_a_declaration(tmp_path):
    body = "".join(f"<p>第{i}段：學校安全工作直接關係著師生的安危。</p>" for i in range(5))
    page = f"<html><body><div>相關文章</div><article>{body}</article></body></html>"
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("big5"))
    lines = extract_text(path).split("\n")
    assert lines[0] == "第0段：學校安全工作直接關係著師生的安危。" and len(lines) == 5


def test_html_survives_deep_nesting():
    assert html_to_text("<div>" * 5000 + "深层文字" + "</div>" * 5000) == "深层文字"


def test_docx_paragraphs_and_tables(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("石泉县教育局2011年上半年工作总结", level=1)
    document.add_paragraph("一、扎实抓好党建工作")
    document.add_paragraph("在县委、县政府的关心支持下，县教育局党组坚持以党建引领发展。")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "项目", (0, 1): "人数", (1, 0): "教师", (1, 1): "1764"}.items():
        table.cell(r, c).text = value
    document.add_paragraph("二、德育工作成效显著")
    path = tmp_path / "report.docx"
    document.save(path)
    assert extract_text(path).split("\n") == [
        "石泉县教育局2011年上半年工作总结", "一、扎实抓好党建工作",
        "在县委、县政府的关心支持下，县教育局党组坚持以党建引领发展。", "项目\t人数", "教师\t1764",
        "二、德育工作成效显著"]


def test_a_broken_docx_is_unreadable(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    with pytest.raises(UnreadableFile, match="not a valid .docx"):
        extract_text(path)


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a Helvetica text layer, written by hand (xref offsets computed)."""
    ops = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 720 Td {ops} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        "/Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_pdf_text_layer(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf(["Annual report of the education bureau, 2011", "1. Party building"]))
    text = extract_text(path)
    assert "Annual report of the education bureau, 2011" in text and "1. Party building" in text


def test_pdf_without_text_and_broken_pdf(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    blank = tmp_path / "scan.pdf"
    with open(blank, "wb") as f:
        writer.write(f)
    with pytest.raises(UnreadableFile, match="no text layer"):
        extract_text(blank)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage without objects")
    with pytest.raises(UnreadableFile):
        extract_text(broken)


def test_reflow_joins_wrapped_pdf_lines_but_not_headings():
    page = ("一、基本情况\n全县现有中小学校56所，其中小学32所，初中18所，\n"
            "高中6所。在校学生21590人，专任教师共计\n1764人。\n（一）加强领导\n")
    joined = "全县现有中小学校56所，其中小学32所，初中18所，高中6所。在校学生21590人，专任教师共计1764人。"
    assert reflow(page).split("\n") == ["一、基本情况", joined, "（一）加强领导"]
    page = "全县现有中小学校56所，其中小学32所，初中18所\n高中6所\n基本情况\n"
    assert reflow(page).split("\n") == ["全县现有中小学校56所，其中小学32所，初中18所高中6所", "基本情况"]


def test_supported_suffixes_are_the_documented_ones():
    assert load.SUPPORTED == (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
