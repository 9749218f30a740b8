"""Faults, short versions (bench/faults.py runs the long ones): many questions at once, a kill -9 mid-update,
two writers at once, a full disk, damaged or foreign index folders, an index used from another folder."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.answer.compose import Answerer
from qa.answer.render import to_json
from qa.cli import build_parser, settings_from
from qa.config import Settings
from qa.search.retrieve import Retriever
from qa.store import build
from qa.store.index import FORMAT_VERSION, MANIFEST, SEGMENTS, Index, IndexError
from qa.store.update import recorded_corpus, update_index
from qa.web.service import Service

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

NEW = "青松县教育局2019年工作总结\n\n一、安全\n排查隐患12项。\n"
WORKER = Path(__file__).resolve().parent / "fault_worker.py"
REPO = Path(__file__).resolve().parent.parent
# General questions about the kind of things work reports cover, in three scripts (none from the gold set).
QUESTIONS = [
    "How many safety hazards were found?", "What was done about teacher training?",
    "学校安全检查发现了多少隐患?", "教师招聘补充了多少人?", "食堂管理上有哪些做法?",
    "學校安全隱患排查了多少項?", "教師隊伍建設有哪些措施?", "明年的工作計劃是什麼?",
    "应急演练有多少人次参加?", "Which schools were renovated?", "農村學校補充了多少教師?", "下半年有什么打算?",
]


def fingerprint(corpus: Path) -> dict[str, str]:
    """Every file under ``corpus`` (hidden ones too) with the SHA-256 of its bytes."""
    return {p.relative_to(corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(corpus.rglob("*")) if p.is_file()}


def answer_key(answer) -> tuple:
    j = to_json(answer)
    return j["answer"], tuple((c["file"], c.get("paragraph")) for c in j["citations"]), j["abstained"]


# -- many questions at once ------------------------------------------------------------------------------
def test_answers_at_once_equal_answers_alone(service):
    alone = {q: answer_key(service.ask(q)) for q in QUESTIONS}
    asked = QUESTIONS * 8
    random.Random(7).shuffle(asked)
    with ThreadPoolExecutor(max_workers=16) as pool:
        together = list(pool.map(lambda q: (q, answer_key(service.ask(q))), asked))
    differing = [q for q, key in together if key != alone[q]]
    assert not differing, f"{len(differing)} of {len(together)} answers differ from the one-at-a-time answer"


def test_one_answerer_shared_by_threads(tiny_corpus, tmp_path, fake_embedder):
    report = update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False, load=True)
    answerer = Answerer(Retriever(report.index, fake_embedder))
    alone = {q: answer_key(answerer.ask(q)) for q in QUESTIONS}
    with ThreadPoolExecutor(max_workers=12) as pool:
        for _ in range(3):
            together = dict(pool.map(lambda q: (q, answer_key(answerer.ask(q))), QUESTIONS))
            assert together == alone


# -- kill -9 --------------------------------------------------------------------------------------------
def run_worker(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(WORKER), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def check_recovers(corpus: Path, directory: Path, before: dict[str, str], embedder) -> None:
    """After a crash: the corpus is as it was, the index loads (if one was ever written) and the next update
    brings it in step with every report."""
    assert fingerprint(corpus) == before
    if (directory / MANIFEST).exists() or any(directory.parent.glob(f".{directory.name}-*")):
        build.tidy(directory)
        if (directory / MANIFEST).exists():
            Index.load(directory)
    report = update_index(corpus, directory, embedder, progress=False, load=True)
    assert {d.source for d in report.index.documents.values()} == set(before)
    assert Answerer(Retriever(report.index, embedder)).ask("安全隐患排查了多少项?").text
    assert not list(directory.parent.glob(f".{directory.name}-*")), "a killed writer's leftovers stay"


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_during_an_update(tiny_corpus, tmp_path, fake_embedder, trial):
    directory = tmp_path / "index"
    if trial:  # an index of the corpus as it was, then a new report to add
        update_index(tiny_corpus, directory, fake_embedder, progress=False)
        (tiny_corpus / "new.txt").write_text(NEW, encoding="utf-8")
    before = fingerprint(tiny_corpus)
    proc = run_worker("index", str(tiny_corpus), str(directory), "--slow", "0.05")
    assert proc.stdout.readline().strip() == "started"
    time.sleep(random.Random(trial).uniform(0.0, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    check_recovers(tiny_corpus, directory, before, fake_embedder)


def test_killed_between_the_two_renames(tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    """The one moment with no index in place: the old one renamed away, the new one not yet in."""
    directory = tmp_path / "index"
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    (tiny_corpus / "new.txt").write_text("青松县2019年工作总结\n\n排查隐患12项。\n", encoding="utf-8")
    real = os.replace
    calls = []

    def crash_on_second(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        real(src, dst)

    monkeypatch.setattr(build.os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        update_index(tiny_corpus, directory, fake_embedder, progress=False)
    monkeypatch.setattr(build.os, "replace", real)
    # (the except clause removed the new folder; the old one is still beside it)
    assert not directory.exists() and list(tmp_path.glob(".index-old-*"))
    check_recovers(tiny_corpus, directory, fingerprint(tiny_corpus), fake_embedder)


def test_two_updates_at_once(tiny_corpus, tmp_path, fake_embedder):
    directory = tmp_path / "index"
    before = fingerprint(tiny_corpus)
    procs = [run_worker("index", str(tiny_corpus), str(directory), "--slow", "0.01") for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    index = Index.load(directory)
    assert {d.source for d in index.documents.values()} == set(before)
    assert len(index.chunks) == index.manifest["chunk_count"] == index.vectors.size


def test_upload_cut_off_leaves_no_half_file(service, tiny_corpus):
    """A crash mid-upload leaves only a hidden .part file: never indexed, removed at the next start."""
    before = fingerprint(tiny_corpus)
    (tiny_corpus / ".0123abcd.part").write_bytes("青松县教育局".encode()[:5])
    service.update()
    assert {r["file"] for r in service.reports()} == {k for k in before}
    service.start()
    assert fingerprint(tiny_corpus) == before


# -- a full disk ----------------------------------------------------------------------------------------
def test_disk_full_keeps_the_old_index(service, tiny_corpus, monkeypatch):
    old = {r["file"] for r in service.reports()}
    (tiny_corpus / "new.txt").write_text("青松县2019年工作总结\n\n排查隐患12项。\n", encoding="utf-8")

    def full(self, path):
        Path(path).write_bytes(b"\0" * 10)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("qa.store.vectors.VectorIndex.save", full)
    service.update()
    assert "no space left" in service.progress.message and "qa index" in service.progress.message
    assert {r["file"] for r in service.reports()} == old  # still serving the index before
    assert service.ask("安全隐患排查了多少项?").text
    Index.load(service.settings.index)  # the one on disk is whole
    assert not list(service.settings.index.parent.glob(".index-*"))  # no half-written folder left
    with pytest.raises(IndexError, match="no space left.*unchanged"):
        update_index(tiny_corpus, service.settings.index, service.embedder, progress=False)
    monkeypatch.undo()
    service.update()
    assert {r["file"] for r in service.reports()} == old | {"new.txt"}


# -- damaged or foreign index folders ------------------------------------------------------------------
def _damage(directory: Path, how: str) -> None:
    if how == "newer":
        import json

        m = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        m["format_version"] += 1
        m["package_version"] = "9.0.0"
        (directory / MANIFEST).write_text(json.dumps(m), encoding="utf-8")
    elif how == "truncated":
        f = directory / "faiss.index"
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    elif how == "half-a-segment":
        f = max((directory / SEGMENTS).glob("*.npz"), key=lambda p: p.stat().st_size)
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    else:
        (directory / MANIFEST).write_text('{"format_version": 3, "files": {', encoding="utf-8")


@pytest.mark.parametrize("how, says", [("newer", f"format version {FORMAT_VERSION + 1}"), ("truncated", "damaged"),
                                       ("half-a-segment", "damaged"), ("not-json", "unreadable")])
def test_damaged_index_says_what_to_run(tiny_corpus, tmp_path, fake_embedder, how, says, caplog):
    directory = tmp_path / "index"
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    _damage(directory, how)
    with pytest.raises(IndexError) as e:
        Index.load(directory)
    assert says in str(e.value) and "`qa index --rebuild`" in str(e.value)
    caplog.clear()
    report = update_index(tiny_corpus, directory, fake_embedder, progress=False, load=True)  # what it says
    # while doing what it advises, the advice is not repeated
    assert not any("qa index --rebuild" in r.getMessage() for r in caplog.records)
    assert len(report.index.documents) >= 3 and Index.load(directory).manifest["chunk_count"] == report.chunk_count


# -- the index remembers its corpus ---------------------------------------------------------------------
@pytest.mark.parametrize("command", ["index", "ask", "search", "eval", "serve"])
def test_every_command_takes_corpus(command):
    extra = {"ask": ["q"], "search": ["q"], "eval": ["gold.jsonl"]}.get(command, [])
    args = build_parser().parse_args([command, *extra, "--corpus", "reports", "--index", "idx"])
    assert settings_from(args, env={}).corpus == Path("reports")


def test_commands_from_another_folder_use_the_recorded_corpus(tiny_corpus, tmp_path, fake_embedder,
                                                              monkeypatch):
    directory = tmp_path / "idx"
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert recorded_corpus(directory) == tiny_corpus.resolve()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "corpus").mkdir(parents=True)  # an empty ./corpus where the command runs
    monkeypatch.chdir(elsewhere)
    args = build_parser().parse_args(["ask", "q", "--index", str(directory)])
    assert settings_from(args, env={}).corpus == tiny_corpus.resolve()
    # Given another folder explicitly, an update refuses rather than drop the index's reports.
    with pytest.raises(IndexError, match="was built from .* `qa index --corpus corpus .* --rebuild`"):
        update_index(Path("corpus"), directory, fake_embedder, progress=False)
    assert len(Index.load(directory).documents) >= 3
    update_index(Path("corpus"), directory, fake_embedder, progress=False, rebuild=True)  # when asked to
    assert recorded_corpus(directory) == (elsewhere / "corpus").resolve()


def test_service_keeps_serving_when_its_corpus_is_gone(tiny_corpus, tmp_path, fake_embedder):
    directory = tmp_path / "index"
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    moved = tmp_path / "moved"
    shutil.move(tiny_corpus, moved)
    svc = Service(Settings(corpus=tiny_corpus, index=directory), embedder=fake_embedder)
    svc.start()
    assert len(svc.reports()) == 3 and "does not exist" in svc.progress.message
    assert not tiny_corpus.exists()  # not made anew (an empty folder would drop every report)
    # Given the folder's new place, the index follows it (the old one is gone: nothing to drop)
    report = update_index(moved, directory, fake_embedder, progress=False)
    assert not report.removed and recorded_corpus(directory) == moved.resolve()


# -- one bad file, and old indexes kept alive -------------------------------------------------------------
def test_a_reader_bug_skips_only_that_file(tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    import qa.store.update as upd

    real_read = upd.extract_file

    def buggy(path, root):
        if Path(path).name == "leling_plan.txt":
            raise ZeroDivisionError("a parser's bug")
        return real_read(path, root)

    monkeypatch.setattr(upd, "extract_file", buggy)
    report = update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False, load=True)
    assert [(s.source, s.reason) for s in report.skipped] == [
        ("leling_plan.txt", "the reader failed on this file (ZeroDivisionError: a parser's bug)")]
    assert {d.source for d in report.index.documents.values()} == {"hanchuan_trad.txt", "shiquan_2011.txt"}


def test_swapped_out_indexes_are_freed(service, tiny_corpus):
    """A long-running server keeps no old index alive after an update swaps a new one in (no per-method
    caches holding the retriever)."""
    import gc
    import weakref

    for q in QUESTIONS[:4]:
        service.ask(q)
    old = weakref.ref(service.answerer.retriever.index)
    (tiny_corpus / "new.txt").write_text(NEW, encoding="utf-8")
    service.update()
    for q in QUESTIONS[:4]:
        service.ask(q)
    gc.collect()
    assert old() is None
