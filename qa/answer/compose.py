"""Answers with citations, composed offline from the retrieved paragraphs (or by an optional LLM).

The answer leads with a short statement in the asker's language and script, then quotes the reports'
own sentences in their own glyphs (a Traditional question quoting a Simplified report quotes Simplified),
each followed by its citation ``[n]``. Before it is returned every answer is checked:
each number in it must occur in a cited paragraph and each ``[n]`` must name a listed source.

>>> answerer = Answerer(retriever)  # doctest: +SKIP
>>> print(answerer.ask("青松县2019年新建了几所学校?").text)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from qa.answer import evidence, features, figures, wording
from qa.answer import lead as leads
from qa.answer.decline import DeclineModel, load_decline, load_offtopic, question_row
from qa.answer.evidence import MASKED_RE, TermWeights, group_credit, has_new_figure, quote_window
from qa.answer.features import (  # noqa: F401 - shared_run: used by tests and callers
    Candidate,
    VectorCache,
    chunk_positions,
    items_after,
    measured,
    sentence_features,
    shared_run,
)
from qa.answer.scope import asked_counts_first, asked_years_first, of_other_years, scoped, search_naming
from qa.answer.scorer import AnswerParams, load_model
from qa.answer.verify import verify
from qa.config import Settings
from qa.search.filters import Filters, uncovered_places
from qa.search.names import corpus_reads
from qa.search.question import QuestionInfo
from qa.search.retrieve import Retriever, SearchResult, question_info
from qa.search.years import CorpusYears, corpus_years_by_document, question_years, scope_of, uncovered_years
from qa.textnorm import normalize, to_traditional
from qa.types import Answer, Citation, Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """What one question's reading of its passages found: per report, the text read (title, headings,
    paragraphs), and the place words that filtered the search (not evidence of the topic). Built per question,
    never stored on the shared ``Answerer``: the web app answers several questions at once."""

    context: dict[str, str]
    skip: frozenset[str]
    answerable: bool | None = None  # the decline model's verdict (None: none, or not for this language)
    outside: str = ""  # why no candidate's report may answer (``qa.answer.scope``): ``year`` or ``place``


def answered(cands: list[Candidate], params: AnswerParams, reading: Reading | None = None, lang: str = "zh"
             ) -> bool:
    """The question-level decline model finds the candidates answer the question; without one (or for a
    language it does not decide), some candidate's support reaches the fitted decline threshold of the
    question's language (``AnswerParams.support_floor``)."""
    if not cands:
        return False
    if reading is not None and reading.answerable is not None:
        return reading.answerable
    return max(c.support for c in cands) >= params.support_floor(lang)


