"""Fusing dense and keyword rankings with a keyword weight set per question from the evidence.

The weight is a logistic function of three things a question shows before any answer is known:
``coverage`` (the share of the question's terms that the keyword side could look for: Chinese tokens in the
index's vocabulary, or English words the lexicon turned into Chinese terms the index holds), ``agreement``
(the share of the dense top-k that the keyword top-k also holds) and ``chinese`` (the share of CJK in the
question). Its parameters are fitted by ``scripts/fit_fusion.py`` on public bench sets and stored with their
provenance in ``qa/data/fusion.json``.

>>> p = FusionParams(bias=-2.0, coverage=2.0, agreement=2.0, chinese=0.0)
>>> round(keyword_weight(p, Evidence(coverage=0.0, agreement=0.0, chinese=0.0)), 3)
0.119
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources

import numpy as np

PARAMS_FILE = "data/fusion.json"


@dataclass(frozen=True)
class FusionParams:
    bias: float
    coverage: float
    agreement: float
    chinese: float
    agree_k: int = 10  # top-k of each ranking compared for agreement
    prf_depth: int = 20  # dense passages that choose among an English word's Chinese headwords
    per_word: int = 3  # Chinese headwords kept per English word at most
    candidates: int = 100  # passages each side contributes to the fusion
    # the fused top ``sentence_depth`` re-ranked by the question's best cosine with one of a passage's
    # sentences (vectors made at index time): score + weight x (its best - the best of any), per language
    sentence_en: float = 0.0
    sentence_zh: float = 0.0
    sentence_depth: int = 30
    # the dense side's score of a passage: (1 - b) x its own cosine + b x its best sentence's cosine, per
    # language, over the paragraph search's top ``dense_pool`` (``scripts/fit_dense_sentences.py``)
    dense_sentence_en: float = 0.0
    dense_sentence_zh: float = 0.0
    dense_pool: int = 200


@dataclass(frozen=True)
class Evidence:
    coverage: float
    agreement: float
    chinese: float


@lru_cache(maxsize=1)
def fitted_params() -> FusionParams:
    """The shipped parameters (``qa/data/fusion.json``, written by ``scripts/fit_fusion.py``)."""
    data = json.loads(resources.files("qa").joinpath(PARAMS_FILE).read_text(encoding="utf-8"))
    return params_from(data["params"])


def params_from(values: dict) -> FusionParams:
    """A ``FusionParams`` from a dict, with a clear error for a missing or unknown name."""
    names = {f.name for f in fields(FusionParams)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown fusion parameters: {sorted(unknown)}")
    return FusionParams(**values)


def blend(cosines: np.ndarray, best: np.ndarray, weight: float) -> np.ndarray:
    """A passage's dense score: its own cosine and its best sentence's (``nan``: no sentence vectors, and
    then its own cosine alone), ``weight`` on the sentence. One vector for a whole long paragraph blurs
    what each of its sentences says.

    >>> blend(np.array([0.8, 0.8]), np.array([0.9, np.nan]), 0.5).round(3).tolist()
    [0.85, 0.8]
    """
    cos = np.asarray(cosines, dtype=np.float64)
    best = np.asarray(best, dtype=np.float64)
    if weight <= 0:
        return cos
    return np.where(np.isnan(best), cos, (1 - weight) * cos + weight * np.nan_to_num(best))


def keyword_weight(p: FusionParams, e: Evidence) -> float:
    """The keyword side's weight in [0, 1] for a question with evidence ``e``."""
    z = p.bias + p.coverage * e.coverage + p.agreement * e.agreement + p.chinese * e.chinese
    return 1.0 / (1.0 + math.exp(-z))


