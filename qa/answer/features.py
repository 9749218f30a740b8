"""Candidate sentences of the top passages and their features for the fitted scorer.

The same function serves the answerer and ``scripts/fit_answer_model.py``, so the model is fitted on exactly
the features it is applied to.

>>> feats = sentence_features(q, res, index, embedder, weights, params, chunk_positions(index))  # doctest: +SKIP
>>> feats.matrix.shape == (len(feats.candidates), len(FEATURES))  # doctest: +SKIP
True
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from qa.answer.evidence import (
    ITEM_START,
    SHARE_ZH,
    TermWeights,
    asks_share,
    best_clause,
    concept_coverage,
    figure_fit,
    group_credit,
    has_new_figure,
    percentages,
)
from qa.answer.gloss import gloss_coverage, question_words
from qa.answer.scorer import FEATURES, AnswerParams
from qa.ingest.quotes import answers_nothing, quotable
from qa.models.embed import Embedder
from qa.numbers import NUMBER_RE
from qa.search.filters import place_core
from qa.search.question import QuestionInfo, analyze, place_terms  # noqa: F401 - analyze: the doctest
from qa.search.retrieve import SearchResult
from qa.search.shift import QueryShift
from qa.store.index import Index
from qa.textnorm import normalize
from qa.types import Document, Hit


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    hit: Hit
    sentence: str
    quote: str
    coverage: float
    score: float = 0.0  # the choice model's probability that the sentence holds the answer (ranks candidates)
    support: float = 0.0  # the support model's (comparable across questions: declines are set on it)


@dataclass(frozen=True)
class Features:
    """Per question: the candidates (in reading order), their feature rows, the skipped place words, and
    per report the text read (title, headings, paragraphs)."""

    candidates: tuple[Candidate, ...]
    matrix: np.ndarray
    skip: frozenset[str]
    context: dict[str, str]
    gloss: np.ndarray  # English question: ``qa.answer.gloss.gloss_coverage`` per candidate (zeros otherwise)


def shared_run(question: str, text: str, shortest: int = 4) -> int:
    """Length of the longest run of characters (at least ``shortest``) the question and the text share.

    >>> shared_run("新建河东小学图书室投入多少?", "投入5万元新建河东小学图书室,改善阅读条件")
    9
    """
    best = 0
    for i in range(len(question)):
        length = max(best + 1, shortest)
        while i + length <= len(question) and question[i:i + length] in text:
            best = length
            length += 1
    return best


class VectorCache:
    """A bounded, thread-safe memo of text vectors shared by the questions one answerer serves: paragraphs
    that rank for many questions have their sentences embedded once. It holds no question's state."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> np.ndarray | None:
        with self._lock:
            v = self._data.get(key)
            if v is not None:
                self._data.move_to_end(key)
            return v

    def __setitem__(self, key: tuple[str, str], value: np.ndarray) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def embed_cached(embedder: Embedder, texts: list[str], kind: str, cache=None) -> np.ndarray:
    """Vectors of ``texts``; with a ``cache`` (a dict, or a ``VectorCache``) each text is embedded once."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    if cache is None:
        return embedder.embed(texts, kind=kind)
    got = {t: cache.get((kind, t)) for t in texts}
    todo = [t for t, v in got.items() if v is None]
    if todo:
        for t, v in zip(todo, embedder.embed(todo, kind=kind), strict=True):
            got[t] = v
            cache[(kind, t)] = v
    return np.stack([got[t] for t in texts])


def sentence_features(q: QuestionInfo, res: SearchResult, index: Index, embedder: Embedder,
                      weights: TermWeights, params: AnswerParams, positions: dict[str, int],
                      cache=None, shift: QueryShift | None = None) -> Features:
    """Candidates from the top passages of ``res`` with one feature row each (columns: ``FEATURES``).
    ``shift``: the retriever's language offset, for a question vector made here (``_cosines``)."""
    skip = place_terms(q.text, q.terms, res.filters.places)
    read = params.read_hits_wide if q.kind == "list" and not res.filters else params.read_hits
    hits = res.hits[:read]
    context: dict[str, str] = {}
    for hit in hits:
        doc = index.documents.get(hit.chunk.doc_id)
        prev = context.get(hit.chunk.doc_id, normalize(doc.title) if doc else "")
        context[hit.chunk.doc_id] = prev + "\n" + normalize(" ".join([*hit.chunk.heading, hit.chunk.text]))
    per_hit = [quotable(h.chunk) for h in hits]
    if q.lang == "en":
        q = senses_read(q, "\n".join(context.values()))
    s_cos_embedded, p_cos = _cosines(q, res, per_hit, index, embedder, params, positions, cache, shift)
    top = hits[0].score if hits and hits[0].score > 0 else 1.0
    cands, rows, texts = [], [], []
    words = question_words(q.text) if q.lang == "en" else []
    k = 0
    for rank, (hit, sents) in enumerate(zip(hits, per_hit, strict=True)):
        doc = index.documents.get(hit.chunk.doc_id)
        own = own_years(doc, res.filters.years, res.filters.places)
        chunk_cov = concept_coverage(normalize(" ".join([*hit.chunk.heading, hit.chunk.text])) + own, q, weights, skip)
        for pos, text in enumerate(sents):
            tnorm = normalize(text)
            s_cos = float(s_cos_embedded[k]) if k < len(s_cos_embedded) and rank < params.embed_hits \
                else p_cos[rank]
            k += rank < params.embed_hits
            if answers_nothing(text, doc.title if doc else "", hit.chunk, pos):
                continue  # the report's title as a line of its text, or an announcement of what follows
            cov = concept_coverage(tnorm + own, q, weights, skip)
            # an English question's clause would be chosen through dictionary senses that often miss the
            # report's word: it quotes the whole sentence when that fits (bench/README.md, session 6)
            whole = q.lang == "en" and len(text) <= params.max_quote
            quote = best_clause(text, q, weights) if q.kind == "numeric" and not hit.chunk.table and not whole else text
            cands.append(Candidate(rank, hit, text, quote, max(cov, params.passage_coverage_share * chunk_cov)))
            texts.append(text)
            row = _row(q, text, tnorm, s_cos, p_cos[rank], hit.score / top, rank, cov, chunk_cov,
                       pos / max(1, len(sents) - 1), params)
            rows.append([*row, share(tnorm + own, q.focus, weights, skip),
                         share(tnorm, q.measure, weights, skip) if q.kind == "numeric" else 0.0])
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    if len(rows):
        matrix[:, 1] = matrix[:, 0] - matrix[:, 0].max()
        matrix[:, 3] = matrix[:, 2] - matrix[:, 2].max()
        matrix[:, 15] = matrix[:, 14] * matrix[:, 1]
    return Features(tuple(cands), matrix, skip, context, gloss_coverage(words, texts))


