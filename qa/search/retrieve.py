"""Hybrid retrieval: dense (e5 + FAISS) and keyword (BM25), fused by what the question is.

Keyword search over Chinese paragraphs finds almost nothing for an English question and drags dense
search down when trusted equally; for a Chinese question it is excellent. So the fusion weight of the
keyword side follows the share of Chinese in the question (measured: bench/README.md).

>>> r = Retriever(Index.load(Path("index")), embedder)  # doctest: +SKIP
>>> r.search("钟山县2011年招聘了多少教师?", k=5).hits[0].chunk.text  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.models.embed import Embedder
from qa.search.filters import Filters, detect, document_matches, place_core, romanize
from qa.store.index import Index
from qa.textnorm import cjk_ratio, normalize, script_of, to_traditional
from qa.types import Hit

CANDIDATES = 100
# Keyword weight by question language (share of CJK in the question interpolates between them).
KEYWORD_WEIGHT_EN = 0.4
KEYWORD_WEIGHT_ZH = 0.5


@dataclass(frozen=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]
    filters: Filters
    notes: tuple[str, ...] = ()


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(self, index: Index, embedder: Embedder, *, keyword_weight: tuple[float, float] | None = None):
        self.index = index
        self.embedder = embedder
        self.kw_en, self.kw_zh = keyword_weight or (KEYWORD_WEIGHT_EN, KEYWORD_WEIGHT_ZH)
        # Built once here, read by every question: nothing a question does writes to the retriever.
        self._chunk_doc = _chunk_doc_numbers(index)
        self._year_chunks = _year_postings(index)

    def keyword_weight(self, question: str) -> float:
        r = cjk_ratio(question)
        return self.kw_en + (self.kw_zh - self.kw_en) * r

    def _mentions_year(self, year: int) -> np.ndarray:
        mask = np.zeros(len(self.index.chunks), dtype=bool)
        mask[self._year_chunks.get(year, [])] = True
        return mask

    def _mask(self, f: Filters) -> np.ndarray | None:
        if not f:
            return None
        pos, ids = self._chunk_doc
        docs = self.index.documents.values()
        ok = np.zeros(len(ids) + 1, dtype=bool)
        ok[[ids[d.doc_id] for d in docs if d.doc_id in ids and document_matches(d, f)]] = True
        mask = ok[pos]
        if f.years:
            year_ok = np.zeros(len(ids) + 1, dtype=bool)
            year_ok[[ids[d.doc_id] for d in docs if d.doc_id in ids and d.year in f.years]] = True
            by_year = year_ok[pos]
            for y in f.years:
                by_year |= self._mentions_year(y)
            mask &= by_year
        return mask

    def search(self, question: str, k: int = 10, *, filters: Filters | None = None,
               detect_filters: bool = True) -> SearchResult:
        """Rank paragraphs for ``question``; filters the question names apply unless they match nothing."""
        index = self.index
        notes: list[str] = []
        if not index.chunks:
            return SearchResult(question, (), Filters(), ("the index is empty",))
        f = detect(question, index.documents.values()) if detect_filters else Filters()
        if filters:
            f = f.merged(filters)
        mask = self._mask(f)
        if mask is not None and not mask.any():
            notes.append(f"no report matches the filter ({f.describe()}); searched all reports")
            f, mask = Filters(), None
        qnorm = normalize(question)
        if mask is not None:
            # Within the filtered reports the place and year no longer tell paragraphs apart: rank by the rest.
            qnorm = strip_filter_terms(qnorm, f) or qnorm
        kw_scores = index.keywords.scores(keyword_query(question, qnorm), mask=mask)
        if index.keyword_only:  # the vectors are still being made: BM25 alone ranks, and the answer says so
            hits = fuse(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), kw_scores, 1.0, k)
            notes.append(keyword_only_note(question))
            return SearchResult(question, tuple(Hit(index.chunks[i], s, dr, kr) for i, s, dr, kr in hits), f,
                                tuple(notes))
        subset = np.flatnonzero(mask) if mask is not None else None
        qvec = self.embedder.embed([qnorm], kind="query")[0]
        d_ids, d_scores = index.vectors.search(qvec, CANDIDATES, subset=subset)
        hits = fuse(d_ids, d_scores, kw_scores, self.keyword_weight(question), k,
                    cosine=lambda ids: index.embeddings[ids] @ qvec)
        return SearchResult(question, tuple(Hit(index.chunks[i], s, dr, kr) for i, s, dr, kr in hits), f,
                            tuple(notes))


    def single_rankings(self, question: str, k: int = 10) -> dict[str, list[int]]:
        """Each retriever's own top ``k`` positions (for measuring the fusion against its parts)."""
        qnorm = normalize(question)
        qvec = self.embedder.embed([qnorm], kind="query")[0]
        d_ids, _ = self.index.vectors.search(qvec, k)
        kw_ids, _ = self.index.keywords.search(keyword_query(question, qnorm), k)
        return {"dense": [int(i) for i in d_ids], "keyword": [int(i) for i in kw_ids]}


