"""Making segments and writing the index folder: pending paragraphs in, a folder renamed into place out.

``embed_pending`` embeds what is missing, in one length order, and makes the new segments; ``write`` writes
the new segments, links the unchanged ones, rebuilds FAISS and BM25 and renames the temporary folder into
place, the manifest last, so a crash never leaves half an index.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import __version__
from qa.ingest.corpus import FileRead
from qa.ingest.quotes import quotable, sentence_texts
from qa.models.embed import Embedder
from qa.store.index import (
    FORMAT_VERSION,
    GLOBAL_FILES,
    MANIFEST,
    REBUILD,
    SEGMENTS,
    SENTENCE_DTYPE,
    IndexError,
    Segment,
    embedding_key,
    keyword_text,
    passage_text,
    read_manifest,
    sentence_key,
    stack_rows,
)
from qa.store.keyword import KeywordIndex, encode_tokens, merge_token_ids, tokenize
from qa.store.lock import exclusive_lock
from qa.store.vectors import VectorIndex
from qa.types import Chunk, Document

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
EMBED_BATCH = 256  # texts handed to the embedder at once (progress is reported per batch)


def recipe() -> str:
    """A fingerprint of how a paragraph becomes what is embedded and searched, taken from the code itself.

    Segments are never re-read, so an index whose paragraphs were prepared another way is rebuilt.
    """
    sample = Chunk("c", "d", "s", 1, ("一、安全 工作",), (0, 9), "學校排查隱患49項", "学校排查隐患49项")
    text = passage_text(sample)
    quotes = Chunk("q", "d", "s", 1, ("二、",), (0, 40), "二、\n（一）概況。主要做法：一是培训。二是演練!", "")
    return hashlib.sha256(f"{text}\n{tokenize(keyword_text(sample), normalized=True)}\n{quotable(quotes)}"
                          f"\n{sentence_texts(quotes)}".encode()).hexdigest()[:16]


def tidy(directory: Path) -> None:
    """Undo what a writer killed mid-way left beside ``directory`` (call it holding the lock).

    A kill between the two renames of ``_swap_in`` leaves no index but two whole ones beside it (the old,
    renamed away, and the new, complete since its manifest is written last): the newer comes back. Temporary
    folders of killed writers are removed.
    """
    leftovers = [p for p in directory.parent.glob(f".{directory.name}-*") if p.is_dir()]
    if not directory.exists():
        whole = [p for p in leftovers if (p / MANIFEST).is_file()]
        if whole:
            best = max(whole, key=lambda p: (p / MANIFEST).stat().st_mtime)
            log.warning("restoring the index at %s from %s (a write was interrupted)", directory, best.name)
            os.replace(best, directory)
            leftovers.remove(best)
    for p in leftovers:
        shutil.rmtree(p, ignore_errors=True)


def previous_manifest(directory: Path, rebuild: bool) -> dict | None:
    """The manifest of the index there now, or None when it must be built from scratch."""
    tidy(directory)
    if rebuild or not (directory / MANIFEST).exists():
        return None
    try:
        manifest = read_manifest(directory)
    except IndexError as e:
        # the error advises the rebuild that is under way: not said again
        log.warning("rebuilding the index from scratch: %s", str(e).removesuffix(REBUILD))
        return None
    if manifest.get("recipe") != recipe():
        log.warning("rebuilding the index from scratch: paragraphs are now prepared differently")
        return None
    return manifest


@dataclass
class Pending:
    """A file read (or a segment to re-embed), waiting for its vectors."""

    source: str
    documents: list[Document]
    chunks: list[Chunk]
    terms: list[str]
    token_ids: np.ndarray
    lengths: np.ndarray
    seg_tag: str  # what makes the segment id unique besides the model: the file's sha256

    @classmethod
    def of_chunks(cls, source: str, documents: list[Document], chunks: list[Chunk], tag: str) -> Pending:
        terms, ids, lengths = encode_tokens([tokenize(keyword_text(c), normalized=True) for c in chunks])
        return cls(source, list(documents), list(chunks), terms, ids, lengths, tag)

    @classmethod
    def read(cls, source: str, fr: FileRead, sha: str) -> Pending:
        return cls.of_chunks(source, fr.documents, fr.chunks, sha)


# -- embed ----------------------------------------------------------------------------------------------
def embed_pending(pending: list[Pending], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool,
                  on_progress: Progress | None, *, sentences: bool = True) -> tuple[list[Segment], int, int]:
    """Embed what the pending files need (reusing ``cache`` by key) and make their segments; returns the
    segments, how many paragraphs were embedded and how many paragraph vectors were reused.

    With ``sentences`` (the index folder), each paragraph's quotable sentences are embedded too and stored
    in its segment, so that answering a question embeds only the question (bench/README.md, "Query latency").
    """
    texts = [passage_text(c) for p in pending for c in p.chunks]
    keys = [embedding_key(embedder.name, t) for t in texts]
    n_paragraphs = len(texts)
    per_chunk = [sentence_texts(c) for p in pending for c in p.chunks] if sentences else []
    for sents in per_chunk:
        texts += sents
        keys += [sentence_key(embedder.name, t) for t in sents]
    # One length sort over everything to embed, so each block pads little (+5.5 % tokens without it).
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cache}.values(), key=lambda i: len(texts[i]))
    _embed_missing(embedder, texts, keys, missing, cache, progress, on_progress)
    segments, start, s_start = [], 0, n_paragraphs
    for p in pending:
        stop = start + len(p.chunks)
        emb = stack_rows([cache[k] for k in keys[start:stop]], embedder.dim)
        counts = np.array([len(x) for x in per_chunk[start:stop]] if sentences else [0] * len(p.chunks),
                          dtype=np.int32)
        s_stop = s_start + int(counts.sum())
        svecs = stack_rows([cache[k] for k in keys[s_start:s_stop]], embedder.dim).astype(SENTENCE_DTYPE)
        segments.append(Segment(_segment_id(embedder.name, p.source, p.seg_tag), p.source, p.documents, p.chunks,
                                keys[start:stop], emb, p.terms, p.token_ids, p.lengths, svecs, counts,
                                keys[s_start:s_stop]))
        start, s_start = stop, s_stop
    embedded = sum(i < n_paragraphs for i in missing)
    return segments, embedded, n_paragraphs - embedded


def _embed_missing(embedder: Embedder, texts: list[str], keys: list[str], missing: list[int],
                   cache: dict[str, np.ndarray], progress: bool, on_progress: Progress | None) -> None:
    if not missing:
        return
    from tqdm import tqdm

    bar = tqdm(total=len(missing), desc="embedding", unit="text", disable=not progress, file=sys.stderr)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        bar.update(n)
        if on_progress:
            on_progress("embedding", done, len(missing))

    for start in range(0, len(missing), EMBED_BATCH):
        idx = missing[start:start + EMBED_BATCH]
        vecs = embedder.embed([texts[i] for i in idx], kind="passage", progress=tick)
        for i, v in zip(idx, vecs, strict=True):
            cache[keys[i]] = v
    bar.close()


def _segment_id(model_name: str, source: str, tag: str) -> str:
    return hashlib.sha256(f"{FORMAT_VERSION}\n{model_name}\n{source}\n{tag}".encode()).hexdigest()[:24]


# -- write ----------------------------------------------------------------------------------------------
def make_manifest(embedder: Embedder, files: dict[str, dict], segments: list[Segment],
                  corpus: Path | None = None) -> dict:
    """The manifest of an index over ``segments``; ``corpus``, the folder they were read from, is recorded
    (absolute) so that commands run from another folder keep using it."""
    return {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "generation": uuid.uuid4().hex,
        "model": {"name": embedder.name, "dim": embedder.dim, "source": embedder.origin, "backend": embedder.backend},
        "chunk_count": sum(s.size for s in segments),
        "document_count": sum(len(s.documents) for s in segments),
        "files": files,
        "segments": [s.id for s in segments],
        "recipe": recipe(),
        "corpus": str(Path(corpus).resolve()) if corpus is not None else None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def write(directory: Path, manifest: dict, segments: list[Segment], new: list[Segment]
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
        vectors = VectorIndex.build(stack_rows([s.embeddings for s in segments], manifest["model"]["dim"]))
        manifest["faiss_factory"] = vectors.factory
        vectors.save(tmp / "faiss.index")
        keywords = KeywordIndex.from_ids(*merge_token_ids([(s.terms, s.token_ids, s.lengths) for s in segments]))
        keywords.save(tmp / "bm25")
        manifest["sizes"] = {p: (tmp / p).stat().st_size for p in GLOBAL_FILES}
        # The manifest goes last: a directory without one is never taken for an index.
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap_in(tmp, directory)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise IndexError(f"no space left on the disk while writing the index at {directory}; the index "
                             "there is unchanged and keeps serving: free some space, then run `qa index`") from e
        raise IndexError(f"cannot write the index at {directory} ({e.strerror or e}); the index there is "
                         "unchanged: fix the folder's permissions or space, then run `qa index`") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return vectors, keywords


def _swap_in(tmp: Path, directory: Path) -> None:
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}-old-{os.getpid()}")
        os.replace(directory, old)
    os.replace(tmp, directory)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_from_chunks(directory: Path, documents: list[Document], chunks: list[Chunk], embedder: Embedder,
                      *, progress: bool = True) -> None:
    """Write an index over ready-made chunks (bench passages, tests), with no corpus folder behind it."""
    tag = hashlib.sha256("\n".join(c.chunk_id for c in chunks).encode()).hexdigest()
    pending = [Pending.of_chunks("", documents, chunks, tag)]
    with exclusive_lock(directory):
        manifest = previous_manifest(directory, False)
        cache: dict[str, np.ndarray] = {}
        if manifest is not None and manifest.get("model", {}).get("name") == embedder.name:
            for seg_id in manifest.get("segments", []):
                try:
                    seg = Segment.load(directory / SEGMENTS, seg_id)
                except (OSError, ValueError, KeyError):
                    continue
                cache.update(zip(seg.keys, seg.embeddings, strict=True))
        segments, _, _ = embed_pending(pending, embedder, cache, progress, None)
        write(directory, make_manifest(embedder, {}, segments), segments, segments)
