"""Answers with citations, composed offline from the retrieved paragraphs (or by an optional LLM).

The answer leads with a short statement in the asker's language and script, then quotes the reports'
own sentences in their own glyphs (a Traditional question quoting a Simplified report quotes Simplified),
each followed by its citation ``[n]``. Before it is returned every answer is checked:
each number in it must occur in a cited paragraph and each ``[n]`` must name a listed source.

>>> answerer = Answerer(retriever)  # doctest: +SKIP
>>> print(answerer.ask("钟山县2011年招聘了多少教师?").text)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from qa.answer import wording
from qa.answer.evidence import (
    TermWeights,
    best_clause,
    concept_coverage,
    figure_fit,
    group_credit,
    has_new_figure,
    sentences,
)
from qa.answer.verify import verify
from qa.config import Settings
from qa.ingest.split import heading_level
from qa.ingest.tables import cell_quotes
from qa.search.filters import Filters, place_core
from qa.search.question import QuestionInfo, analyze
from qa.search.retrieve import Retriever, SearchResult
from qa.textnorm import normalize
from qa.types import Answer, Chunk, Citation, Hit

log = logging.getLogger(__name__)
MASKED_RE = re.compile(r"(\*{2,}|[xX×]{2,}|某)\s*(次|人|名|所|项|个|元|万元|天|场|期|批)")
READ_HITS = 8  # paragraphs whose sentences are considered
READ_HITS_WIDE = 10  # an unscoped list question may be answered by several reports
PHRASE_BONUS, PHRASE_FULL = 0.15, 10  # a sentence sharing a run of 10+ characters with the question
MIN_COVERAGE = 0.34  # below this share of the question's concepts, the evidence is too weak to answer
MAX_QUOTE = 110


@dataclass(frozen=True)
class Reading:
    """What one question's reading of its passages found: per report, the text read (title, headings,
    paragraphs), and the place words that filtered the search (not evidence of the topic). Built per question,
    never stored on the shared ``Answerer``: the web app answers several questions at once."""

    context: dict[str, str]
    skip: frozenset[str]


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    hit: Hit
    sentence: str
    quote: str
    coverage: float
    score: float


class Answerer:
    """Turns a question into an ``Answer`` using one retriever (and, if configured, a language model)."""

    def __init__(self, retriever: Retriever, *, settings: Settings | None = None, llm=None):
        self.retriever = retriever
        self.settings = settings or Settings()
        self.llm = llm
        if self.llm is None and self.settings.llm_base_url and self.settings.llm_model:
            from qa.answer.llm import LLMClient, LLMConfig

            self.llm = LLMClient(LLMConfig(self.settings.llm_base_url, self.settings.llm_model,
                                           self.settings.llm_api_key, self.settings.llm_timeout))

    @cached_property
    def weights(self) -> TermWeights:
        kw = self.retriever.index.keywords
        return TermWeights(kw.size, kw.document_frequency)

    def ask(self, question: str, *, filters: Filters | None = None, detect_filters: bool = True,
            on_piece: Callable[[str], None] | None = None) -> Answer:
        """The answer; ``on_piece`` receives a language model's reply so far while it streams (if one is set)."""
        res = self.retriever.search(question, k=10, filters=filters, detect_filters=detect_filters)
        # an English question's Chinese terms: the dictionary headwords that retrieval chose for this corpus
        q = analyze(question, keep=frozenset(res.keywords).__contains__ if res.keywords else None)
        notes = list(res.notes)
        if self.llm is not None and res.hits:
            from qa.answer.llm_answer import llm_answer

            answer, note = llm_answer(self, q, res, on_piece)
            if answer is not None:
                return answer
            notes.append(note)
        return self.extractive(q, res, notes)

    # -- extractive -------------------------------------------------------------------------------
    def candidates(self, q: QuestionInfo, res: SearchResult) -> tuple[list[Candidate], Reading]:
        skip = frozenset(p for place in res.filters.places for p in (place, normalize(place), place_core(place)))
        top = res.hits[0].score if res.hits else 1.0
        en = q.lang == "en"
        out = []
        context: dict[str, str] = {}
        read = READ_HITS_WIDE if q.kind == "list" and not res.filters else READ_HITS
        for hit in res.hits[:read]:
            doc = self.retriever.index.documents.get(hit.chunk.doc_id)
            prev = context.get(hit.chunk.doc_id, normalize(doc.title) if doc else "")
            context[hit.chunk.doc_id] = prev + "\n" + normalize(" ".join([*hit.chunk.heading, hit.chunk.text]))
        for rank, hit in enumerate(res.hits[:read]):
            prior = (hit.score / top if top > 0 else 0.0) * (0.92 ** rank)
            chunk_cov = concept_coverage(normalize(" ".join([*hit.chunk.heading, hit.chunk.text])), q,
                                         self.weights, skip)
            for text in _quotable(hit.chunk):
                tnorm = normalize(text)
                cov = concept_coverage(tnorm, q, self.weights, skip)
                score = (0.35 if en else 0.5) * cov + 0.2 * chunk_cov + (0.6 if en else 0.4) * prior
                if not en and q.kind != "list":  # the question's words in one run: 重建吐鲁克买里教学点, not
                    # 吐鲁克买里村 in a list of villages (a list question's run is often only its heading)
                    score += PHRASE_BONUS * min(shared_run(q.norm, tnorm), PHRASE_FULL) / PHRASE_FULL
                if q.kind == "numeric":
                    score += 0.15 + 0.2 * figure_fit(text, q) if has_new_figure(text, q) else -0.3
                quote = best_clause(text, q, self.weights) if q.kind == "numeric" and not hit.chunk.table else text
                out.append(Candidate(rank, hit, text, _shorten(quote), max(cov, 0.8 * chunk_cov), score))
        out.sort(key=lambda c: -c.score)
        return out, Reading(context, skip)

    def extractive(self, q: QuestionInfo, res: SearchResult, notes: list[str]) -> Answer:
        cands, reading = self.candidates(q, res)
        if not cands or self._off_topic(q, cands, reading):
            return self._decline(q, res, notes)
        masked = self._masked(q, cands) if q.kind == "numeric" else None
        if masked is not None:
            mask, where = masked
            return self._decline(q, res, notes, key="masked", mask=mask, first=where.hit)
        if q.kind == "numeric" and self._no_figure(q, cands, reading):
            return self._decline(q, res, notes)
        best = cands[0]
        chosen = [best]
        limit = 4 if q.kind == "list" else 3
        pool = list(cands[1:])
        while pool and len(chosen) < limit:
            # Prefer other reports: several reports' measures answer an unscoped question better than one's.
            def adjusted(c: Candidate) -> float:
                if res.filters:
                    return c.score
                same = sum(c.hit.chunk.doc_id == x.hit.chunk.doc_id for x in chosen)
                return c.score * (0.6 ** same)

            pool.sort(key=lambda c: -adjusted(c))
            c = pool.pop(0)
            if any(c.quote == x.quote or c.sentence == x.sentence for x in chosen):
                continue
            if q.kind == "list":
                new_doc = all(c.hit.chunk.doc_id != x.hit.chunk.doc_id for x in chosen)
                if c.score >= 0.6 * best.score or (not res.filters and new_doc and c.score >= 0.4 * best.score):
                    chosen.append(c)
            elif any(c.hit.chunk.chunk_id == x.hit.chunk.chunk_id for x in chosen):
                continue
            elif q.kind == "numeric" and not has_new_figure(c.quote, q):
                continue
            elif c.hit.chunk.doc_id != best.hit.chunk.doc_id and c.score >= 0.85 * best.score:
                chosen.append(c)
            elif q.kind == "numeric" and not self._direct(q, best, reading) and c.score >= 0.7 * best.score:
                chosen.append(c)
        return self._compose(q, res, chosen, notes, reading)

    def _measured(self, q: QuestionInfo, sentence: str) -> float:
        """Share (by weight) of what the figure question counts that ``sentence`` names (1.0 when unknown)."""
        groups = [g for g in q.measure if any(len(t) >= 2 for t in g)]
        if not groups:
            return 1.0
        norm = normalize(sentence)
        w = [self.weights.group_weight(g) for g in groups]
        return sum(wi * group_credit(norm, g) for wi, g in zip(w, groups, strict=True)) / sum(w)

    def _direct(self, q: QuestionInfo, c: Candidate, reading: Reading) -> bool:
        """The best sentence states every concept of what is asked, next to its figure."""
        norm = normalize(c.sentence)
        focus = [g for g in q.focus if any(len(t) >= 2 for t in g) and not any(t in reading.skip for t in g)
                 and not all(t.isdigit() for t in g)]
        if not focus:
            return c.coverage >= 0.5
        w = [self.weights.group_weight(g) for g in focus]
        got = sum(wi * group_credit(norm, g) for wi, g in zip(w, focus, strict=True))
        return got / sum(w) >= 0.7 and c.coverage >= 0.5

    def _off_topic(self, q: QuestionInfo, cands: list[Candidate], reading: Reading) -> bool:
        """No answer when the best report's passages miss what the question is mainly about."""
        ctx = reading.context.get(cands[0].hit.chunk.doc_id, "")
        return concept_coverage(ctx, q, self.weights, reading.skip) < MIN_COVERAGE

    def _no_figure(self, q: QuestionInfo, cands: list[Candidate], reading: Reading) -> bool:
        """No answer to a figure question when no passage of a report on the subject gives what is counted."""
        covered = {d for d, text in reading.context.items()
                   if concept_coverage(text, q, self.weights, reading.skip) >= MIN_COVERAGE}
        return not any(has_new_figure(c.quote, q) and c.hit.chunk.doc_id in covered
                       and self._measured(q, c.sentence) >= 0.5 for c in cands[:8])

    def _compose(self, q: QuestionInfo, res: SearchResult, chosen: list[Candidate], notes: list[str],
                 reading: Reading) -> Answer:
        docs = self.retriever.index.documents
        order: dict[str, int] = {}
        citations: list[Citation] = []
        for c in chosen:
            cid = c.hit.chunk.chunk_id
            if cid not in order:
                order[cid] = len(order) + 1
                citations.append(Citation(order[cid], c.hit.chunk, docs[c.hit.chunk.doc_id], c.sentence))
        several_docs = len({c.hit.chunk.doc_id for c in chosen}) > 1
        direct = self._direct(q, chosen[0], reading)
        if q.kind == "numeric" and several_docs:
            lead = wording.text("differ", q.lang)
        elif q.kind == "numeric" and not direct:
            lead = wording.text("no_single", q.lang)
        elif q.kind == "list":
            lead = wording.text("list", q.lang)
        else:
            lead = wording.text("direct", q.lang)
        lines = []
        for c in chosen:
            quote = c.quote  # the report's own words and glyphs, whatever script the question used
            label = wording.place_label(docs[c.hit.chunk.doc_id], q.lang) if several_docs else ""
            lines.append(f"- {label}“{quote}” [{order[c.hit.chunk.chunk_id]}]")
        text = lead + "\n" + "\n".join(lines)
        answer = Answer(q.text, text, tuple(citations), res.hits[:5], False, tuple(notes))
        checked = verify(answer)
        if checked is None:
            return self._decline(q, res, [*notes, "the composed answer failed its checks"])
        return checked

    def _masked(self, q: QuestionInfo, cands: list[Candidate]) -> tuple[str, Candidate] | None:
        """The masked figure ("**次", "xx人") of the sentence that best speaks of what is counted, if any,
        and that sentence's candidate."""
        if not has_new_figure(cands[0].quote, q):
            # The best passage gives no figure: a masked one in the same report about what is counted is
            # the report's answer, even when other reports' figures rank higher.
            doc = cands[0].hit.chunk.doc_id
            for c in cands:
                m = MASKED_RE.search(normalize(c.sentence))
                if m and c.hit.chunk.doc_id == doc and self._measured(q, c.sentence) >= 0.5:
                    return m.group(0), c
        pool = [c for c in cands[:12] if self._measured(q, c.sentence) >= 0.5]
        if not pool:
            return None
        best = max(pool, key=lambda c: (self._measured(q, c.sentence) + c.coverage, c.score))
        m = MASKED_RE.search(normalize(best.sentence))
        if m and not has_new_figure(best.quote if best.quote != best.sentence else "", q):
            return m.group(0), best
        return None

    def _decline(self, q: QuestionInfo, res: SearchResult, notes: list[str], key: str = "decline",
                 mask: str = "", first: Hit | None = None) -> Answer:
        """No answer, with the closest passages (``first``, e.g. the one with the masked figure, on top)."""
        text = wording.text(key, q.lang).replace("{mask}", mask)
        related = list(res.hits[:5])
        if first is not None:
            related = [first, *(h for h in related if h.chunk.chunk_id != first.chunk.chunk_id)][:5]
        return Answer(q.text, text, (), tuple(related), True, tuple(notes))


