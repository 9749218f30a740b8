"""Names an English question writes in pinyin that no gazetteer holds (a village school, a township, a
person): the corpus's own keyword tokens that read so.

A capitalized word of two or more pinyin syllables that is no English word of the lexicon is looked up among
the index's Chinese tokens of as many characters (or one more, when that one is an administrative suffix:
a township written "Liujiagou" is the token 柳家沟镇): a token matches when each character has the syllable's
reading (pypinyin's readings, every reading of a character with several). Nothing is typed by hand: the
readings come from pypinyin, the tokens from the corpus.

>>> finder = NameFinder(["王家湾", "柳家沟镇", "小学", "家湾"])
>>> finder.tokens("wangjiawan"), finder.tokens("liujiagou")
(('王家湾',), ('柳家沟镇',))
>>> latin_names("How many pupils does Wangjiawan Primary have?")
('wangjiawan',)
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import defaultdict
from collections.abc import Collection, Iterable
from functools import lru_cache

from qa.ingest.pinyin import pinyin_syllable_count, pinyin_syllables
from qa.search.filters import cores_by_pinyin, place_core
from qa.search.lexicon import candidates, stopwords

_CJK_TOKEN = re.compile(r"[\u4e00-\u9fff]{2,6}")
_VOWEL = re.compile(r"[aeiouv]")
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+(?:'[a-z]+)?\b")
MOST_SEGMENTATIONS = 8  # readings of one word tried (a few syllable splits at most in practice)


@lru_cache(maxsize=1)
def syllable_chars() -> dict[str, frozenset[str]]:
    """Toneless syllable -> the common CJK characters that have it among their readings (pypinyin's table of
    readings; tone marks dropped, ü written v)."""
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    out: dict[str, set[str]] = defaultdict(set)
    for cp, readings in pinyin_dict.items():
        if 0x4E00 <= cp <= 0x9FA5:
            for reading in readings.split(","):
                bare = unicodedata.normalize("NFD", reading.replace("ü", "v"))
                bare = "".join(c for c in bare if c.isascii()).lower()
                if bare.isalpha():
                    out[bare].add(chr(cp))
    return {k: frozenset(v) for k, v in out.items()}


def segmentations(word: str) -> list[tuple[str, ...]]:
    """The ways ``word`` (lowercase letters) splits into pinyin syllables with a vowel each, fewest syllables
    first, at most ``MOST_SEGMENTATIONS`` (a reading such as "n" or "m", an interjection's, never splits a name).

    >>> segmentations("xian")
    [('xian',), ('xi', 'an')]
    """
    syllables = pinyin_syllables()
    out: list[tuple[str, ...]] = []

    def walk(i: int, parts: tuple[str, ...]) -> None:
        if len(out) >= 8 * MOST_SEGMENTATIONS:
            return
        if i == len(word):
            out.append(parts)
            return
        for j in range(min(i + 6, len(word)), i, -1):
            piece = word[i:j]
            if piece in syllables and _VOWEL.search(piece):
                walk(j, (*parts, piece))

    walk(0, ())
    return sorted(out, key=len)[:MOST_SEGMENTATIONS]


def latin_names(question: str, gazetteer: bool = False) -> tuple[str, ...]:
    """Capitalized words inside ``question`` of two or more pinyin syllables that neither the English lexicon
    nor the gazetteer knows (lowercase, apostrophes dropped: "Yuan'an" -> "yuanan"); the first word of the
    question is skipped (capitalized as a sentence start), a possessive is taken off, and a function word is no
    name ("No. 1 High School", "Ten Best Teachers"). ``gazetteer``: the ones the gazetteer knows instead."""
    out = []
    for m in _CAPITALIZED.finditer(question):
        if not question[:m.start()].strip():
            continue
        word = m.group(0).lower().removesuffix("'s").replace("'", "")
        if (pinyin_syllable_count(word) >= 2 and not candidates(word) and word not in stopwords()
                and (word in cores_by_pinyin()) == gazetteer):
            out.append(word)
    return tuple(dict.fromkeys(out))


class NameFinder:
    """The Chinese tokens of one vocabulary, by first character, for reading pinyin names against them."""

    def __init__(self, vocab: Iterable[str]):
        self._by_first: dict[str, list[str]] = defaultdict(list)
        for token in vocab:
            if _CJK_TOKEN.fullmatch(token):
                self._by_first[token[0]].append(token)

    def tokens(self, word: str) -> tuple[str, ...]:
        """The tokens that read ``word`` (lowercase pinyin, no spaces), with or without a trailing suffix."""
        chars = syllable_chars()
        found = []
        for parts in segmentations(word):
            sets = [chars.get(s, frozenset()) for s in parts]
            for first in sets[0]:
                for token in self._by_first.get(first, ()):
                    body = token if len(token) == len(parts) else place_core(token)
                    if len(body) == len(parts) and all(c in s for c, s in zip(body, sets, strict=True)):
                        found.append(token)
        return tuple(dict.fromkeys(sorted(found, key=len)))


_FINDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def name_groups(question: str, keywords, known: Collection[str] = frozenset()) -> tuple[tuple[str, ...], ...]:
    """Per pinyin name of the question, the tokens of ``keywords`` (a keyword index: its ``vocab``) that read
    as it (names with none left out); of the names the gazetteer reads as a place, only those not ``known`` (the
    readings of the places the reports are about or mention: ``ReportPlaces.known_latin``). The per-index
    finder is made on the first question that writes such a name, and kept with the index. A store whose
    vocabulary cannot be listed (Milvus keeps term hashes only) finds no names: there the question is searched
    as before."""
    # a place of the gazetteer that the reports are about or mention (``known``: its readings) is the filters'
    # (qa.search.filters): searched again here, it would weigh twice. Another one is a name like any other: the
    # gazetteer lists divisions down to county level, and a town may write its name ("Shangcang": the gazetteer's
    # 上苍, the report's 上仓镇) or bear one the reports' places leave out (a town 大河镇)
    names = (*latin_names(question), *(w for w in latin_names(question, gazetteer=True) if w not in known))
    finder = _finder(keywords) if names else None
    if finder is None:
        return ()
    return tuple(g for g in dict.fromkeys(finder.tokens(w) for w in names) if g)


def corpus_reads(word: str, keywords) -> bool:
    """Whether some token of ``keywords`` reads as ``word`` (lowercase pinyin): the corpus writes that name, whatever
    the gazetteer lists. False for a store whose vocabulary cannot be listed."""
    finder = _finder(keywords)
    return finder is not None and bool(finder.tokens(word))


def _finder(keywords) -> NameFinder | None:
    """The finder of one keyword index, made on first use and kept with the index (None: no listable vocabulary)."""
    with _LOCK:
        finder = _FINDERS.get(keywords)
        if finder is None:
            try:
                tokens = iter(keywords.vocab)
            except TypeError:
                return None
            finder = _FINDERS[keywords] = NameFinder(tokens)
    return finder


def name_tokens(question: str, keywords) -> tuple[str, ...]:
    """The tokens of ``keywords`` that the question's pinyin names read as (``name_groups``, flat)."""
    return tuple(dict.fromkeys(t for g in name_groups(question, keywords) for t in g))
