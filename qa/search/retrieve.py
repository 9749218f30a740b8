"""Hybrid retrieval: dense (e5 + FAISS) and keyword (BM25), fused with a keyword weight set per question.

An English question reaches the Chinese keyword index through a general dictionary (``qa.search.lexicon``):
of each English word's Chinese headwords, those the index holds and the dense top passages use are searched.
How much the keyword side counts then follows the evidence (``qa.search.fusion``): how much of the question
it covers and how far its top passages agree with the dense ones, with parameters fitted on public sets.

>>> r = Retriever(Index.load(Path("index")), embedder)  # doctest: +SKIP
>>> r.search("钟山县2011年招聘了多少教师?", k=5).hits[0].chunk.text  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.models.embed import Embedder
from qa.search.filters import Filters, detect, document_matches, place_core, romanize
from qa.search.fusion import Evidence, FusionParams, agreement, fitted_params, fuse, keyword_weight
from qa.search.lexicon import content_words, match, stopwords
from qa.store.index import Index
from qa.store.keyword import KeywordIndex, tokenize
from qa.textnorm import cjk_ratio, normalize, script_of, to_traditional
from qa.types import Hit

CHINESE_QUESTION = 0.3  # share of CJK from which a question is searched by its own words


@dataclass(frozen=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]
    filters: Filters
    notes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # what the keyword side searched (for English: the Chinese headwords chosen)


@dataclass(frozen=True)
class Parts:
    """What the two retrievers found for one question, before fusion."""

    qvec: np.ndarray
    d_ids: np.ndarray
    d_scores: np.ndarray
    kw_scores: np.ndarray
    evidence: Evidence
    query: str = ""


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(self, index: Index, embedder: Embedder, *, params: FusionParams | None = None,
                 lexicon: bool = True):
        self.index = index
        self.embedder = embedder
        self.params = params or fitted_params()
        self.lexicon = lexicon
        # Built once here, read by every question: nothing a question does writes to the retriever.
        self._chunk_doc = _chunk_doc_numbers(index)
        self._year_chunks = _year_postings(index)

    def parts(self, question: str, qnorm: str | None = None, *, mask: np.ndarray | None = None,
              qvec: np.ndarray | None = None) -> Parts:
        """Dense candidates, keyword scores and the evidence that sets the keyword weight."""
        index, p = self.index, self.params
        qnorm = normalize(question) if qnorm is None else qnorm
        subset = np.flatnonzero(mask) if mask is not None else None
        if qvec is None:
            qvec = self.embedder.embed([qnorm], kind="query")[0]
        d_ids, d_scores = index.vectors.search(qvec, p.candidates, subset=subset)
        query, coverage = keyword_query(question, qnorm, index.keywords, d_ids[: p.prf_depth], p,
                                        lexicon=self.lexicon)
        kw_scores = index.keywords.scores(query, mask=mask) if query else np.zeros(index.keywords.size, np.float32)
        ev = Evidence(coverage, agreement(d_ids, kw_scores, p.agree_k), cjk_ratio(question))
        return Parts(qvec, d_ids, d_scores, kw_scores, ev, query)

    def keyword_weight(self, question: str) -> float:
        """The keyword side's weight for ``question`` (unfiltered)."""
        return keyword_weight(self.params, self.parts(question).evidence)

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
        if index.keyword_only:  # the vectors are still being made: BM25 alone ranks, and the answer says so
            query, _ = keyword_query(question, qnorm, index.keywords, np.zeros(0, dtype=np.int64), self.params,
                                     lexicon=self.lexicon)
            kw_scores = index.keywords.scores(query, mask=mask)
            hits = fuse(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), kw_scores, 1.0, k)
            notes.append(keyword_only_note(question))
            return SearchResult(question, tuple(Hit(index.chunks[i], s, dr, kr) for i, s, dr, kr in hits), f,
                                tuple(notes), tuple(dict.fromkeys(query.split())))
        pt = self.parts(question, qnorm, mask=mask)
        hits = fuse(pt.d_ids, pt.d_scores, pt.kw_scores, keyword_weight(self.params, pt.evidence), k,
                    cosine=lambda ids: index.embeddings[ids] @ pt.qvec, candidates=self.params.candidates)
        return SearchResult(question, tuple(Hit(index.chunks[i], s, dr, kr) for i, s, dr, kr in hits), f,
                            tuple(notes), tuple(dict.fromkeys(pt.query.split())))


    def single_rankings(self, question: str, k: int = 10) -> dict[str, list[int]]:
        """Each retriever's own top ``k`` positions (for measuring the fusion against its parts)."""
        pt = self.parts(question)
        kw = pt.kw_scores
        kw_ids = np.argsort(-kw, kind="stable")[:k]
        return {"dense": [int(i) for i in pt.d_ids[:k]], "keyword": [int(i) for i in kw_ids[kw[kw_ids] > 0]]}


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


def keyword_query(question: str, qnorm: str, keywords: KeywordIndex, dense_top: np.ndarray, p: FusionParams, *,
                  lexicon: bool = True) -> tuple[str, float]:
    """What BM25 searches for, and the share of the question it covers.

    A Chinese question is searched by its own tokens (coverage: the share the index holds). An English one by
    the tokens the index holds as written (figures, Latin names) and, through the lexicon, by the Chinese
    headwords of its words: of a word's headwords that the index holds, the ones that occur in the dense top
    passages (the model's reading of the question), else the dictionary's first. Coverage: the share of the
    English content words that found a headword.
    """
    if cjk_ratio(question) >= CHINESE_QUESTION:
        toks = tokenize(qnorm, normalized=True)
        return qnorm, (sum(1 for t in toks if t in keywords.vocab) / len(toks) if toks else 0.0)
    stop = stopwords()
    direct = [t for t in tokenize(qnorm, normalized=True) if t in keywords.vocab and t not in stop and len(t) > 1]
    words = content_words(question)
    if not lexicon or not words:
        return " ".join(direct), 0.0
    terms, covered = [], 0
    for m in match(question, keep=lambda zh: zh in keywords.vocab):
        used = [e.zh for e in m.entries if _occurs_in(keywords, e.zh, dense_top)][: p.per_word]
        terms.extend(used or [m.entries[0].zh])
        covered += len(m.english.split()) if used else 0
    return " ".join(direct + terms), covered / len(words)


def _occurs_in(keywords: KeywordIndex, term: str, ids: np.ndarray) -> bool:
    i = keywords.vocab.get(term)
    if i is None or not len(ids):
        return False
    return bool(np.isin(keywords.docs[keywords.indptr[i]:keywords.indptr[i + 1]], ids).any())


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
