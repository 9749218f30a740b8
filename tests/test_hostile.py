"""Hostile files (through ``qa index`` and the upload box) and hostile questions (``/ask`` and ``qa ask``):
each file is indexed or refused with a named reason, nothing outside the corpus is read or written, and
every question gets an answer, a decline or a clear message, never a traceback."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.config import Settings
from qa.store.index import Index
from qa.store.update import update_index
from qa.web.service import Service, UploadError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

REPORT = "{title}\n\n一、安全工作\n全年排查安全隐患{n}项，已全部整改。\n\n二、教师队伍\n补充教师{n}名。\n"
SECRET = "机密外部文件内容绝不可读"


def report(title: str, n: int = 12) -> bytes:
    return REPORT.format(title=title, n=n).encode("utf-8")


def zip_bomb(unpacked_mb: int = 300) -> bytes:
    """A .docx whose document.xml unpacks to ``unpacked_mb`` MB of zeros (a few hundred KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(unpacked_mb):
                f.write(block)
    return buf.getvalue()


def empty_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def nested_html(depth: int) -> bytes:
    return ("<html><body>" + "<div>" * depth + "<p>深层嵌套的工作总结：排查隐患12项。</p>" + "</div>" * depth
            + "</body></html>").encode()


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the corpus with a secret file in it; nothing may read or change it."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text(f"外部文件\n\n{SECRET}，共计99项。\n", encoding="utf-8")
    return out


# -- files on disk, through the indexer ----------------------------------------------------------------
def test_hostile_files_on_disk(tiny_corpus, tmp_path, fake_embedder, outside):
    ok = {
        "تقرير التعليم السنوي.txt": report("教育局工作总结 阿拉伯文文件名"),  # right-to-left script
        "\u202eevil\u202c.txt": report("方向控制字符文件名"),
        "教" * 80 + ".txt": report("很长的文件名", 3),  # 244 bytes: near the file system's limit of 255
        unicodedata.normalize("NFC", "café报告.txt"): report("组合字符一", 5),
        unicodedata.normalize("NFD", "café报告.txt"): report("组合字符二", 6),
        "deep.html": nested_html(5000),
    }
    refused = {
        "bomb.docx": (zip_bomb(), "too large when unpacked"),
        "blank.pdf": (empty_pdf(1000), "no text layer"),
        "huge.txt": (b"a" * (60 * 2**20), "too long"),
    }
    for name, data in ok.items():
        (tiny_corpus / name).write_bytes(data)
    for name, (data, _) in refused.items():
        (tiny_corpus / name).write_bytes(data)
    (tiny_corpus / "link.txt").symlink_to(outside / "secret.txt")
    (tiny_corpus / "linked-folder").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)

    report_ = update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False, load=True)
    reasons = {s.source: s.reason for s in report_.skipped}
    for name, (_, why) in refused.items():
        assert why in reasons[name]
    assert "outside the corpus" in reasons["link.txt"]
    sources = {d.source for d in report_.index.documents.values()}
    deep_html_ok = "deep.html" in sources or reasons.get("deep.html")
    assert set(ok) - {"deep.html"} <= sources and deep_html_ok
    assert not any(SECRET in c.text for c in report_.index.chunks)
    assert snapshot(outside) == before and sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    # and the index made of it loads and answers
    Index.load(tmp_path / "index")


