"""English words and phrases -> Chinese search terms, from a general dictionary read in reverse.

``qa/data/lexicon_en_zh.tsv`` is built by ``scripts/build_lexicon.py`` from CC-CEDICT (CC BY-SA 4.0): each
row names the dictionary entry it comes from. An English word has several Chinese headwords ("train":
训练, 列车, 培训 ...); which of them a question means is decided where the corpus is known
(``qa.search.retrieve``: the headwords the index holds, and of those the ones the dense top passages use).

>>> [zh for zh, _ in candidates("teachers")][:3]  # doctest: +SKIP
['先生', '教师', '老师']
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module, resources
from pathlib import Path

from qa.search.spelling import american, capitalized_names

LEXICON_FILE = "data/lexicon_en_zh.tsv"
CHARS_FILE = "data/lexicon_en_zh_chars.tsv"
SYNONYMS_FILE = "data/synonyms_en.tsv"
GLOSSES_FILE = "data/glosses_zh_en.tsv"
STOPWORDS_FILE = "data/stopwords_en.txt"
LEMMAS_FILE = "data/lemmas_en.tsv"
PINYIN_FILE = "data/pinyin_zh.tsv"
EXTRA_ENV = "QA_LEXICON_EXTRA"  # a further English -> Chinese lexicon file, looked up first (off by default)
_EN_WORD = re.compile(r"[a-z][a-z\-']*")
_EN_KEY = re.compile(r"[a-z][a-z' \-]*")
_ZH_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
# English words for the levels of China's divisions: after a pinyin name they name a place (qa.search.filters)
PLACE_LEVELS = frozenset({"county", "district", "city", "province", "prefecture", "town", "township", "municipality"})


@dataclass(frozen=True)
class Entry:
    zh: str
    cost: float  # lower: an earlier sense, a more common headword
    source: str  # the dictionary entry (see the file header)


@lru_cache(maxsize=1)
def _rows() -> dict[str, list[str]]:
    """English key -> its rows' other columns, unparsed (the file lists a key's headwords best first)."""
    out: dict[str, list[str]] = {}
    text = resources.files("qa").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            en, rest = line.split("\t", 1)
            out.setdefault(en, []).append(rest)
    return out


@lru_cache(maxsize=1)
def _char_rows() -> dict[str, tuple[Entry, ...]]:
    """English key -> its one-character headwords, best first (``qa/data/lexicon_en_zh_chars.tsv``)."""
    out: dict[str, list[Entry]] = {}
    text = resources.files("qa").joinpath(CHARS_FILE).read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            en, zh, cost, source = line.split("\t")
            out.setdefault(en, []).append(Entry(zh, float(cost), source))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _synonym_rows() -> dict[str, tuple[tuple[str, str], ...]]:
    """English word -> (WordNet synonym, synset) rows, commonest sense first (``qa/data/synonyms_en.tsv``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    text = resources.files("qa").joinpath(SYNONYMS_FILE).read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            en, other, source = line.split("\t")
            out.setdefault(en, []).append((other, source))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _part_rows() -> dict[str, tuple[str, ...]]:
    """One English word -> the two-word keys that begin with it ("grassroots" -> "grassroots unit"). (A key
    that ends with the word is most often a proper name, "Jin county"; a longer one an idiom, "play a role".)"""
    out: dict[str, list[str]] = {}
    for key in sorted(_rows()):
        words = key.split()
        if len(words) == 2:
            out.setdefault(words[0], []).append(key)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def glosses() -> dict[str, str]:
    """Chinese headword -> English noun gloss (``qa/data/glosses_zh_en.tsv``, from CC-CEDICT; the English
    leads name what a figure counts with it)."""
    text = resources.files("qa").joinpath(GLOSSES_FILE).read_text(encoding="utf-8")
    out = {}
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            zh, en, _source = line.split("\t")
            out[zh] = en
    return out


@lru_cache(maxsize=1)
def glossed_words() -> dict[str, frozenset[str]]:
    """Chinese headword -> the English words of the lexicon keys that lead to it and of its noun gloss
    (``glosses``): what the dictionary says the word means."""
    out: dict[str, set[str]] = {}
    for key, rests in _rows().items():
        for rest in rests:
            out.setdefault(rest.split("\t", 1)[0], set()).update(key.split())
    for zh, en in glosses().items():
        out.setdefault(zh, set()).update(en.lower().split())
    return {k: frozenset(v) for k, v in out.items()}


def means(zh: str, word: str) -> bool:
    """Whether the Chinese word ``zh`` may mean the English ``word``: the dictionary does not know ``zh``, or
    glosses it with some form of ``word`` (学费 "tuition fee" may mean fees; 免费 "free of charge" may not).

    >>> means("学费", "fees"), means("免费", "fees"), means("生猪", "pigs")
    (True, False, True)
    """
    glossed = glossed_words().get(zh)
    return glossed is None or any(form in glossed for form in spellings(word.lower()))


@lru_cache(maxsize=1)
def _extra_rows() -> dict[str, list[tuple[str, str]]]:
    """English key -> (Chinese word, source) rows of the extra lexicon that ``QA_LEXICON_EXTRA`` names, best
    first; none when it names none. The file has the shipped lexicon's layout without the cost column
    (english, chinese, source), e.g. the ECDICT lexicon ``scripts/build_lexicon_ecdict.py`` writes."""
    name = os.environ.get(EXTRA_ENV, "").strip()
    if not name:
        return {}
    path = Path(name)
    if not path.is_file():
        raise ValueError(f"{EXTRA_ENV}={name}: no such file")
    out: dict[str, list[tuple[str, str]]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not _EN_KEY.fullmatch(parts[0]) or not _ZH_WORD.fullmatch(parts[1]):
            raise ValueError(f"{path}:{n}: expected 'english<TAB>chinese<TAB>source', got {line[:60]!r}")
        out.setdefault(parts[0], []).append((parts[1], parts[2]))
    return out


@lru_cache(maxsize=65536)
def entries(key: str) -> tuple[Entry, ...]:
    """The Chinese headwords of one English key (lowercase, base form), best first: an extra lexicon's words
    first when ``QA_LEXICON_EXTRA`` names one (an experiment: bench/README.md, "Session 20"), then the
    shipped lexicon's (a word both give keeps its first place)."""
    found: dict[str, Entry] = {}
    for i, (zh, source) in enumerate(_extra_rows().get(key, ())):
        found.setdefault(zh, Entry(zh, float(i), source))
    for rest in _rows().get(key, ()):
        zh, cost, source = rest.split("\t")
        found.setdefault(zh, Entry(zh, float(cost), source))
    return tuple(found.values())


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """General English function words, never looked up on their own (``qa/data/stopwords_en.txt``)."""
    text = resources.files("qa").joinpath(STOPWORDS_FILE).read_text(encoding="utf-8")
    return frozenset(w for w in text.split() if not w.startswith("#"))


@lru_cache(maxsize=1)
def lemmas() -> dict[str, tuple[str, ...]]:
    """Irregular English forms -> their base forms ("built" -> "build"; ``qa/data/lemmas_en.tsv``, from
    lemminflect's lemma table)."""
    out: dict[str, tuple[str, ...]] = {}
    text = resources.files("qa").joinpath(LEMMAS_FILE).read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            form, lemma = line.split("\t")
            out[form] = (*out.get(form, ()), lemma)
    return out


@lru_cache(maxsize=1)
def _pinyin() -> dict[str, tuple[Entry, ...]]:
    """Toneless pinyin as English text writes Chinese words ("gaokao") -> headwords, most common first
    (``qa/data/pinyin_zh.tsv``, from CC-CEDICT's pinyin: ``scripts/build_lexicon.py``)."""
    out: dict[str, list[Entry]] = {}
    text = resources.files("qa").joinpath(PINYIN_FILE).read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            key, zh, source = line.split("\t")
            got = out.setdefault(key, [])
            got.append(Entry(zh, float(len(got)), source))
    return {k: tuple(v) for k, v in out.items()}


def romanized(word: str) -> tuple[Entry, ...]:
    """The headwords a romanized Chinese word stands for, when it is no English word of the lexicon.

    >>> [e.zh for e in romanized("gaokao")]
    ['高考']
    >>> romanized("teacher")
    ()
    """
    word = word.lower()
    if candidates(word) or word in stopwords():
        return ()
    return _pinyin().get(word, ())


def _forms(word: str) -> list[str]:
    """The word and its likely base forms: teachers -> teacher, activities -> activity, recruitment -> recruit."""
    out = [word]
    for suf, rep in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
                     ("ment", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            out.append(word[: -len(suf)] + rep)
    return out


def candidates(phrase: str) -> tuple[Entry, ...]:
    """The lexicon's headwords for an English word or phrase (its last word may be inflected): an irregular
    form's base form first ("spent": spend's headwords before those of "spent", exhausted), then the word as
    written, then its regular base forms ("teaching": 施教 ..., then teach's 教学 ...; "recruitment": 征兵, then
    recruit's 招聘 ...). Which of them a question means is chosen where the corpus is known."""
    words = phrase.lower().split()
    if not words:
        return ()
    found = _candidates(words)
    if not found and (us := [american(w) for w in words]) != words:
        found = _candidates(us)  # the dictionary spells as American English does ("programme": program's)
    if not found and len(words) == 2:  # "school places": "place in school" (``qa.search.compounds``)
        found = import_module("qa.search.compounds").inverted(words)  # a module that reads this one's tables
    return found



def spellings(word: str) -> list[str]:
    """The word's spellings to look up, as ``candidates`` tries them: irregular base forms, the word, its
    regular base forms, then the same in American spelling."""
    out = [*lemmas().get(word, ()), *_forms(word)]
    us = american(word)
    if us != word:
        out += [*lemmas().get(us, ()), *_forms(us)]
    return list(dict.fromkeys(out))


def chars(word: str) -> tuple[Entry, ...]:
    """The one-character headwords of an English word ("pigs" -> 猪), best first. No question searches these
    on their own: ``match`` reaches the corpus's compounds of them for a word that has no other headword there.

    >>> [e.zh for e in chars("pigs")][:1]
    ['猪']
    """
    out: dict[str, Entry] = {}
    for form in spellings(word.lower()):
        for e in _char_rows().get(form, ()):
            out.setdefault(e.zh, e)
    return tuple(out.values())


def partial(word: str) -> tuple[Entry, ...]:
    """The headwords of the dictionary's two-word glosses that begin with an English word
    (CC-CEDICT glosses 基层 "grassroots unit", never "grassroots" alone), best first within each gloss.

    >>> "基层" in [e.zh for e in partial("grassroots")]
    True
    """
    out: dict[str, Entry] = {}
    for form in spellings(word.lower()):
        for key in _part_rows().get(form, ()):
            for e in entries(key):
                out.setdefault(e.zh, e)
    return tuple(out.values())


def synonyms(word: str) -> tuple[Entry, ...]:
    """The headwords of an English word's WordNet synonyms (commonest sense first), sourced by synset and entry:
    "pupils" (CC-CEDICT: only 瞳孔, of the eye) -> "student" -> 学生.

    >>> "学生" in [e.zh for e in synonyms("pupils")]
    True
    """
    out: dict[str, Entry] = {}
    for form in singulars(word.lower()):
        for other, synset in _synonym_rows().get(form, ()):
            for e in entries(other):
                out.setdefault(e.zh, Entry(e.zh, e.cost, f"{synset}+{e.source}"))
    return tuple(out.values())


def singulars(word: str) -> list[str]:
    """A noun's forms to look up: as written and singular, both spellings ("played" is no form of "play", drama).

    >>> "program" in singulars("programmes"), singulars("played")
    (True, ['played'])
    """
    out = []
    for w in dict.fromkeys((word, american(word))):
        out.append(w)
        for suf, rep in (("ies", "y"), ("es", ""), ("s", "")):
            if w.endswith(suf) and not w.endswith("ss") and len(w) - len(suf) >= 3:
                out.append(w[: -len(suf)] + rep)
    return list(dict.fromkeys(out))


def _candidates(words: list[str]) -> tuple[Entry, ...]:
    head = " ".join(words[:-1] + [""])
    base = tuple(e for lemma in lemmas().get(words[-1], ()) for e in entries(head + lemma))
    forms = tuple(e for last in _forms(words[-1]) for e in entries(head + last))
    out: dict[str, Entry] = {}
    for e in base + forms:
        out.setdefault(e.zh, e)
    return tuple(out.values())


def _bare(word: str) -> str:
    """A word without the quote marks around it and without a possessive ("'vanguard'" -> "vanguard",
    "county's" -> "county")."""
    word = word.strip("'")
    return word[:-2] if word.endswith("'s") else word


def content_words(text: str) -> list[str]:
    """The English words of ``text`` that are not function words (hyphenated words split, quote marks and
    possessives taken off).

    >>> content_words("How many won the 'vanguard' title in the county's schools?")
    ['won', 'vanguard', 'title', 'county', 'schools']
    """
    stop = stopwords()
    words = [_bare(p) for w in _EN_WORD.findall(text.lower()) for p in w.split("-") if p]
    return [w for w in words if w not in stop and len(w) > 1]


@dataclass(frozen=True)
class Match:
    english: str  # the words of the question matched, e.g. "primary school"
    entries: tuple[Entry, ...]
    derived: bool = False  # the entries are a fallback's (``fallback``), not the word's own headwords


def match(text: str, keep: Callable[[str], bool] | None = None, max_words: int = 3,
          compounds: Callable[[str], Sequence[str]] | None = None) -> list[Match]:
    """Longest-first lexicon matches over the content words of ``text``; ``keep`` filters headwords.

    A word none of whose headwords ``keep`` lets through falls back on the headwords of the two-word glosses it
    begins (``partial``), then on the corpus words that ``compounds`` gives for its one-character headwords
    (``chars``: "pigs" -> 猪 -> the corpus's 生猪): both through ``keep``, neither without a ``keep``.

    >>> [m.english for m in match("How many primary schools were built?")]  # doctest: +SKIP
    ['primary school', 'build']
    """
    words = content_words(text)
    # a capitalized word is a name (places reach the index through the gazetteer), not a romanized term
    names = capitalized_names(text)
    out: list[Match] = []
    i = 0
    while i < len(words):
        for span in range(min(max_words, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + span])
            entries = tuple(e for e in candidates(phrase) if keep is None or keep(e.zh))
            if entries:
                out.append(Match(phrase, entries))
                i += span
                break
        else:
            entries = () if words[i] in names else tuple(e for e in romanized(words[i]) if keep is None or keep(e.zh))
            derived = not entries and keep is not None and words[i] not in names
            if derived:
                entries = fallback(words[i], keep, compounds)
            if entries:
                out.append(Match(words[i], entries, derived))
            i += 1
    return out


def fallback(word: str, keep: Callable[[str], bool], compounds: Callable[[str], Sequence[str]] | None = None,
             ) -> tuple[Entry, ...]:
    """The headwords of a word whose own headwords the corpus lacks: of its glosses' (``partial``), then of its
    WordNet synonyms (``synonyms``: "pupils" -> "student" -> 学生), then of the corpus's compounds of its
    one-character headwords (``compounds``) that may mean the word (``means``: 天 is "sky", and 一天 is no sky),
    the ones ``keep`` lets through. A word for a level of division ("county") has none: it names the place asked
    about, which the filters read (``qa.search.filters``), and 全县, 县级 ... are no concept of the question."""
    if word in PLACE_LEVELS:
        return ()
    found = [e for e in partial(word) if keep(e.zh)]
    if not found:
        found = [e for e in synonyms(word) if keep(e.zh)]
    if not found and compounds is not None:
        found = [Entry(zh, e.cost, e.source) for e in chars(word) for zh in compounds(e.zh)
                 if keep(zh) and means(zh, word)]
    out: dict[str, Entry] = {}
    for e in found:
        out.setdefault(e.zh, e)
    return tuple(out.values())
