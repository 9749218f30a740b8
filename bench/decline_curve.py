"""The decline curve: share of unanswerable questions declined against share of answerable ones declined.

Reads the per-question scores that ``scripts/fit_answer_model.py --dump FILE`` writes (the best candidate
sentence's probability for each answerable question, and for each question the corpus does not answer),
prints the curve as a Markdown table (and a PNG when matplotlib is installed), marks the operating point
(the highest threshold whose false declines stay at or below ``--max-false``) and appends it to
bench/README.md.

    .venv/bin/python bench/decline_curve.py decline_scores.json
    .venv/bin/python bench/decline_curve.py decline_scores.json --png bench/decline_curve.png --no-append
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from benchlib import append_section, command_line, machine_line, md_table


def curve(pos: list[float], neg: list[float], thresholds: list[float]) -> list[tuple[float, float, float]]:
    """(threshold, negatives declined, positives declined) for each threshold (declined: score < threshold)."""
    out = []
    for t in thresholds:
        nd = sum(s < t for s in neg) / max(1, len(neg))
        pd = sum(s < t for s in pos) / max(1, len(pos))
        out.append((t, nd, pd))
    return out


def operating_point(pos: list[float], neg: list[float], max_false: float) -> tuple[float, float, float]:
    """The highest threshold (among the observed scores) whose false declines are at most ``max_false``."""
    cands = sorted(set(pos) | set(neg))
    best = (0.0, 0.0, 0.0)
    for t, nd, pd in curve(pos, neg, cands):
        if pd <= max_false:
            best = (t, nd, pd)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scores", type=Path, help="the JSON that scripts/fit_answer_model.py --dump wrote")
    ap.add_argument("--max-false", type=float, default=0.05, help="false declines allowed at the operating point")
    ap.add_argument("--png", type=Path, help="also draw the curve here (needs matplotlib)")
    ap.add_argument("--no-append", action="store_true")
    ap.add_argument("--steps", nargs=3, type=float, default=(0.05, 0.75, 0.05), metavar=("FROM", "TO", "STEP"),
                    help="the thresholds the table lists (scores written as offsets from a threshold: -0.1 0.3 0.05)")
    args = ap.parse_args()
    data = json.loads(args.scores.read_text(encoding="utf-8"))
    pos, neg = data["positives"], data["negatives"]
    start, stop, step = args.steps
    steps = [round(start + step * i, 4) for i in range(int(round((stop - start) / step)) + 1)]
    point = operating_point(pos, neg, args.max_false)
    rows = [[f"{t:.3f}", f"{nd:.3f}", f"{pd:.3f}"] for t, nd, pd in curve(pos, neg, steps)]
    table = md_table(["decline below", "unanswerable declined", "answerable declined (false)"], rows)
    by_source = Counter(data.get("positive_sources", [])) + Counter(data.get("negative_sources", []))
    body = (f"{len(pos)} answerable and {len(neg)} unanswerable questions ({dict(by_source)}).\n\n{table}\n\n"
            f"Operating point (false declines <= {args.max_false}): decline below {point[0]:.4f}: "
            f"{point[1]:.3f} of unanswerable questions declined, {point[2]:.3f} of answerable ones.\n")
    print(f"{machine_line()}\n\nCommand: `{command_line()}`\n\n{body}")  # the README section adds them itself
    if args.png:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no PNG", file=sys.stderr)
        else:
            full = curve(pos, neg, sorted(set(pos) | set(neg)))
            plt.plot([p for _, _, p in full], [n for _, n, _ in full])
            plt.xlabel("answerable declined (false)")
            plt.ylabel("unanswerable declined")
            plt.savefig(args.png, dpi=100)
    if not args.no_append:
        append_section("Decline curve", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
