"""Which reports may answer a question that names years, or a place that reports only mention.

Retrieval ranks the reports of a question's years, and the reports naming a place no report is about, first,
and cuts none: a year *filter* once hid the right report from every question naming the year of its events.
Ranking alone, though, let a sentence of another report answer: asked about a district's new school places in
a year its report does not cover, the answer quoted another city's new schools. So once the candidate sentences
are scored, a sentence answers only from a report that speaks of what the question names (``scoped``):

- a year it names: the report covers it (``qa.search.years.report_covers``: its own year and the years next
  to it, the years its text names; a report whose own year is unknown or masked covers every year);
- a place (``SearchResult.places``: about or mentioned, also when the place filter was set aside because the
  best evidence lay outside it): the report is about it or mentions it (``Document.places``/``mentions``), or
  its title or text names it, in full or without its administrative suffix, or, for Hong Kong and Macau, in the
  region's own voice (本港, 本澳: ``qa.ingest.gazetteer.voiced_regions``). Where the reports only name it in
  passing (none is about it), a report that names no place at all may answer as well.

When no candidate's report names the place, the question is searched again within the reports that mention it
(``search_naming``); when still no candidate's report may answer, the answer declines and says which of the two
it was. Within the reports kept, a sentence that names only other years than asked, from a report not of an
asked year (``of_other_years``), does not answer first while another may (``asked_years_first``).

>>> from qa.types import Document
>>> docs = {"a": Document("a", "a.txt", "青松县2019年工作总结", year=2019)}
>>> paragraphs = {"a": ["河西镇新建学校3所。"]}.get
>>> answering_reports(docs, paragraphs, ["a"], (2019,), ("河西镇",))
Scope(kept=frozenset({'a'}), outside='')
>>> answering_reports(docs, paragraphs, ["a"], (2023,), ("河西镇",)).outside
'year'
>>> answering_reports(docs, paragraphs, ["a"], (), ("河东镇",))
Scope(kept=frozenset(), outside='place')
>>> hong_kong = {"b": ["本港医疗服务需求不断增加。"]}.get
>>> answering_reports({"b": Document("b", "b.txt", "")}, hong_kong, ["b"], (), ("香港",))
Scope(kept=frozenset({'b'}), outside='')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from qa.answer.figures import unit_table
from qa.ingest.gazetteer import voiced_regions
from qa.numbers import english_numbers
from qa.search.filters import Filters, as_asked, place_core
from qa.search.question import QuestionInfo
from qa.search.retrieve import Retriever, SearchResult, question_info
from qa.search.years import more_years, question_years, report_covers
from qa.textnorm import normalize, script_of, to_traditional
from qa.types import Document

NAMING_NOTE = {"en": "the passages found first come from reports that do not name {}: searched again in those that do",
               "zh": "最先找到的段落所在的报告都没有写到{}：已在写到它的报告中重新检索"}


@dataclass(frozen=True)
class Scope:
    """The reports that may answer; when none may, ``outside`` says why: ``year`` or ``place``."""

    kept: frozenset[str]
    outside: str = ""


def answering_reports(documents: Mapping[str, Document], paragraphs: Callable[[str], list[str]],
                      doc_ids: Iterable[str], years: Iterable[int], places: Iterable[str]) -> Scope:
    """Of the reports ``doc_ids`` (``documents`` by id; ``paragraphs``: a report's normalized paragraphs),
    those covering one of ``years`` and naming one of ``places`` (either condition holds when its list is
    empty). A report not in ``documents`` is kept. When the first report of ``doc_ids`` (the best passage's)
    names no place at all and the reports naming the place only name it in passing (not among the places one
    is about, or if none, not the place it names most: a Hong Kong foundation in a county's summary), the first
    is kept too, as a report of unknown year covers every year: a page that says only 教育局 may be about it."""
    years = tuple(years)
    forms = {f for p in places for f in (normalize(p), place_core(normalize(p))) if len(f) >= 2}
    kept, placed, about, placeless = set(), False, False, []
    for i, d in enumerate(dict.fromkeys(doc_ids)):
        doc = documents.get(d)
        if doc is None:
            kept.add(d)
            continue
        texts = [normalize(doc.title), *paragraphs(d)]
        voiced = forms and any(r in f for r in voiced_regions("\n".join(texts)) for f in forms)
        if forms and not {place_core(normalize(p)) for p in (*doc.places, *doc.mentions)}.intersection(forms) \
                and not any(f in t for t in texts for f in forms) and not voiced:
            if i == 0 and not doc.places and not doc.mentions:
                placeless.append((d, doc, texts))  # the best passage's report names no place: it may be about any
            continue
        placed = True
        own = {place_core(normalize(p)) for p in doc.places or doc.mentions[:1]}  # about, else the one named most
        about = about or voiced or bool(own.intersection(forms))
        if not years or report_covers(doc, texts, years):
            kept.add(d)
    if placed and not about:  # the place is only named in passing: no surer a sign than naming none
        for d, doc, texts in placeless:
            if not years or report_covers(doc, texts, years):
                kept.add(d)
    outside = "" if kept else "year" if placed else "place"
    return Scope(frozenset(kept), outside)


def search_naming(retriever: Retriever, q: QuestionInfo, res: SearchResult
                  ) -> tuple[QuestionInfo, SearchResult] | None:
    """The question searched again within the reports about or mentioning the places it names
    (``SearchResult.places``), with a note saying so; None when there are none."""
    places = res.places
    ids = retriever.places.naming(places)
    if not ids:
        return None
    again = retriever.search(q.text, k=len(res.hits) or 10, filters=Filters(doc_ids=tuple(ids)))
    script = script_of(q.text)
    note = NAMING_NOTE["en" if script == "en" else "zh"].format(("/" if script == "en" else "、").join(places))
    if script == "zh-hant":
        note = as_asked(to_traditional(note), places, q.text)
    again = replace(again, notes=(*res.notes, note))
    return question_info(q.text, again), again


def scoped(retriever: Retriever, q: QuestionInfo, res: SearchResult) -> tuple[SearchResult, str]:
    """``res`` with only the hits whose reports may answer ``q`` (``answering_reports``), and why none may
    (``outside`` of ``Scope``, "" when some may). The candidate sentences are then read from those reports alone,
    and scored against each other, not against a sentence of a report that cannot answer; when none may, ``res``
    is returned whole and the answer declines saying why."""
    years, places = question_years(q.text), res.places
    if not (years or places) or not res.hits:
        return res, ""
    scope = answering_reports(retriever.index.documents, retriever.report_paragraphs,
                              (h.chunk.doc_id for h in res.hits), years, places)
    hits = tuple(h for h in res.hits if h.chunk.doc_id in scope.kept)
    return (replace(res, hits=hits) if hits and len(hits) < len(res.hits) else res), scope.outside


def of_other_years(q: QuestionInfo, c, documents: Mapping[str, Document]) -> bool:
    """The question names years; the candidate's sentence names years, none of them asked, and its report is
    not of an asked year (a report's own sentence may name the year of the events while the question names the
    report's: "the 2019 summary" and "2018年度述职评议"). Such a sentence tells of another year.
    """
    asked = question_years(q.text)
    if not asked:
        return False
    said = set(question_years(c.sentence))
    said |= more_years(normalize(c.sentence)) if said else set()  # and the spans: 2002-2004年 names 2003
    doc = documents.get(c.hit.chunk.doc_id)
    return bool(said) and not set(asked) & set(said) and not (doc is not None and doc.year in asked)


def asked_years_first(q: QuestionInfo, cands: list, documents: Mapping[str, Document], floor: float) -> list:
    """The candidates, with the best one that does not tell of another year (``of_other_years``) first when the
    best tells of one and it reaches the support floor of the question's language: asked about 2014, a sentence
    of another report's 2011 is no answer while one of the 2014 report may be."""
    if not cands or not of_other_years(q, cands[0], documents):
        return cands
    alt = next((c for c in cands[1:] if c.support >= floor and not of_other_years(q, c, documents)), None)
    return cands if alt is None else [alt, *(c for c in cands if c is not alt)]


def _named_counts(q: QuestionInfo) -> frozenset[str]:
    """The counts a Chinese question names of what it asks about, as written with their measure word ("8个", "200名";
    units of people, count and general measure words of ``qa/data/units_zh_en.tsv``, not sums, spans or years); of an
    English question, the counts it writes in words ("its four projects"), with each such measure word."""
    words = [u.zh for u in unit_table() if u.kind in ("people", "count", "thing")]
    if q.lang == "en":
        return frozenset(f"{n}{w}" for n in english_numbers(q.text) for w in words)
    pattern = "|".join(re.escape(w) for w in words)
    return frozenset(m.group(0) for m in re.finditer(rf"(?<![\d.])\d+(?:{pattern})", q.norm.replace(" ", "")))


def asked_counts_first(q: QuestionInfo, cands: list, floor: float) -> list:
    """The candidates, with the best one whose quote repeats a count the question names ("新开工的8个项目计划投资多少?":
    "启动8个新建项目,计划投资1867.42万元") first when the best does not and it reaches the support floor of the
    question's language: the question points at that group of things, and another group's figure is no answer.

    >>> from qa.search.question import analyze
    >>> sorted(_named_counts(analyze("新开工的8个项目、200名学生和2019年的3.5亿元")))
    ['200名', '8个']
    >>> "4个" in _named_counts(analyze("How much went into its four projects in 2020?"))
    True
    """
    counts = _named_counts(q)
    if not cands or not counts:
        return cands

    named = re.compile(r"(?<![\d.])(?:" + "|".join(map(re.escape, sorted(counts))) + ")")  # 4个, not in 34个

    def repeats(c) -> bool:  # in the part quoted: a long sentence may count other things elsewhere
        return named.search(normalize(c.quote).replace(" ", "")) is not None

    if repeats(cands[0]):
        return cands
    alt = next((c for c in cands[1:] if c.support >= floor and repeats(c)), None)
    return cands if alt is None else [alt, *(c for c in cands if c is not alt)]
