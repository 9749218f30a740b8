"""A Milvus collection opened without its paragraphs' text: what a serving process over millions of rows holds.

``MilvusIndex.open`` reads every row's record into the ``qa`` process. ``LazyMilvusIndex`` reads no row of
the paragraphs: it holds per row its primary key, its report (as a number) and the years its paragraph
names (numpy arrays, about 30 bytes a row), made from the files collection and small per-file records
written at index time into the ``<name>_terms`` collection (``qa.store.milvus_rowmap``), plus the reports
themselves and the keyword document frequencies (a sorted array of term hashes, from the same per-file
records, ``qa.store.milvus_terms``). Paragraph records are fetched
by primary key when a question needs them (the 10-20 hits, their neighbours), through an LRU cache; keyword
candidates come from Milvus (``kw`` vectors, ``qa.store.milvus_bm25``); the few questions that need every
paragraph (which places any paragraph names, the years a report's paragraphs cover) ask Milvus (``like``)
or stream the rows once.
Positions and answers are the same as ``MilvusIndex``'s (tests/test_milvus_lazy.py).

>>> YearRows.build([(2, [2019, 2020]), (0, [2011])]).get(2), YearRows.build([]).get(1, frozenset())
(frozenset({2019, 2020}), frozenset())
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.store.index import keyword_text
from qa.store.keyword import tokenize
from qa.store.milvus import (
    PARAMS,
    MilvusIndex,
    MilvusKeywords,
    MilvusRows,
    MilvusTarget,
    MilvusVectors,
    check_schema,
    connect,
    expr_in,
    iterate,
    read_files,
)
from qa.store.milvus_bm25 import TERM_FIELDS, Bm25Stats, stats_of
from qa.store.milvus_rowmap import ROW_FIELDS, read_row_map
from qa.store.milvus_terms import TermTable
from qa.store.rows import YearRows
from qa.types import Chunk, Document


@dataclass(frozen=True)
class LazyParams:
    cache_chunks: int = 4_096  # paragraph records kept (LRU): a question touches 10-100
    like_rows: int = 2_000  # rows a `like` query reads to find a name in a paragraph (not only its section)
    stream_files: int = 64  # files per query when streaming a corpus's paragraphs report by report


LAZY = LazyParams()


class LazyChunks(Sequence):
    """The paragraphs by position, fetched by primary key on demand and kept in an LRU cache."""

    def __init__(self, store: LazyMilvusIndex, size: int = LAZY.cache_chunks):
        self.store, self.size = store, size
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._where: OrderedDict[str, int] = OrderedDict()  # chunk id -> position, of the chunks fetched
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.store.pks)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return self.fetch(range(*position.indices(len(self))))
        return self.fetch([position])[0]

    def __iter__(self) -> Iterator[Chunk]:  # every row, in batches: for tools, never for a question
        for start in range(0, len(self), PARAMS.id_batch):
            yield from self._get(range(start, min(start + PARAMS.id_batch, len(self))))

    def fetch(self, positions: Sequence[int]) -> list[Chunk]:
        positions = [int(p) + len(self) if int(p) < 0 else int(p) for p in positions]
        if any(not 0 <= p < len(self) for p in positions):
            raise IndexError(f"paragraph position out of range 0..{len(self) - 1}")
        with self._lock:  # what is cached now is taken now: another thread may evict it meanwhile
            got = {p: self._cache[p] for p in positions if p in self._cache}
        missing = [p for p in dict.fromkeys(positions) if p not in got]
        got.update(zip(missing, self._get(missing), strict=True))
        with self._lock:
            out = [got[p] for p in positions]
            for p, c in zip(positions, out, strict=True):
                self._keep(p, c)
        return out

    def position_of(self, chunk_id: str) -> int | None:
        with self._lock:
            return self._where.get(chunk_id)

    def _keep(self, p: int, c: Chunk) -> None:
        self._cache[p] = c
        self._cache.move_to_end(p)
        self._where[c.chunk_id] = p
        self._where.move_to_end(c.chunk_id)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        while len(self._where) > self.size:
            self._where.popitem(last=False)

    def _get(self, positions: Sequence[int]) -> list[Chunk]:
        pks = [int(self.store.pks[p]) for p in positions]
        by_pk: dict[int, Chunk] = {}
        client, target = self.store.client, self.store.target
        for start in range(0, len(pks), PARAMS.id_batch):
            for r in client.get(target.collection, ids=pks[start:start + PARAMS.id_batch], output_fields=["chunk"]):
                by_pk[int(r["pk"])] = Chunk.from_dict(r["chunk"])
        if len(by_pk) < len(set(pks)):
            raise KeyError("some paragraphs were removed from the collection since it was opened: reopen the store")
        return [by_pk[k] for k in pks]


class FetchedPositions(Mapping):
    """chunk id -> position for the chunks fetched lately (every hit was): what the answer step looks up."""

    def __init__(self, chunks: LazyChunks):
        self.chunks = chunks

    def __getitem__(self, chunk_id: str) -> int:
        p = self.chunks.position_of(chunk_id)
        if p is None:
            raise KeyError(chunk_id)
        return p

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.chunks._where))

    def __len__(self) -> int:
        return len(self.chunks._where)


class LazyKeywords(MilvusKeywords):
    """Candidates from Milvus, the package's BM25; document frequencies from the index-time term table; term
    occurrence from fetched text."""

    def __init__(self, store: LazyMilvusIndex, candidates: int, stats: Bm25Stats):
        super().__init__(store, candidates, stats)
        self.terms = stats.terms
        self._tokens: OrderedDict[int, frozenset[str]] = OrderedDict()  # position -> its keyword tokens (LRU)
        self._lock = threading.Lock()

    def document_frequency(self, term: str) -> int:
        return self.terms.document_frequency(term)

    @property
    def vocab(self) -> TermTable:  # ``term in vocab``: the term occurs in some paragraph
        return self.terms

    def occurs_in(self, term: str, ids: np.ndarray) -> bool:
        if not len(ids) or term not in self.terms:
            return False
        return any(term in toks for toks in self.tokens(ids))

    def tokens(self, ids: np.ndarray) -> list[frozenset[str]]:
        """The keyword tokens of the paragraphs at ``ids`` (the folder's BM25 tokens), kept for the next word."""
        ids = [int(i) for i in ids]
        with self._lock:
            have = {i: self._tokens[i] for i in ids if i in self._tokens}
        missing = [i for i in dict.fromkeys(ids) if i not in have]
        have.update((i, frozenset(tokenize(keyword_text(c), normalized=True)))
                    for i, c in zip(missing, self.store.chunks_at(missing), strict=True))
        with self._lock:
            out = [have[i] for i in ids]
            for i, toks in zip(ids, out, strict=True):
                self._tokens[i] = toks
                self._tokens.move_to_end(i)
            while len(self._tokens) > LAZY.cache_chunks:
                self._tokens.popitem(last=False)
        return out


class LazyMilvusIndex(MilvusRows):
    """A collection opened with per-row arrays only (see the module docstring); the ``Store`` interface."""

    open_seconds: dict[str, float] = {}  # what ``open`` spent reading the files, the terms rows, making arrays

    def __init__(self, target: MilvusTarget, manifest: dict, documents: dict[str, Document], pks: np.ndarray,
                 docs: np.ndarray, doc_ids: dict[str, int], years: YearRows, bm25: Bm25Stats, *,
                 candidates: int = 100):
        self.target, self.manifest, self.documents, self.pks = target, manifest, documents, pks
        self.docs, self.doc_ids, self.years = docs.astype(np.int32), doc_ids, years  # 24 bytes a row in all
        self.client = self._client = connect(target)
        self._pk_order = np.argsort(pks, kind="stable").astype(np.int32)
        self._pk_sorted = pks[self._pk_order]
        self.chunks = LazyChunks(self)
        self.vectors = MilvusVectors(self)
        self.keywords = LazyKeywords(self, candidates, bm25)

    def positions_of(self, pks: list[int]) -> list[int | None]:
        if not len(self._pk_sorted):
            return [None] * len(pks)
        keys = np.asarray(pks, dtype=np.int64)
        i = np.minimum(np.searchsorted(self._pk_sorted, keys), len(self._pk_sorted) - 1)
        ok = self._pk_sorted[i] == keys
        return [int(self._pk_order[j]) if hit else None for j, hit in zip(i, ok, strict=True)]

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        return self.chunks.fetch(positions)

    def chunks_of(self, doc_id: str) -> list[int]:
        n = self.doc_ids.get(doc_id)
        return [] if n is None else np.flatnonzero(self.docs == n).tolist()

    def row_documents(self) -> tuple[np.ndarray, dict[str, int]]:
        return self.docs, self.doc_ids

    def row_years(self) -> YearRows:
        return self.years

    def chunk_positions(self) -> FetchedPositions:
        return FetchedPositions(self.chunks)

    def paragraph_counts(self) -> dict[str, int]:
        counts = np.bincount(self.docs, minlength=len(self.doc_ids))
        return {d: int(counts[n]) for d, n in self.doc_ids.items()}

    def document_texts(self) -> Iterator[tuple[str, list[str]]]:
        """Each report's paragraphs, streamed a few files at a time (never all held)."""
        files = sorted(self.manifest["files"])
        for start in range(0, len(files), LAZY.stream_files):
            rows = iterate(self.client, self.target.collection, ["file", "seq", "chunk"],
                           expr_in("file", files[start:start + LAZY.stream_files]))
            rows.sort(key=lambda r: (r["file"], r["seq"]))
            by_doc: dict[str, list[str]] = {}
            for r in rows:
                by_doc.setdefault(r["chunk"]["doc_id"], []).append(r["chunk"]["norm"])
            yield from by_doc.items()

    def texts_naming(self, names: Collection[str]) -> set[str]:
        """Which of ``names`` some paragraph's normalized text holds: a ``like`` query per name in Milvus
        (over the section and text), each match then checked on the paragraph alone."""
        found = set()
        for name in names:
            pattern = like_escape(name)
            rows = self.client.query(self.target.collection, filter=f'text like "%{pattern}%"',
                                     output_fields=["chunk"], limit=LAZY.like_rows)
            if any(name in r["chunk"]["norm"] for r in rows):
                found.add(name)
        return found

    @classmethod
    def open(cls, target: MilvusTarget, *, model_name: str | None = None) -> LazyMilvusIndex:
        """The reports, the term table and where each row sits (keys, reports, years: ``qa.store.milvus_rowmap``),
        from the files and terms collections: no row of the paragraphs is read. Refuse a collection built
        with another model or by an earlier version."""
        client, times = connect(target), [time.perf_counter()]
        documents, manifest = read_files(client, target, model_name)
        check_schema(client, target)
        times.append(time.perf_counter())
        terms = iterate(client, target.terms_collection, list(dict.fromkeys([*TERM_FIELDS, *ROW_FIELDS])))
        times.append(time.perf_counter())
        try:
            pks, docs, doc_ids, years = read_row_map(manifest["files"], terms)
            bm25 = stats_of(terms, len(pks))
        except (KeyError, ValueError) as e:
            raise IndexError(f"the collection {target.collection!r} {e}: run `qa index --store ... --rebuild`") from e
        manifest["chunk_count"] = len(pks)
        store = cls(target, manifest, documents, pks, docs, doc_ids, years, bm25)
        times.append(time.perf_counter())
        store.open_seconds = dict(zip(("files", "terms rows", "arrays"), np.diff(times).round(2).tolist(),
                                      strict=True))
        return store


def like_escape(text: str) -> str:
    """``text`` as a literal inside a Milvus ``like "%...%"`` expression: ``%`` and ``_`` escaped for the
    pattern, then every backslash and quote for the string (a backslash itself is not matched by lite)."""
    return text.replace("\\", "\\\\\\\\").replace("%", "\\\\%").replace("_", "\\\\_").replace('"', '\\"')


def open_store(target: MilvusTarget, *, model_name: str | None = None, lazy: bool | None = None):
    """The collection opened for questions: lazily (``qa.store.milvus_lazy``: per-row arrays only, paragraphs
    fetched on demand) or with every paragraph record in memory (``MilvusIndex``). ``lazy=None`` chooses:
    ``QA_MILVUS_LAZY`` (1/0) if set, else lazy for a server and in memory for milvus-lite (lite answers a
    fetch by key slowly: measured in bench/README.md)."""
    if lazy is None:
        env = os.environ.get("QA_MILVUS_LAZY", "")
        lazy = env not in ("0", "false", "no") if env else not target.is_lite
    if lazy:
        return LazyMilvusIndex.open(target, model_name=model_name)
    return MilvusIndex.open(target, model_name=model_name)