def own_years(doc: Document | None, years: tuple[int, ...], places: tuple[str, ...] = ()) -> str:
    """The asked years as text a sentence of ``doc`` is read with, when the report covers one of them alone, or
    says no year but is about a place the question names (a news item): such a report's sentences say 今年 or
    nothing where the question names the year, as they leave out the place it is about (scoping has already set
    aside the reports of other years). A yearless report about no asked place gets no such credit: a sentence
    stating the year keeps its lead over it.

    >>> one, none = Document("d", "d.txt", "t", 2024, years=(2024,)), Document("d", "d.txt", "t", places=("澳门",))
    >>> own_years(one, (2024,)).split(), own_years(none, (2024,), ("澳门",)).split(), own_years(none, (2024,))
    (['2024年'], ['2024年'], '')
    >>> own_years(Document("d", "d.txt", "t", 2024, years=(2023, 2024)), (2024,))
    ''
    """
    if doc is None or not years:
        return ""
    own = set(doc.years or ((doc.year,) if doc.year else ()))
    about = {place_core(p) for p in doc.places} & {place_core(p) for p in places}
    if len(own) > 1 or own and not own & set(years) or not own and not about:
        return ""
    return "".join(f"\n{y}年" for y in years)


def senses_read(q: QuestionInfo, read: str) -> QuestionInfo:
    """An English question without the concepts whose dictionary senses none of the passages read hold (when
    some concept is held). Such a concept is most often a sense the reports do not use ("share" as 共享 where
    they write 占比); it would lower every candidate's coverage alike and, through the support rule, decline
    questions the passages answer (web-copy development set: English false declines 11 -> 6 of 39).

    >>> q = analyze("How many schools were built?")
    >>> [g[0] for g in senses_read(q, "新建学校3所").terms] == [g[0] for g in q.terms if g[0] in "新建学校3所"]
    True
    """
    present = tuple(g for g in q.terms if group_credit(read, g) > 0)
    if not present or len(present) == len(q.terms):
        return q
    return replace(q, terms=present, focus=tuple(g for g in q.focus if g in present),
                   measure=tuple(g for g in q.measure if g in present))


