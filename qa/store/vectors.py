"""Dense search: a FAISS inner-product index over unit vectors (so scores are cosines).

Exact search (``Flat``) up to ``EXACT_THRESHOLD`` vectors: it costs about 1 ms per 10k 384-d vectors on
one core, so it stays inside the latency budget well past 100k paragraphs. Above that, ``SQ8``: every vector
kept as 8-bit codes (a quarter of the memory, a scan about twice as fast), with the best ``REFINE`` x k
candidates re-scored exactly against the float vectors the index holds anyway. It needs no training beyond
each dimension's range, so rebuilding it after an update costs seconds at 1M vectors, where an IVF index
retrained for 22 minutes; and it scans every vector, so its recall does not depend on how the vectors
cluster (IVF gave recall@10 0.85 on 1M random vectors even probing half its lists; bench/README.md).

>>> factory_for(1_000), factory_for(1_000_000)
('Flat', 'SQ8')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EXACT_THRESHOLD = 200_000
REFINE = 10  # SQ8 candidates per result re-scored exactly (at least 100)
SQ_TRAIN = 100_000  # vectors SQ8 learns its ranges from
FACTORIES = ("Flat", "SQ8")


def factory_for(n: int) -> str:
    """The FAISS factory string chosen for ``n`` vectors."""
    return "Flat" if n <= EXACT_THRESHOLD else "SQ8"


def _faiss():
    import faiss

    return faiss


class VectorIndex:
    """A FAISS index whose ids are row positions 0..n-1.

    ``exact`` (the float vectors, row for row) lets a quantized index re-score its candidates exactly.
    """

    def __init__(self, index, factory: str, exact: np.ndarray | None = None):
        self.index = index
        self.factory = factory
        self.exact = exact

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, factory: str | None = None) -> VectorIndex:
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        factory = factory or factory_for(n)
        if factory not in FACTORIES:
            raise ValueError(f"unsupported FAISS factory {factory!r}; expected one of {FACTORIES}")
        index = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:  # SQ8 learns each dimension's range
            rng = np.random.default_rng(0)
            index.train(vectors[rng.choice(n, size=min(n, SQ_TRAIN), replace=False)] if n else vectors)
        if n:
            index.add(vectors)
        return cls(index, factory, vectors)

    def save(self, path: Path) -> None:
        _faiss().write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, factory: str) -> VectorIndex:
        return cls(_faiss().read_index(str(path)), factory)

    def search(self, query: np.ndarray, k: int, *, subset: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ids and cosine scores for one query vector; ``subset`` (ids) restricts the search."""
        faiss = _faiss()
        k = min(k, self.size if subset is None else len(subset))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if subset is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(subset, dtype=np.int64)))
        refine = self.exact is not None and not self.factory.endswith("Flat")
        fetch = min(max(k * REFINE, 100), self.size) if refine else k
        scores, ids = self.index.search(q, fetch, params=params)
        ids, scores = ids[0][ids[0] >= 0].astype(np.int64), scores[0][ids[0] >= 0].astype(np.float32)
        if refine and len(ids):
            scores = self.exact[ids] @ q[0]
            order = np.argsort(-scores, kind="stable")[:k]
            ids, scores = ids[order], scores[order].astype(np.float32)
        return ids, scores
