"""Filters by year, report and place: detected from the question, or set explicitly.

A place narrows a search to the reports *about* it (``Document.places``), never to those that only
mention it. A year never cuts: one report covers several years (a summary delivered in N reviews N-1 and
plans N+1), so a year ranks the paragraphs and reports that name or cover it first (``year_boosts``).

>>> detect_years("青松县2019年新建了几所学校?"), detect_years("How many schools were built in 2020?")
((2019,), (2020,))
>>> detect_years("民國97學年度的招生人數?")
(2008,)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.ingest.dates import years_in
from qa.ingest.meta import PROVINCES, bare_in_context, place_words, question_places
from qa.ingest.pinyin import (  # noqa: F401 - romanize, is_pinyin: read through filters too
    is_pinyin,
    latin_runs,
    pinyin_syllable_count,
    pinyin_syllables,
    romanizations,
    romanize,
    syllable_count,
)
from qa.search.lexicon import PLACE_LEVELS
from qa.textnorm import normalize, to_traditional
from qa.types import Document

_YEAR_RE = re.compile(r"(?<![\d.])((?:19[5-9]|20[0-4])\d)(?![\d.%])(?:\s*年)?")
_PLACE_SUFFIX = ("自治县", "自治州", "县", "市", "区", "州", "省", "镇", "乡", "旗")


@dataclass(frozen=True)
class YearBoost:
    """What a year, or a place no report is about, named in the question adds to a paragraph's fused score
    (scores lie in [0, 1]). Fitted by ``scripts/fit_boosts.py`` (``qa/data/boosts.json``); these defaults
    are used when that file is missing."""

    paragraph: float = 0.12  # the paragraph names the year
    report: float = 0.08  # its report covers the year (reviewed, planned or delivered)
    near: float = 0.04  # its report's own year is next to it (delivered in N+1, planning N-1)
    mentioned: float = 0.1  # its report names the place (when no report is about it)


@lru_cache(maxsize=1)
def year_boost() -> YearBoost:
    """The fitted boosts shipped in ``qa/data/boosts.json`` (the defaults without it)."""
    import json
    from importlib import resources

    try:
        d = json.loads(resources.files("qa.data").joinpath("boosts.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return YearBoost()
    return YearBoost(**{k: float(v) for k, v in d["boosts"].items()})


@dataclass(frozen=True)
class Filters:
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()  # Simplified, as in Document.places
    doc_ids: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()  # places the question names that reports only mention: a signal, no cut

    def __bool__(self) -> bool:
        return bool(self.years or self.places or self.doc_ids)

    def describe(self) -> str:
        parts = []
        if self.years:
            parts.append("year " + "/".join(map(str, self.years)))
        if self.places:
            parts.append("place " + "/".join(self.places))
        if self.doc_ids:
            parts.append(f"{len(self.doc_ids)} report(s)")
        return ", ".join(parts) or "none"

    def note(self, script: str = "en", question: str = "") -> str:
        """The filter as the answer's notes show it ("" when there is none), in ``script``: "en", "zh"
        (Simplified) or "zh-hant" (Traditional, places too), as ``qa.textnorm.script_of`` tells a question's.
        A place the ``question`` writes keeps the asker's glyphs (鍾山縣, where OpenCC alone writes 鐘山縣).

        >>> Filters(years=(2019,), places=("昭平县",)).note("zh-hant")
        '篩選：只看關於昭平縣的報告；2019年優先排序（不排除其他年份）'
        >>> Filters(places=("钟山县",)).note("zh-hant", "鍾山縣有幾所學校？")
        '篩選：只看關於鍾山縣的報告'
        """
        words = _NOTE_WORDS["en" if script == "en" else "zh"]
        parts = []
        if self.places:
            parts.append(words["places"].format("/".join(self.places)))
        if self.doc_ids:
            parts.append(words["doc_ids"].format(len(self.doc_ids)))
        if self.years:
            parts.append(words["years"].format("/".join(map(str, self.years))))
        if self.mentioned:
            parts.append(words["mentioned"].format("/".join(self.mentioned)))
        text = words["filter"] + words["sep"].join(parts) if parts else ""
        return as_asked(to_traditional(text), (*self.places, *self.mentioned), question) if script == "zh-hant" \
            else text

    def merged(self, other: Filters) -> Filters:
        """``other`` (explicit) wins field by field where it sets something."""
        return Filters(other.years or self.years, other.places or self.places, other.doc_ids or self.doc_ids,
                       other.mentioned or self.mentioned)


_NOTE_WORDS = {
    "en": {"filter": "filter: ", "sep": "; ", "places": "only reports about {}", "doc_ids": "only {} chosen report(s)",
           "years": "year {} ranked first (not a cut)",
           "mentioned": "reports naming {} ranked first (no report is about it)",
           "outside": "the best evidence lies outside the filter ({}): answered from all reports",
           "no_match": "no report matches the filter ({}); searched all reports"},
    "zh": {"filter": "筛选：", "sep": "；", "places": "只看关于{}的报告", "doc_ids": "只看所选的{}份报告",
           "years": "{}年优先排序（不排除其他年份）", "mentioned": "提到{}的报告优先（没有关于它的报告）",
           "outside": "最有力的依据在筛选范围之外（{}）：已从全部报告中作答",
           "no_match": "没有报告符合筛选条件（{}）：已检索全部报告"},
}
# How the notes about filters begin, in each language and script: the Sources panel shows these notes too.
FILTER_NOTE_PREFIXES = tuple(dict.fromkeys(
    p for prefix in ("filter:", "the best evidence lies outside the filter", "筛选：", "最有力的依据在筛选范围之外")
    for p in (prefix, to_traditional(prefix))))


def filter_note(kind: str, f: Filters, script: str = "en", question: str = "") -> str:
    """A note on how a filter was set aside (``kind``: "outside" or "no_match"), in ``script`` (places the
    ``question`` writes in its own glyphs, as ``Filters.note``).

    >>> filter_note("outside", Filters(places=("昭平县",)), "zh")
    '最有力的依据在筛选范围之外（昭平县）：已从全部报告中作答'
    """
    words = _NOTE_WORDS["en" if script == "en" else "zh"]
    what = f.describe() if script == "en" else "、".join(
        [*(f"{y}年" for y in f.years), *f.places, *([f"{len(f.doc_ids)}份报告"] if f.doc_ids else [])]) or "无"
    text = words[kind].format(what)
    return as_asked(to_traditional(text), f.places, question) if script == "zh-hant" else text


def as_asked(text: str, places: Iterable[str], question: str) -> str:
    """``text`` (converted to Traditional) with each of ``places`` (Simplified) written as ``question`` writes it:
    OpenCC picks one Traditional form where several share a Simplified one (钟: 鐘 or 鍾), and the asker's is
    the right one for their place.

    >>> as_asked("只看關於鐘山縣的報告", ["钟山县"], "鍾山縣有幾所小學？")
    '只看關於鍾山縣的報告'
    """
    for place in places:
        n = len(place)
        written = next((question[i:i + n] for i in range(len(question) - n + 1)
                        if normalize(question[i:i + n]) == place), None)
        if written:
            text = text.replace(to_traditional(place), written)
    return text


def detect_years(question: str) -> tuple[int, ...]:
    """Years named in the question: four-digit (followed by 年, or standing alone), 二〇一一年, ROC years
    (民国97年, 97学年度)."""
    q = normalize(question)
    found = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(q)]
    found += [(y.start, y.year) for y in years_in(q)]
    return tuple(dict.fromkeys(year for _, year in sorted(found)))


def place_core(place: str) -> str:
    """``昭平县`` -> ``昭平``: the name without its administrative suffix (kept when that leaves < 2 chars)."""
    for suf in _PLACE_SUFFIX:
        if place.endswith(suf) and len(place) - len(suf) >= 2:
            return place[: -len(suf)]
    return place


def detect_places(question: str, known: Iterable[str]) -> tuple[str, ...]:
    """The known places the question names, in Chinese or in pinyin ("Dangyang", "Zhongshan County")."""
    return _named(question, _place_forms(known))


def _place_forms(known: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """``(place, core, a romanization of the core)`` of each place with a core of two characters or more, in the
    order given (pinyin, then Wade-Giles when it differs): what ``detect_places`` compares a question with."""
    return tuple((place, core, latin) for place in known for core in (place_core(place),) if len(core) >= 2
                 for latin in romanizations(core))


def _named(question: str, forms: Iterable[tuple[str, str, str]]) -> tuple[str, ...]:
    """A place's name in Chinese, or in Latin letters as a run of the question's words: five letters or more, or
    any length when the question gives it a level ("Anfu County": a short run may be English words, "de an")."""
    q = normalize(question)
    runs = latin_runs(q)
    levelled = {re.sub(r"[ -]", "", m.group(1).lower()) for m in _LATIN_PLACE_RE.finditer(question)}
    found = []
    for place, core, latin in forms:
        if core in q:
            found.append(place)
        elif latin in runs and (len(latin) >= 5 or latin in levelled):
            found.append(place)
    return tuple(dict.fromkeys(found))


class ReportPlaces:
    """What filters read of every report, made once per loaded store (``Retriever`` builds it when it opens)
    and only read afterwards: the places reports are about and mention, as ``detect`` compares them with a
    question, the reports about each place (the place filter), and what ``uncovered_places`` looks in.

    Reading it per question instead of walking every report is what keeps a question's cost flat as the
    reports grow (40k reports at 1M paragraphs).

    >>> rp = ReportPlaces([Document("a", "a.txt", "甲", places=("昭平县",)), Document("b", "b.txt", "乙")])
    >>> detect("昭平县有几所学校?", rp).places, rp.matching(Filters(places=("昭平",)))
    (('昭平县',), ['a'])
    """

    def __init__(self, documents: Iterable[Document]):
        docs = list(documents)
        # built as ``detect`` always built its sets, so that their order (that of the places found) is the same
        self.about = _place_forms({p for d in docs for p in d.places})
        self.mentions = _place_forms({p for d in docs for p in d.mentions})
        self.order = {d.doc_id: i for i, d in enumerate(docs)}
        by_core: dict[str, list[str]] = {}
        for d in docs:
            for core in dict.fromkeys(place_core(p) for p in d.places):
                by_core.setdefault(core, []).append(d.doc_id)
        self.about_core = {core: tuple(ids) for core, ids in by_core.items()}
        by_mention: dict[str, list[str]] = {}
        for d in docs:
            for core in dict.fromkeys(place_core(p) for p in d.mentions):
                by_mention.setdefault(core, []).append(d.doc_id)
        self.mention_core = {core: tuple(ids) for core, ids in by_mention.items()}
        self.known_cores = frozenset(place_core(p) for d in docs for p in (*d.places, *d.mentions))
        self.known_latin = frozenset(r for c in self.known_cores if len(c) >= 2 for r in romanizations(c))
        self.titles = tuple(normalize(d.title) for d in docs)

    def naming(self, places: Iterable[str]) -> list[str]:
        """The ids of the reports about or mentioning one of ``places``, in the reports' order."""
        cores = {place_core(p) for p in places}
        keep = {i for c in cores for i in (*self.mention_core.get(c, ()), *self.about_core.get(c, ()))}
        return sorted(keep, key=self.order.__getitem__)

    def matching(self, f: Filters) -> list[str]:
        """The ids of the reports ``f``'s places and chosen reports keep, in the reports' order: those
        ``document_matches`` accepts."""
        if f.places:
            keep = {i for p in f.places for i in self.about_core.get(place_core(p), ())}
            if f.doc_ids:
                keep &= set(f.doc_ids)
        elif f.doc_ids:
            keep = {i for i in f.doc_ids if i in self.order}
        else:
            return list(self.order)
        return sorted(keep, key=self.order.__getitem__)


