"""Years a question names that no report covers: the reports cannot answer for such a year.

Read generously, because a wrong decline costs more than a missed one (a year *filter* once hid the right
report from every question naming the year of its events). A year counts as covered when

- any paragraph or title names it: four digits anywhere (2011, also inside "2011-02-27"), ``2011年``,
  ``二〇一一年``, ``民国97年``/``97学年度``, ``11年``/``98年`` (read as both 20NN and 19NN), a range
  (``2011-2015年``: every year between), a five-year plan (``十二五``: 2011-2015);
- a report in scope covers it: its own year and the years next to it, the years it covers
  (``Document.years``), and the years "过去五年"/"五年来" reach back from its own;
- a report in scope has no year of its own (no year in its title or opening: web copies with ``20xx``,
  ``20__年``, ``xx年``, or the years stripped). **Choice:** such a report could be from any year, so it
  covers every year, and the corpus then declines no year at all. A masked year keeps its visible digits:
  ``201*`` stands for 2010-2019 and ``20xx`` for 2000-2099, so a report whose own year is known only so far
  covers those years; a mask without digits (``xx年``) or no year at all covers every year.

The scope is the reports a question's place or report filter keeps (the reports retrieval reads); without
such a filter, every report. Paragraph text counts across the whole corpus either way.

>>> corpus = corpus_years([Document("a", "a.txt", "青松县2019年工作总结", year=2019, years=(2019,))],
...                       [("a", "2016年建成新校。")])
>>> uncovered_years("青松县2008年新建了几所学校?", corpus), uncovered_years("2016年建成几所?", corpus)
((2008,), ())
>>> uncovered_years("How many schools opened in 2020?", corpus)  # the year after the report's own
()
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa.ingest.dates import relative_years, years_in
from qa.numbers import chinese_number
from qa.search.filters import Filters, ReportPlaces, document_matches
from qa.textnorm import normalize
from qa.types import Document


@dataclass(frozen=True)
class YearCoverParams:
    """How far the coverage of a year reaches."""

    near: int = 1  # a report of year N covers N-1 (reviewed) .. N+1 (planned)
    max_span: int = 15  # a range in the text ("2011-2015年") covers the years between, up to this long
    sixth_plan: int = 1981  # the sixth five-year plan's first year: 十一五 is 2006-2010, 十二五 2011-2015
    plan_years: int = 5
    first: int = 1900  # the years a text's bare four or two digits may stand for
    last: int = 2099


PARAMS = YearCoverParams()


@dataclass(frozen=True)
class ReportYears:
    """The years one report covers; ``every`` when its own year is unknown (it may be from any year)."""

    years: frozenset[int]
    every: bool = False


@dataclass(frozen=True)
class CorpusYears:
    """The years the paragraphs and titles name (``text``), and each report's coverage by id."""

    text: frozenset[int]
    reports: dict[str, ReportYears]


_DIGITS = "〇零一二三四五六七八九"
_MASK = r"[*xX×_?]"  # normalized text: full-width marks are half width
_FOUR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_TWO_RE = re.compile(r"(?<![\d.])(\d\d)\s*年")
_RANGE_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:年\s*)?[-—–~至到]\s*((?:19|20)\d\d)(?!\d)")
_PLAN_RE = re.compile("十([一二三四五六七八九])五")
_DIGIT_MASK_RE = re.compile(rf"(?<![\d{_DIGITS}])((?:19|20|[一二][〇零九])[\d{_DIGITS}]?)({_MASK}{{1,2}})(?!{_MASK})")
_BARE_MASK_RE = re.compile(rf"(?<![\d{_DIGITS}]){_MASK}{{2,4}}\s*年")
# A bare four-digit number in an English question is a year after these words ("in 2011", "since 2015") ...
# unless a counted noun follows ("in 2000 schools", "from 1990 yuan": a plural, a unit, a percentage)
_YEAR_AFTER_RE = re.compile(r"(?i)\b(?:in|during|since|until|till|before|after|from|through|between|year|years|fy)"
                            r"\s+(?:the\s+(?:year\s+)?)?((?:19|20)\d\d)(?![\d%]|\.\d)"
                            r"(?!\s+(?:(?!was\b|has\b|does\b)[a-z]+s|yuan|rmb|percent|per|people|million)\b)")
