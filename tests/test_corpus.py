"""The corpus reader end to end: the shipped reports, bad files, encodings, formats, folder walking."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import UnreadableFile
from qa.ingest.clean import is_prose
from qa.ingest.corpus import FileRead, file_sha256, iter_corpus_files, read_corpus, read_file
from qa.ingest.split import display
from qa.ingest.unwrap import unwrap
from qa.textnorm import match_key, normalize

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "corpus"
DEV = REPO.parent / "shared" / "eval" / "dev.jsonl"

# Site chrome found in the five shipped files; none of it may reach a chunk.
CHROME = """当前位置 欢迎光临 好总结范文网 总结大全 发布时间 查看人数 推荐度 点击下载文档 文档为doc格式
http www. .html 推荐访问 热门关注 展开更多 下面是小编 供大家参考 免责声明 友情提示 链接地址
互联网用户整理 转载分享请保留 荟聚奇文 公文素材库 移动端 扩展阅读 字号: content_2 模板14篇 及时删除
请大家阅读这些总结范文""".split()


@pytest.fixture(scope="module")
def shipped() -> dict[str, FileRead]:
    reads, skipped = read_corpus(SHIPPED)
    assert skipped == []
    return {r.source: r for r in reads}


def test_the_five_reports_are_read(shipped):
    assert sorted(shipped) == sorted(p.name for p in SHIPPED.glob("*.txt")) and len(shipped) == 5
    for read in shipped.values():
        assert read.documents and read.chunks
        assert read.sha256 == file_sha256(SHIPPED / read.source)
        assert read.sha256 == hashlib.sha256((SHIPPED / read.source).read_bytes()).hexdigest()


def test_the_compilation_yields_fourteen_parts_in_order(shipped):
    docs = shipped["002_ff206d9b35db66e5.txt"].documents
    numerals = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四".split()
    assert [d.part for d in docs] == list(range(1, 15))
    assert [d.title for d in docs] == [f"教育局年度安全工作總結 篇{n}" for n in numerals]
    assert all(d.year is None for d in docs if d.part != 8)  # 20xx placeholders are no year
    assert [d.span[0] for d in docs] == sorted(d.span[0] for d in docs)


def test_single_reports_have_their_titles_and_metadata(shipped):
    by_file = {source[:3]: read.documents for source, read in shipped.items()}
    assert [len(docs) for docs in by_file.values()] == [1, 1, 14, 1, 1]
    (d000,), (d001,), (d003,), (d004,) = by_file["000"], by_file["001"], by_file["003"], by_file["004"]
    assert (d000.title, d000.year) == ("教育局年度工作总结范文", None)
    assert (d001.title, d001.year) == ("教育局2020年工作总结和2020年工作计划", 2020)
    assert "自贡市" in d001.mentions and d001.places == ()  # about a district whose name is masked
    assert (d003.title, d003.year) == ("两基工作总结", None) and "威远县" in d003.mentions
    assert (d004.title, d004.year, d004.places) == ("钟山县教育局2011年上半年工作总结", 2011, ("钟山县",))
    mentions = {d.part: d.mentions for d in by_file["002"]}
    assert "南昌市" in mentions[13] and "当阳市" in mentions[14] and "太原" in mentions[11]


def test_a_report_is_about_few_places_and_mentions_more(shipped):
    docs = [d for read in shipped.values() for d in read.documents]
    assert all(set(d.places) <= set(d.mentions) and len(d.places) <= 2 for d in docs)
    about = {(d.source[:3], d.part): d.places for d in docs if d.places}
    # Named in passing ("香港" in a list of visits, a province in an award) is no report's subject.
    assert not any(p in {"香港", "江苏", "四川", "新疆", "台湾", "广东"} for ps in about.values() for p in ps)
    assert about[("004", None)] == ("钟山县",) and about[("002", 14)] == ("当阳市",)


def test_no_site_chrome_survives_in_any_chunk(shipped):
    for read in shipped.values():
        for chunk in read.chunks:
            key = match_key(chunk.text)
            assert not [c for c in CHROME if match_key(c) in key], (read.source, chunk.text[:60])


def test_chunks_point_back_at_the_text_and_ids_are_unique(shipped):
    ids = [c.chunk_id for read in shipped.values() for c in read.chunks]
    assert len(ids) == len(set(ids))
    for read in shipped.values():
        docs = {d.doc_id: d for d in read.documents}
        for chunk in read.chunks:
            a, b = chunk.span
            assert chunk.text == display(read.text[a:b]) and chunk.norm == normalize(chunk.text)
            doc_start, doc_end = docs[chunk.doc_id].span
            assert chunk.source == read.source and doc_start <= a < b <= doc_end
            assert not re.search(r"\((?:jié|xué|xiào)\)", chunk.text)  # pinyin is out of what users see
            assert len(chunk.text) <= 360


def test_every_body_paragraph_survives_or_is_a_repeat(shipped):
    for read in shipped.values():
        body = match_key("".join(c.text for c in read.chunks))
        first = min(d.span[0] for d in read.documents)
        for start, line in _lines(read.text):
            if is_prose(line) and match_key(line) not in body:
                excerpt = match_key(line)[-40:]  # the dropped paragraph repeats text that was kept
                assert excerpt in body or start < first, (read.source, line[:50])


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


@pytest.mark.skipif(not DEV.exists(), reason=f"gold questions not found at {DEV}")
def test_every_evidence_string_lies_inside_one_chunk_of_its_file(shipped):
    keys = {source: [match_key(c.text) for c in read.chunks] for source, read in shipped.items()}
    missing = []
    for row in map(json.loads, DEV.read_text(encoding="utf-8").splitlines()):
        wanted = [(row["file"], e) for e in row["evidence"]]
        wanted += [(f, e) for f, es in (row.get("alt_evidence") or {}).items() for e in es]
        for file, evidence in wanted:
            key = match_key(evidence)
            if not any(key in chunk for chunk in keys[file]):
                missing.append((row["id"], file, evidence))
    assert missing == []


def test_dropped_chrome_is_reported(shipped):
    dropped = {source[:3]: read.dropped for source, read in shipped.items()}
    assert "推荐度:" in dropped["000"] and "点击下载文档文档为doc格式" in dropped["000"]
    assert "推荐访问" in dropped["001"] and "http://m.cnfzdj.com/jiaoxueziliao/42070/" in dropped["001"]
    assert any(d.startswith("下面是小编") for d in dropped["004"])


# --- folders and bad files ---------------------------------------------------------------------------

REPORT = ("石泉县教育局2011年上半年工作总结\n一、扎实抓好党建工作\n"
          "在县委、县政府的关心支持下，县教育局党组坚持“以党建引领发展，以发展检验党建”的工作思路，"
          "党建工作质量稳步提高，机关和学校党组织的凝聚力进一步增强。\n")


def test_iter_corpus_files_walks_recursively_and_skips_what_is_not_a_report(tmp_path):
    for name in ["b.txt", "a/c.md", "a/b/d.html", "e.docx", "f.pdf", "g.htm",  # kept
                 ".hidden.txt", ".git/x.txt", "h.doc", "i.png", "~$j.docx", "k.tmp", "l.txt.part", "m.txt~",
                 ".removed/n.txt", "o.TXT.tmp"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(REPORT, encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_corpus_files(tmp_path)]
    assert found == ["a/b/d.html", "a/c.md", "b.txt", "e.docx", "f.pdf", "g.htm"]


def test_read_corpus_skips_bad_files_with_reasons_and_warnings(tmp_path, caplog):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "half.txt").write_bytes(REPORT.encode()[:-2])  # cut inside the last character
    chrome = "当前位置：首页 > 总结\n推荐度：★★★\n点击下载文档\n"
    (tmp_path / "chrome.md").write_text(chrome, encoding="utf-8")
    (tmp_path / "fake.docx").write_bytes(b"not a zip")
    with caplog.at_level(logging.WARNING, logger="qa.ingest.corpus"):
        reads, skipped = read_corpus(tmp_path)
    assert [r.source for r in reads] == ["sub/good.txt"]
    assert reads[0].chunks[0].source == "sub/good.txt" and reads[0].documents[0].source == "sub/good.txt"
    reasons = {s.source: s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["image.txt"] == "binary data (not text)"
    assert reasons["half.txt"].startswith("truncated multi-byte text at byte")
    assert reasons["chrome.md"].startswith("no report text")
    assert reasons["fake.docx"].startswith("not a valid .docx")
    for source, reason in reasons.items():
        assert any(source in r.message and reason in r.message for r in caplog.records)


def test_read_file_refuses_unsupported_types(tmp_path):
    path = tmp_path / "report.xyz"
    path.write_text(REPORT, encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"unsupported type \.xyz"):
        read_file(path, tmp_path)


def test_word_html_and_pdf_reports_are_read(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in REPORT.strip().split("\n"):
        document.add_paragraph(line)
    document.save(tmp_path / "r.docx")
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT.split("\n"))
    html = f"<html><body><nav>首页</nav>{paragraphs}</body></html>"
    (tmp_path / "r.html").write_text(html, encoding="utf-8")
    from test_load import minimal_pdf  # tests/ is on sys.path (pytest rootdir import mode)

    lines = ["Shiquan county education bureau report", "1. Party work",
             "The bureau trained 456 teachers in the first half of 2011."]
    (tmp_path / "r.pdf").write_bytes(minimal_pdf(lines))
    reads, skipped = read_corpus(tmp_path)
    assert skipped == []
    texts = {r.source: [c.text for c in r.chunks] for r in reads}
    assert texts["r.docx"] == texts["r.html"]
    assert texts["r.docx"][0].startswith("石泉县教育局2011年上半年工作总结\n一、扎实抓好党建工作\n在县委")
    assert any("456 teachers" in t for t in texts["r.pdf"])


def test_a_web_page_saved_as_html_loses_its_chrome(tmp_path):
    body = "".join(f"<p>{line}</p>" for line in REPORT.strip().split("\n"))
    page = f"""<html><head><title>石泉县教育局工作总结_范文网</title></head><body>
    <div class="crumb">您现在的位置：<a href="/">首页</a> &gt; <a>工作总结</a> &gt; 正文</div>
    <div class="info">发布时间：2021-03-05 10:22 | 来源：本站原创 | 浏览次数：1024</div>
    <div class="content">{body}</div>
    <div class="share">分享到：<a>微信</a> <a>微博</a></div><div>推荐度：★★★★☆</div>
    <div class="related"><h3>相关文章</h3><ul><li>2020年学校安全工作总结</li><li>教师培训计划</li></ul></div>
    <div>原文链接：https://www.example.com/zongjie/1024.html</div></body></html>"""
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    read = read_file(tmp_path / "page.html", tmp_path)
    assert read.documents[0].title == "石泉县教育局2011年上半年工作总结"
    assert [c.text for c in read.chunks] == [REPORT.strip()]
    assert len(read.dropped) == 8


