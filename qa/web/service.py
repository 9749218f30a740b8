"""The running product behind the web chat: the current index, background updates, uploads, watching.

Questions are answered from the index that is loaded; an update builds a new index beside it and swaps
it in when complete, so questions asked meanwhile are answered from the old one.

>>> svc = Service(Settings())  # doctest: +SKIP
>>> svc.start(); svc.ask("What did the schools do about fire and traffic risks?").text  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.compose import Answerer
from qa.config import Settings
from qa.ingest.corpus import file_sha256, iter_corpus_files
from qa.ingest.load import SUPPORTED
from qa.search.filters import Filters
from qa.search.followup import contextualize
from qa.search.question import check_question
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.protocol import Store
from qa.store.update import UpdateReport, inside, recorded_corpus
from qa.types import Answer

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
READ_WAIT = 30.0  # seconds a question waits for the first build to read the reports
SKIPS_SHOWN = 5  # files skipped by an update, named in the status line
UPLOAD_PART = ".part"  # an upload being written (hidden, and a suffix the indexer skips)
REMOVED_DIR = ".removed"  # removed reports are moved here (hidden from indexing), never deleted


class UploadError(ValueError):
    """An upload that was refused; the message says why."""


@dataclass
class Progress:
    stage: str = "idle"
    done: int = 0
    total: int = 0
    message: str = ""
    updated_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.time)  # when this stage began (for the time left)

    def eta(self) -> float | None:
        """Seconds this stage still needs at its pace so far (None until there is a pace to go by)."""
        if self.stage == "idle" or not self.total or self.done <= 0 or self.done >= self.total:
            return None
        return (self.updated_at - self.started) / self.done * (self.total - self.done)

    def describe(self) -> str:
        if self.stage == "idle":
            return self.message or "index up to date"
        if self.total:
            return f"{self.stage}: {self.done}/{self.total}"
        return self.stage


class Service:
    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        self._embedder = embedder
        self._answerer: Answerer | None = None
        self._update_lock = threading.Lock()
        self._pending = threading.Event()
        self._starting = threading.Event()  # a start is on its way or running (see ``will_start``)
        self.progress = Progress()
        self._observer = None

    # -- set-up -------------------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from qa.runtime import load_embedder

            self._embedder = load_embedder(self.settings)
        return self._embedder

    def start(self) -> None:
        """Load the index; build it first (with progress) when missing, update it when the folder changed."""
        self._starting.set()
        try:
            if recorded_corpus(self.settings.index) is None:  # a first run: an empty folder to upload into
                self.settings.corpus.mkdir(parents=True, exist_ok=True)
            for part in self.settings.corpus.glob(f".*{UPLOAD_PART}"):  # uploads cut off by a crash
                part.unlink(missing_ok=True)
            self.update()
        finally:
            self._starting.clear()
        load = getattr(self.embedder, "load", None)
        if load is not None:  # a lazily loaded model: load it now, before the first question waits for it
            threading.Thread(target=load, name="model-load", daemon=True).start()

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            raise RuntimeError("the index is not loaded yet: it is being built, try again in a moment")
        return self._answerer

    def current_index(self) -> Index | None:
        """The index questions are answered from now (keyword-only during the first build), or None."""
        answerer = self._answerer
        return answerer.retriever.index if answerer is not None else None

    def will_start(self) -> None:
        """Say that ``start`` is about to run in another thread: questions asked before it gets going wait
        for the keyword index instead of being refused."""
        self._starting.set()

    def wait_for_index(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) while the first build reads the reports: a question asked in the
        first seconds is answered from the keyword index as soon as it exists, instead of refused."""
        end = time.time() + timeout
        while self._answerer is None and (self._starting.is_set() or self._update_lock.locked()) \
                and time.time() < end:
            time.sleep(0.05)

    def _swap(self, index: Store | None = None) -> None:
        """Answer from ``index`` (the one an update just built) or the one on disk, from now on."""
        if index is None or index.model_name != self.embedder.name:
            from qa.runtime import load_store

            index = load_store(self.settings, self.embedder)
        if self._answerer is not None and self._answerer.retriever.index is index:
            return  # nothing changed: keep the answerer and what it has cached
        retriever = Retriever(index, self.embedder, lexicon=self.settings.lexicon)
        self._answerer = Answerer(retriever, settings=self.settings)

    # -- questions ----------------------------------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None, filters: Filters | None = None,
            on_piece: Callable[[str], None] | None = None) -> Answer:
        """Answer one question from the index loaded now (an update swapping in meanwhile does not change it);
        ``on_piece`` receives a language model's draft as it streams."""
        question = check_question(question)
        self.wait_for_index(READ_WAIT)
        answerer = self.answerer  # one snapshot for the whole question
        places = sorted({p for d in answerer.retriever.index.documents.values() for p in d.places})
        return answerer.ask(contextualize(question, history or [], places), filters=filters, on_piece=on_piece)

    def reports(self) -> list[dict]:
        index = self.answerer.retriever.index
        counts = index.paragraph_counts()
        return [{"doc_id": d.doc_id, "title": d.title, "year": d.year, "places": list(d.places),
                 "file": d.source, "part": d.part, "paragraphs": counts.get(d.doc_id, 0)}
                for d in sorted(index.documents.values(), key=lambda d: (d.source, d.part or 0))]

    # -- updates ------------------------------------------------------------------------------------
    def update(self) -> None:
        """Bring the index in step with the folder and swap it in (runs in the caller's thread)."""
        with self._update_lock:
            self._pending.clear()

            def on_progress(stage: str, done: int, total: int) -> None:
                prev = self.progress
                started = prev.started if prev.stage == stage else time.time()
                self.progress = Progress(stage, done, total, started=started)

            def on_read(parts: list) -> None:
                if self._answerer is None:  # the first build: answer from the keywords until the vectors are in
                    index = Index.keywords_only(self.settings.index, self.embedder.name, parts)
                    self._answerer = Answerer(Retriever(index, self.embedder), settings=self.settings)

            from qa.runtime import indexing_threads, update_store

            try:
                current = self._answerer.retriever.index if self._answerer is not None else None
                with indexing_threads():
                    report = update_store(self.settings, self.embedder,
                                          on_progress=on_progress, progress=False, previous=current, load=True,
                                          on_read=on_read)
                self._swap(report.index)
                self.progress = Progress("idle", message=_update_message(report))
            except Exception as e:  # noqa: BLE001 - shown to the user; the old index keeps serving
                log.exception("index update failed")
                self.progress = Progress("idle", message=f"index update failed: {e}")
                if self._answerer is None:
                    self._swap_or_raise(e)

    def _swap_or_raise(self, error: Exception) -> None:
        """After a failed first update: serve the index on disk if there is a usable one, else raise."""
        try:
            self._swap()
        except Exception:  # noqa: BLE001 - the update's error is the one to show
            raise error from None

    def update_in_background(self) -> None:
        """Schedule an update; several requests while one runs fold into one more run."""
        self._pending.set()
        if self._update_lock.locked():
            return

        def run() -> None:
            while self._pending.is_set():
                self.update()

        threading.Thread(target=run, name="index-update", daemon=True).start()

    def add_report(self, filename: str, data: bytes) -> str:
        """Save an uploaded report into the corpus (checked: type, size, name, duplicate) and index it."""
        name = safe_filename(filename)
        if Path(name).suffix.lower() not in SUPPORTED:
            raise UploadError(f"{filename}: unsupported type; upload one of {', '.join(SUPPORTED)}")
        if not data:
            raise UploadError(f"{filename}: the file is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadError(f"{filename}: {len(data) / 1e6:.1f} MB is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
        digest = hashlib.sha256(data).hexdigest()
        for path in iter_corpus_files(self.settings.corpus):
            if inside(path, self.settings.corpus) and file_sha256(path) == digest:
                raise UploadError(f"{filename}: the same report is already in the corpus as "
                                  f"{path.relative_to(self.settings.corpus).as_posix()}")
        target = self._save_new(self.settings.corpus / name, data)
        self.update_in_background()
        return target.name

    @staticmethod
    def _save_new(target: Path, data: bytes) -> Path:
        """Write ``data`` under ``target``'s name, or ``stem-2``, ``stem-3``…, never over an existing file: the
        bytes go to a hidden ``.part`` file (the indexer skips it) that is then linked under the free name."""
        tmp = target.with_name(f".{uuid.uuid4().hex}{UPLOAD_PART}")
        try:
            tmp.write_bytes(data)
            stem, suffix, n = target.stem, target.suffix, 1
            while True:
                try:
                    os.link(tmp, target)  # fails if the name is taken, even by an upload at the same moment
                    return target
                except FileExistsError:
                    n += 1
                    target = target.with_name(f"{stem}-{n}{suffix}")
        finally:
            tmp.unlink(missing_ok=True)

    def remove_report(self, source: str) -> str:
        """Move a report out of the corpus (into corpus/.removed/, so nothing is lost) and re-index."""
        corpus = self.settings.corpus.resolve()
        path = (corpus / source).resolve()
        if corpus not in path.parents or not path.is_file():
            raise UploadError(f"{source}: no such report in the corpus")
        dest = corpus / REMOVED_DIR / path.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), dest)
        self.update_in_background()
        return dest.relative_to(corpus).as_posix()

    def watch(self) -> None:
        """Re-index when files in the corpus folder change (reports dropped in on disk appear)."""
        from qa.store.watch import start_observer

        self._observer = start_observer(self.settings.corpus, self.update_in_background)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()