def detect(question: str, documents: Iterable[Document] | ReportPlaces) -> Filters:
    """Filters the question itself states (``documents``: the reports, or their ``ReportPlaces``)."""
    rp = documents if isinstance(documents, ReportPlaces) else ReportPlaces(documents)
    places = _named(question, rp.about)
    about = {place_core(p) for p in places}
    # a mentioned place's name without its suffix is often an ordinary word (新建, 和平): written so, it counts
    # only where the question's own words make it a place (到新建, 新建这个县), or when written in pinyin
    q = normalize(question)
    mentioned = [p for p in _named(question, rp.mentions)
                 if place_core(p) not in about
                 and (p in q or p in PROVINCES or place_core(p) not in q or bare_in_context(q, place_core(p)))]
    return Filters(years=detect_years(question), places=places, mentioned=tuple(mentioned))


# An English question names a Chinese place in pinyin before its level: "Qingsong County", "Hexi District's".
_LATIN_PLACE_RE = re.compile(r"\b([A-Z][a-z]+(?:[ -]?[A-Z]?[a-z]+)?)(?:'s)?\s+(?i:"
                             + "|".join(sorted(PLACE_LEVELS)) + r")\b")


def latin_places(question: str) -> tuple[str, ...]:
    """The pinyin names an English question gives a county, district, city ... (lowercase, no spaces), and
    bare names used as places ("in Lishui", "Lishui's") of two or more pinyin syllables that the gazetteer
    reads as a place. A bare name elsewhere (a news agency, a person) is not taken for a place.

    >>> latin_places("How many schools did Lishui's bureau build?"), latin_places("What did Lishui report?")
    (('lishui',), ())
    """
    suffixed = (re.sub(r"[ -]", "", m.group(1).lower()) for m in _LATIN_PLACE_RE.finditer(question)
                if syllable_count(m.group(1)))
    bare = (w.lower().replace("-", "") for m in _LATIN_BARE_RE.finditer(question) for w in m.groups() if w
            if syllable_count(w) >= 2 and w.lower().replace("-", "") in cores_by_pinyin())
    return tuple(dict.fromkeys((*suffixed, *bare)))


