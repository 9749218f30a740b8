"""The place a report is about, on labelled web pages: right, wrong and missing, by half of the sites.

A page's outcome, against its label's ``about_place`` (compared by ``place_core`` in Simplified script):
- right: labelled with a place and that place is among the documents' ``places``, or labelled ``null`` and no
  document has a place;
- wrong: some place is read and the labelled one is not among them (or the label is ``null``). A wrong place is
  worse than none: a question naming a place narrows the search to the reports about it;
- missing: labelled with a place and none is read.

Sites are dealt into two halves with a fixed seed (``--seed``), so that rules can be written looking at half A
only and measured on half B.

    .venv/bin/python bench/about_place.py --pages DIR [--labels FILE] [--seed 13] [--show A|B|all]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.corpus import read_file  # noqa: E402
from qa.search.filters import place_core  # noqa: E402
from qa.textnorm import to_simplified  # noqa: E402

LABELS = ROOT / "tests" / "data" / "web_pages" / "labels.jsonl"


def core(name: str) -> str:
    return place_core(to_simplified(name))


def halves(rows: list[dict], seed: int) -> dict[str, str]:
    """Site -> "A" or "B": the sorted sites shuffled with ``seed``, the first half A."""
    sites = sorted({r["site"] for r in rows})
    random.Random(seed).shuffle(sites)
    return {s: "A" if i < (len(sites) + 1) // 2 else "B" for i, s in enumerate(sites)}


def outcome(label: str | None, places: list[str]) -> str:
    read = {core(p) for p in places}
    if label is None:
        return "right" if not read else "wrong"
    if core(label) in read:
        return "right"
    return "wrong" if read else "missing"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=Path, required=True)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--show", default="", help="print each page of this half (A, B or all)")
    ap.add_argument("--no-split", action="store_true", help="one row for all pages (another labels file)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if (args.pages / r["file"]).exists() and "about_place" in r]
    half = {r["site"]: "all" for r in rows} if args.no_split else halves(rows, args.seed)
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        docs = read_file(args.pages / r["file"], args.pages).documents
        places = [p for d in docs for p in d.places]
        got = outcome(r["about_place"], places)
        h = half[r["site"]]
        for key in dict.fromkeys((h, "all")):
            c = counts.setdefault(key, {"pages": 0, "right": 0, "wrong": 0, "missing": 0})
            c["pages"] += 1
            c[got] += 1
        if args.show in (h, "all"):
            print(f"{h} {got:7} {r['file']:22} label={r['about_place']} read={list(dict.fromkeys(places))}")
    print("| half | pages | right | wrong | missing | accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in sorted(counts):
        c = counts[key]
        print(f"| {key} | {c['pages']} | {c['right']} | {c['wrong']} | {c['missing']} "
              f"| {c['right'] / c['pages']:.3f} |")


if __name__ == "__main__":
    main()