def agreement(d_ids: np.ndarray, kw_scores: np.ndarray, k: int) -> float:
    """The share of the dense top ``k`` that the keyword top ``k`` (positive scores only) also holds."""
    if k <= 0 or not len(d_ids) or not len(kw_scores):
        return 0.0
    kk = min(k, len(kw_scores))
    top = np.argpartition(-kw_scores, kk - 1)[:kk]
    top = set(int(i) for i in top[kw_scores[top] > 0])
    return len(top & set(int(i) for i in d_ids[:k])) / k


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` highest scores, best first, ties lowest position first: exactly
    ``np.argsort(-scores, kind="stable")[:k]``, without sorting every score (a partition, then a sort of
    the ``k``).

    >>> top_k(np.array([0.0, 2.0, 1.0, 2.0, 0.0]), 3).tolist()
    [1, 3, 2]
    """
    neg = -np.asarray(scores)
    n = len(neg)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if k >= n or neg.dtype.kind not in "fiu" or (neg.dtype.kind == "f" and np.isnan(neg).any()):
        return np.argsort(neg, kind="stable")[:k]
    kth = neg[np.argpartition(neg, k - 1)[k - 1]]  # the k-th best score (negated)
    better = np.flatnonzero(neg < kth)
    ties = np.flatnonzero(neg == kth)[: k - len(better)]  # among equal scores the lowest positions come first
    chosen = np.sort(np.concatenate([better, ties]))
    return chosen[np.argsort(neg[chosen], kind="stable")]


@dataclass(frozen=True)
class Scaled:
    """The fusion's candidates with both scores scaled to [0, 1]: the weight alone then orders them."""

    ids: np.ndarray  # passage positions
    dense: np.ndarray
    keyword: np.ndarray
    d_rank: np.ndarray  # 1-based rank on each side, 0 = not ranked there
    k_rank: np.ndarray


def scale(d_ids: np.ndarray, d_scores: np.ndarray, kw_scores: np.ndarray,
          cosine: Callable[[np.ndarray], np.ndarray] | None = None, candidates: int = 100) -> Scaled:
    """Dense scores min-max scaled over the dense candidates, BM25 divided by its best; the union of both.

    ``cosine(ids)`` gives the dense score of keyword candidates the dense side did not rank.
    """
    kw_top = top_k(kw_scores, candidates)
    kw_top = kw_top[kw_scores[kw_top] > 0]
    d_ids = np.asarray(d_ids, dtype=np.int64)
    ids = np.concatenate([d_ids, np.setdiff1d(kw_top, d_ids)]).astype(np.int64)
    d_rank = np.zeros(len(ids), dtype=np.int64)
    d_rank[: len(d_ids)] = np.arange(1, len(d_ids) + 1)
    pos = {int(i): r for r, i in enumerate(ids)}
    k_rank = np.zeros(len(ids), dtype=np.int64)
    k_rank[[pos[int(i)] for i in kw_top]] = np.arange(1, len(kw_top) + 1)
    cos = np.zeros(len(ids), dtype=np.float64)
    cos[: len(d_ids)] = d_scores
    extra = ids[len(d_ids):]
    if len(extra) and cosine is not None:
        cos[len(d_ids):] = cosine(extra)
    lo, hi = (float(np.min(d_scores)), float(np.max(d_scores))) if len(d_ids) else (0.0, 1.0)
    if hi > lo:
        dense = np.maximum(0.0, (cos - lo) / (hi - lo))
        if cosine is None:
            dense[len(d_ids):] = 0.0
    else:
        dense = (d_rank > 0).astype(np.float64)
    k_hi = float(kw_scores[kw_top[0]]) if len(kw_top) else 0.0
    keyword = kw_scores[ids].astype(np.float64) / k_hi if k_hi > 0 else np.zeros(len(ids))
    return Scaled(ids, dense, keyword, d_rank, k_rank)


def fuse(d_ids: np.ndarray, d_scores: np.ndarray, kw_scores: np.ndarray, w_kw: float, k: int,
         cosine: Callable[[np.ndarray], np.ndarray] | None = None,
         candidates: int = 100) -> list[tuple[int, float, int, int]]:
    """Weighted sum of the two retrievers' scores, each scaled to [0, 1] over its candidates (``scale``).

    Returns ``(position, score, dense_rank, keyword_rank)`` best first (ranks from 1; 0 = not ranked).

    >>> fuse(np.array([0, 1]), np.array([0.9, 0.8]), np.array([0.0, 2.0, 1.0]), 0.0, 2)
    [(0, 1.0, 1, 0), (1, 0.0, 2, 1)]
    """
    s = scale(d_ids, d_scores, kw_scores, cosine, candidates)
    if not len(s.ids):
        return []
    score = (1 - w_kw) * s.dense + w_kw * s.keyword
    order = np.lexsort((s.ids, -score))[:k]
    return [(int(s.ids[j]), float(score[j]), int(s.d_rank[j]), int(s.k_rank[j])) for j in order]


def by_sentences(hits: list[tuple[int, float, int, int]], best: Callable[[int], float | None], weight: float,
                 depth: int) -> list[tuple[int, float, int, int]]:
    """The first ``depth`` of fused ``hits`` re-ordered by ``score + weight * (s - s_max)``, where ``s`` is the
    question's best cosine with one of a passage's sentences (``best(position)``; ``None``: the passage has no
    sentence vectors, and then nothing is re-ranked). A whole passage's vector blurs a long paragraph; its
    best sentence says whether it holds what is asked. The rest of ``hits`` stays below, in order.

    Only the order changes: the n-th passage keeps the n-th fused score, so scores still fall with rank and
    what the answer step reads from them (a passage's score against the first's) keeps the scale it was
    fitted on.

    >>> by_sentences([(0, 0.9, 1, 1), (1, 0.8, 2, 2)], {0: 0.80, 1: 0.86}.get, 5.0, 30)
    [(1, 0.9, 2, 2), (0, 0.8, 1, 1)]
    >>> by_sentences([(0, 0.9, 1, 1), (1, 0.8, 2, 2)], {0: 0.80}.get, 5.0, 30)[0][0]
    0
    """
    if weight <= 0 or len(hits) < 2:
        return hits
    head = hits[:depth]
    best_of = [best(h[0]) for h in head]
    if any(b is None for b in best_of):
        return hits
    top = max(best_of)
    order = sorted(range(len(head)), key=lambda j: (-(head[j][1] + weight * (best_of[j] - top)), head[j][0]))
    scores = sorted((h[1] for h in head), reverse=True)
    moved = [(head[j][0], s, head[j][2], head[j][3]) for j, s in zip(order, scores, strict=True)]
    return moved + hits[depth:]