def share(text_norm: str, groups: tuple[tuple[str, ...], ...], weights: TermWeights,
          skip: frozenset[str] = frozenset()) -> float:
    """Share (by weight) of the concepts ``groups`` that the text names (1.0 when there are none)."""
    groups = tuple(g for g in groups if any(len(t) >= 2 for t in g) and not any(t in skip for t in g))
    if not groups:
        return 1.0
    w = [weights.group_weight(g) for g in groups]
    return sum(wi * group_credit(text_norm, g) for wi, g in zip(w, groups, strict=True)) / sum(w)


def _row(q: QuestionInfo, text: str, tnorm: str, s_cos: float, p_cos: float, prior: float, rank: int,
         cov: float, chunk_cov: float, position: float, params: AnswerParams) -> list[float]:
    numeric = q.kind == "numeric"
    new_fig = numeric and has_new_figure(text, q)
    en = q.lang == "en"
    return [s_cos, 0.0, p_cos, 0.0, prior, 1.0 / (1 + rank), cov, chunk_cov,
            min(shared_run(q.norm, tnorm), params.phrase_full) / params.phrase_full,
            float(numeric), float(new_fig), figure_fit(text, q) if new_fig else 0.0,
            float(bool(NUMBER_RE.search(tnorm))), position, float(en), 0.0, cov * en,
            math.log(1 + len(text)), float(q.kind == "list")]


def _cosines(q: QuestionInfo, res: SearchResult, per_hit: list[list[str]], index: Index, embedder: Embedder,
             params: AnswerParams, positions: dict[str, int], cache,
             shift: QueryShift | None = None) -> tuple[list[float], list[float]]:
    """The question's cosine with the first sentences of the top passages, and with each passage. A keyword-only
    index (its vectors still being made) embeds nothing: every cosine is 0.

    The sentences' vectors come from the index when it holds them (made at index time); otherwise (a Milvus
    store) they are embedded here. The query vector is the retriever's when it was made from the same text, else
    made here the way the retriever makes it (an English question's without the language offset ``shift``)."""
    hits = res.hits[:len(per_hit)]
    if index.keyword_only:
        return [], [0.0] * len(hits)
    if res.query_vector is not None and res.query_text == q.norm:
        qvec = res.query_vector
    else:
        qvec = embed_cached(embedder, [q.norm], "query", cache)[0]
        if shift is not None:
            qvec = shift.apply(qvec, q.text)
    p_cos = _passage_cosines(index, hits, qvec, positions)
    n_hits = min(params.embed_hits, len(hits))
    stored = _stored_sentence_vectors(index, hits[:n_hits], per_hit, positions)
    if stored is not None:
        s_vecs = stored[:params.max_embed_sentences]
    else:
        texts = [normalize(s) for r in range(n_hits) for s in per_hit[r]][:params.max_embed_sentences]
        s_vecs = embed_cached(embedder, texts, "passage", cache)
    return (list(s_vecs @ qvec) if len(s_vecs) else []), p_cos


