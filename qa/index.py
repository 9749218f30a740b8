"""The index directory: chunks, their embeddings, a FAISS index and a BM25 index, with a manifest.

``update_index`` builds or updates it: only paragraphs whose embedding text was not embedded before (by
the same model) are embedded, so adding one report costs about what that report costs. Everything is
written to a temporary directory that is renamed into place; a crash never leaves half an index.

>>> idx = update_index(Path("corpus"), Path("index"), embedder)  # doctest: +SKIP
>>> Index.load(Path("index")).manifest["chunk_count"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import __version__
from qa.corpus import FileRead, file_sha256, iter_corpus_files, read_file
from qa.embed import Embedder
from qa.keyword import KeywordIndex, tokenize
from qa.load import UnreadableFile
from qa.lock import exclusive_lock
from qa.textnorm import normalize
from qa.types import Chunk, Document, Skipped
from qa.vectors import VectorIndex

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # bump when what is embedded or tokenized per paragraph changes
MANIFEST = "manifest.json"


class IndexError(Exception):  # noqa: A001 - the module's own error, named for what it is about
    """The index cannot be used as it is; the message says what to run."""


def passage_text(chunk: Chunk, doc: Document | None) -> str:
    """What the model reads for a chunk: its section path, then the paragraph (both normalized).

    Measured on the dev questions: with the report title too, Recall@5 fell 0.974 -> 0.947 (many titles say
    little, and a compilation's parts share one); the section path alone helps English questions most.
    Built from the stored ``chunk.norm`` so that an update never re-normalizes unchanged paragraphs.
    """
    if not chunk.heading:
        return chunk.norm
    return f"{_norm_heading(chunk.heading)} {chunk.norm}"


@lru_cache(maxsize=65536)
def _norm_heading(heading: tuple[str, ...]) -> str:
    return normalize("\n".join(heading))


def keyword_text(chunk: Chunk, doc: Document | None) -> str:
    """What BM25 reads for a chunk: its section path and the paragraph (normalized)."""
    return passage_text(chunk, doc)


def embedding_key(model_name: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\n{text}".encode()).hexdigest()[:32]


@dataclass
class Index:
    """A loaded index: everything retrieval needs, in memory."""

    directory: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray
    vectors: VectorIndex
    keywords: KeywordIndex
    tokens: list[list[str]] = field(default_factory=list)
    embedding_keys: list[str] = field(default_factory=list)  # what each row of ``embeddings`` was made from

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    def chunks_of(self, doc_id: str) -> list[int]:
        """Positions of a document's chunks, in reading order."""
        return [i for i, c in enumerate(self.chunks) if c.doc_id == doc_id]

    @classmethod
    def load(cls, directory: Path, *, model_name: str | None = None) -> Index:
        """Load an index; refuse one this version cannot serve, saying what to run."""
        directory = Path(directory)
        mpath = directory / MANIFEST
        if not mpath.exists():
            raise IndexError(f"no index at {directory}: run `qa index --index {directory}` to build it")
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise IndexError(f"the index manifest {mpath} is unreadable ({e}): run `qa index --rebuild`") from e
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexError(
                f"the index at {directory} has format version {version!r} (written by report-qa "
                f"{manifest.get('package_version', '?')}); this is report-qa {__version__}, which reads format "
                f"{FORMAT_VERSION}: run `qa index --rebuild`")
        if model_name and manifest.get("model", {}).get("name") != model_name:
            raise IndexError(
                f"the index was built with model {manifest.get('model', {}).get('name')!r}, not {model_name!r}: "
                "run `qa index` to re-embed it with the current model")
        try:
            documents = {d["doc_id"]: Document.from_dict(d) for d in _read_jsonl(directory / "documents.jsonl")}
            chunks = [Chunk.from_dict(c) for c in _read_jsonl(directory / "chunks.jsonl")]
            tokens = [t for t in _read_jsonl(directory / "tokens.jsonl")]
            keys = json.loads((directory / "embedding_keys.json").read_text(encoding="utf-8"))
            embeddings = np.load(directory / "embeddings.npy", allow_pickle=False)
            vectors = VectorIndex.load(directory / "faiss.index", manifest["faiss_factory"])
            keywords = KeywordIndex.load(directory / "bm25", len(chunks))
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
            raise IndexError(f"the index at {directory} is damaged ({type(e).__name__}: {e}): "
                             "run `qa index --rebuild`") from e
        n = manifest.get("chunk_count")
        if not (n == len(chunks) == len(embeddings) == vectors.size == len(tokens) == len(keys)):
            raise IndexError(f"the index at {directory} is inconsistent (manifest says {n} chunks, files hold "
                             f"{len(chunks)}/{len(embeddings)}/{vectors.size}): run `qa index --rebuild`")
        return cls(directory, manifest, documents, chunks, embeddings, vectors, keywords, tokens, keys)


@dataclass(frozen=True)
class UpdateReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    skipped: tuple[Skipped, ...]
    embedded: int
    reused: int
    chunk_count: int
    seconds: float

    def summary(self) -> str:
        lines = [f"{self.chunk_count} paragraphs indexed in {self.seconds:.1f} s "
                 f"({self.embedded} embedded, {self.reused} reused)"]
        for label, items in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if items:
                lines.append(f"{label}: " + ", ".join(items))
        if self.unchanged:
            lines.append(f"unchanged: {self.unchanged} file(s)")
        for s in self.skipped:
            lines.append(f"skipped: {s.source}: {s.reason}")
        return "\n".join(lines)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _load_previous(directory: Path, rebuild: bool) -> Index | None:
    if rebuild or not (directory / MANIFEST).exists():
        return None
    try:
        return Index.load(directory)
    except IndexError as e:
        log.warning("rebuilding the index from scratch: %s", e)
        return None


def update_index(corpus: Path, directory: Path, embedder: Embedder, *, rebuild: bool = False,
                 progress: bool = True, on_progress: Callable[[str, int, int], None] | None = None
                 ) -> UpdateReport:
    """Bring the index at ``directory`` in step with the reports under ``corpus``.

    ``on_progress(stage, done, total)`` is called as work proceeds (the web app shows it).
    """
    t0 = time.time()
    corpus, directory = Path(corpus), Path(directory)
    if not corpus.is_dir():
        raise IndexError(f"the corpus folder {corpus} does not exist")
    with exclusive_lock(directory):
        prev = _load_previous(directory, rebuild)
        prev_files = prev.manifest.get("files", {}) if prev else {}
        by_source: dict[str, tuple[list[Document], list[Chunk], list[list[str]]]] = {}
        if prev:
            for c, toks in zip(prev.chunks, prev.tokens, strict=True):
                by_source.setdefault(c.source, ([], [], []))
                by_source[c.source][1].append(c)
                by_source[c.source][2].append(toks)
            for d in prev.documents.values():
                by_source.setdefault(d.source, ([], [], []))[0].append(d)

        files: dict[str, dict] = {}
        added, changed, skipped = [], [], []
        unchanged = 0
        paths = iter_corpus_files(corpus)
        for i, path in enumerate(paths):
            source = path.relative_to(corpus).as_posix()
            if on_progress:
                on_progress("reading", i, len(paths))
            try:
                sha = file_sha256(path)
            except OSError as e:
                skipped.append(Skipped(source, f"cannot read: {e.strerror or e}"))
                continue
            old = prev_files.get(source)
            if old and old.get("sha256") == sha and source in by_source:
                files[source] = old
                unchanged += 1
                continue
            try:
                fr: FileRead = read_file(path, corpus)
            except UnreadableFile as e:
                skipped.append(Skipped(source, str(e)))
                log.warning("skipped %s: %s", source, e)
                by_source.pop(source, None)
                continue
            (changed if old else added).append(source)
            toks = [tokenize(keyword_text(c, None), normalized=True) for c in fr.chunks]
            by_source[source] = (list(fr.documents), list(fr.chunks), toks)
            files[source] = {"sha256": sha, "documents": len(fr.documents), "chunks": len(fr.chunks)}
        removed = sorted(s for s in prev_files if s not in files)

        documents: dict[str, Document] = {}
        chunks: list[Chunk] = []
        tokens: list[list[str]] = []
        for source in sorted(files):
            docs, chs, toks = by_source[source]
            documents.update((d.doc_id, d) for d in docs)
            chunks.extend(chs)
            tokens.extend(toks)

        embeddings, keys, embedded, reused = _embed_chunks(chunks, documents, embedder, prev, progress, on_progress)
        if prev is not None and not (added or changed or removed or embedded) and prev.model_name == embedder.name:
            # Nothing to write: the index on disk already is this one.
            return UpdateReport((), (), (), unchanged, tuple(skipped), 0, reused, len(chunks), time.time() - t0)
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "model": {"name": embedder.name, "dim": embedder.dim,
                      "source": getattr(embedder, "origin", ""), "backend": getattr(embedder, "backend", "")},
            "chunk_count": len(chunks),
            "document_count": len(documents),
            "files": files,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _write(directory, manifest, documents, chunks, tokens, embeddings, keys)
    return UpdateReport(tuple(added), tuple(changed), tuple(removed), unchanged, tuple(skipped),
                        embedded, reused, len(chunks), time.time() - t0)


def _embed_chunks(chunks, documents, embedder, prev, progress, on_progress):
    texts = [passage_text(c, documents.get(c.doc_id)) for c in chunks]
    keys = [embedding_key(embedder.name, t) for t in texts]
    cache: dict[str, np.ndarray] = {}
    if prev is not None and prev.model_name == embedder.name:
        # Keys recorded when the vectors were made: a change in what is embedded never reuses a stale vector.
        cache = dict(zip(prev.embedding_keys, prev.embeddings, strict=True))
    # One length sort over everything to embed, so each block pads little (+5.5 % tokens without it).
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cache}.values(), key=lambda i: len(texts[i]))
    out = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    if missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc="embedding", unit="para", disable=not progress, file=sys.stderr)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n)
            if on_progress:
                on_progress("embedding", done, len(missing))

        batch = 256
        for start in range(0, len(missing), batch):
            idx = missing[start:start + batch]
            vecs = embedder.embed([texts[i] for i in idx], kind="passage", progress=tick)
            for i, v in zip(idx, vecs, strict=True):
                cache[keys[i]] = v
        bar.close()
    for i, k in enumerate(keys):
        out[i] = cache[k]
    return out, keys, len(missing), len(chunks) - len(missing)


