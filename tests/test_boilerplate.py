"""Site templates across the files of a folder (``qa.ingest.chrome.Boilerplate``), on made-up pages written here:
a line several pages of one site repeat is chrome, a body line two reports share stays, and the index counts
the folder's lines so that an update gives what a rebuild gives."""

from __future__ import annotations

import json

from qa.ingest.chrome import Boilerplate, file_shapes
from qa.ingest.clean import clean
from qa.ingest.corpus import read_corpus
from qa.store.index import Index
from qa.store.update import update_index

OPENING = ("在市委、市政府的坚强领导下，区教育局党委坚持“以党建带队伍，以队伍促教学”的工作方针，"
           "认真学习贯彻省第九次党代会精神，把主题教育实践活动融入学校管理的各个环节。")
MIDDLE = ("今年以来，我局持续推进五育并举、立德树人的育人理念，依托丰富多彩的校园文化活动，帮助学生全面发展，"
          "全年组织各类主题教育活动三十余场，参与学生一万余人次，家长满意度明显提高。")
# A made-up site's sign-off, on every one of its pages: alone it may pass for the last line of a report.
FOOTER = "好文章值得慢慢读"
SHARED = "全面落实立德树人根本任务，推进素质教育。"  # a sentence two reports of one bureau share
HEADING = "主要工作成绩"  # a heading two reports share, between paragraphs


def page(title: str, figure: int) -> str:
    return "\n".join([title, OPENING, HEADING, SHARED, MIDDLE, f"全县共有中小学{figure}所。", FOOTER]) + "\n"


PAGES = {"a.txt": page("青松县教育局2021年工作总结", 56), "b.txt": page("青松县教育局2022年工作计划", 57),
         "c.txt": page("柳河县教育局2020年工作总结", 58)}


def test_a_line_repeated_across_three_pages_of_a_site_is_dropped_and_shared_body_lines_stay():
    alone = clean(PAGES["a.txt"])
    assert FOOTER not in alone.dropped  # read alone, nothing says it is the site's
    corpus = Boilerplate.of_shapes(file_shapes(text) for text in PAGES.values())
    read = clean(PAGES["a.txt"], corpus=corpus)
    assert FOOTER in read.dropped
    kept = [line.text for line in read.lines]
    assert SHARED in kept and HEADING in kept and OPENING in kept and MIDDLE in kept


def test_a_site_template_needs_more_than_one_other_page_to_decide_a_body_line():
    """Two reports that share a sentence and a heading keep both: repetition adds to the other signals, it
    never decides alone for a line that reads as the report's."""
    two = [PAGES["a.txt"], PAGES["b.txt"]]
    corpus = Boilerplate.of_shapes(file_shapes(text) for text in two)
    kept = [line.text for line in clean(two[0], corpus=corpus).lines]
    assert SHARED in kept and HEADING in kept


def test_counts_saturate_and_a_files_view_is_its_own_shapes_only():
    texts = [f"分享到：\n第{i}页\n{OPENING}" for i in range(6)]
    corpus = Boilerplate.of_shapes(file_shapes(t) for t in texts)
    five = Boilerplate.of_shapes(file_shapes(t) for t in texts[:5])
    own = file_shapes(texts[0])
    assert corpus.signature(own) == five.signature(own) != ""  # a sixth page changes nothing
    other = file_shapes(f"{MIDDLE}\n欢迎投稿")
    assert corpus.signature(other) == ""  # none of its lines is in another file
    assert corpus.restricted(own).counts == {k: v for k, v in corpus.counts.items() if k in own}


def test_read_corpus_counts_the_folder(tmp_path):
    for name, text in PAGES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    reads, skipped = read_corpus(tmp_path)
    assert not skipped and all(FOOTER in r.dropped for r in reads)
    assert all(r.template for r in reads)


def _chunk_texts(directory) -> dict[str, list[str]]:
    index = Index.load(directory)
    out: dict[str, list[str]] = {}
    for c in index.chunks:
        out.setdefault(c.source, []).append(c.text)
    return out


def test_an_update_after_adding_a_page_of_the_site_equals_a_rebuild(tmp_path, fake_embedder):
    corpus, directory = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(PAGES["a.txt"], encoding="utf-8")
    (corpus / "other.txt").write_text(f"柳河县教育局工作计划\n{MIDDLE}\n", encoding="utf-8")
    first = update_index(corpus, directory, fake_embedder, progress=False)
    assert first.added == ("a.txt", "other.txt")
    assert any(FOOTER in t for t in _chunk_texts(directory)["a.txt"])  # one page of the site: the report's

    for name in ("b.txt", "c.txt"):
        (corpus / name).write_text(PAGES[name], encoding="utf-8")
    second = update_index(corpus, directory, fake_embedder, progress=False)
    assert second.added == ("b.txt", "c.txt") and second.recleaned == ("a.txt",)  # other.txt shares nothing
    assert "read again" in second.summary()
    updated = _chunk_texts(directory)
    assert not any(FOOTER in t for texts in updated.values() for t in texts)

    rebuilt_dir = tmp_path / "rebuilt"
    update_index(corpus, rebuilt_dir, fake_embedder, progress=False, rebuild=True)
    assert _chunk_texts(rebuilt_dir) == updated
    files = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))["files"]
    again = json.loads((rebuilt_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {s: (e["shapes"], e["template"]) for s, e in files.items()} == \
        {s: (e["shapes"], e["template"]) for s, e in again.items()}
    assert not update_index(corpus, directory, fake_embedder, progress=False).changed_anything

    (corpus / "c.txt").unlink()  # the footer's count falls from 3 to 2: the two pages left are cleaned again
    third = update_index(corpus, directory, fake_embedder, progress=False)
    assert third.removed == ("c.txt",) and third.recleaned == ("a.txt", "b.txt")
    (corpus / "b.txt").unlink()  # one page of the site left: the footer is the report's own again
    fourth = update_index(corpus, directory, fake_embedder, progress=False)
    assert fourth.removed == ("b.txt",) and fourth.recleaned == ("a.txt",)
    assert any(FOOTER in t for t in _chunk_texts(directory)["a.txt"])


def test_an_index_without_shapes_reads_its_files_again_once(tmp_path, fake_embedder):
    corpus, directory = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(PAGES["a.txt"], encoding="utf-8")
    update_index(corpus, directory, fake_embedder, progress=False)
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["files"].values():  # as an index written before shapes were kept
        del entry["shapes"], entry["template"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    report = update_index(corpus, directory, fake_embedder, progress=False)
    assert report.recleaned == ("a.txt",) and report.embedded == 0  # its paragraph vectors are reused
    assert not update_index(corpus, directory, fake_embedder, progress=False).changed_anything


def test_a_bureaus_sign_off_repeated_across_its_reports_stays(tmp_path):
    """The issuer its titles hold and a date written as reports write one end each of a bureau's reports."""
    titles = ["青松县教育局2021年工作总结", "青松县教育局2022年工作计划", "青松县教育局2020年述职报告"]
    for i, title in enumerate(titles):
        text = "\n".join([title, OPENING, MIDDLE, "青松县教育局", f"二〇二{'〇一二'[i]}年十二月"])
        (tmp_path / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    reads, _ = read_corpus(tmp_path)
    assert len(reads) == 3
    for i, r in enumerate(reads):
        assert "青松县教育局" not in r.dropped and f"二〇二{'〇一二'[i]}年十二月" not in r.dropped
