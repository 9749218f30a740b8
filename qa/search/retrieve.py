"""Hybrid retrieval: dense (e5 + FAISS) and keyword (BM25), fused with a keyword weight set per question.

An English question reaches the Chinese keyword index through a general dictionary (``qa.search.lexicon``):
of each English word's Chinese headwords, those the index holds and the dense top passages use are searched.
How much the keyword side counts then follows the evidence (``qa.search.fusion``): how much of the question
it covers and how far its top passages agree with the dense ones, with parameters fitted on public sets.

>>> r = Retriever(Index.load(Path("index")), embedder)  # doctest: +SKIP
>>> r.search("青松县2019年新建了几所学校?", k=5).hits[0].chunk.text  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa.models.embed import Embedder
from qa.search.filters import (
    Filters,
    ReportPlaces,
    detect,
    filter_note,
    place_core,
    romanizations,
    year_boosts,
)
from qa.search.fusion import (
    Evidence,
    FusionParams,
    agreement,
    blend,
    by_sentences,
    fitted_params,
    fuse,
    keyword_weight,
    top_k,
)
from qa.search.keyquery import (  # noqa: F401 - read through retrieve too
    CHINESE_QUESTION,
    keyword_query,
    question_names,
    unseen_tokens,
)
from qa.search.question import QuestionInfo, analyze, place_terms
from qa.search.sentences import best_sentences
from qa.search.shift import load_query_shift
from qa.store.index import keyword_text
from qa.store.protocol import Store
from qa.textnorm import cjk_ratio, mandarin_reading, normalize, script_of, to_traditional
from qa.types import Hit

# The unfiltered best paragraph must match the question this much better (cosine and keyword score on
# one scale) before it is answered from instead of the filtered reports. Set by hand, not fitted.
OUTSIDE_MARGIN = 0.15


@dataclass(frozen=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]
    filters: Filters
    notes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # what the keyword side searched (for English: the Chinese headwords chosen)
    # the query vector and the (normalized) text it was made from, for the answer step to reuse
    query_vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    query_text: str = ""
    unseen: tuple[str, ...] = ()  # a Chinese question's search tokens that no paragraph holds
    names: tuple[tuple[str, ...], ...] = ()  # an English question's pinyin names: the tokens that read as each
    places: tuple[str, ...] = ()  # the places the question names (about or mentioned), kept when a filter is set aside


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
    """Searches one loaded store (an index folder or a Milvus collection) with one embedder."""

    def __init__(self, index: Store, embedder: Embedder, *, params: FusionParams | None = None,
                 lexicon: bool = True):
        self.index = index
        self.embedder = embedder
        self.params = params or fitted_params()
        self.lexicon = lexicon
        # fitted for one model: none for another (or with QA_QUERY_SHIFT=off); read-only once here
        self.shift = (load_query_shift(embedder.name, getattr(embedder, "dim", None))
                      if embedder is not None else None)
        # Built once here, read by every question: nothing a question does writes to the retriever.
        self._chunk_doc = index.row_documents()  # each position's document as a number: filters are array operations
        self._year_chunks = index.row_years()  # position -> the years its paragraph names
        self._docs = [index.documents[d] for d in self._chunk_doc[1]]  # by document number
        self.places = ReportPlaces(index.documents.values())  # the reports' places, for filters and declines

    def report_paragraphs(self, doc_id: str) -> list[str]:
        """One report's paragraphs (normalized), in reading order; none for a report the index does not hold."""
        return [c.norm for c in self.index.chunks_at(self.index.chunks_of(doc_id))]

    def names(self, question: str) -> tuple[tuple[str, ...], ...]:
        """The corpus tokens of the pinyin names of an English question that are not the filters' places."""
        return question_names(question, self.index.keywords, self.places.known_latin)

    def _naming(self, names: tuple[tuple[str, ...], ...]) -> frozenset[int]:
        """The reports (by number) whose paragraphs hold one of the corpus tokens of the question's pinyin names."""
        if not names:
            return frozenset()
        kw, (pos, _) = self.index.keywords, self._chunk_doc
        rows = [kw.docs[kw.indptr[i]:kw.indptr[i + 1]] for t in {t for g in names for t in g}
                if (i := kw.vocab.get(t)) is not None]
        return frozenset(int(d) for r in rows for d in pos[r])

    def written_years(self) -> frozenset[int]:
        """Every year some paragraph names in four digits or a calendar (二〇一一年, 民国97年, 97学年度)."""
        union = getattr(self._year_chunks, "union", None)  # a compact store's postings say it without a walk
        return union() if union is not None else frozenset().union(*self._year_chunks.values())

    def parts(self, question: str, qnorm: str | None = None, *, mask: np.ndarray | None = None,
              qvec: np.ndarray | None = None, also: Sequence[int] = (), blended: bool = True) -> Parts:
        """Dense candidates, keyword scores and the evidence that sets the keyword weight. The keyword scores
        are exact for the top candidates, the dense ones and ``also`` (a store may leave others at 0)."""
        index, p = self.index, self.params
        qnorm = normalize(question) if qnorm is None else qnorm
        subset = np.flatnonzero(mask) if mask is not None else None
        if qvec is None:
            qvec = self.query_vector(question, qnorm)
        d_ids, d_scores = self._dense_search(question, qvec, subset, blended)
        top = d_ids[: p.prf_depth]
        query, coverage = keyword_query(question, qnorm, index.keywords, top, p, lexicon=self.lexicon,
                                        names=self.names(question),
                                        top_texts=lambda: [keyword_text(c) for c in index.chunks_at(top)])
        kw_scores = (index.keywords.scores(query, mask=mask, also=np.concatenate([d_ids, np.asarray(also, np.int64)]))
                     if query else np.zeros(index.keywords.size, np.float32))
        ev = Evidence(coverage, agreement(d_ids, kw_scores, p.agree_k), cjk_ratio(question))
        return Parts(qvec, d_ids, d_scores, kw_scores, ev, query)

    def _dense_search(self, question: str, qvec: np.ndarray, subset: np.ndarray | None, blended: bool = True,
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The dense side's ``candidates`` best passages and their scores: the paragraph search's top
        ``dense_pool`` re-scored by ``dense_scores`` when the store holds sentence vectors."""
        p = self.params
        weight = self._dense_weight(question) if blended else 0.0
        if weight <= 0 or getattr(self.index, "sentence_vectors", None) is None:
            return self.index.vectors.search(qvec, p.candidates, subset=subset)
        ids, cos = self.index.vectors.search(qvec, max(p.dense_pool, p.candidates), subset=subset)
        ids = np.asarray(ids, dtype=np.int64)
        best = best_sentences(self.index, ids, qvec, cos)
        scores = np.asarray(cos, dtype=np.float64) if best is None else blend(cos, best, weight)
        order = np.lexsort((ids, -scores))[: p.candidates]
        return ids[order], scores[order].astype(np.float32)

    def dense_scores(self, ids: np.ndarray, qvec: np.ndarray, question: str, blended: bool = True) -> np.ndarray:
        """The dense side's score of the passages at ``ids``: their cosine, blended with their best sentence's
        (``fusion.blend``) for a store that holds sentence vectors."""
        ids = np.asarray(ids, dtype=np.int64)
        cos = self.index.cosine(ids, qvec)
        weight = self._dense_weight(question) if blended else 0.0
        best = best_sentences(self.index, ids, qvec, cos) if weight > 0 else None
        return cos if best is None else blend(cos, best, weight).astype(np.float32)

    def _dense_weight(self, question: str) -> float:
        p = self.params
        return p.dense_sentence_zh if cjk_ratio(question) >= CHINESE_QUESTION else p.dense_sentence_en

    def query_vector(self, question: str, qnorm: str | None = None) -> np.ndarray:
        """The question's vector for the dense search: an English question's without the language offset
        (``qa.search.shift``)."""
        return self.searched(self.embedder.embed([normalize(question) if qnorm is None else qnorm], kind="query")[0],
                             question)

    def searched(self, vec: np.ndarray, question: str) -> np.ndarray:
        """A plain question vector as the dense search uses it (for a cached one: the fitting scripts)."""
        return self.shift.apply(vec, question) if self.shift is not None else vec

    def keyword_weight(self, question: str) -> float:
        """The keyword side's weight for ``question`` (unfiltered)."""
        return keyword_weight(self.params, self.parts(question).evidence)

    def _mask(self, f: Filters) -> np.ndarray | None:
        """The paragraphs of the reports about the filter's places (and of its chosen reports); years never cut."""
        if not (f.places or f.doc_ids):
            return None
        pos, ids = self._chunk_doc
        ok = np.zeros(len(ids) + 1, dtype=bool)
        ok[[ids[d] for d in self.places.matching(f) if d in ids]] = True
        return ok[pos]

    def _by_years(self, hits: list[tuple[int, float, int, int]], f: Filters, k: int,
                  naming: frozenset[int] = frozenset()) -> list[tuple[int, float, int, int]]:
        """``hits`` re-ranked with the question's years and mentioned places as signals
        (``filters.year_boosts``), best ``k``. As in ``fusion.by_sentences``, only the order changes: the n-th
        hit keeps the n-th fused score, so the answer step reads a passage's score against the first's on the
        scale it was fitted on (the boosts, up to 0.5 each, are no part of it)."""
        if not (f.years or f.mentioned or naming) or not hits:
            return hits[:k]
        pos, _ = self._chunk_doc
        at = [h[0] for h in hits]
        add = year_boosts(f, self._docs, [self._year_chunks.get(i, frozenset()) for i in at],
                          [int(pos[i]) for i in at], naming=naming)
        out = [(i, s + float(b), dr, kr) for (i, s, dr, kr), b in zip(hits, add, strict=True)]
        out.sort(key=lambda t: (-t[1], t[0]))
        scores = sorted((h[1] for h in hits), reverse=True)
        return [(i, score, dr, kr) for (i, _, dr, kr), score in zip(out[:k], scores, strict=False)]

    def _strength(self, ids: list[int], qvec: np.ndarray, kw_all: np.ndarray, w_kw: float) -> float:
        """How well the best of ``ids`` matches the whole question, on one scale for any subset."""
        if not ids:
            return 0.0
        cos = self.index.cosine(np.array(ids), qvec)
        kw = kw_all[ids] / kw_all.max() if kw_all.max() > 0 else np.zeros(len(ids))
        return float(np.max((1 - w_kw) * cos + w_kw * kw))

    def search(self, question: str, k: int = 10, *, filters: Filters | None = None,
               detect_filters: bool = True) -> SearchResult:
        """Rank paragraphs for ``question``; filters the question names apply unless they match nothing. A
        question in Cantonese is searched in its Mandarin reading (``qa.textnorm.mandarin_reading``)."""
        question = mandarin_reading(question)
        index = self.index
        notes: list[str] = []
        if not index.chunks:
            return SearchResult(question, (), Filters(), ("the index is empty",))
        f = detect(question, self.places) if detect_filters else Filters()
        named = (*f.places, *f.mentioned)
        names = self.names(question)
        naming = self._naming(names)
        if filters:
            f = f.merged(filters)
        mask = self._mask(f)
        if mask is not None and not mask.any():
            notes.append(filter_note("no_match", f, script_of(question), question))
            f, mask = Filters(years=f.years, mentioned=f.mentioned), None
        # once the reports are chosen, the first ``sentence_depth`` fused passages are re-ranked by their best
        # sentence, and then by the question's years and places (weights fitted on fused scores, which each
        # rank keeps)
        rerank = self._sentence_weight(question) > 0 and not index.keyword_only
        want = max(k, self.params.sentence_depth) if rerank else k
        check = mask is not None and not (filters and (filters.places or filters.doc_ids))  # a user's choice holds
        # the year boosts are worked out here only when the re-ranked list will not replace these hits
        hits, qvec, terms, fused = self._ranked(question, f, mask, want, boost=check or not rerank, naming=naming)
        qtext = normalize(question) if mask is None and not f.years else ""  # else the filter words were taken out
        if qvec is None:
            notes.append(keyword_only_note(question))
        else:
            if check:
                hits, f, fused = self._outside(question, f, hits, fused, qvec, want, notes, naming)
            if rerank:
                hits = self._by_years(self._by_sentences(question, fused, qvec), f, want, naming)
        hits = hits[:k]
        if f.note():
            notes.append(f.note(script_of(question), question))
        chunks = index.chunks_at([h[0] for h in hits])  # one fetch for a store that reads paragraphs on demand
        found = tuple(Hit(c, s, dr, kr) for c, (_, s, dr, kr) in zip(chunks, hits, strict=True))
        return SearchResult(question, found, f, tuple(notes), terms, qvec if qtext else None, qtext,
                            unseen_tokens(question, index.keywords.vocab), names, named)

    def _ranked(self, question: str, f: Filters, mask: np.ndarray | None, k: int, *, boost: bool = True,
                blended: bool = True, naming: frozenset[int] = frozenset(),
                ) -> tuple[list[tuple[int, float, int, int]], np.ndarray | None, tuple[str, ...], list]:
        """Fused hits (re-ranked by years and mentioned places; without ``boost``, the fused hits as they are),
        the query vector (None keyword-only), the keyword terms searched, and the fused hits before the years and
        places."""
        index = self.index
        qnorm = normalize(question)
        if mask is not None or f.years:
            # Within the filtered reports the place no longer tells paragraphs apart, and the years are weighed
            # by the year signal (``_by_years``), not again as words: rank by the rest.
            qnorm = strip_filter_terms(qnorm, Filters(places=f.places if mask is not None else (),
                                                      years=f.years)) or qnorm
        n = self.params.candidates if f.years or f.mentioned or naming else k
        if index.keyword_only:  # the vectors are still being made: BM25 alone ranks, and the answer says so
            query, _ = keyword_query(question, qnorm, index.keywords, np.zeros(0, dtype=np.int64), self.params,
                                     lexicon=self.lexicon, names=self.names(question))
            kw_scores = index.keywords.scores(query, mask=mask)
            hits = fuse(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), kw_scores, 1.0, n)
            return self._by_years(hits, f, k, naming), None, tuple(dict.fromkeys(query.split())), hits
        pt = self.parts(question, qnorm, mask=mask, blended=blended)
        hits = fuse(pt.d_ids, pt.d_scores, pt.kw_scores, keyword_weight(self.params, pt.evidence), n,
                    cosine=lambda ids: self.dense_scores(ids, pt.qvec, question, blended),
                    candidates=self.params.candidates)
        terms = tuple(dict.fromkeys(pt.query.split()))
        return (self._by_years(hits, f, k, naming) if boost else hits), pt.qvec, terms, hits

    def _sentence_weight(self, question: str) -> float:
        p = self.params
        return p.sentence_zh if cjk_ratio(question) >= CHINESE_QUESTION else p.sentence_en

    def _by_sentences(self, question: str, hits: list, qvec: np.ndarray) -> list:
        """``hits`` re-ranked by their best sentence (``fusion.by_sentences``) when the store holds sentence
        vectors (an index folder does; a Milvus store does not, and its order stays as fused)."""
        p = self.params
        weight = self._sentence_weight(question)
        if weight <= 0 or len(hits) < 2:
            return hits
        head = np.array([h[0] for h in hits[:p.sentence_depth]], dtype=np.int64)
        best = best_sentences(self.index, head, qvec)
        if best is None:
            return hits
        table = dict(zip(head.tolist(), best.tolist(), strict=True))
        return by_sentences(hits, table.get, weight, p.sentence_depth)

    def _outside(self, question: str, f: Filters, hits: list, fused: list, qvec: np.ndarray, k: int,
                 notes: list[str], naming: frozenset[int] = frozenset()) -> tuple[list, Filters, list]:
        """The unfiltered hits instead, with a note, when their best is much stronger than the filtered best.

        Both are measured against the question without its place (``qvec`` of the filtered search), so a
        report that merely names the place often gains nothing from it. Returns the hits, the filters and the
        fused hits before years and places that go with them. The unfiltered search ranks by paragraph cosine:
        a sentence seldom names the place that its report's title names, and the margin was set on that scale."""
        wide, _, _, wide_fused = self._ranked(question, Filters(years=f.years, mentioned=f.mentioned), None, k,
                                              blended=False, naming=naming)
        qnorm = strip_filter_terms(normalize(question), Filters(places=f.places)) or normalize(question)
        pt = self.parts(question, qnorm, qvec=qvec, also=[h[0] for h in hits[:1] + wide[:1]])
        w = keyword_weight(self.params, pt.evidence)
        inside = self._strength([h[0] for h in hits[:1]], qvec, pt.kw_scores, w)
        outside = self._strength([h[0] for h in wide[:1]], qvec, pt.kw_scores, w)
        if outside - inside <= OUTSIDE_MARGIN:
            return hits, f, fused
        notes.append(filter_note("outside", f, script_of(question), question))
        return wide, Filters(years=f.years, mentioned=f.mentioned), wide_fused


    def single_rankings(self, question: str, k: int = 10) -> dict[str, list[int]]:
        """Each retriever's own top ``k`` positions (for measuring the fusion against its parts)."""
        pt = self.parts(question)
        kw = pt.kw_scores
        kw_ids = top_k(kw, k)
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
        for latin in romanizations(place_core(place)):
            out = re.sub(latin, " ", out, flags=re.I)
    for y in f.years:
        out = re.sub(rf"(in\s+)?{y}\s*年?", " ", out)
    return re.sub(r"\s+", " ", out).strip()


def question_info(question: str, res: SearchResult) -> QuestionInfo:
    """The question's analysis as the answer step reads it: an English question's Chinese terms are the
    dictionary headwords that retrieval chose for this corpus (``res.keywords``). The scorer's fitting reads
    questions through this too, so it is fitted on the features it is applied to. What a figure question counts
    (``measure``) leaves out the place the search is filtered to (``place_terms``): a report about it names it
    seldom, and never as what it counts."""
    searched = frozenset(res.keywords)
    q = analyze(question, keep=searched.__contains__ if res.keywords else None,
                unseen=frozenset(res.unseen), names=res.names,
                compounds=lambda char: [t for t in res.keywords if t.endswith(char) and len(t) > 1])
    place = place_terms(question, q.terms, res.filters.places)  # never what a figure counts
    return replace(q, measure=tuple(g for g in q.measure if not place.intersection(g))) if place else q