def _write(directory: Path, manifest, documents, chunks, tokens, embeddings, keys) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        vectors = VectorIndex.build(embeddings)
        manifest["faiss_factory"] = vectors.factory
        vectors.save(tmp / "faiss.index")
        KeywordIndex.build([], tokens=tokens).save(tmp / "bm25")
        np.save(tmp / "embeddings.npy", embeddings, allow_pickle=False)
        _write_jsonl(tmp / "documents.jsonl", (d.to_dict() for d in documents.values()))
        _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        _write_jsonl(tmp / "tokens.jsonl", tokens)
        (tmp / "embedding_keys.json").write_text(json.dumps(keys), encoding="utf-8")
        # The manifest goes last: a directory without one is never taken for an index.
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}-old-{os.getpid()}")
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def build_from_chunks(directory: Path, documents: list[Document], chunks: list[Chunk], embedder: Embedder,
                      *, progress: bool = True) -> None:
    """Write an index over ready-made chunks (bench passages, tests), with no corpus folder behind it."""
    docs = {d.doc_id: d for d in documents}
    tokens = [tokenize(keyword_text(c, None), normalized=True) for c in chunks]
    with exclusive_lock(directory):
        prev = _load_previous(directory, False)
        embeddings, keys, _, _ = _embed_chunks(chunks, docs, embedder, prev, progress, None)
        manifest = {"format_version": FORMAT_VERSION, "package_version": __version__,
                    "model": {"name": embedder.name, "dim": embedder.dim}, "chunk_count": len(chunks),
                    "document_count": len(docs), "files": {}, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        _write(directory, manifest, docs, chunks, tokens, embeddings, keys)
