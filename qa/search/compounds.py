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

from functools import lru_cache

from qa.search.lexicon import Entry, _forms, _rows, _singulars, entries, lemmas

PREPOSITIONS = ("in", "of", "for")


def inverted(words: list[str]) -> tuple[Entry, ...]:
    """The headwords of the two-word compound ``words`` read as its last word, a preposition and its first."""
    out: dict[str, Entry] = {}
    for first in _singulars(words[0]):
        for last in dict.fromkeys([*lemmas().get(words[1], ()), *_forms(words[1])]):
            for prep in PREPOSITIONS:
                for e in entries(f"{last} {prep} {first}"):
                    out.setdefault(e.zh, e)
    return tuple(out.values())


@lru_cache(maxsize=1)
def _qualified_rows() -> dict[str, tuple[str, ...]]:
    """English word -> the dictionary's glosses of it qualified by where it holds ("place in school")."""
    out: dict[str, list[str]] = {}
    for key in _rows():
        word, sep, rest = key.partition(" in ")
        if sep and " " not in word and rest:
            out.setdefault(word, []).append(key)
    return {w: tuple(keys) for w, keys in out.items()}


def qualified(word: str) -> tuple[Entry, ...]:
    """For a plural noun, the headwords of its singular's qualified glosses, after its own senses: "places" ->
    学位 (CC-CEDICT "place in school"), so "kindergarten places" or "places added" reach the reports' 学位 where
    only "school places" did. A verb's or an adjective's qualified glosses ("engage in", "lacking in") are not
    read: a plural noun is the thing counted.

    >>> "学位" in [e.zh for e in qualified("places")], qualified("place")
    (True, ())
    """
    if not (word.endswith("s") and not word.endswith("ss")):
        return ()
    import jieba.posseg as pseg

    out: dict[str, Entry] = {}
    for form in _forms(word)[1:]:
        for key in _qualified_rows().get(form, ()):
            for e in entries(key):  # a noun's headword, as jieba tags it (not 瞧不起, "hold in contempt")
                tags = pseg.lcut(e.zh)
                if len(tags) == 1 and tags[0].flag.startswith("n"):
                    out.setdefault(e.zh, e)
    return tuple(out.values())