# --- property: the same report in any encoding gives the same chunks --------------------------------

TRAD_SENTENCES = """校園安全事關每一名學生的成長，也牽動著千家萬戶。
全縣現有中小學校56所，在校學生21590人。
我局與各學校簽訂了安全工作責任狀，層層落實責任。
組織開展了防溺水專題教育活動，參加師生12000人次。
進一步完善了校園安全管理制度和應急預案；
投入資金1000萬元改造鄉村學校校舍。""".split()
HEADINGS = ["一、基本情況", "二、主要做法", "（一）加強領導", "1、落實責任", "三、存在問題"]


@st.composite
def traditional_reports(draw) -> str:
    lines = ["教育局年度安全工作總結"]
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(HEADINGS)))
        lines.append("".join(draw(st.lists(st.sampled_from(TRAD_SENTENCES), min_size=1, max_size=12))))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "big5", "utf-16", "utf-16-le", "utf-16-be"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traditional_reports())
def test_the_same_report_in_any_encoding_gives_the_same_chunks(report):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for encoding in ENCODINGS:
            (root / f"{encoding}.txt").write_bytes(report.encode(encoding))
        reads, skipped = read_corpus(root)
    assert skipped == [] and len(reads) == len(ENCODINGS)
    views = {(tuple((c.text, c.heading, c.ordinal, c.span) for c in r.chunks), r.text) for r in reads}
    assert len(views) == 1
    (chunks, text), = views
    assert text == unwrap(report.replace("\r\n", "\n")).text and chunks


def test_qa_corpus_dropped_shows_each_reports_dropped_blocks_and_why(tmp_path, capsys):
    from qa import cli

    (tmp_path / "page.txt").write_text("当前位置：首页 > 工作总结\n" + REPORT + "推荐度：★★★\n", encoding="utf-8")
    assert cli.main(["corpus", "--corpus", str(tmp_path), "--dropped", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["documents"][0]["places"] == ["石泉县"] and out["documents"][0]["years"] == [2011]
    assert {(d["text"], d["why"]) for d in out["dropped"]["page.txt"]} == {
        ("当前位置：首页 > 工作总结", "breadcrumb"), ("推荐度：★★★", "rating")}
    assert cli.main(["corpus", "--corpus", str(tmp_path), "--dropped"]) == 0
    assert "  dropped (breadcrumb): 当前位置：首页 > 工作总结" in capsys.readouterr().out