class Answerer:
    """Turns a question into an ``Answer`` using one retriever (and, if configured, a language model).

    Candidate sentences of the top passages are scored by the fitted model (``qa/answer/scorer.py``); the
    answer declines when the question-level model (``qa/answer/decline.py``) finds that they do not answer it.
    """

    def __init__(self, retriever: Retriever, *, settings: Settings | None = None, llm=None,
                 params: AnswerParams | None = None, decline: DeclineModel | None = None):
        self.retriever = retriever
        self.settings = settings or Settings()
        self.params = params or load_model()
        # the shipped decline model goes with the shipped sentence model only: it was fitted on its scores
        self.decline = decline if decline is not None or params is not None else load_decline()
        self.offtopic = load_offtopic() if params is None else None  # fitted with the same sentence model
        self.vectors = VectorCache(self.params.vector_cache)  # text -> vector memo shared by all questions
        self.llm = llm
        if self.llm is None and self.settings.llm_base_url and self.settings.llm_model:
            from qa.answer.llm import LLMClient, LLMConfig

            self.llm = LLMClient(LLMConfig(self.settings.llm_base_url, self.settings.llm_model,
                                           self.settings.llm_api_key, self.settings.llm_timeout))

    @cached_property
    def weights(self) -> TermWeights:
        kw = self.retriever.index.keywords
        return TermWeights(kw.size, kw.document_frequency)

    @cached_property
    def positions(self) -> dict[str, int]:
        return chunk_positions(self.retriever.index)

    def ask(self, question: str, *, filters: Filters | None = None, detect_filters: bool = True,
            on_piece: Callable[[str], None] | None = None) -> Answer:
        """The answer; ``on_piece`` receives a language model's reply so far while it streams (if one is set)."""
        res = self.retriever.search(question, k=10, filters=filters, detect_filters=detect_filters)
        # an English question's Chinese terms: the dictionary headwords that retrieval chose for this corpus
        q = question_info(question, res)
        notes = list(res.notes)
        away = self._uncovered(question, res)
        if away:
            return self._decline(q, res, notes, key="uncovered", place="、".join(away))
        years = self._uncovered_years(question, res)
        if years:
            return self._decline(q, res, notes, key="uncovered_year", year=wording.years_label(years, q.lang))
        if self.llm is not None and res.hits:
            from qa.answer.llm_answer import llm_answer

            answer, note = llm_answer(self, q, res, on_piece)
            if answer is not None:
                return answer
            notes.append(note)
        return self.extractive(q, res, notes)

    def _uncovered(self, question: str, res: SearchResult) -> tuple[str, ...]:
        """The places the question names that the corpus knows nothing of (none when it names a known one)."""
        if res.filters.places or res.filters.mentioned:
            return ()
        index = self.retriever.index
        return uncovered_places(question, self.retriever.places, naming=index.texts_naming,
                                reads=lambda word: corpus_reads(word, index.keywords))

    @cached_property
    def written_years(self) -> frozenset[int]:
        """The years the paragraphs write in four digits or a calendar (read when the retriever opened)."""
        return self.retriever.written_years()

    @cached_property
    def corpus_years(self) -> CorpusYears:
        """The years the corpus covers (``qa.search.years``), read once per index, on the first question that
        names only years no paragraph writes in four digits or a calendar."""
        index = self.retriever.index
        return corpus_years_by_document(index.documents.values(), index.document_texts(), written=self.written_years)

    def _uncovered_years(self, question: str, res: SearchResult) -> tuple[int, ...]:
        """The years the question names when the reports cover none of them (generously: see
        ``qa.search.years``); only the reports its place or report filter keeps speak for their years."""
        named = question_years(question)
        if not named or self.written_years.intersection(named):
            return ()
        scope = scope_of(res.filters, self.retriever.places)
        return uncovered_years(question, self.corpus_years, scope)

    # -- extractive -------------------------------------------------------------------------------
    def candidates(self, q: QuestionInfo, res: SearchResult) -> tuple[list[Candidate], Reading]:
        """The candidate sentences, best first, each with the scorer's probability that it holds the answer."""
        index, (read, outside) = self.retriever.index, scoped(self.retriever, q, res)  # reports that may answer
        feats = sentence_features(q, read, index, self.retriever.embedder, self.weights, self.params, self.positions,
                                  self.vectors, self.retriever.shift)
        probs, support = self.params.probability(feats.matrix, feats.gloss), self.params.support(feats.matrix)
        out = [replace(c, score=float(p), support=float(s))
               for c, p, s in zip(feats.candidates, probs, support, strict=True)]
        out.sort(key=lambda c: -c.score)
        verdict = None
        if out and (self.decline is not None or self.offtopic is not None):  # on every candidate, as fitted
            row = question_row(feats.matrix, probs, support)
            verdict = self.decline.answers(row) if self.decline is not None else None
            if self.offtopic is not None and self.offtopic.declines(row, self.retriever.embedder.name):
                verdict = False  # no passage comes near: the reports are about something else
        out = [] if outside else out  # answered only from reports that speak of what it names
        out = asked_counts_first(q, out, self.params.support_floor(q.lang))
        out = asked_years_first(q, out, self.retriever.index.documents, self.params.support_floor(q.lang))
        return out, Reading(feats.context, feats.skip, False if outside else verdict, outside)

    def extractive(self, q: QuestionInfo, res: SearchResult, notes: list[str]) -> Answer:
        parts = leads.question_parts(q.text)
        if len(parts) > 1:
            return self._two_part(q, [question_info(p, res) for p in parts], res, notes)
        cands, reading = self.candidates(q, res)
        if reading.outside == "place" and (again := search_naming(self.retriever, q, res)) is not None:
            q, res = again
            notes = list(res.notes)
            cands, reading = self.candidates(q, res)
        p = self.params
        # a figure the report asked about masks ("**次") is said so, whether or not another sentence scores well
        masked = self._masked(q, cands) if q.kind == "numeric" and cands else None
        if masked is not None:
            return self._decline(q, res, notes, key="masked", mask=masked[0], first=masked[1].hit)
        if reading.outside:
            return self._decline(q, res, notes, key=f"outside_{reading.outside}", place="、".join(res.places),
                                 year=wording.years_label(question_years(q.text), q.lang))
        if not answered(cands, p, reading, q.lang) or (q.kind == "numeric" and self._no_figure(q, cands)):
            return self._decline(q, res, notes)
        if q.kind == "numeric" and q.lang == "en":
            cands = evidence.figure_first(q, cands, self.params.figure_pool)
        chosen = self._choose(q, res, cands, reading)
        if q.kind == "numeric" and not any(figures.gives_figure(c.quote, q) for c in chosen):
            return self._decline(q, res, notes)  # no quote gives a figure: no answer to a figure question
        return self._compose(q, res, chosen, notes, reading)

    def _two_part(self, q: QuestionInfo, parts: list[QuestionInfo], res: SearchResult, notes: list[str]
                  ) -> Answer:
        """Each part of a two-part question gets its own best sentence; a part with none is left out."""
        chosen: list[Candidate] = []
        reading = Reading({}, frozenset())
        for part in parts:
            cands, reading = self.candidates(part, res)
            if not answered(cands, self.params, reading, part.lang) or (
                    part.kind == "numeric" and self._no_figure(part, cands)):
                continue
            picks = [c for c in (cands[0], self._runner_up(part, cands[0], cands)) if c is not None]
            if part.kind == "numeric" and not any(figures.gives_figure(c.quote, part) for c in picks):
                continue  # as ``extractive``: a figure part none of whose quotes gives a figure is left out
            for c in picks:  # a part is a question: it quotes its runner-up by the same rule, each in its whole
                if all(c.sentence != x.sentence for x in chosen):  # sentence (a clause may hold one part's figure)
                    chosen.append(replace(c, quote=c.sentence))
        if not chosen:
            return self._decline(q, res, notes)
        return self._compose(replace(q, kind="fact"), res, chosen, notes, reading)

    def _choose(self, q: QuestionInfo, res: SearchResult, cands: list[Candidate], reading: Reading
                ) -> list[Candidate]:
        """The best candidate, then further quotes that add to it (other reports, the items of a list)."""
        p = self.params
        documents = self.retriever.index.documents
        best = cands[0]
        chosen = [best]
        limit = p.list_items if q.kind == "list" else p.other_items
        pool = list(cands[1:])
        direct = self._direct(q, best, reading)
        runner_up = self._runner_up(q, best, cands)
        if runner_up is not None:
            chosen.append(runner_up)
        # asked of one report (a place or report named), a sentence that opens a run of numbered items is
        # answered with the items; asked across reports, each report's best sentence is quoted instead
        if q.kind == "list" and res.filters:
            items = [c for c in items_after(best, cands) if all(c.sentence != x.sentence for x in chosen)]
            chosen.extend(items[: max(0, limit - len(chosen))])

        def adjusted(c: Candidate) -> float:  # prefer other reports when no report is named
            if res.filters:
                return c.score
            same = sum(c.hit.chunk.doc_id == x.hit.chunk.doc_id for x in chosen)
            return c.score * (p.same_report_discount ** same)

        while pool and len(chosen) < limit:
            pool.sort(key=lambda c: -adjusted(c))
            c = pool.pop(0)
            if any(c.quote == x.quote or c.sentence == x.sentence for x in chosen):
                continue
            if q.kind == "list":
                new_doc = all(c.hit.chunk.doc_id != x.hit.chunk.doc_id for x in chosen)
                if c.score >= p.list_keep * best.score or (
                        not res.filters and new_doc and c.score >= p.list_keep_new_report * best.score):
                    chosen.append(c)
            elif any(c.hit.chunk.chunk_id == x.hit.chunk.chunk_id for x in chosen):
                continue
            elif q.kind == "numeric" and not has_new_figure(c.quote, q, strict=True):
                continue
            elif c.hit.chunk.doc_id != best.hit.chunk.doc_id and not of_other_years(q, c, documents) and (
                    c.score >= p.other_report_keep * best.score or c.support >= p.support_floor(q.lang)
                    or self._parallel(q, c, best, res)):
                chosen.append(c)
            elif q.kind == "numeric" and not direct and c.score >= p.indirect_keep * best.score:
                chosen.append(c)
        return chosen

    def _runner_up(self, q: QuestionInfo, best: Candidate, cands: list[Candidate]) -> Candidate | None:
        """The second-best sentence of a fact or figure answer, when the scorer can hardly tell it from the best: of
        its passage at a fitted share of its probability (``runner_up_keep_*``: ``scripts/fit_runner_up.py``), of
        another passage of its report at another (``runner_up_other_*``: ``fit_runner_up_other.py``)."""
        p, en = self.params, q.lang == "en"
        keep, other = (p.runner_up_keep_en, p.runner_up_other_en) if en else (p.runner_up_keep_zh, p.runner_up_other_zh)
        if q.kind == "list" or best.score <= 0:
            return None
        for c in (c for c in cands[1:] if c.sentence != best.sentence and c.quote != best.quote):
            if c.score < min(keep, other) * best.score:
                return None
            same = c.hit.chunk.chunk_id == best.hit.chunk.chunk_id  # the cheap tests first, then the figure's
            if (c.hit.chunk.doc_id == best.hit.chunk.doc_id and c.score >= (keep if same else other) * best.score
                    and not figures.another_measure(c.quote, q)  # not only of another measure ("多少所", "小学980人")
                    and (q.kind != "numeric" or has_new_figure(c.quote, q, strict=True))):  # not a date, an item
                return c
        return None

    def _parallel(self, q: QuestionInfo, c: Candidate, best: Candidate, res: SearchResult) -> bool:
        """Another report's figure for the same measure, when the question names no report: as much of the question
        in it as in the best sentence (scores weigh passage rank: a ratio to the best drops a report ranked lower)."""
        p = self.params
        return (q.kind == "numeric" and not res.filters and c.coverage >= p.other_report_keep * best.coverage
                and self._measured(q, c.sentence) >= p.measured_min)

    def _measured(self, q: QuestionInfo, sentence: str) -> float:
        """Share (by weight) of what the figure question counts that ``sentence`` names (1.0 when unknown)."""
        return measured(q, sentence, self.weights)

    def _direct(self, q: QuestionInfo, c: Candidate, reading: Reading) -> bool:
        """The best sentence states every concept of what is asked, next to its figure."""
        p = self.params
        norm = normalize(c.sentence)
        focus = [g for g in q.focus if any(len(t) >= 2 for t in g) and not any(t in reading.skip for t in g)
                 and not all(t.isdigit() for t in g)]
        if not focus:
            return c.coverage >= p.direct_coverage
        w = [self.weights.group_weight(g) for g in focus]
        got = sum(wi * group_credit(norm, g) for wi, g in zip(w, focus, strict=True))
        return got / sum(w) >= p.direct_focus and c.coverage >= p.direct_coverage

    def _no_figure(self, q: QuestionInfo, cands: list[Candidate]) -> bool:
        """No answer to a figure question when no likely sentence gives a figure for what is counted (the caller
        declines too when no quote it chose gives one). English questions know what is counted only through senses
        that often miss the report's word, so there a figure in a likely sentence is enough (XQuAD en->zh 0..299,
        never fitted on: declines 22 -> 9, answers holding the gold span 169 -> 179; bench/README.md). A date's parts
        and an item's number are no figure here ("how much" and "9月28日"), nor a count for a share asked
        (``evidence.asks_share``: 55%, 8.5:1, 三成), nor one of a sentence telling of other years than asked."""
        pool = [c for c in cands[:self.params.figure_pool] if figures.gives_figure(c.quote, q)
                and not of_other_years(q, c, self.retriever.index.documents)]
        if q.lang == "en":
            return not any(features.gives_share(c.quote, q) for c in pool) if evidence.asks_share(q) else not pool
        return not any(self._measured(q, c.sentence) >= self.params.measured_min for c in pool)

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
        lead = self._lead(q, chosen, several_docs, reading)
        if q.lang == "en" and q.kind == "numeric" and not several_docs:
            best = chosen[0]
            figure = leads.figure_lead(best.quote, q, docs.get(best.hit.chunk.doc_id), order[best.hit.chunk.chunk_id],
                                       best.hit.chunk.norm)
            lead = figure or lead
        lines = []
        for c in chosen:
            # the report's own words and glyphs: a clause with its neighbours; of a long one, the part that matches
            shown, most = leads.in_context(c.quote, c.sentence, self.params.max_quote), self.params.max_quote
            quote = quote_window(shown, q, self.weights, most) or leads.shorten(shown, most)
            label = wording.place_label(docs[c.hit.chunk.doc_id], q.lang) if several_docs else ""
            lines.append(f"- {label}“{quote}” [{order[c.hit.chunk.chunk_id]}]")
        text = lead + "\n" + "\n".join(lines)
        answer = Answer(q.text, text, tuple(citations), res.hits[:5], False,
                        wording.kept_notes(notes, [c.document for c in citations], res.places))
        checked = verify(answer)
        if checked is None:
            return self._decline(q, res, [*notes, "the composed answer failed its checks"])
        return checked

    def _lead(self, q: QuestionInfo, chosen: list[Candidate], several_docs: bool, reading: Reading) -> str:
        """"No single figure" only when a total is asked and the quotes give parts of it. "Different figures"
        only when every quote names what is counted: a quote from another report that counts something else
        (the further quotes' rules of ``_choose`` also keep well-scored neighbours) is listed by report,
        without saying its figure is another value of the one asked for."""
        if q.kind == "numeric" and several_docs:
            same = all(self._measured(q, c.sentence) >= self.params.measured_min for c in chosen)
            return wording.text("differ" if same else "by_report", q.lang)
        if q.kind == "numeric" and len(chosen) > 1 and leads.asks_total(q.text) \
                and not self._direct(q, chosen[0], reading):
            return wording.text("no_single", q.lang)
        return wording.text("list" if q.kind == "list" else "direct", q.lang)

    def _masked(self, q: QuestionInfo, cands: list[Candidate]) -> tuple[str, Candidate] | None:
        """The masked figure ("**次", "xx人") of the sentence that best speaks of what is counted, if any,
        and that sentence's candidate."""
        least, fits = self.params.measured_min, figures.masks_answer  # a mask in the measure and year asked
        top = MASKED_RE.search(normalize(cands[0].sentence))
        if top and not has_new_figure(cands[0].sentence, q, strict=True) and fits(top, q):
            return top.group(0), cands[0]  # the scorer's best sentence masks its figure and gives no other
        if not has_new_figure(cands[0].quote, q):
            # The best passage gives no figure: a masked one in the same report about what is counted is
            # the report's answer, even when other reports' figures rank higher.
            doc = cands[0].hit.chunk.doc_id
            for c in cands:
                m = MASKED_RE.search(normalize(c.sentence))
                if m and c.hit.chunk.doc_id == doc and self._measured(q, c.sentence) >= least and fits(m, q):
                    return m.group(0), c
        pool = [c for c in cands[:self.params.masked_pool] if self._measured(q, c.sentence) >= least]
        if not pool:
            return None
        best = max(pool, key=lambda c: (self._measured(q, c.sentence) + c.coverage, c.score))
        m = MASKED_RE.search(normalize(best.sentence))
        if m and fits(m, q) and not has_new_figure(best.quote if best.quote != best.sentence else "", q):
            # the mask declines nothing when the scorer ranks a figure some report gives above it
            return None if evidence.given_above(best, cands, q) else (m.group(0), best)
        return None

    def _decline(self, q: QuestionInfo, res: SearchResult, notes: list[str], key: str = "decline",
                 mask: str = "", first: Hit | None = None, place: str = "", year: str = "") -> Answer:
        """No answer, with the closest passages (``first``, e.g. the one with the masked figure, on top)."""
        place = to_traditional(place) if q.lang == "zh-hant" else place
        text = wording.text(key, q.lang).replace("{mask}", mask).replace("{place}", place).replace("{year}", year)
        related = list(res.hits[:5])
        if first is not None:
            related = [first, *(h for h in related if h.chunk.chunk_id != first.chunk.chunk_id)][:5]
        return Answer(q.text, text, (), tuple(related), True, tuple(notes))
