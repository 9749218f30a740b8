"""What retrieval and answering need from a store: the narrow interface both backends implement.

Two backends implement it: the index folder (``qa.store.index.Index``: FAISS + the package's BM25, the
default) and a Milvus collection (``qa.store.milvus.MilvusIndex``). Positions are row numbers ``0..n-1`` in
one fixed order (file, then paragraph order), the same in both, so fusion, filters and answers, which are
the product's own and run on the client, give the same results over either.

>>> from qa.store.index import Index
>>> from qa.store.milvus import MilvusIndex
>>> all(callable(getattr(cls, m)) for cls in (Index, MilvusIndex) for m in ("chunks_of", "cosine"))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def scores(self, query: str, *, mask: np.ndarray | None = None) -> np.ndarray:
        """A score per position (0 for paragraphs not ranked); ``mask`` (bool per position) restricts it."""
        ...

    def search(self, query: str, k: int = 10, *, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        ...

    def document_frequency(self, term: str) -> int:
        """How many paragraphs hold ``term`` (the answer step weighs question words by it)."""
        ...


@runtime_checkable
class Store(Protocol):
    """A loaded store: paragraphs and reports by position, and the two searches over them."""

    manifest: dict
    documents: Mapping[str, Document]
    chunks: Sequence[Chunk]
    vectors: DenseSearch
    keywords: KeywordSearch

    @property
    def model_name(self) -> str: ...

    def chunks_of(self, doc_id: str) -> list[int]: ...

    def cosine(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The cosine of ``query`` with the paragraphs at ``positions``."""
        ...