# ... or after these when nothing but punctuation, a link word or the end follows ("the first half of 2011?")
_YEAR_END_RE = re.compile(r"(?i)\b(?:of|for|by|to|and|or)\s+((?:19|20)\d\d)(?=\s*(?:[?,.;:!)]|$|'s\b|\s(?:and|or)\b))")

_LIST_RE = re.compile(r"(?i)(?:19|20)\d\d\s*(?:年\s*)?(?:and|or|to|[、,，/\-—–~至到和与及或])\s*(?:19|20)\d\d")


def question_years(question: str) -> tuple[int, ...]:
    """The years a question names where its words make them years: ``2011年``, ``二〇一一年``, ``民國97年``,
    "in 2011", "the first half of 2011?". A bare number ("2000名学生", "a budget of 2000 yuan") is no year.

    >>> question_years("二〇一一年招了多少人?"), question_years("How many were hired in 2011 and 2012?")
    ((2011,), (2011, 2012))
    >>> question_years("有2000名学生吗?"), question_years("Which schools have 2000 students?")
    ((), ())
    """
    q = normalize(question)
    found = [(y.start, y.year) for y in years_in(q)]
    for pattern in (_YEAR_AFTER_RE, _YEAR_END_RE):
        found += [(m.start(1), int(m.group(1))) for m in pattern.finditer(q)]
    # a year listed after a year: "in 2011 and 2012", "2010、2011年"
    named = {y for _, y in found}
    found += [(m.start(), int(m.group(1))) for m in re.finditer(r"(?<!\d)((?:19|20)\d\d)(?!\d)", q)
              if named and _listed(q, m, named)]
    return tuple(dict.fromkeys(y for _, y in sorted(found)))


def _listed(q: str, m: re.Match[str], named: set[int]) -> bool:
    """``m`` (four digits) stands in a list or range with a year already read: "2011 and 2012", "2010、2011"."""
    window = q[max(0, m.start() - 12) : m.end() + 12]
    return bool(_LIST_RE.search(window)) and any(str(y) in window for y in named)


def text_years(text: str, params: YearCoverParams = PARAMS) -> frozenset[int]:
    """Every year ``text`` (normalized) may name, generously (see the module docstring).

    >>> sorted(text_years("十二五期间，98年与2019-02-27"))
    [1998, 2011, 2012, 2013, 2014, 2015, 2019, 2098]
    """
    out = {int(m.group(1)) for m in _FOUR_RE.finditer(text)} | {y.year for y in years_in(text)}
    return frozenset(y for y in out if params.first <= y <= params.last) | more_years(text, params)


def more_years(text: str, params: YearCoverParams = PARAMS) -> frozenset[int]:
    """The years ``text`` names in the forms beyond four digits and calendars: 98年/11年 (both centuries),
    ranges (2011-2015年), five-year plans (十二五)."""
    out: set[int] = set()
    for m in _TWO_RE.finditer(text):
        out |= {1900 + int(m.group(1)), 2000 + int(m.group(1))}
    for m in _RANGE_RE.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if 0 < b - a <= params.max_span:
            out |= set(range(a, b + 1))
    for m in _PLAN_RE.finditer(text):
        start = params.sixth_plan + params.plan_years * (chinese_number(m.group(1)) + 10 - 6)
        out |= set(range(start, start + params.plan_years))
    return frozenset(y for y in out if params.first <= y <= params.last)


def report_years(doc: Document, text: str, params: YearCoverParams = PARAMS) -> ReportYears:
    """The years ``doc`` (whose paragraphs, normalized and joined, are ``text``) covers as a report."""
    years = set(doc.years)
    if doc.year is not None:
        years |= set(range(doc.year - params.near, doc.year + params.near + 1))
        near, past = relative_years(doc.year, text)
        years |= {*near, *past}
        return ReportYears(frozenset(years))
    masks = [m.group(1) for m in _DIGIT_MASK_RE.finditer(text)]
    if not masks or _BARE_MASK_RE.search(text):
        return ReportYears(frozenset(years), every=True)
    for prefix in masks:
        width = 4 - len(prefix)
        start = chinese_number(prefix) * 10 ** width
        years |= set(range(start, start + 10 ** width))
    return ReportYears(frozenset(years))