_LATIN_BARE_RE = re.compile(r"\b(?:in|of|at|from|for|across|near|around|outside)\s+(?:the\s+)?"
                            r"([A-Z][a-z]+(?:-[a-z]+)?)\b|\b([A-Z][a-z]+(?:-[a-z]+)?)'s\b")


@lru_cache(maxsize=1)
def cores_by_pinyin() -> dict[str, tuple[str, ...]]:
    """Pinyin or Wade-Giles (lowercase, no spaces) -> the gazetteer's place names, without suffix, read so."""
    out: dict[str, set[str]] = {}
    for word in place_words():
        core = place_core(word)
        if len(core) >= 2:
            for latin in romanizations(core):
                out.setdefault(latin, set()).add(core)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def uncovered_places(question: str, documents: Iterable[Document] | ReportPlaces, texts: Iterable[str] = (), *,
                     naming: Callable[[Collection[str]], set[str]] | None = None,
                     reads: Callable[[str], bool] | None = None) -> tuple[str, ...]:
    """Places the question names (``question_places``: 青松县, 海林全市) that the corpus knows nothing of: no
    report is about or mentions them, and no title or paragraph (``texts``, normalized) names them, with or
    without the suffix. The reports cannot answer a question about such a place. ``naming`` (which of some
    names any paragraph holds: ``Store.texts_naming``) replaces ``texts`` for a store that keeps no text.
    ``documents``: the reports, or their ``ReportPlaces``. A pinyin name is uncovered only when ``reads`` (whether
    some word of the corpus reads so: ``qa.search.names.corpus_reads``) says no either: the gazetteer lists
    divisions down to county level, and its homophone of a town's name ("Shangcang": 上苍, where the report
    writes 上仓镇) says nothing of the town.

    >>> uncovered_places("青海省有几所中学?", [], ["西宁市新建学校3所"])
    ('青海省',)
    >>> uncovered_places("青海省有几所中学?", [], ["青海新建学校3所"])
    ()
    """
    named = dict.fromkeys(question_places(normalize(question)))
    latin = latin_places(question)
    if not named and not latin:
        return ()
    rp = documents if isinstance(documents, ReportPlaces) else ReportPlaces(documents)
    if naming is None:
        texts = list(texts)
        naming = functools.partial(names_in_texts, texts)
    known, romanized = rp.known_cores, rp.known_latin
    for w in (w for w in latin if w not in romanized):  # not a report's place nor a mention: look in the paragraphs
        names = cores_by_pinyin().get(w, ())
        # a pinyin the gazetteer has no name of two or more characters for ("Fang County": 房县) cannot be
        # looked up, so it is never declined
        if names and not naming(names) and not (reads is not None and reads(w)):
            named[w.capitalize()] = None
    left = {p: place_core(p) for p in named if place_core(p) not in known}
    left = {p: core for p, core in left.items() if not any(core in t for t in rp.titles)}
    if not left:
        return ()
    found = naming(set(left.values()))
    return tuple(p for p, core in left.items() if core not in found)


