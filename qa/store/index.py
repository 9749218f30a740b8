"""The index directory: one segment per report file, plus a FAISS index and a BM25 index over all of them.

    index/
      manifest.json           format, model, files (sha256 -> segment), segment order, FAISS factory
      segments/<id>.json      a file's documents, paragraphs, the key each vector was made from and the
                              years each paragraph names
      segments/<id>.npz       its paragraph vectors, its quotable sentences' vectors (float16) and how many
                              each paragraph has, and keyword token ids
      faiss.index, bm25/      built over every segment, in order

``qa.store.update.update_index`` brings it in step with the corpus folder. A segment is written once, for one version of
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
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import __version__
from qa.store.keyword import KeywordIndex, merge_token_ids
from qa.store.rows import InMemoryRows, YearRows, years_arrays, years_rule
from qa.store.vectors import VectorIndex
from qa.textnorm import normalize
from qa.types import Chunk, Document

log = logging.getLogger(__name__)
FORMAT_VERSION = 6  # bump when the layout, or what is embedded or tokenized per paragraph, changes
# (4: a table's rows are records with their column headers, no longer lines of bare cells)
# (5: documents carry the places they are about apart from `mentions`, and the `years` they cover;
#  the text is unwrapped before it is split)
# (6: segments hold a vector per quotable sentence, made at index time, so that answers embed none)
# Not bumped for what a segment may hold besides, read when there and made again when not: each paragraph's
# years (``years`` in its .json: counts, values and the ``years_rule`` they were read with; a segment written
# before, or under another rule, has them read from its text when the index opens).
MANIFEST = "manifest.json"
REBUILD = ": run `qa index --rebuild`"  # what an error about an index that cannot be served ends with
SEGMENTS = "segments"
GLOBAL_FILES = ("faiss.index", "bm25/postings.npz", "bm25/terms.json")


class IndexError(Exception):  # noqa: A001 - the module's own error, named for what it is about
    """The index cannot be used as it is; the message says what to run."""


def passage_text(chunk: Chunk) -> str:
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


def keyword_text(chunk: Chunk) -> str:
    """What BM25 reads for a chunk: its section path and the paragraph (normalized)."""
    return passage_text(chunk)


def embedding_key(model_name: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\n{text}".encode()).hexdigest()[:32]


def sentence_key(model_name: str, text: str) -> str:
    """The key of a quotable sentence's vector: apart from paragraphs' keys (the vectors are kept in float16)."""
    return embedding_key(model_name, f"sentence\n{text}")


SENTENCE_DTYPE = np.float16  # sentence vectors: half the memory; cosines move by about 1e-3


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
    # a vector per quotable sentence (``qa.ingest.quotes``), chunk after chunk, and how many each chunk has
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=SENTENCE_DTYPE))
    sentence_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    # what each sentence vector was made from, so that an update reuses it (empty in segments of before)
    sentence_keys: list[str] = field(default_factory=list)
    # the years each chunk names (``qa.store.rows.years_arrays``: how many per chunk, then the years), made
    # when the segment is saved; None: not kept (a segment of before, or read under another ``years_rule``)
    year_counts: np.ndarray | None = None
    year_values: np.ndarray | None = None

    def save(self, folder: Path) -> None:
        meta = {"id": self.id, "source": self.source, "documents": [d.to_dict() for d in self.documents],
                "chunks": [c.to_dict() for c in self.chunks], "keys": self.keys, "sentence_keys": self.sentence_keys}
        if self.year_counts is None and len(self.chunks) == self.size:
            self.year_counts, self.year_values = years_arrays(c.norm for c in self.chunks)
        if self.year_counts is not None:  # in the .json: three more members of the .npz took 0.25 ms a segment
            meta["years"] = {"rule": years_rule(), "counts": self.year_counts.tolist(),
                             "values": self.year_values.tolist()}
        np.savez(folder / f"{self.id}.npz", embeddings=self.embeddings, token_ids=self.token_ids,
                 lengths=self.lengths, terms=np.frombuffer("\n".join(self.terms).encode(), dtype=np.uint8),
                 sentence_vectors=self.sentence_vectors, sentence_counts=self.sentence_counts)
        (folder / f"{self.id}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, seg_id: str, *, arrays_only: bool = False) -> Segment:
        """Read a segment; ``arrays_only`` skips its paragraphs' text (all a rebuild of the global indexes needs)."""
        with np.load(folder / f"{seg_id}.npz", allow_pickle=False) as z:
            emb, ids, lengths = z["embeddings"], z["token_ids"], z["lengths"]
            raw = z["terms"].tobytes().decode()
            svecs, counts = z["sentence_vectors"], z["sentence_counts"]
        if len(counts) != len(lengths) or int(counts.sum()) != len(svecs):
            raise ValueError(f"segment {seg_id} holds {len(svecs)} sentence vectors for {int(counts.sum())} "
                             f"sentences of {len(counts)} chunks")
        terms = raw.split("\n") if raw else []
        if arrays_only:
            return cls(seg_id, "", [], [], [], emb, terms, ids, lengths, svecs, counts)
        meta = json.loads((folder / f"{seg_id}.json").read_text(encoding="utf-8"))
        seg = cls(seg_id, meta["source"], [Document.from_dict(d) for d in meta["documents"]],
                  [Chunk.from_dict(c) for c in meta["chunks"]], meta["keys"], emb, terms, ids, lengths,
                  svecs, counts, meta.get("sentence_keys") or [], *_kept_years(meta.get("years"), len(lengths)))
        if len(seg.sentence_keys) != len(svecs):  # a segment of before, or a damaged list: nothing to reuse
            seg.sentence_keys = []
        if not (len(seg.chunks) == len(emb) == len(lengths) == len(seg.keys)):
            raise ValueError(f"segment {seg_id} holds {len(seg.chunks)} chunks but {len(emb)} vectors")
        return seg

    @property
    def size(self) -> int:
        return len(self.lengths)


