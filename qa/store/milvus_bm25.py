"""Keyword search in a Milvus collection with the package's own BM25: the same scores as the index folder.

Milvus's BM25 function counts its own document frequencies (per segment in milvus-lite) over its own jieba
tokens, so near-ties could fall the other way than in the folder. Here Milvus only gathers candidates, and
the client scores them with the folder's BM25 (``qa.store.keyword``: the same tokens, document frequencies,
paragraph count and mean paragraph length, in the same float32 arithmetic), so every score it returns is
the folder's score, bit for bit.

Each row holds ``kw``, a sparse vector over the package's keyword tokens (dimension: a 32-bit hash of the
token), valued ``tf / (tf + k1 (1 - b + b dl / REF_AVGDL))``, and ``dl``, its token count. Those values need
no corpus statistic, so a file's rows are written once, whatever else the corpus holds. The question's
vector weighs each token by its IDF (from the term table, ``qa.store.milvus_terms``), so Milvus's inner
product is the BM25 score with a fixed mean length ``REF_AVGDL`` instead of the corpus's ``A``. Per term the
true score is at most ``rho = max(1, A / REF_AVGDL)`` times that, so once the k-th best true score among
the ``L`` candidates exceeds ``rho`` times the L-th candidate's inner product, no paragraph left out can
reach the top k (ties included) and the top k is exact; otherwise ``L`` doubles. Each hit's term counts
come back with it (the sparse vector), so scoring the candidates costs no further request.

>>> rows = sparse_rows([10, 20], np.array([0, 0, 1]), np.array([3]))
>>> sorted(rows[0]) == [10, 20], round(rows[0][10] / rows[0][20], 3) > 1
(True, True)
>>> term_counts(rows[0], np.array([10, 20, 30]), 3).tolist()
[2.0, 1.0, 0.0]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.store.keyword import KeywordIndex, bm25_idf, bm25_weights, tokenize
from qa.store.milvus_terms import TermTable, read_terms, term_hashes

log = logging.getLogger(__name__)
REF_AVGDL = 96.0  # the mean length the stored values assume (the shipped reports: 89 keyword tokens a paragraph)
DIMS = 2**32 - 1  # Milvus's sparse dimensions are uint32, the last one reserved
FIRST_FACTOR = 1.5  # the first request asks for this many times k candidates; doubled until the top k is exact
SLACK = 1e-5  # float32 sums in Milvus: the bound is widened by this much


def dims_of(hashes: np.ndarray) -> np.ndarray:
    """Sparse dimensions of 64-bit term hashes."""
    return (np.asarray(hashes, dtype=np.int64).view(np.uint64) % np.uint64(DIMS)).astype(np.int64)


def _saturation(tf: np.ndarray, dl: np.ndarray) -> np.ndarray:
    return tf / (tf + KeywordIndex.K1 * (1 - KeywordIndex.B + KeywordIndex.B * dl / REF_AVGDL))


def sparse_rows(dims: Sequence[int], token_ids: np.ndarray, lengths: np.ndarray) -> list[dict[int, float]]:
    """Each paragraph's ``kw`` vector from a file's keyword token ids (``dims`` per term id)."""
    dims = np.asarray(dims, dtype=np.int64)
    out: list[dict[int, float]] = []
    start = 0
    for n in np.asarray(lengths, dtype=np.int64):
        d, tf = np.unique(dims[np.asarray(token_ids[start:start + n], dtype=np.int64)], return_counts=True)
        start += int(n)
        out.append(dict(zip(d.tolist(), _saturation(tf.astype(np.float64), float(n)).tolist(), strict=True)))
    return out


def term_counts(row: dict, dims: np.ndarray, dl: int) -> np.ndarray:
    """The counts of the tokens at ``dims`` in a paragraph, read back from its ``kw`` vector."""
    v = np.array([float(row.get(int(d), 0.0)) for d in dims], dtype=np.float64)
    c0 = KeywordIndex.K1 * (1 - KeywordIndex.B + KeywordIndex.B * dl / REF_AVGDL)
    return np.rint(v * c0 / np.maximum(1.0 - v, 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class Bm25Stats:
    """What BM25 needs of the whole corpus: paragraphs, their tokens in all, document frequency by term."""

    paragraphs: int
    tokens: int
    terms: TermTable

    def document_frequency(self, term: str) -> int:
        return self.terms.document_frequency(term)

    @property
    def avgdl(self) -> float:
        return float(self.tokens) / self.paragraphs if self.paragraphs else 1.0  # as ``KeywordIndex.from_ids``


TERM_FIELDS = ("hashes", "counts", "tokens", "ref_avgdl")  # what ``stats_of`` reads of the terms collection


def stats_of(rows: Sequence[dict], paragraphs: int) -> Bm25Stats:
    """The statistics from the rows of the terms collection (``qa.store.milvus_terms``)."""
    table, tokens, refs = read_terms(rows)
    if refs - {REF_AVGDL}:
        raise ValueError(f"holds keyword weights for a reference length of {sorted(refs)}, not {REF_AVGDL}")
    return Bm25Stats(paragraphs, tokens, table)


@dataclass(frozen=True)
class Query:
    tokens: list[str]  # the question's keyword tokens the corpus holds, in order, repeats kept
    dims: np.ndarray  # one per token
    idf: np.ndarray  # float32, one per token
    vector: dict[int, float]  # Milvus's side: summed IDF per dimension


def query_of(text: str, stats: Bm25Stats) -> Query | None:
    """The question as BM25 terms (``None`` when the corpus holds none of its tokens)."""
    toks = [t for t in tokenize(text) if stats.document_frequency(t) > 0]
    if not toks:
        return None
    df = np.array([stats.document_frequency(t) for t in toks], dtype=np.int64)
    idf = bm25_idf(stats.paragraphs, df)
    dims = dims_of(term_hashes(toks))
    vector: dict[int, float] = {}
    for d, w in zip(dims.tolist(), idf.tolist(), strict=True):
        vector[d] = vector.get(d, 0.0) + w
    return Query(toks, dims, idf, vector)


def exact_scores(q: Query, rows: Sequence[dict], dls: Sequence[int], stats: Bm25Stats) -> np.ndarray:
    """The folder's BM25 score of each paragraph (``kw`` vectors and token counts), float32 as it sums them:
    token by token in the question's order."""
    s = np.zeros(len(rows), dtype=np.float32)
    if not len(rows):
        return s
    dl = np.asarray(dls, dtype=np.float32)
    tf = np.stack([term_counts(r, q.dims, int(n)) for r, n in zip(rows, dls, strict=True)])  # rows x tokens
    for j in range(len(q.tokens)):
        held = tf[:, j] > 0
        if held.any():
            s[held] += bm25_weights(np.full(int(held.sum()), q.idf[j], dtype=np.float32), tf[held, j], dl[held],
                                    stats.avgdl)
    return s