def corpus_years(documents: Iterable[Document], paragraphs: Iterable[tuple[str, str]],
                 params: YearCoverParams = PARAMS, *, written: frozenset[int] | None = None) -> CorpusYears:
    """The coverage of a corpus: ``paragraphs`` are (report id, normalized text) pairs. ``written``: the
    years the paragraphs name in four digits or a calendar, when the caller knows them already (the retriever
    reads them when it opens an index); only the other forms are read then."""
    by_doc: dict[str, list[str]] = {}
    for doc_id, norm in paragraphs:
        by_doc.setdefault(doc_id, []).append(norm)
    return corpus_years_by_document(documents, by_doc.items(), params, written=written)


def corpus_years_by_document(documents: Iterable[Document], grouped: Iterable[tuple[str, list[str]]],
                             params: YearCoverParams = PARAMS, *, written: frozenset[int] | None = None,
                             ) -> CorpusYears:
    """``corpus_years`` over each report's paragraphs given together (each report once), read report by
    report: a store that streams them (``Store.document_texts``) never holds them all."""
    read = text_years if written is None else more_years
    docs = {d.doc_id: d for d in documents}
    named: set[int] = set()
    reports = {}

    def take(doc_id: str, texts: list[str]) -> None:
        nonlocal named
        joined = "\n".join([normalize(docs[doc_id].title), *texts] if doc_id in docs else texts)
        named |= read(joined, params)
        if doc_id in docs:
            reports[doc_id] = report_years(docs[doc_id], joined, params)

    seen: set[str] = set()
    for doc_id, texts in grouped:
        seen.add(doc_id)
        take(doc_id, list(texts))
    for doc_id in docs:
        if doc_id not in seen:
            take(doc_id, [])
    return CorpusYears(frozenset(named) | (written or frozenset()), reports)


def uncovered_years(question: str, corpus: CorpusYears, scope: Iterable[str] | None = None) -> tuple[int, ...]:
    """The years the question names, when none of them is covered (see the module docstring); ``scope`` is
    the ids of the reports the question's filters keep (None: all). Empty when any named year is covered."""
    named = question_years(question)
    if not named:
        return ()
    ids = [d for d in scope or () if d in corpus.reports] or list(corpus.reports)
    reports = [corpus.reports[d] for d in ids]
    if any(r.every for r in reports):
        return ()
    covered = corpus.text.union(*(r.years for r in reports))
    return () if covered.intersection(named) else named


def report_covers(doc: Document, texts: Iterable[str], named: Iterable[int], params: YearCoverParams = PARAMS
                  ) -> bool:
    """Whether one report (its normalized paragraphs ``texts``) covers any of the years ``named``: its own
    coverage (``report_years``: every year when its own is unknown or masked) or any year its text names.

    >>> doc = Document("a", "a.txt", "青松县2019年工作总结", year=2019, years=(2019,))
    >>> report_covers(doc, ["2016年建成新校。"], (2016,)), report_covers(doc, [], (2020,))
    (True, True)
    >>> report_covers(doc, [], (2023,))
    False
    """
    joined = "\n".join([normalize(doc.title), *texts])
    cover = report_years(doc, joined, params)
    return cover.every or bool((cover.years | text_years(joined, params)).intersection(named))


def scope_of(filters: Filters, documents: Iterable[Document] | ReportPlaces) -> list[str] | None:
    """The ids of the reports a question's place or report filter keeps (None without such a filter);
    ``documents``: the reports, or their ``ReportPlaces``."""
    if not (filters.places or filters.doc_ids):
        return None
    if isinstance(documents, ReportPlaces):
        return documents.matching(filters)
    return [d.doc_id for d in documents if document_matches(d, filters)]
