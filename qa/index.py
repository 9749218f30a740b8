"""The index directory: one segment per report file, plus a FAISS index and a BM25 index over all of them.

    index/
      manifest.json           format, model, files (sha256 -> segment), segment order, FAISS factory
      segments/<id>.json      a file's documents, paragraphs and the key each vector was made from
      segments/<id>.npz       its paragraph vectors and keyword token ids
      faiss.index, bm25/      built over every segment, in order

``update_index`` brings it in step with the corpus folder. A segment is written once, for one version of
one file, and never changes: an update reads, embeds and writes only new or changed files, links the other
segments into the new directory, and rebuilds the two global indexes from the segments' arrays (array
operations, no per-paragraph Python work), so adding one report costs about what that report costs
whatever the size of the corpus. Paragraphs whose text was embedded before (a changed or renamed file) reuse
their vectors. Everything is written to a temporary directory that is renamed into place; a crash never
leaves half an index.

>>> report = update_index(Path("corpus"), Path("index"), embedder)  # doctest: +SKIP
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
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import __version__
from qa.corpus import FileRead, file_sha256, iter_corpus_files, read_file
from qa.embed import Embedder
from qa.keyword import KeywordIndex, encode_tokens, merge_token_ids, tokenize
from qa.load import UnreadableFile
from qa.lock import exclusive_lock
from qa.textnorm import normalize
from qa.types import Chunk, Document, Skipped
from qa.vectors import VectorIndex

log = logging.getLogger(__name__)
FORMAT_VERSION = 3  # bump when the layout, or what is embedded or tokenized per paragraph, changes
MANIFEST = "manifest.json"
SEGMENTS = "segments"
GLOBAL_FILES = ("faiss.index", "bm25/postings.npz", "bm25/terms.json")


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
class Segment:
    """One version of one report file (or one batch of ready-made chunks): everything made from it."""

    id: str
    source: str
    documents: list[Document]
    chunks: list[Chunk]
    keys: list[str]  # what each row of ``embeddings`` was made from
    embeddings: np.ndarray
    terms: list[str]  # the segment's own keyword vocabulary
    token_ids: np.ndarray  # every chunk's tokens as ids into ``terms``, concatenated
    lengths: np.ndarray  # tokens per chunk

    def save(self, folder: Path) -> None:
        meta = {"id": self.id, "source": self.source, "documents": [d.to_dict() for d in self.documents],
                "chunks": [c.to_dict() for c in self.chunks], "keys": self.keys}
        np.savez(folder / f"{self.id}.npz", embeddings=self.embeddings, token_ids=self.token_ids,
                 lengths=self.lengths, terms=np.frombuffer("\n".join(self.terms).encode(), dtype=np.uint8))
        (folder / f"{self.id}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, seg_id: str, *, arrays_only: bool = False) -> Segment:
        """Read a segment; ``arrays_only`` skips its paragraphs' text (all a rebuild of the global indexes needs)."""
        with np.load(folder / f"{seg_id}.npz", allow_pickle=False) as z:
            emb, ids, lengths = z["embeddings"], z["token_ids"], z["lengths"]
            raw = z["terms"].tobytes().decode()
        terms = raw.split("\n") if raw else []
        if arrays_only:
            return cls(seg_id, "", [], [], [], emb, terms, ids, lengths)
        meta = json.loads((folder / f"{seg_id}.json").read_text(encoding="utf-8"))
        seg = cls(seg_id, meta["source"], [Document.from_dict(d) for d in meta["documents"]],
                  [Chunk.from_dict(c) for c in meta["chunks"]], meta["keys"], emb, terms, ids, lengths)
        if not (len(seg.chunks) == len(emb) == len(lengths) == len(seg.keys)):
            raise ValueError(f"segment {seg_id} holds {len(seg.chunks)} chunks but {len(emb)} vectors")
        return seg

    @property
    def size(self) -> int:
        return len(self.lengths)


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
    embedding_keys: list[str] = field(default_factory=list)  # what each row of ``embeddings`` was made from
    segments: list[Segment] = field(default_factory=list)

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    def chunks_of(self, doc_id: str) -> list[int]:
        """Positions of a document's chunks, in reading order."""
        return [i for i, c in enumerate(self.chunks) if c.doc_id == doc_id]

    @classmethod
    def assemble(cls, directory: Path, manifest: dict, segments: list[Segment], vectors: VectorIndex,
                 keywords: KeywordIndex, embeddings: np.ndarray | None = None) -> Index:
        """An index over loaded segments and the two global indexes built from them (``embeddings``: the
        segments' vectors already stacked, if at hand)."""
        documents = {d.doc_id: d for s in segments for d in s.documents}
        chunks = [c for s in segments for c in s.chunks]
        keys = [k for s in segments for k in s.keys]
        dim = manifest.get("model", {}).get("dim") or (segments[0].embeddings.shape[1] if segments else 0)
        if embeddings is None or len(embeddings) != sum(s.size for s in segments):
            embeddings = _stack([s.embeddings for s in segments], dim)
        start = 0
        for s in segments:  # the segments keep views of the one array, not copies
            s.embeddings = embeddings[start:start + s.size]
            start += s.size
        n = manifest.get("chunk_count")
        if not (n == len(chunks) == len(embeddings) == vectors.size == keywords.size == len(keys)):
            raise IndexError(f"the index at {directory} is inconsistent (manifest says {n} chunks, files hold "
                             f"{len(chunks)}/{len(embeddings)}/{vectors.size}/{keywords.size}): "
                             "run `qa index --rebuild`")
        return cls(directory, manifest, documents, chunks, embeddings, vectors, keywords, keys, segments)

    @classmethod
    def load(cls, directory: Path, *, model_name: str | None = None) -> Index:
        """Load an index; refuse one this version cannot serve, saying what to run."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if model_name and manifest.get("model", {}).get("name") != model_name:
            raise IndexError(
                f"the index was built with model {manifest.get('model', {}).get('name')!r}, not {model_name!r}: "
                "run `qa index` to re-embed it with the current model")
        try:
            segments = [Segment.load(directory / SEGMENTS, s) for s in manifest["segments"]]
            vectors = VectorIndex.load(directory / "faiss.index", manifest["faiss_factory"])
            keywords = KeywordIndex.load(directory / "bm25", manifest["chunk_count"])
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, EOFError, zipfile.BadZipFile) as e:
            raise IndexError(f"the index at {directory} is damaged ({type(e).__name__}: {e}): "
                             "run `qa index --rebuild`") from e
        index = cls.assemble(directory, manifest, segments, vectors, keywords)
        vectors.exact = index.embeddings  # lets a quantized FAISS index re-score exactly
        return index


def read_manifest(directory: Path) -> dict:
    """The manifest of the index at ``directory``, checked to be one this version reads."""
    mpath = Path(directory) / MANIFEST
    if not mpath.exists():
        raise IndexError(f"no index at {directory}: run `qa index --index {directory}` to build it")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexError(f"the index manifest {mpath} is unreadable ({e}): run `qa index --rebuild`") from e
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        package = manifest.get("package_version", "?") if isinstance(manifest, dict) else "?"
        raise IndexError(
            f"the index at {directory} has format version {version!r} (written by report-qa {package}); "
            f"this is report-qa {__version__}, which reads format {FORMAT_VERSION}: run `qa index --rebuild`")
    return manifest


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
    index: Index | None = field(default=None, repr=False, compare=False)  # the result, when asked for

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


def recipe() -> str:
    """A fingerprint of how a paragraph becomes what is embedded and searched, taken from the code itself.

    Segments are never re-read, so an index whose paragraphs were prepared another way is rebuilt.
    """
    sample = Chunk("c", "d", "s", 1, ("一、安全 工作",), (0, 9), "學校排查隱患49項", "学校排查隐患49项")
    text = passage_text(sample, None)
    return hashlib.sha256(f"{text}\n{tokenize(keyword_text(sample, None), normalized=True)}".encode()).hexdigest()[:16]


def _previous_manifest(directory: Path, rebuild: bool) -> dict | None:
    if rebuild or not (directory / MANIFEST).exists():
        return None
    try:
        manifest = read_manifest(directory)
    except IndexError as e:
        log.warning("rebuilding the index from scratch: %s", e)
        return None
    if manifest.get("recipe") != recipe():
        log.warning("rebuilding the index from scratch: paragraphs are now prepared differently")
        return None
    return manifest


def _looks_whole(directory: Path, manifest: dict) -> bool:
    """Every file the manifest names is there, the global ones at the size they were written with."""
    try:
        sizes = manifest.get("sizes", {})
        if any((directory / p).stat().st_size != sizes.get(p) for p in GLOBAL_FILES):
            return False
        folder = directory / SEGMENTS
        return all((folder / f"{s}.npz").is_file() and (folder / f"{s}.json").is_file()
                   for s in manifest.get("segments", []))
    except OSError:
        return False


class _Store:
    """Segments of the index on disk, taken from the index in memory when it is the same one."""

    def __init__(self, directory: Path, manifest: dict | None, previous: Index | None):
        self.folder = directory / SEGMENTS
        same = (previous is not None and manifest is not None and previous.segments
                and previous.manifest.get("generation") == manifest.get("generation"))
        self.memory = {s.id: s for s in previous.segments} if same else {}

    def get(self, seg_id: str, *, arrays_only: bool = False) -> Segment:
        if seg_id in self.memory:
            return self.memory[seg_id]
        return Segment.load(self.folder, seg_id, arrays_only=arrays_only)


@dataclass
class _Pending:
    """A file read (or a segment to re-embed), waiting for its vectors."""

    source: str
    documents: list[Document]
    chunks: list[Chunk]
    terms: list[str]
    token_ids: np.ndarray
    lengths: np.ndarray
    seg_tag: str  # what makes the segment id unique besides the model: the file's sha256

    @classmethod
    def read(cls, source: str, fr: FileRead, sha: str) -> _Pending:
        terms, ids, lengths = encode_tokens([tokenize(keyword_text(c, None), normalized=True) for c in fr.chunks])
        return cls(source, list(fr.documents), list(fr.chunks), terms, ids, lengths, sha)


def update_index(corpus: Path, directory: Path, embedder: Embedder, *, rebuild: bool = False,
                 progress: bool = True, on_progress: Callable[[str, int, int], None] | None = None,
                 previous: Index | None = None, load: bool = False) -> UpdateReport:
    """Bring the index at ``directory`` in step with the reports under ``corpus``.

    ``on_progress(stage, done, total)`` is called as work proceeds (the web app shows it). ``previous``, the
    index a caller holds in memory, saves reading unchanged segments back; with ``load`` (or ``previous``)
    the report carries the resulting ``Index``.
    """
    t0 = time.time()
    corpus, directory = Path(corpus), Path(directory)
    if not corpus.is_dir():
        raise IndexError(f"the corpus folder {corpus} does not exist")
    want_index = load or previous is not None
    with exclusive_lock(directory):
        manifest = _previous_manifest(directory, rebuild)
        prev_files = manifest.get("files", {}) if manifest else {}
        same_model = manifest is not None and manifest.get("model", {}).get("name") == embedder.name
        store = _Store(directory, manifest, previous)

        files: dict[str, dict] = {}
        pending: list[_Pending] = []
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
            if old and old.get("sha256") == sha and old.get("segment"):
                files[source] = old
                unchanged += 1
                continue
            try:
                fr: FileRead = read_file(path, corpus)
            except UnreadableFile as e:
                skipped.append(Skipped(source, str(e)))
                log.warning("skipped %s: %s", source, e)
                continue
            (changed if old else added).append(source)
            pending.append(_Pending.read(source, fr, sha))
            files[source] = {"sha256": sha, "documents": len(fr.documents), "chunks": len(fr.chunks)}
        removed = sorted(s for s in prev_files if s not in files)

        if manifest is not None and same_model and not pending and not removed and _looks_whole(directory, manifest):
            # Nothing to write: the index on disk already is this one.
            try:
                index = None
                if want_index:
                    index = previous if store.memory else Index.load(directory, model_name=embedder.name)
                reused = sum(f.get("chunks", 0) for f in files.values())
                return UpdateReport((), (), (), unchanged, tuple(skipped), 0, reused, manifest["chunk_count"],
                                    time.time() - t0, index)
            except IndexError as e:
                log.warning("rewriting the index: %s", e)

        kept: dict[str, Segment] = {}
        fresh = {p.source for p in pending}
        for source, entry in sorted(files.items()):
            if source in fresh:
                continue
            try:
                seg = store.get(entry["segment"], arrays_only=same_model and not want_index)
                if not same_model and not seg.chunks:
                    seg = store.get(entry["segment"])
            except Exception as e:  # noqa: BLE001 - whatever is wrong with it, the file makes it again
                log.warning("re-reading %s: its part of the index is damaged (%s: %s)", source, type(e).__name__, e)
                try:
                    fr = read_file(corpus / source, corpus)
                except (UnreadableFile, OSError) as err:
                    skipped.append(Skipped(source, str(err)))
                    del files[source]
                    continue
                pending.append(_Pending.read(source, fr, entry["sha256"]))
                fresh.add(source)
                continue
            if same_model:
                kept[source] = seg
            else:  # another model: the paragraphs stay, every vector is made again
                pending.append(_Pending(source, seg.documents, seg.chunks, seg.terms, seg.token_ids,
                                        seg.lengths, entry["sha256"]))
        # Vectors of paragraphs that were embedded before: from the old versions of changed or removed files.
        cache: dict[str, np.ndarray] = {}
        if same_model:
            for source in {*changed, *removed}:
                old_seg = prev_files.get(source, {}).get("segment")
                if old_seg:
                    try:
                        seg = store.get(old_seg)
                    except Exception as e:  # noqa: BLE001 - then they are made again
                        log.warning("cannot reuse the vectors of %s: %s", source, e)
                        continue
                    cache.update(zip(seg.keys, seg.embeddings, strict=True))
        new_segments, embedded, reused = _embed_pending(pending, embedder, cache, progress, on_progress)
        for seg in new_segments:
            kept[seg.source] = seg
            files[seg.source] = dict(files[seg.source], segment=seg.id)
        segments = [kept[s] for s in sorted(files)]
        reused += sum(s.size for s in segments if s.source not in fresh and same_model)

        manifest = _manifest(embedder, files, segments)
        if on_progress:
            on_progress("writing", 0, 1)
        vectors, keywords = _write(directory, manifest, segments, new_segments)
    index = None
    if want_index:
        if any(not s.chunks and s.size for s in segments):
            index = Index.load(directory, model_name=embedder.name)
        else:
            index = Index.assemble(directory, manifest, segments, vectors, keywords, vectors.exact)
    return UpdateReport(tuple(added), tuple(changed), tuple(removed), unchanged, tuple(skipped),
                        embedded, reused, manifest["chunk_count"], time.time() - t0, index)


def _manifest(embedder: Embedder, files: dict[str, dict], segments: list[Segment]) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "generation": uuid.uuid4().hex,
        "model": {"name": embedder.name, "dim": embedder.dim,
                  "source": getattr(embedder, "origin", ""), "backend": getattr(embedder, "backend", "")},
        "chunk_count": sum(s.size for s in segments),
        "document_count": sum(len(s.documents) for s in segments),
        "files": files,
        "segments": [s.id for s in segments],
        "recipe": recipe(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _segment_id(model_name: str, source: str, tag: str) -> str:
    return hashlib.sha256(f"{FORMAT_VERSION}\n{model_name}\n{source}\n{tag}".encode()).hexdigest()[:24]


def _embed_pending(pending: list[_Pending], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool,
                   on_progress) -> tuple[list[Segment], int, int]:
    """Embed what the pending files need (reusing ``cache`` by key) and make their segments."""
    texts = [passage_text(c, None) for p in pending for c in p.chunks]
    keys = [embedding_key(embedder.name, t) for t in texts]
    # One length sort over everything to embed, so each block pads little (+5.5 % tokens without it).
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cache}.values(), key=lambda i: len(texts[i]))
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
    segments, start = [], 0
    for p in pending:
        stop = start + len(p.chunks)
        emb = _stack([cache[k] for k in keys[start:stop]], embedder.dim)
        segments.append(Segment(_segment_id(embedder.name, p.source, p.seg_tag), p.source, p.documents, p.chunks,
                                keys[start:stop], emb, p.terms, p.token_ids, p.lengths))
        start = stop
    return segments, len(missing), len(keys) - len(missing)


def _stack(rows: Sequence[np.ndarray], dim: int) -> np.ndarray:
    if not len(rows):
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(rows) if rows[0].ndim == 2 else np.stack(rows), dtype=np.float32)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write(directory: Path, manifest: dict, segments: list[Segment], new: list[Segment]
           ) -> tuple[VectorIndex, KeywordIndex]:
    """Write the index: new segments, links to the unchanged ones, the global indexes, the manifest last."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        folder = tmp / SEGMENTS
        folder.mkdir()
        new_ids = {s.id for s in new}
        for seg in segments:
            old = directory / SEGMENTS / seg.id
            if seg.id not in new_ids and old.with_suffix(".json").exists() and old.with_suffix(".npz").exists():
                _link_or_copy(old.with_suffix(".json"), folder / f"{seg.id}.json")
                _link_or_copy(old.with_suffix(".npz"), folder / f"{seg.id}.npz")
            else:
                seg.save(folder)
        embeddings = _stack([s.embeddings for s in segments], manifest["model"]["dim"])
        vectors = VectorIndex.build(embeddings)
        manifest["faiss_factory"] = vectors.factory
        vectors.save(tmp / "faiss.index")
        keywords = KeywordIndex.from_ids(*merge_token_ids([(s.terms, s.token_ids, s.lengths) for s in segments]))
        keywords.save(tmp / "bm25")
        manifest["sizes"] = {p: (tmp / p).stat().st_size for p in GLOBAL_FILES}
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
    return vectors, keywords


def build_from_chunks(directory: Path, documents: list[Document], chunks: list[Chunk], embedder: Embedder,
                      *, progress: bool = True) -> None:
    """Write an index over ready-made chunks (bench passages, tests), with no corpus folder behind it."""
    terms, ids, lengths = encode_tokens([tokenize(keyword_text(c, None), normalized=True) for c in chunks])
    tag = hashlib.sha256("\n".join(c.chunk_id for c in chunks).encode()).hexdigest()
    pending = [_Pending("", list(documents), list(chunks), terms, ids, lengths, tag)]
    with exclusive_lock(directory):
        manifest = _previous_manifest(directory, False)
        cache: dict[str, np.ndarray] = {}
        if manifest is not None and manifest.get("model", {}).get("name") == embedder.name:
            for seg_id in manifest.get("segments", []):
                try:
                    seg = Segment.load(directory / SEGMENTS, seg_id)
                except (OSError, ValueError, KeyError):
                    continue
                cache.update(zip(seg.keys, seg.embeddings, strict=True))
        segments, _, _ = _embed_pending(pending, embedder, cache, progress, None)
        _write(directory, _manifest(embedder, {}, segments), segments, segments)
