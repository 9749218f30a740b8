"""Tables keep their structure: each row of a Word, HTML, PDF or plain-text table is a record with its column
headers, caption and section; an answer quotes one cell with its row and column and cites the table."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import table_corpus
from hypothesis import given
from hypothesis import strategies as st  # tests/ is on sys.path (pytest rootdir import mode)

from qa.answer.compose import Answerer
from qa.answer.render import render_text, to_json
from qa.answer.verify import unsupported_numbers
from qa.ingest.corpus import read_corpus
from qa.ingest.load import extract_from_bytes
from qa.ingest.tables import find_tables, row_text
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index
from qa.types import Chunk, TableRow
from qa.web.html import turn_html


def _rows(folder: Path, name: str) -> list[Chunk]:
    reads, skipped = read_corpus(folder)
    assert not skipped
    return [c for r in reads if r.source == name for c in r.chunks if c.table is not None]


# -- finding tables in text -----------------------------------------------------------------------------
def test_a_table_laid_out_with_spaces_keeps_its_columns_and_empty_cells():
    text = ("二、经费使用\n各项经费如下：\n表3 经费明细\n"
            "项目            预算(万元)    支出(万元)\n"
            "校舍维修        120           96.5\n"
            "设备购置                      40\n"
            "教师培训        35            33\n"
            "经费使用总体规范。")
    (table,) = find_tables(text)
    assert table.caption == "表3 经费明细"
    assert table.headers == ("项目", "预算(万元)", "支出(万元)")
    assert [r.cells for r in table.rows] == [("校舍维修", "120", "96.5"), ("设备购置", "", "40"),
                                             ("教师培训", "35", "33")]
    assert text[table.rows[1].span[0]:table.rows[1].span[1]].startswith("设备购置")
    assert row_text(table.headers, table.rows[1].cells) == "设备购置 · 支出(万元): 40"


def test_tab_and_markdown_tables():
    tabbed = "学校\t班级(个)\n一小\t12\n二小\t9"
    assert [r.cells for r in find_tables(tabbed)[0].rows] == [("一小", "12"), ("二小", "9")]
    markdown = "| 学校 | 班级(个) |\n|---|---:|\n| 一小 | 12 |\n| 二小 | 9 |"
    (table,) = find_tables(markdown)
    assert table.headers == ("学校", "班级(个)") and len(table.rows) == 2


def test_a_form_of_labelled_values_is_not_a_table():
    form = ("单位：城关县教育局    联系人：王明\n电话：0000-1234567    邮箱：office@example.org\n"
            "地址：城关镇中山路    邮编：000000")
    assert find_tables(form) == []


@given(st.lists(st.sampled_from(["学校", "东风小学", "41", "1,200", "12.5%", " ", "  ", "\t", "\n", "|", "---",
                                 "表1 情况", "一、概况", "。", "：", "合计", "\u3000"]), max_size=60))
def test_found_rows_point_back_at_their_lines(parts):
    text = "".join(parts)
    for table in find_tables(text):
        assert table.span[0] <= table.head <= table.rows[0].span[0]
        for row in table.rows:
            line = re.sub(r"\s", "", text[row.span[0]:row.span[1]])
            assert "\n" not in text[row.span[0]:row.span[1]]
            assert all(re.sub(r"\s", "", c) in line for c in row.cells)


def test_prose_and_short_aligned_lines_are_not_tables():
    assert find_tables("联系人：王老师    电话：12345678\n全县共有学校56所。") == []  # one line
    assert find_tables("学校    人数\n一小    30\n本学期招生工作顺利完成。") == []  # header + 1 spaced row
    long_cell = "今年全县教育系统认真贯彻落实上级各项部署，围绕办好人民满意的教育，扎实推进各项工作，取得明显成效"
    assert find_tables(f"{long_cell}    2025\n{long_cell}    2026\n{long_cell}    2027") == []


def test_a_header_row_of_years_is_a_header():
    (table,) = find_tables("指标\t2023\t2024\n在校生(人)\t5100\t5320\n教师(人)\t402\t415")
    assert table.headers == ("指标", "2023", "2024")
    assert row_text(table.headers, table.rows[1].cells) == "教师(人) · 2023: 402 · 2024: 415"


def test_rows_are_named_by_their_key_columns_not_a_sequence_number():
    from qa.ingest.tables import quoted_cells

    (table,) = find_tables("序号\t学校\t教师(人)\n1\t东风小学\t41\n2\t西湖中学\t77\n合计\t合计\t118")
    assert table.keys == (1,)
    assert [row_text(table.headers, r.cells, table.keys) for r in table.rows] == [
        "东风小学 · 教师(人): 41", "西湖中学 · 教师(人): 77", "合计 · 教师(人): 118"]
    (table,) = find_tables("类别\t学校\t教师(人)\n小学\t东风小学\t41\n初中\t西湖中学\t77")
    row = TableRow("", table.headers, table.rows[1].cells, 2, table.keys)
    assert quoted_cells(row) == [(1, "初中 · 学校: 西湖中学"), (2, "初中 · 学校: 西湖中学 · 教师(人): 77")]


def test_a_table_right_under_a_numbered_heading_has_it_as_its_section(tmp_path):
    (tmp_path / "r.txt").write_text("华林县2025年教育经费报告\n一、经费投入\n项目\t2023年(万元)\t2024年(万元)\n"
                                    "校舍改造\t860\t1020\n教师培训\t95\t130\n", encoding="utf-8")
    reads, _ = read_corpus(tmp_path)
    assert [(c.heading, c.text) for c in reads[0].chunks] == [
        (("一、经费投入",), "校舍改造 · 2023年(万元): 860 · 2024年(万元): 1020"),
        (("一、经费投入",), "教师培训 · 2023年(万元): 95 · 2024年(万元): 130")]


# -- each format -------------------------------------------------------------------------------------------
def test_docx_table_rows_become_records_with_headers_caption_and_section(tmp_path):
    (tmp_path / "r.docx").write_bytes(table_corpus.docx_report())
    rows = _rows(tmp_path, "r.docx")
    assert [c.text for c in rows][0] == "城关一中 · 在校生(人): 2310 · 教师(人): 156 · 培训人次: 420"
    assert rows[0].heading == ("一、学校基本情况", "表1 2025年各校学生与教师情况")
    assert rows[0].table == TableRow("表1 2025年各校学生与教师情况", ("学校", "在校生(人)", "教师(人)", "培训人次"),
                                     ("城关一中", "2310", "156", "420"), 1)
    assert len({c.ordinal for c in rows}) == 1 and len(rows) == 3  # one table, one paragraph number


def test_docx_merged_header_cells_name_both_levels():
    import docx

    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["学校", "人数", ""], ["", "学生", "教师"], ["东风小学", "820", "41"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(0, 1).merge(t.cell(0, 2)).text = "人数"
    t.cell(0, 0).merge(t.cell(1, 0)).text = "学校"
    buf = io.BytesIO()
    d.save(buf)
    (table,) = find_tables(extract_from_bytes(buf.getvalue(), ".docx"))
    assert table.headers == ("学校", "人数 学生", "人数 教师")
    assert table.rows[0].cells == ("东风小学", "820", "41")


def test_a_merged_row_across_the_table_groups_the_rows_below_it(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("各校教师情况如下。")
    t = d.add_table(rows=4, cols=3)
    for r, row in enumerate([["学校", "在校生(人)", "教师(人)"], ["初中", "", ""], ["西湖中学", "1310", "77"],
                             ["北岗中学", "760", "45"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(1, 0).merge(t.cell(1, 2)).text = "初中"
    d.save(tmp_path / "r.docx")
    rows = _rows(tmp_path, "r.docx")
    assert [(c.heading[-1], c.text) for c in rows] == [("初中", "西湖中学 · 在校生(人): 1310 · 教师(人): 77"),
                                                       ("初中", "北岗中学 · 在校生(人): 760 · 教师(人): 45")]


def test_html_table_with_caption_and_spans(tmp_path):
    (tmp_path / "r.html").write_text(table_corpus.html_report(), encoding="utf-8")
    rows = _rows(tmp_path, "r.html")
    assert rows[1].text == "柳林乡 · 幼儿园(所): 3 · 在园幼儿(人): 310 · 专任教师(人): 19"
    assert rows[1].heading == ("一、办园规模", "2024年各乡镇幼儿园情况")
    spanned = ("<table><tr><th rowspan=2>乡镇</th><th colspan=2>学校(所)</th></tr><tr><th>小学</th><th>初中</th>"
               "</tr><tr><td>青石镇</td><td>5</td><td>1</td></tr></table>")
    (table,) = find_tables(extract_from_bytes(spanned.encode(), ".html"))
    assert table.headers == ("乡镇", "学校(所) 小学", "学校(所) 初中") and table.rows[0].cells == ("青石镇", "5", "1")


def test_an_html_layout_table_stays_prose():
    para = "全县坚持立德树人根本任务，深化教育教学改革，全面提高教育质量，群众满意度持续提升。" * 2
    page = f"<table><tr><td>{para}</td><td>{para}</td></tr><tr><td>{para}</td><td>{para}</td></tr></table>"
    text = extract_from_bytes(page.encode(), ".html")
    assert find_tables(text) == [] and "\t" not in text


def test_pdf_tables_ruled_and_unruled_keep_rows_and_columns(tmp_path):
    pytest.importorskip("reportlab")
    (tmp_path / "r.pdf").write_bytes(table_corpus.pdf_report())
    rows = _rows(tmp_path, "r.pdf")
    assert [c.text for c in rows] == ["东岭小学 · 受益学生(人): 640 · 补助资金(万元): 38.4",
                                      "南湾中学 · 受益学生(人): 1120 · 补助资金(万元): 67.2",
                                      "北山小学 · 受益学生(人): 285 · 补助资金(万元): 17.1"]
    assert rows[0].heading == ("一、资金投入", "表2 营养午餐补助情况")
    unruled = table_corpus.pdf_report([["School", "Pupils", "Teachers"], ["Riverside Middle", "1204", "88"],
                                       ["Hill Primary", "356", ""], ["Lake School", "712", "47"]], grid=False)
    (table,) = find_tables(extract_from_bytes(unruled, ".pdf"))
    assert [r.cells for r in table.rows] == [("Riverside Middle", "1204", "88"), ("Hill Primary", "356", ""),
                                             ("Lake School", "712", "47")]


def test_pdf_text_drawn_glyph_by_glyph():
    pytest.importorskip("reportlab")
    prose = ["今年全县教育系统认真贯彻落实上级部署", "扎实推进各项工作，取得了明显成效。全",
             "年共投入资金三千二百万元，新建校舍。"]
    text = extract_from_bytes(table_corpus.glyph_pdf([[(72, line)] for line in prose]), ".pdf")
    assert "\t" not in text and "取得了明显成效" in text
    rows = [["学校", "学生", "教师"], ["城南小学", "512", "30"], ["城北中学", "1034", "71"]]
    raw = table_corpus.glyph_pdf([[(72 + 100 * k, cell) for k, cell in enumerate(row)] for row in rows])
    (table,) = find_tables(extract_from_bytes(raw, ".pdf"))
    assert table.headers == ("学校", "学生", "教师") and [r.cells for r in table.rows] == [
        ("城南小学", "512", "30"), ("城北中学", "1034", "71")]


def test_pdf_prose_reads_as_before(tmp_path):
    pytest.importorskip("reportlab")
    from pypdf import PdfReader

    from qa.ingest.formats import reflow

    raw = table_corpus.pdf_report(None)
    plain = "\n".join(reflow(p.extract_text()) for p in PdfReader(io.BytesIO(raw)).pages)
    assert extract_from_bytes(raw, ".pdf") == plain and "\t" not in plain


def test_plain_text_table(tmp_path):
    (tmp_path / "r.txt").write_text(table_corpus.txt_report(), encoding="utf-8")
    rows = _rows(tmp_path, "r.txt")
    assert rows[2].text == "梅岭小学 · 新建教室(间): 5 · 新增图书(册): 1800 · 计算机(台): 30"
    assert rows[2].heading == ("一、项目建设", "各校办学条件改善情况")
    reads, _ = read_corpus(tmp_path)
    prose = "\n".join(c.text for c in reads[0].chunks if c.table is None)
    assert "新建教室、添置图书和计算机如下" in prose and "部分学校专用教室仍然不足" in prose


# -- records, answers, the panel ----------------------------------------------------------------------------
def test_chunk_records_round_trip_and_old_records_still_load():
    row = TableRow("表1", ("学校", "教师(人)"), ("东风小学", "41"), 1)
    text = "东风小学 · 教师(人): 41"
    chunk = Chunk("c", "d", "a.docx", 2, ("一、概况", "表1"), (5, 12), text, text, table=row)
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    plain = Chunk("p", "d", "a.txt", 1, (), (0, 4), "正文段落", "正文段落")
    assert "table" not in plain.to_dict() and Chunk.from_dict(plain.to_dict()) == plain


@pytest.fixture(scope="module")
def table_index(tmp_path_factory):
    from qa.models.embed import FakeEmbedder

    corpus = table_corpus.write_corpus(tmp_path_factory.mktemp("tables"), pdf=False)
    (corpus / "funds.txt").write_text("华林县2025年教育经费报告\n一、经费投入\n项目\t2023年(万元)\t2024年(万元)\n"
                                      "校舍改造\t860\t1020\n教师培训\t95\t130\n", encoding="utf-8")
    directory = tmp_path_factory.mktemp("index") / "index"
    embedder = FakeEmbedder(dim=64)
    update_index(corpus, directory, embedder, progress=False)
    return Index.load(directory, model_name=embedder.name), embedder


def test_a_cell_question_is_answered_with_the_cell_and_cites_the_table(table_index):
    index, embedder = table_index
    answer = Answerer(Retriever(index, embedder)).ask("城关一中有多少名教师?")
    assert not answer.abstained and "“城关一中 · 教师(人): 156” [1]" in answer.text
    (c,) = answer.citations
    assert c.chunk.table is not None and c.chunk.table.caption == "表1 2025年各校学生与教师情况"
    assert unsupported_numbers("城关一中 · 教师(人): 156 [1]", {1: c.chunk.text}) == []
    assert to_json(answer)["citations"][0]["table"]["headers"] == ["学校", "在校生(人)", "教师(人)", "培训人次"]
    assert "城关一中 · 在校生(人): 2310 · »教师(人): 156« · 培训人次: 420" in render_text(answer)
    panel = turn_html(answer, 1, index)
    assert '<table class="qa-table"><caption>表1 2025年各校学生与教师情况</caption>' in panel
    assert "<mark>156</mark>" in panel and panel.count("<mark>") == 1
    assert panel.count("<tr") == 4  # header and the table's three rows
    assert '<tr class="qa-cited-row"><td>城关一中</td>' in panel


def test_a_cell_is_quoted_whole_whatever_its_header_holds(table_index):
    index, embedder = table_index
    answer = Answerer(Retriever(index, embedder)).ask("华林县2024年教师培训经费是多少万元?")
    assert "“教师培训 · 2024年(万元): 130” [1]" in answer.text


def test_the_number_check_refuses_a_cell_the_row_does_not_hold(table_index):
    index, _ = table_index
    row = next(c for c in index.chunks if c.table is not None and c.table.cells[0] == "城关一中")
    assert unsupported_numbers("城关一中 · 教师(人): 165 [1]", {1: row.text}) == ["165"]


# -- with the real model --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_table_answerer(real_embedder, tmp_path_factory):
    from conftest import DATA

    pytest.importorskip("reportlab")
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(DATA / "tiny", corpus, dirs_exist_ok=True)  # other reports around the tables
    table_corpus.write_corpus(corpus)
    directory = tmp_path_factory.mktemp("index") / "index"
    update_index(corpus, directory, real_embedder, progress=False)
    return Answerer(Retriever(Index.load(directory, model_name=real_embedder.name), real_embedder))


@pytest.mark.model
@pytest.mark.parametrize("question,source,cell", [
    ("城关一中有多少名教师?", "chengguan.docx", "城关一中 · 教师(人): 156"),
    ("How many teachers does 城关一中 have?", "chengguan.docx", "城关一中 · 教师(人): 156"),
    ("柳林乡在园幼儿有多少人?", "yunxi.html", "柳林乡 · 在园幼儿(人): 310"),
    ("How many kindergartens does 马坪镇 have?", "yunxi.html", "马坪镇 · 幼儿园(所): 4"),
    ("南湾中学营养午餐补助资金是多少?", "shimen.pdf", "南湾中学 · 补助资金(万元): 67.2"),
    ("How much meal subsidy funding did 北山小学 receive?", "shimen.pdf", "北山小学 · 补助资金(万元): 17.1"),
    ("杏林中学新增图书多少册?", "qingwan.txt", "杏林中学 · 新增图书(册): 5100"),
    ("How many computers were added at 梅岭小学?", "qingwan.txt", "梅岭小学 · 计算机(台): 30"),
])
def test_cell_questions_in_chinese_and_english_get_the_cell(real_table_answerer, question, source, cell):
    answer = real_table_answerer.ask(question)
    assert not answer.abstained and f"“{cell}”" in answer.text
    cited = answer.citations[0]
    assert cited.chunk.source == source and cited.chunk.table is not None and cited.sentence == cell