def search_exact(search: Callable[[dict, int], list[dict]], q: Query, k: int, stats: Bm25Stats,
                 max_limit: int) -> tuple[list[int], np.ndarray, int, bool]:
    """The primary keys and exact scores of at least the top ``k`` paragraphs (every candidate fetched is
    scored), how many requests it took, and whether they are every paragraph holding a question token.
    ``search(vector, limit)`` returns Milvus hits with ``pk``, ``distance``, ``kw`` and ``dl``, best first."""
    rho = max(1.0, stats.avgdl / REF_AVGDL) * (1 + SLACK)
    limit, rounds = min(max(int(FIRST_FACTOR * k), k + 1), max_limit), 0
    while True:
        hits = search(q.vector, limit)
        rounds += 1
        scores = exact_scores(q, [h["kw"] for h in hits], [h["dl"] for h in hits], stats)
        pks = [int(h["pk"]) for h in hits]
        if len(hits) < limit:
            return pks, scores, rounds, True  # every paragraph holding a question token is here
        kth = float(np.partition(scores, len(scores) - k)[len(scores) - k]) if 0 < k <= len(scores) else np.inf
        if kth > rho * abs(float(hits[-1]["distance"])) or limit >= max_limit:
            if kth <= rho * abs(float(hits[-1]["distance"])):
                log.warning("keyword top %d not proven exact at Milvus's limit of %d candidates", k, limit)
            return pks, scores, rounds, False
        limit = min(2 * limit, max_limit)


def store_scores(store, q: Query, stats: Bm25Stats, k: int, flt: str, mask: np.ndarray | None,
                 also: np.ndarray | None, max_limit: int) -> tuple[np.ndarray, int]:
    """A score per position of a Milvus store (``qa.store.milvus.MilvusRows``): the folder's for at least
    the top ``k`` of the rows matching ``flt`` and for the positions ``also`` (read by key), 0 elsewhere;
    and the number of searches sent."""
    def search(vector: dict, limit: int) -> list[dict]:
        res = store.search("kw", [vector], limit, None, "IP", flt=flt, output=["pk", "kw", "dl"])
        return [h.get("entity", h) | {"distance": h["distance"]} for h in res[0]]

    out = np.zeros(len(store.pks), dtype=np.float32)
    pks, scores, rounds, every = search_exact(search, q, k, stats, max_limit)
    where = store.positions_of(pks)
    got = np.array([p is not None for p in where], dtype=bool)
    out[np.array([p for p in where if p is not None], dtype=np.int64)] = scores[got]
    if also is not None and not every:  # else every paragraph holding a question token was scored
        seen = {int(p) for p in where if p is not None}
        rest = [int(i) for i in dict.fromkeys(also) if int(i) not in seen and (mask is None or mask[int(i)])]
        if rest:
            rows = [r or {"kw": {}, "dl": 0} for r in store.rows_at(rest, ["kw", "dl"])]
            out[rest] = exact_scores(q, [r["kw"] for r in rows], [r["dl"] for r in rows], stats)
    return out, rounds