def _update_message(report: UpdateReport) -> str:
    """The status line's account of an update: its first line, and each file skipped with the reason."""
    skipped = "; ".join(f"skipped {s.source}: {s.reason}" for s in report.skipped[:SKIPS_SHOWN])
    more = f" (and {len(report.skipped) - SKIPS_SHOWN} more)" if len(report.skipped) > SKIPS_SHOWN else ""
    return report.summary().splitlines()[0] + (f"; {skipped}{more}" if skipped else "")


_UNSAFE = re.compile(r"[^\w.\-\u3400-\u9fff]+")
MAX_NAME_CHARS = 120  # characters kept of an uploaded file's name (its suffix always kept)


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, no control, direction or shell characters, at most
    ``MAX_NAME_CHARS`` long with its suffix kept, in Unicode NFC (names differing only in normalization are one).

    >>> safe_filename("../../etc/passwd"), safe_filename("昭平县 2011.txt")
    ('passwd', '昭平县_2011.txt')
    """
    base = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/").replace("\0", "")).name)
    base = _UNSAFE.sub("_", base).lstrip("._")
    if len(base) > MAX_NAME_CHARS:
        suffix = Path(base).suffix if len(Path(base).suffix) <= 8 else ""
        base = base[: MAX_NAME_CHARS - len(suffix)] + suffix
    if not base or base in {".", ".."} or not Path(base).stem.strip("_"):
        raise UploadError(f"{name!r} is not a usable file name")
    return base