def _stored_sentence_vectors(index: Index, hits: tuple[Hit, ...], per_hit: list[list[str]],
                             positions: dict[str, int]) -> np.ndarray | None:
    """The index's vectors of the hits' quotable sentences, in order; ``None`` when it lacks any of them."""
    lookup = getattr(index, "sentence_vectors", None)  # a Milvus store holds none
    if lookup is None:
        return None
    blocks = []
    for hit, sents in zip(hits, per_hit, strict=False):
        where = positions.get(hit.chunk.chunk_id)
        got = lookup(where) if where is not None else None
        if got is None or len(got) != len(sents):
            return None
        blocks.append(got)
    return np.vstack(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)


def _passage_cosines(index: Index, hits: tuple[Hit, ...], qvec: np.ndarray, where: dict[str, int]) -> list[float]:
    """Through the store's own ``cosine``: the folder holds its vectors in memory, Milvus fetches them."""
    known = [i for i, h in enumerate(hits) if h.chunk.chunk_id in where]
    out = [0.0] * len(hits)
    if known:
        got = index.cosine(np.array([where[hits[i].chunk.chunk_id] for i in known]), qvec)
        for i, c in zip(known, got, strict=True):
            out[i] = float(c)
    return out


def chunk_positions(index: Index) -> dict[str, int]:
    """chunk id -> position in the store (the answerer builds it once per loaded index)."""
    return index.chunk_positions()


def items_after(best: Candidate, cands: list[Candidate]) -> list[Candidate]:
    """The numbered items that follow ``best`` in its passage, in order, when the sentence right after it opens
    one ("加强河道治理。一是…二是…"); ``[]`` otherwise. Candidates without a place in the passage's text are
    skipped."""
    chunk = best.hit.chunk
    at = {id(c): chunk.text.find(c.sentence) for c in cands if c.hit.chunk.chunk_id == chunk.chunk_id}
    start = at.get(id(best), -1)
    if start < 0:
        return []
    after = sorted((c for c in cands if at.get(id(c), -1) > start), key=lambda c: at[id(c)])
    items = []
    for c in after:
        if not ITEM_START.match(c.sentence):
            break
        items.append(c)
    return items


def measured(q: QuestionInfo, sentence: str, weights: TermWeights) -> float:
    """Share (by weight) of what the figure question counts (``q.measure``) that ``sentence`` names (1.0 when
    unknown); a percentage names the share words (a share asked as 比例 is given as "占35%").

    >>> from qa.search.question import analyze
    >>> q = analyze("乡镇学校中寄宿制学校占多大比例?")
    >>> w = TermWeights(9, len)
    >>> measured(q, "寄宿制学校占42%", w), measured(q, "寄宿制学校12所", w)
    (1.0, 0.0)
    """
    groups = q.measure
    if asks_share(q) and percentages(sentence, q):
        groups = tuple(g for g in groups if not any(t in SHARE_ZH or t in ("%", "占比", "比") for t in g))
    return share(normalize(sentence), groups, weights)


_SHARE_FIGURE = re.compile(r"\d\s*(?:[:：]\s*\d|[﹪‰])|[一二三四五六七八九]成|分之|百分点")  # ﹪: small per cent


def gives_share(text: str, q: QuestionInfo) -> bool:
    """``text`` states a share: a new percentage, a ratio (8.5:1), tenths (三成) or a fraction (三分之一).

    >>> from qa.search.question import analyze
    >>> q = analyze("What share of pupils passed?")
    >>> [gives_share(t, q) for t in ("合格率57﹪", "生机比8.5:1", "占三成", "合格学生57人")]
    [True, True, True, False]
    """
    return percentages(text, q) or bool(_SHARE_FIGURE.search(normalize(text)))
