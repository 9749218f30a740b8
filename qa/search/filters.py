"""Filters by year, report and place: detected from the question, or set explicitly.

>>> detect_years("钟山县2011年招聘了多少教师?"), detect_years("How many teachers were trained in 2020?")
((2011,), (2020,))
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from qa.textnorm import normalize
from qa.types import Document

_YEAR_RE = re.compile(r"(?<![\d.])((?:19[5-9]|20[0-4])\d)(?![\d.%])(?:\s*年)?")
_PLACE_SUFFIX = ("自治县", "自治州", "县", "市", "区", "州", "省", "镇", "乡", "旗")


@dataclass(frozen=True)
class Filters:
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()  # Simplified, as in Document.places
    doc_ids: tuple[str, ...] = ()

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

    def merged(self, other: Filters) -> Filters:
        """``other`` (explicit) wins field by field where it sets something."""
        return Filters(other.years or self.years, other.places or self.places, other.doc_ids or self.doc_ids)


def detect_years(question: str) -> tuple[int, ...]:
    """Four-digit years named in the question (a number followed by 年, or standing alone)."""
    return tuple(dict.fromkeys(int(m.group(1)) for m in _YEAR_RE.finditer(normalize(question))))


def place_core(place: str) -> str:
    """``钟山县`` -> ``钟山``: the name without its administrative suffix (kept when that leaves < 2 chars)."""
    for suf in _PLACE_SUFFIX:
        if place.endswith(suf) and len(place) - len(suf) >= 2:
            return place[: -len(suf)]
    return place


@lru_cache(maxsize=4096)
def romanize(name: str) -> str:
    """Pinyin without tones or spaces: ``当阳`` -> ``dangyang`` (how English text writes Chinese places)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower()


def detect_places(question: str, known: Iterable[str]) -> tuple[str, ...]:
    """The known places the question names, in Chinese or in pinyin ("Dangyang", "Zhongshan County")."""
    q = normalize(question)
    q_latin = re.sub(r"[^a-z]", "", q.lower())
    found = []
    for place in known:
        core = place_core(place)
        if len(core) < 2:
            continue
        if core in q:
            found.append(place)
        elif q_latin and len(romanize(core)) >= 5 and romanize(core) in q_latin:
            found.append(place)
    return tuple(dict.fromkeys(found))


def detect(question: str, documents: Iterable[Document]) -> Filters:
    """Filters the question itself states."""
    docs = list(documents)
    places = detect_places(question, {p for d in docs for p in d.places})
    return Filters(years=detect_years(question), places=places)


def document_matches(doc: Document, f: Filters) -> bool:
    if f.doc_ids and doc.doc_id not in f.doc_ids:
        return False
    if f.places:
        cores = {place_core(p) for p in doc.places}
        if not any(place_core(p) in cores for p in f.places):
            return False
    return True
