"""The years of every paragraph (``row_years``) at a larger size without a larger folder: an index folder's
paragraphs and the years its segments kept, repeated ``--times`` times; the year rule run over every text (what
opening did before the segments kept them) against the kept arrays joined, and the two checked equal.

    .venv/bin/python bench/scale.py --part store --sizes 100000 --stores folder --work WORK --no-readme
    .venv/bin/python bench/row_years.py WORK/index-100000 --times 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.store.index import Index  # noqa: E402
from qa.store.rows import YearRows, years_arrays  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="an index folder written by this version (its segments keep years)")
    ap.add_argument("--times", type=int, default=10, help="how many copies of its paragraphs")
    args = ap.parse_args(argv)
    idx = Index.load(args.folder)
    if any(s.year_counts is None for s in idx.segments):
        print("some segments keep no years: write the folder with this version", file=sys.stderr)
        return 2
    norms = [c.norm for c in idx.chunks] * args.times
    kept = [(s.year_counts, s.year_values) for s in idx.segments] * args.times
    t = time.perf_counter()
    walked = YearRows.of_counts(*years_arrays(norms))
    walk_s = time.perf_counter() - t
    t = time.perf_counter()
    joined = YearRows.of_counts(np.concatenate([c for c, _ in kept]), np.concatenate([v for _, v in kept]))
    kept_s = time.perf_counter() - t
    same = np.array_equal(joined.rows, walked.rows) and np.array_equal(joined.years, walked.years)
    mb = (joined.rows.nbytes + joined.offsets.nbytes + joined.years.nbytes) / 1e6
    print(f"| {len(norms):,} | {len(kept):,} | {walk_s:.1f} | {kept_s * 1000:.0f} | {len(joined):,} | {mb:.1f} | "
          f"{same} | {'/'.join(f'{v:.1f}' for v in os.getloadavg())} |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
