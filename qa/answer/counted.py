"""What an English "how many" question counts: people, schools (所) or a unit of ``qa/data/units_zh_en.tsv``, read
from the words after "how many" (or "number of") through the dictionary (``qa.search.lexicon``) and jieba's
part-of-speech tags."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.answer.units import UNIT_KIND as _UNIT_KIND
from qa.answer.units import is_people, unit_table
from qa.search import lexicon

# Chinese headwords of schools: what 所 counts
_SCHOOLS = ("学校", "小学", "中学", "幼儿园", "大学", "学院", "高中", "初中")


def _headword_kind(headwords: list[str]) -> str | None:
    """People or schools (所), when the dictionary's first headwords of an English word agree on one."""
    kinds = {"people" if is_people(t) else "所" if t.endswith(_SCHOOLS) else None
             for t in headwords} - {None}
    return kinds.pop() if len(kinds) == 1 else None


@lru_cache(maxsize=1)
def _unit_words() -> dict[str, str]:
    """The English word a unit of ``qa/data/units_zh_en.tsv`` is glossed with ("times", "years", "households")
    -> the unit's kind (people, money, else the unit itself). A gloss several kinds share ("sessions": 场, 期)
    says no kind, and neither do general measure words (所 "institutions", 个 "items") nor multiplied sums."""
    kinds: dict[str, set[str]] = {}
    for u in unit_table():
        if u.kind != "thing" and not u.english.startswith("×"):
            kinds.setdefault(re.sub(r"\s*\(.*\)", "", u.english), set()).add(_UNIT_KIND.get(u.zh, u.zh))
    return {en: k.pop() for en, k in kinds.items() if len(k) == 1}


@lru_cache(maxsize=4096)
def counted_kind(question: str) -> str | None:
    """The kind of what an English "how many" question counts: the last word of the run right after "how many"
    that names a unit in English (``_unit_words``: "years", "times") or whose dictionary headwords
    (``qa.search.lexicon``) are people or schools ("how many primary school teachers took part": people; "how
    many kindergartens attached to ...": schools, 所), unless a plural noun of no known kind follows: that is
    the head ("how many school places"). The run ends at a function word, a participle or a verb
    (``_ends_phrase``). Read once per question: every candidate asks again.

    >>> counted_kind("How many primary school teachers took part?"), counted_kind("How many schools have 900 students?")
    ('people', '所')
    >>> counted_kind("How many projects were built?"), counted_kind("How much was spent?")
    (None, None)
    >>> counted_kind("How many years running has it won?"), counted_kind("How many people attended?")
    ('年', 'people')
    >>> counted_kind("How many school places were added?"), counted_kind("How many school sports teachers?")
    (None, 'people')
    >>> counted_kind("How many volunteers worked there?"), counted_kind("How many pupils does it have?")
    ('people', 'people')
    >>> counted_kind("How many new public kindergartens opened?")  # new: 新生 (people), then the head: 所
    '所'
    >>> counted_kind("How many doctors took part when 39 hospitals made all staff compete?")
    'people'
    >>> counted_kind("How many school safety inspections were held?")  # the head: inspections, of no known kind
    """
    m = re.search(r"\bhow many\b", question, re.I) or re.search(r"\bnumber of\b", question, re.I)
    words = re.findall(r"[a-z][a-z'\-]*", question[m.end():].lower()) if m else []
    kind, i = None, 0
    while i < len(words):
        unit = next((n for n in (2, 1) if " ".join(words[i:i + n]) in _unit_words()), 0)  # "square metres"
        span, found = unit or 1, []
        for span in (3, 2, 1) if not unit else ():
            if i + span <= len(words) and (found := [e.zh for e in lexicon.candidates(" ".join(words[i:i + span]))]):
                break
        k = _unit_words()[" ".join(words[i:i + span])] if unit else _headword_kind(found[:3]) or (  # times: 次
            _headword_kind([e.zh for e in lexicon.synonyms(words[i])][:3]) if span == 1 else None)  # pupils: 学生
        # (a plural English word is a noun: a verbal noun's headword counts, 检查 for "inspections")
        if k is None and kind is not None and plural_noun(words[i + span - 1]) and any(
                _is_noun(w) or _first_flag(w) == "vn" for w in found[:3]):
            kind, i = None, i + span  # a plural noun of no known kind follows: it is the head ("school places")
            continue
        if k is None and (i >= 3 if kind is None else _ends_phrase(words[i], found)):
            break  # the run of counted words has ended (or never began)
        kind = k or kind
        i += span
    return kind


# English function words (general grammar): the counted noun phrase ends before one
FUNCTION_WORDS = frozenset("in of at for to on by with from about under over into than as per is are was were be "
                            "been do does did has have had will would can could should may the a an this that these "
                            "those which who there their its it".split())


def _ends_phrase(word: str, headwords: list[str]) -> bool:
    """``word`` no longer belongs to the noun phrase after "how many": a function word (of the general lists
    too: "when", "part"), a participle ("opened", "running"), or one whose first dictionary headword is a verb;
    a modifier ("public") or a word the dictionary lacks does not end it."""
    return (word in FUNCTION_WORDS or word in lexicon.stopwords() or word.endswith(("ed", "ing"))
            or bool(headwords) and _first_flag(headwords[0]).startswith("v"))


def plural_noun(word: str) -> bool:
    """An English word that looks like a plural noun ("places"; not "worked", "class")."""
    return word.endswith("s") and not word.endswith(("ss", "'s")) and word not in ("is", "was", "has", "does")


@lru_cache(maxsize=4096)
def _first_flag(zh: str) -> str:
    """jieba's part-of-speech tag of the first word of ``zh``."""
    import jieba.posseg as pseg

    words = pseg.lcut(zh)
    return words[0].flag if words else ""


@lru_cache(maxsize=4096)
def _is_noun(zh: str) -> bool:
    """jieba's part-of-speech tags read ``zh`` as one noun (n, nr, ns, nt, nz; not a verbal noun)."""
    import jieba.posseg as pseg

    return _first_flag(zh).startswith("n") and len(pseg.lcut(zh)) == 1