def shared_run(question: str, text: str, shortest: int = 4) -> int:
    """Length of the longest run of characters (at least ``shortest``) the question and the text share.

    >>> shared_run("乌赞乡重建吐鲁克买里教学点花了多少钱?", "投入10.8万元重建吐鲁克买里教学点,改善教学环境")
    10
    """
    best = 0
    for i in range(len(question)):
        length = max(best + 1, shortest)
        while i + length <= len(question) and question[i:i + length] in text:
            best = length
            length += 1
    return best


def _quotable(chunk: Chunk) -> list[str]:
    """The chunk's sentences worth quoting: not its heading line; a sentence that ends in a colon
    ("存在以下问题:") goes with the one after it. A table row's units are its cells, each with its row and
    column ("城关一中 · 教师(人): 156")."""
    if chunk.table is not None:
        return cell_quotes(chunk)
    body = chunk.text
    head = chunk.heading[-1] if chunk.heading else ""
    if head and body.startswith(head + "\n"):
        body = body[len(head) + 1:]
    out: list[str] = []
    carry = ""
    for sent in sentences(body):
        if not carry and len(sent.text) <= 30 and (heading_level(sent.text) or 9) <= 2:
            continue  # an inline heading: "(三)安全生產大檢查開展情況。"
        text = carry + sent.text
        if text.rstrip().endswith((":", "：")):
            carry = text
            continue
        carry = ""
        out.append(text)
    if carry:
        out.append(carry)
    return out


def _shorten(quote: str) -> str:
    quote = quote.strip().rstrip("，,、；;：:")
    if len(quote) <= MAX_QUOTE:
        return quote
    cut = quote[:MAX_QUOTE]
    for p in ("，", ",", "、", "；"):
        i = cut.rfind(p)
        if i > MAX_QUOTE // 2:
            return cut[:i] + "…"
    while cut and cut[-1].isdigit():  # never cut a figure in two
        cut = cut[:-1]
    return cut + "…"
