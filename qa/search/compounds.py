"""English compounds the dictionary glosses the other way round, with a preposition.

CC-CEDICT glosses 学位 as "place in school" and 生活费 as "cost of living"; a question writes "school places" and
"living costs".
A two-word phrase without headwords of its own (``qa.search.lexicon.candidates``) is looked up as "B in A",
"B of A" and "B for A", B in its base forms and A singular.

>>> [e.zh for e in inverted(["school", "places"])][:1]
['学位']
>>> inverted(["school", "teachers"])
()
"""

from __future__ import annotations

from qa.search.lexicon import Entry, _forms, entries, lemmas, singulars

PREPOSITIONS = ("in", "of", "for")


def inverted(words: list[str]) -> tuple[Entry, ...]:
    """The headwords of the two-word compound ``words`` read as its last word, a preposition and its first."""
    out: dict[str, Entry] = {}
    for first in singulars(words[0]):
        for last in dict.fromkeys([*lemmas().get(words[1], ()), *_forms(words[1])]):
            for prep in PREPOSITIONS:
                for e in entries(f"{last} {prep} {first}"):
                    out.setdefault(e.zh, e)
    return tuple(out.values())
