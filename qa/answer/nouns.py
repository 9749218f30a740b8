"""English nouns for the leads: which words are nouns and which name persons (from WordNet 3.0, in
``qa/data/nouns_en.txt``, built by ``scripts/build_nouns.py``), and their plurals.

>>> plural("school", "3"), noun_class("pupils"), noun_class("kindergartens"), ends_in_noun("state-run")
('schools', 'noun.person', 'noun.group', False)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from qa.search import lexicon

NOUNS_FILE = "data/nouns_en.txt"
UNCOUNTED = frozenset({"staff", "personnel", "equipment", "furniture", "information", "funds", "money", "software",
                       "hardware", "news", "data", "evidence", "research", "advice", "knowledge", "training",
                       "education", "progress", "work", "housing", "machinery", "police", "people", "cattle",
                       "sheep", "fish", "series", "species", "aircraft", "faculty", "feedback", "funding"})
IRREGULAR = {"person": "people", "child": "children", "man": "men", "woman": "women", "foot": "feet",
             "tooth": "teeth", "mouse": "mice", "shelf": "shelves", "life": "lives", "leaf": "leaves",
             "half": "halves", "wife": "wives", "knife": "knives", "thief": "thieves", "medium": "media",
             "criterion": "criteria", "phenomenon": "phenomena", "analysis": "analyses", "thesis": "theses",
             "crisis": "crises", "basis": "bases", "diagnosis": "diagnoses"}


@lru_cache(maxsize=1)
def nouns() -> dict[str, str]:
    """English noun -> the WordNet lexicographer file of its commonest sense ("noun.person", "noun.group" ...):
    every noun whose commonest sense is a person, and the nouns that end a gloss (``qa/data/nouns_en.txt``)."""
    text = resources.files("qa").joinpath(NOUNS_FILE).read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.split("\n") if line and not line.startswith("#"))
    return {row[0]: row[1] for row in rows}


def noun_class(phrase: str) -> str | None:
    """The WordNet lexicographer file of the last word of an English phrase, in any of its forms ("noun.person",
    "noun.group" ...; None: no noun this file knows): "young children" and "staff members" name persons,
    "kindergartens", "staff" and "population" groups."""
    words = phrase.lower().split()
    last = words[-1] if words else ""
    known, forms = nouns(), (last, *lexicon.lemmas().get(last, ()), *lexicon.singulars(last))
    return next((known[f] for f in forms if f in known), None)


def ends_in_noun(gloss: str) -> bool:
    """Whether a gloss ends in an English noun ("primary school students", "funds"; not "privately operated").

    >>> ends_in_noun("primary school students"), ends_in_noun("funds"), ends_in_noun("privately operated")
    (True, True, False)
    """
    return noun_class(gloss) is not None


def plural(noun: str, figure: str) -> str:
    """The noun in the plural for any figure but 1 (general English rules; mass nouns stay as they are)."""
    words = noun.split()
    last = words[-1]
    already = last.endswith("s") and not last.endswith(("ss", "us", "is"))  # "funds", "books"
    if figure == "1" or last in UNCOUNTED or (already and last not in IRREGULAR) or last in IRREGULAR.values():
        return noun  # ... or already an irregular plural (a gloss "children")
    if last in IRREGULAR:
        last = IRREGULAR[last]
    elif last.endswith("child"):  # "schoolchild", "grandchild"
        last += "ren"
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*words[:-1], last])