def names_in_texts(texts: Iterable[str], names: Collection[str]) -> set[str]:
    """Which of ``names`` occur in some of ``texts`` (one pass, stopping when all are found).

    >>> sorted(names_in_texts(["青海新建学校"], ["青海", "西宁"]))
    ['青海']
    """
    left, found = set(names), set()
    for text in texts:
        if not left:
            break
        hit = {n for n in left if n in text}
        found |= hit
        left -= hit
    return found


def year_boosts(f: Filters, docs: list[Document], chunk_years: list[frozenset[int]], chunk_docs: list[int],
                boost: YearBoost | None = None, naming: frozenset[int] = frozenset()) -> np.ndarray:
    """Per candidate paragraph, what the question's years and merely-mentioned places add to its score:
    ``chunk_years[i]`` are the years paragraph i names, ``docs[chunk_docs[i]]`` its report. ``naming``: the
    reports (by number) that write a name the question gives in pinyin (``qa.search.names``), weighed as a
    mentioned place."""
    boost = boost or year_boost()
    wanted = set(f.years)
    named = {place_core(p) for p in f.mentioned}
    out = np.zeros(len(chunk_years), dtype=np.float32)
    for i, (in_text, d) in enumerate(zip(chunk_years, chunk_docs, strict=True)):
        doc = docs[d]
        if wanted:
            if in_text & wanted:
                out[i] += boost.paragraph
            if wanted & {*doc.years, *([doc.year] if doc.year else [])}:
                out[i] += boost.report
            elif doc.year and any(abs(doc.year - y) == 1 for y in wanted):
                out[i] += boost.near
        if (named and named & {place_core(p) for p in doc.mentions}) or d in naming:
            out[i] += boost.mentioned
    return out


def document_matches(doc: Document, f: Filters) -> bool:
    if f.doc_ids and doc.doc_id not in f.doc_ids:
        return False
    if f.places:
        cores = {place_core(p) for p in doc.places}
        if not any(place_core(p) in cores for p in f.places):
            return False
    return True