def test_file_replaced_while_read(tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    """Hashed as one version, read as another: the index records the version it read, and the next
    update sees nothing to do."""
    import qa.store.update as upd

    target = tiny_corpus / "shiquan_2011.txt"
    real_read = upd.extract_file

    def replaced_then_read(path, root):
        if Path(path).name == target.name:
            target.write_bytes(report("石泉县教育局替换后的报告", 77))
        return real_read(path, root)

    monkeypatch.setattr(upd, "extract_file", replaced_then_read)
    first = update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False, load=True)
    monkeypatch.undo()
    assert any("77" in c.text for c in first.index.chunks if c.source == target.name)
    entry = first.index.manifest["files"][target.name]
    assert entry["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert not update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False).changed_anything


# -- the upload box ---------------------------------------------------------------------------------------
HOSTILE_NAMES = ["../../x.txt", "/etc/passwd.txt", "..\\..\\win.txt", "a\x00b.txt", "x" * 300 + ".txt",
                 "\u202etxt.exe.md", "تقرير.txt", unicodedata.normalize("NFD", "café.txt"),
                 unicodedata.normalize("NFC", "café.txt"), "....txt", "..", "/", "\x00", "<script>.html"]


def test_hostile_upload_names(tiny_corpus, tmp_path, fake_embedder, outside):
    svc = Service(Settings(corpus=tiny_corpus, index=tmp_path / "index"), embedder=fake_embedder)
    svc.start()
    before = {p for p in tmp_path.rglob("*") if "corpus" not in p.parts and "index" not in p.parts}
    saved = []
    for i, name in enumerate(HOSTILE_NAMES):
        try:
            saved.append(svc.add_report(name, report(f"上传的报告{i}", 10 + i)))
        except UploadError as e:
            assert str(e)  # refused with a reason
    svc.update()
    for name in saved:
        path = tiny_corpus / name
        assert path.parent == tiny_corpus and path.is_file() and len(name) <= 120
        assert "\x00" not in name and "\u202e" not in name and not name.startswith(".")
    assert len(set(saved)) == len(saved) >= 8
    assert unicodedata.normalize("NFC", "café.txt") in saved and "café-2.txt" in saved  # one name, NFC
    after = {p for p in tmp_path.rglob("*") if "corpus" not in p.parts and "index" not in p.parts}
    assert after == before  # nothing written outside the corpus
    assert set(saved) <= {r["file"] for r in svc.reports()}


def test_hostile_upload_contents(tiny_corpus, tmp_path, fake_embedder):
    svc = Service(Settings(corpus=tiny_corpus, index=tmp_path / "index"), embedder=fake_embedder)
    svc.start()
    with pytest.raises(UploadError, match="MB limit"):
        svc.add_report("huge.txt", b"a" * (60 * 2**20))
    with pytest.raises(UploadError, match="already in the corpus"):
        svc.add_report("again.txt", (tiny_corpus / "shiquan_2011.txt").read_bytes())
    for name, data in (("bomb.docx", zip_bomb(300)), ("deep.html", nested_html(5000)),
                       ("blank.pdf", empty_pdf(200))):
        svc.add_report(name, data)
        svc.update()
        assert svc.ask("安全隐患排查了多少项?").text  # the server stays up and answers
    assert "skipped" in svc.progress.message and "blank.pdf" in svc.progress.message


# -- hostile questions -------------------------------------------------------------------------------------
QUESTION_PARTS = st.one_of(
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=20),
    st.text(alphabet=st.characters(categories=["Po", "Ps", "Pe", "Pd", "Sm", "So"]), max_size=30),
    st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "]]>", "{{7*7}}",
                     "😀🎉👩‍👩‍👧", "学校安全隐患", "學校安全隱患", "How many teachers", "مدرسة", "\u202e", "\ud7ff",
                     "教师" * 600, "%s%n", "' OR 1=1 --", "\\x00"]),
    st.text(max_size=40),
)
QUESTIONS = st.lists(QUESTION_PARTS, min_size=1, max_size=4).map("".join)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from qa.models.embed import FakeEmbedder
    from tests.conftest import DATA

    root = tmp_path_factory.mktemp("hostile-q")
    import shutil

    shutil.copytree(DATA / "tiny", root / "corpus")
    svc = Service(Settings(corpus=root / "corpus", index=root / "index"), embedder=FakeEmbedder(dim=64))
    svc.start()
    return svc, root


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS)
def test_hostile_questions_through_ask(served, question):
    import gradio as gr

    from qa.web.actions import ask_json, chat_turn

    svc, _ = served
    try:
        result = ask_json(svc, question)
        assert isinstance(result["answer"], str) and result["answer"]
    except gr.Error as e:  # a clear message: empty, too long, no words
        assert str(e) and "Traceback" not in str(e)
    chat = list(chat_turn(svc, question, [], None))[-1][0]
    assert chat[-1]["role"] == "assistant" and "Something went wrong" not in chat[-1]["content"]
    assert "<script" not in chat[0]["content"]  # the question is shown escaped


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS.filter(lambda q: "\x00" not in q))  # a command line cannot carry a NUL
def test_hostile_questions_through_qa_ask(served, question, monkeypatch, capsys):
    import qa.runtime
    from qa.cli import main
    from qa.models.embed import FakeEmbedder

    svc, root = served
    monkeypatch.setattr(qa.runtime, "load_embedder", lambda settings: FakeEmbedder(dim=64))
    code = main(["ask", question, "--index", str(root / "index"), "--corpus", str(root / "corpus"), "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert "Traceback" not in err and (out.strip() if code == 0 else err.startswith("qa ask: error: "))


def test_a_question_that_reads_as_an_option_gets_a_clear_error_and_the_way_round(capsys):
    from qa.cli import main

    assert main(["ask", "-5%?"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa ask: error: ") and "qa ask --" in err and "Traceback" not in err
