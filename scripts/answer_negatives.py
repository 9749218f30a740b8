"""Unanswerable questions made from answerable ones, for fitting the decline threshold.

A report question asks about a place and often a year. Swapping the place for one the corpus does not cover
(another place name of the same kind from the gazetteer) or the year for one no report covers turns it into
a question the reports do not answer. The swap works on what the question analysis detects (the filters'
places and years), never on hand-written question text; English questions name places in pinyin, which is
swapped for the other place's pinyin.

>>> swap_year("How many schools were built in 2011?", 2011, 1987)
'How many schools were built in 1987?'
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from qa.ingest.meta import _gazetteer
from qa.search.filters import detect_places, detect_years, place_core, romanize
from qa.types import Document


def swap_year(question: str, old: int, new: int) -> str:
    """``question`` with its four-digit ``old`` year replaced by ``new`` (unchanged when it is not written so)."""
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), question)


def swap_place(question: str, old: str, new: str) -> str:
    """``question`` with the place ``old`` (its name without suffix, in Chinese or pinyin) replaced by ``new``."""
    core, new_core = place_core(old), place_core(new)
    if core in question:
        return question.replace(core, new_core)
    letters = romanize(core)
    pattern = re.compile(r"[\s-]?".join(re.escape(c) for c in letters), re.IGNORECASE)
    return pattern.sub(romanize(new_core).capitalize(), question)


def uncovered_places(documents: Iterable[Document], corpus_text: str) -> list[str]:
    """Gazetteer places (with an administrative suffix) that no report is about, mentions or names."""
    docs = list(documents)
    known = {place_core(p) for d in docs for p in (*d.places, *d.mentions)}
    return sorted(p for p in _gazetteer()[0] if place_core(p) not in known and place_core(p) not in corpus_text
                  and len(place_core(p)) >= 2 and len(romanize(place_core(p))) >= 5)


def swapped_questions(gold: list[dict], documents: Iterable[Document], corpus_text: str,
                      seed: int = 0) -> list[dict]:
    """For each answerable gold question: one copy with its place swapped, one with its year swapped (where the
    question names them and the swap changes the text). Each copy has no answers."""
    docs = list(documents)
    rng = random.Random(seed)
    places = uncovered_places(docs, corpus_text)
    years = {y for d in docs for y in (*d.years, *([d.year] if d.year else []))}
    years |= {int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", corpus_text)}
    free_years = [y for y in range(1950, 2040) if y not in years and all(abs(y - k) > 1 for k in years)]
    known = {p for d in docs for p in (*d.places, *d.mentions)}
    out = []
    for q in gold:
        if q.get("type") == "unanswerable" or not q.get("answers"):
            continue
        text = q["question"]
        found = detect_places(text, known)
        if found and places:
            new = _same_suffix(found[0], places, rng)
            swapped = swap_place(text, found[0], new)
            if swapped != text:
                out.append({**q, "id": f"{q['id']}-place", "question": swapped, "answers": [], "swap": "place"})
        found_years = detect_years(text)
        if found_years and free_years:
            swapped = swap_year(text, found_years[0], rng.choice(free_years))
            if swapped != text:
                out.append({**q, "id": f"{q['id']}-year", "question": swapped, "answers": [], "swap": "year"})
    return out


def _same_suffix(place: str, candidates: list[str], rng: random.Random) -> str:
    suffix = place[len(place_core(place)):]
    same = [p for p in candidates if suffix and p.endswith(suffix)]
    return rng.choice(same or candidates)
