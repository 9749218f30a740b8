"""Chinese place names written in Latin letters: pinyin without tones, the syllables it is made of, and the runs
of words of an English question that a pinyin name must equal. Taiwan's places are mostly written in Wade-Giles
(新竹 Hsinchu, 台中 Taichung, 高雄 Kaohsiung): ``romanizations`` gives that spelling too, read from pypinyin's
Wade-Giles style (no table typed here).

A leaf (pypinyin only): ``qa.ingest.gazetteer`` reads file names with it, ``qa.search.filters`` finds places with
it, ``qa.answer.lead`` names them.

>>> romanize("当阳"), is_pinyin("Qingsong"), pinyin_syllable_count("Lishui")
('dangyang', True, 2)
>>> romanizations("新竹"), romanizations("当阳"), syllable_count("Kaohsiung")
(('xinzhu', 'hsinchu'), ('dangyang', 'tangyang'), 2)
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def romanize(name: str) -> str:
    """Pinyin without tones or spaces: ``当阳`` -> ``dangyang`` (how English text writes Chinese places)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower()


@lru_cache(maxsize=4096)
def romanizations(name: str) -> tuple[str, ...]:
    """How English text may write ``name``: pinyin (``romanize``) and, when it differs, Wade-Giles, both lowercase
    without tones, apostrophes, hyphens or spaces (ü written u)."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name)
    wade = _wade_giles()
    return tuple(dict.fromkeys(("".join(syllables).lower(), "".join(wade.get(s, s) for s in syllables).lower())))


@lru_cache(maxsize=1)
def _wade_giles() -> dict[str, str]:
    """Toneless pinyin syllable -> its Wade-Giles spelling (pypinyin's conversion), as ``romanizations`` writes it."""
    from pypinyin import Style
    from pypinyin.style import convert

    return {s: _plain(convert(s, Style.WADEGILES, strict=True)) for s in pinyin_syllables()}


@lru_cache(maxsize=1)
def wade_giles_syllables() -> frozenset[str]:
    """Every toneless Wade-Giles syllable, written as ``romanizations`` writes them."""
    return frozenset(_wade_giles().values())


def _plain(wade: str) -> str:
    return re.sub(r"[^a-z]", "", wade.lower().replace("ü", "u").replace("v", "u"))


def syllable_count(word: str) -> int:
    """The fewest syllables ``word`` splits into, read as pinyin or as Wade-Giles (0 when it is neither)."""
    counts = [c for c in (pinyin_syllable_count(word), _count(word, wade_giles_syllables())) if c]
    return min(counts, default=0)


def latin_runs(text: str, most: int = 3) -> frozenset[str]:
    """Every run of one to ``most`` consecutive Latin words of ``text``, lowercased and joined without spaces:
    what a pinyin place name must equal, so that it is never found inside a longer word ("Xiaoxinzhuang" does
    not name 新竹).

    >>> sorted(latin_runs("Zhong Shan's schools", 2))
    ['s', 'schools', 'shan', 'shans', 'sschools', 'zhong', 'zhongshan']
    """
    words = re.findall(r"[a-z]+", text.lower())
    return frozenset("".join(words[i:j]) for i in range(len(words))
                     for j in range(i + 1, min(i + most, len(words)) + 1))


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (from pypinyin's readings of the common CJK block)."""
    from pypinyin import lazy_pinyin

    return frozenset(s for cp in range(0x4E00, 0x9FA6) for s in lazy_pinyin(chr(cp)) if s.isascii() and s.isalpha())


def is_pinyin(word: str) -> bool:
    """Whether ``word`` (letters, any case, spaces or hyphens between syllables) splits into pinyin syllables.

    >>> is_pinyin("Qingsong"), is_pinyin("Xi'an"), is_pinyin("Which")
    (True, False, False)
    """
    w = re.sub(r"[ -]", "", word.lower())
    if not w.isalpha():
        return False
    syllables = pinyin_syllables()
    ok = [True] + [False] * len(w)
    for i in range(1, len(w) + 1):
        ok[i] = any(ok[j] and w[j:i] in syllables for j in range(max(0, i - 6), i))
    return ok[-1]


def pinyin_syllable_count(word: str) -> int:
    """The fewest pinyin syllables ``word`` splits into (0 when it is not pinyin).

    >>> pinyin_syllable_count("Lishui"), pinyin_syllable_count("Lima"), pinyin_syllable_count("Which")
    (2, 2, 0)
    """
    return _count(word, pinyin_syllables())


def _count(word: str, syllables: frozenset[str]) -> int:
    w = re.sub(r"[ -]", "", word.lower())
    if not w.isalpha():
        return 0
    best = [0] + [len(w) + 1] * len(w)
    for i in range(1, len(w) + 1):
        best[i] = min((best[j] + 1 for j in range(max(0, i - 6), i) if w[j:i] in syllables), default=len(w) + 1)
    return best[-1] if best[-1] <= len(w) else 0
