"""What retrieval and answering need from a store: the narrow interface both backends implement.

Two backends implement it: the index folder (``qa.store.index.Index``: FAISS + the package's BM25, the
default) and a Milvus collection (``qa.store.milvus.MilvusIndex``, every paragraph loaded, or
``qa.store.milvus_lazy.LazyMilvusIndex``, paragraphs fetched by key). Positions are row numbers ``0..n-1`` in
one fixed order (file, then paragraph order), the same in both, so fusion, filters and answers, which are
the product's own and run on the client, give the same results over either.

>>> from qa.store.index import Index
>>> from qa.store.milvus import MilvusIndex
>>> from qa.store.milvus_lazy import LazyMilvusIndex
>>> methods = [m for m in dir(Store) if not m.startswith("_") and callable(getattr(Store, m))]
>>> all(callable(getattr(c, m)) for c in (Index, MilvusIndex, LazyMilvusIndex) for m in methods), len(methods) > 8
(True, True)
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from qa.types import Chunk, Document


@runtime_checkable
class DenseSearch(Protocol):
    """Nearest paragraphs by cosine (inner product of unit vectors)."""

    @property
    def size(self) -> int: ...

    def search(self, query: np.ndarray, k: int, *, subset: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` positions and cosines for one query vector; ``subset`` (positions) restricts it."""
        ...


@runtime_checkable
class KeywordSearch(Protocol):
    """BM25 over the paragraphs' normalized text."""

    @property
    def size(self) -> int: ...

    def scores(self, query: str, *, mask: np.ndarray | None = None, also: np.ndarray | None = None) -> np.ndarray:
        """A score per position; ``mask`` (bool per position) restricts it. Exact for at least the fusion's
        candidates and the positions ``also``; a store may leave the others at 0."""
        ...

    def search(self, query: str, k: int = 10, *, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        ...

    def document_frequency(self, term: str) -> int:
        """How many paragraphs hold ``term`` (the answer step weighs question words by it)."""
        ...

    @property
    def vocab(self) -> Container[str]:
        """``term in vocab``: some paragraph holds ``term``."""
        ...

    def occurs_in(self, term: str, ids: np.ndarray) -> bool:
        """Whether ``term`` is one of the keyword tokens of any of the paragraphs at ``ids``."""
        ...


@runtime_checkable
class Store(Protocol):
    """A loaded store: paragraphs and reports by position, and the two searches over them.

    The search and answer layers read paragraphs only through ``chunks_at`` (the hits, their neighbours),
    and what needs every paragraph through the methods below, so a store may keep the paragraphs' text out
    of memory (``qa.store.milvus_lazy``); ``chunks`` is a sequence that may fetch on access."""

    manifest: dict
    documents: Mapping[str, Document]
    chunks: Sequence[Chunk]
    vectors: DenseSearch
    keywords: KeywordSearch

    @property
    def model_name(self) -> str: ...

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The paragraphs at ``positions``, in that order (one fetch for a store that reads them on demand)."""
        ...

    def chunks_of(self, doc_id: str) -> list[int]:
        """Positions of a report's paragraphs, in reading order."""
        ...

    def row_documents(self) -> tuple[np.ndarray, dict[str, int]]:
        """Each position's report as a number, and the numbering (report id -> number)."""
        ...

    def row_years(self) -> Mapping[int, frozenset[int]]:
        """position -> the years its paragraph names in four digits or a calendar (positions naming none left out)."""
        ...

    def chunk_positions(self) -> Mapping[str, int]:
        """chunk id -> position, at least for every paragraph ``chunks_at`` returned lately."""
        ...

    def paragraph_counts(self) -> dict[str, int]:
        """Paragraphs per report id."""
        ...

    def document_texts(self) -> Iterator[tuple[str, list[str]]]:
        """Each report's paragraphs (normalized) together, report by report."""
        ...

    def texts_naming(self, names: Collection[str]) -> set[str]:
        """Which of ``names`` some paragraph's normalized text holds."""
        ...

    def cosine(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The cosine of ``query`` with the paragraphs at ``positions``."""
        ...