def _kept_years(kept, size: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The years a segment's file kept for its ``size`` chunks, if read under this version's rule and whole."""
    if not isinstance(kept, dict) or kept.get("rule") != years_rule():
        return None, None
    try:
        counts = np.array(kept["counts"], dtype=np.int32)
        values = np.array(kept["values"], dtype=np.int16)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None, None
    if counts.ndim != 1 or values.ndim != 1 or len(counts) != size or int(counts.sum()) != len(values) or (
            len(counts) and counts.min() < 0):  # damaged: read them from the text again
        return None, None
    return counts, values


@dataclass
class Index(InMemoryRows):
    """A loaded index: everything retrieval needs, in memory."""

    directory: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray
    vectors: VectorIndex | None  # None: a keyword-only index (the first build, before its vectors are made)
    keywords: KeywordIndex
    embedding_keys: list[str] = field(default_factory=list)  # what each row of ``embeddings`` was made from
    segments: list[Segment] = field(default_factory=list)
    sentences: SentenceVectors | None = None  # the quotable sentences' vectors, when the index holds them
    _years: YearRows | None = field(default=None, init=False, repr=False, compare=False)
    _doc_rows: dict[str, tuple[int, ...]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    @property
    def keyword_only(self) -> bool:
        """Searchable by keywords only: its paragraphs are read, their vectors not made yet."""
        return self.vectors is None

    def cosine(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The cosine of ``query`` with the paragraphs at ``positions``."""
        return self.embeddings[positions] @ query

    def row_years(self) -> YearRows:
        """For each position whose paragraph names years, those years: from what the segments kept when
        they were written, without reading the text (22 s at 1M paragraphs); a segment that kept none
        (written before, or under another rule) has its paragraphs read. Made once, at the first call."""
        if self._years is None:
            if not self.segments or sum(s.size for s in self.segments) != len(self.chunks):
                self._years = super().row_years()
                return self._years
            counts, values, start = [], [], 0
            for s in self.segments:
                if s.year_counts is None:
                    c, v = years_arrays(ch.norm for ch in self.chunks[start:start + s.size])
                else:
                    c, v = s.year_counts, s.year_values
                counts.append(c)
                values.append(v)
                start += s.size
            self._years = YearRows.of_counts(np.concatenate(counts), np.concatenate(values))
        return self._years

    def sentence_vectors(self, position: int) -> np.ndarray | None:
        """The vectors of the quotable sentences of the paragraph at ``position`` (float32, in ``quotable``
        order), or ``None`` when the index holds none (then the answer step embeds them)."""
        return self.sentences.of(position) if self.sentences is not None else None

    @classmethod
    def assemble(cls, directory: Path, manifest: dict, segments: list[Segment], vectors: VectorIndex,
                 keywords: KeywordIndex, embeddings: np.ndarray | None = None,
                 sentence_vectors: np.ndarray | None = None) -> Index:
        """An index over loaded segments and the two global indexes built from them (``embeddings`` and
        ``sentence_vectors``: the segments' vectors already stacked, if at hand)."""
        documents = {d.doc_id: d for s in segments for d in s.documents}
        chunks = [c for s in segments for c in s.chunks]
        keys = [k for s in segments for k in s.keys]
        dim = manifest.get("model", {}).get("dim") or (segments[0].embeddings.shape[1] if segments else 0)
        if embeddings is None or len(embeddings) != sum(s.size for s in segments):
            embeddings = stack_rows([s.embeddings for s in segments], dim)
        start = 0
        for s in segments:  # the segments keep views of the one array, not copies
            s.embeddings = embeddings[start:start + s.size]
            start += s.size
        n = manifest.get("chunk_count")
        if not (n == len(chunks) == len(embeddings) == vectors.size == keywords.size == len(keys)):
            raise IndexError(f"the index at {directory} is inconsistent (manifest says {n} chunks, files hold "
                             f"{len(chunks)}/{len(embeddings)}/{vectors.size}/{keywords.size})" + REBUILD)
        sentences = SentenceVectors.stack(segments, dim, sentence_vectors)
        start = 0
        for s in segments:  # likewise for the sentence vectors
            stop = start + len(s.sentence_vectors)
            s.sentence_vectors = sentences.vectors[start:stop]
            start = stop
        return cls(directory, manifest, documents, chunks, embeddings, vectors, keywords, keys, segments, sentences)

    @classmethod
    def keywords_only(cls, directory: Path, model_name: str, parts: Sequence) -> Index:
        """An in-memory index over read paragraphs before any vector is made: BM25 only.

        ``parts`` are segments or files waiting for their vectors (anything with ``documents``, ``chunks``,
        ``terms``, ``token_ids`` and ``lengths``); building it takes array operations only.

        >>> idx = Index.keywords_only(Path("index"), "fake-64", [])
        >>> idx.keyword_only, len(idx.chunks)
        (True, 0)
        """
        keywords = KeywordIndex.from_ids(*merge_token_ids([(p.terms, p.token_ids, p.lengths) for p in parts]))
        chunks = [c for p in parts for c in p.chunks]
        manifest = {"model": {"name": model_name}, "chunk_count": len(chunks), "keyword_only": True,
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        return cls(Path(directory), manifest, {d.doc_id: d for p in parts for d in p.documents}, chunks,
                   np.zeros((len(chunks), 0), dtype=np.float32), None, keywords)

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
            segments, embeddings, sentence_vectors = _load_segments(directory / SEGMENTS, manifest)
            vectors = VectorIndex.load(directory / "faiss.index", manifest["faiss_factory"])
            keywords = KeywordIndex.load(directory / "bm25", manifest["chunk_count"])
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, EOFError, zipfile.BadZipFile) as e:
            raise IndexError(f"the index at {directory} is damaged ({type(e).__name__}: {e})" + REBUILD) from e
        index = cls.assemble(directory, manifest, segments, vectors, keywords, embeddings, sentence_vectors)
        vectors.exact = index.embeddings  # lets a quantized FAISS index re-score exactly
        return index


def _load_segments(folder: Path, manifest: dict) -> tuple[list[Segment], np.ndarray | None, np.ndarray | None]:
    """The manifest's segments, with every paragraph vector and every sentence vector copied, segment by
    segment, into one array each as it is read (the segments keep views of them).

    Stacking the segments' own arrays after reading them all held every vector twice for a moment, and the
    allocator kept much of what was freed: a fresh process opening 100k paragraphs grew by 1.49 GB, now
    1.07 GB (bench/README.md, the reading after "Scale: index folder vs Milvus", session 7). A first pass
    reads each segment's paragraph and sentence counts to size the arrays. When the counts do not add up to
    the manifest's, the segments are returned as read (``None, None``) and ``Index.assemble`` says what is
    wrong.
    """
    ids = manifest["segments"]
    dim = int(manifest.get("model", {}).get("dim") or 0)
    sizes, counts = [], []
    for seg_id in ids:
        with np.load(folder / f"{seg_id}.npz", allow_pickle=False) as z:
            sizes.append(len(z["lengths"]))
            counts.append(int(z["sentence_counts"].sum()))
    if not dim or sum(sizes) != manifest.get("chunk_count"):
        return [Segment.load(folder, s) for s in ids], None, None
    embeddings = np.empty((sum(sizes), dim), dtype=np.float32)
    sentences = np.empty((sum(counts), dim), dtype=SENTENCE_DTYPE)
    segments, a, b = [], 0, 0
    for seg_id, size, count in zip(ids, sizes, counts, strict=True):
        seg = Segment.load(folder, seg_id)
        if seg.size != size or len(seg.sentence_vectors) != count:
            raise ValueError(f"segment {seg_id} changed while the index was read")
        embeddings[a:a + size] = seg.embeddings
        seg.embeddings = embeddings[a:a + size]
        if count:
            sentences[b:b + count] = seg.sentence_vectors
            seg.sentence_vectors = sentences[b:b + count]
        segments.append(seg)
        a, b = a + size, b + count
    return segments, embeddings, sentences


@dataclass(frozen=True)
class SentenceVectors:
    """Every paragraph's quotable-sentence vectors in one array; paragraph ``i`` owns rows
    ``offsets[i]:offsets[i + 1]``.

    >>> sv = SentenceVectors(np.eye(3, dtype=np.float16), np.array([0, 2, 2, 3]))
    >>> sv.of(0).shape, sv.of(1).shape, sv.of(2).dtype
    ((2, 3), (0, 3), dtype('float32'))
    """

    vectors: np.ndarray
    offsets: np.ndarray

    def of(self, position: int) -> np.ndarray:
        return self.vectors[self.offsets[position]:self.offsets[position + 1]].astype(np.float32)

    @classmethod
    def stack(cls, segments: Sequence[Segment], dim: int, stacked: np.ndarray | None = None) -> SentenceVectors:
        """The segments' sentence vectors in one array: ``stacked`` when it holds them all already."""
        counts = [s.sentence_counts for s in segments]
        offsets = np.zeros(sum(len(c) for c in counts) + 1, dtype=np.int64)
        if counts:
            np.cumsum(np.concatenate(counts), out=offsets[1:])
        if stacked is not None and len(stacked) == offsets[-1] and stacked.dtype == SENTENCE_DTYPE:
            return cls(stacked, offsets)
        rows = [s.sentence_vectors for s in segments if len(s.sentence_vectors)]
        vectors = np.vstack(rows).astype(SENTENCE_DTYPE, copy=False) if rows else np.zeros((0, dim), SENTENCE_DTYPE)
        return cls(vectors, offsets)


def read_manifest(directory: Path) -> dict:
    """The manifest of the index at ``directory``, checked to be one this version reads."""
    mpath = Path(directory) / MANIFEST
    if not mpath.exists():
        raise IndexError(f"no index at {directory}: run `qa index --index {directory}` to build it")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexError(f"the index manifest {mpath} is unreadable ({e})" + REBUILD) from e
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        package = manifest.get("package_version", "?") if isinstance(manifest, dict) else "?"
        raise IndexError(
            f"the index at {directory} has format version {version!r} (written by report-qa {package}); "
            f"this is report-qa {__version__}, which reads format {FORMAT_VERSION}" + REBUILD)
    return manifest


def stack_rows(rows: Sequence[np.ndarray], dim: int) -> np.ndarray:
    """Vectors (single rows or blocks) as one contiguous float32 ``(n, dim)`` array."""
    if not len(rows):
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(rows) if rows[0].ndim == 2 else np.stack(rows), dtype=np.float32)