KEYWORD_ONLY_NOTE = {
    "en": "searched by keywords only: the full search starts once the index's vectors are built",
    "zh": "仅按关键词检索：索引的向量建好后即改用完整检索",
}


def keyword_only_note(question: str) -> str:
    """The note on an answer from a keyword-only index, in the question's language and script.

    >>> keyword_only_note("how many?")[:28]
    'searched by keywords only: t'
    """
    lang = script_of(question)
    if lang == "en":
        return KEYWORD_ONLY_NOTE["en"]
    return to_traditional(KEYWORD_ONLY_NOTE["zh"]) if lang == "zh-hant" else KEYWORD_ONLY_NOTE["zh"]


def strip_filter_terms(qnorm: str, f: Filters) -> str:
    """The question without the places and years its filters already apply."""
    out = qnorm
    for place in f.places:
        for form in sorted({place, place_core(place)}, key=len, reverse=True):
            out = out.replace(form, " ")
        out = re.sub(romanize(place_core(place)), " ", out, flags=re.I)
    for y in f.years:
        out = re.sub(rf"(in\s+)?{y}\s*年?", " ", out)
    return re.sub(r"\s+", " ", out).strip()


def keyword_query(question: str, qnorm: str) -> str:
    """What BM25 searches for: the question itself, or for an English one the Chinese terms of its words."""
    if cjk_ratio(question) >= 0.3:
        return qnorm
    from qa.search.question import analyze

    return " ".join(analyze(question).flat_terms) or qnorm


def fuse(d_ids: np.ndarray, d_scores: np.ndarray, kw_scores: np.ndarray, w_kw: float, k: int,
         cosine=None) -> list[tuple[int, float, int, int]]:
    """Weighted sum of the two retrievers' scores, each scaled to [0, 1] over its candidates.

    ``cosine(ids)`` gives the dense score of keyword candidates the dense side did not rank.

    Returns ``(position, score, dense_rank, keyword_rank)`` best first (ranks from 1; 0 = not ranked).
    """
    kw_top = np.argsort(-kw_scores, kind="stable")[:CANDIDATES]
    kw_top = kw_top[kw_scores[kw_top] > 0]
    dense = {int(i): float(s) for i, s in zip(d_ids, d_scores, strict=True)}
    d_rank = {int(i): r + 1 for r, i in enumerate(d_ids)}
    k_rank = {int(i): r + 1 for r, i in enumerate(kw_top)}
    cand = set(dense) | set(k_rank)
    if not cand:
        return []
    extra = [i for i in k_rank if i not in dense]
    if extra and cosine is not None:
        dense_extra = dict(zip(extra, (float(x) for x in cosine(np.array(extra))), strict=True))
    else:
        dense_extra = {}
    d_lo = min(dense.values()) if dense else 0.0
    d_hi = max(dense.values()) if dense else 1.0
    k_hi = float(kw_scores[kw_top[0]]) if len(kw_top) else 1.0
    out = []
    for i in cand:
        cos = dense.get(i, dense_extra.get(i))
        ds = max(0.0, (cos - d_lo) / (d_hi - d_lo)) if cos is not None and d_hi > d_lo else float(i in dense)
        ks = float(kw_scores[i]) / k_hi if k_hi > 0 else 0.0
        out.append((i, (1 - w_kw) * ds + w_kw * ks, d_rank.get(i, 0), k_rank.get(i, 0)))
    out.sort(key=lambda t: (-t[1], t[0]))
    return out[:k]


def _chunk_doc_numbers(index: Index) -> tuple[np.ndarray, dict[str, int]]:
    """Each chunk's document as a number, so filters are array operations."""
    ids: dict[str, int] = {}
    pos = np.array([ids.setdefault(c.doc_id, len(ids)) for c in index.chunks], dtype=np.int64)
    return pos, ids


_YEAR_IN_TEXT_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def _year_postings(index: Index) -> dict[int, list[int]]:
    """For each four-digit year, the chunks whose text names it."""
    out: dict[int, list[int]] = {}
    for i, c in enumerate(index.chunks):
        for y in set(_YEAR_IN_TEXT_RE.findall(c.norm)):
            out.setdefault(int(y), []).append(i)
    return out
