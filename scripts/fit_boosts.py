"""Fit what a question's years and merely-mentioned places add to a paragraph's score (qa/data/boosts.json).

A grid search for the best mean MRR@10 over the question sets (each set weighs the same). What it is worth on
questions it was not fitted on is measured by two-fold cross-fitting: the grid point chosen on the even
positions of every set is scored on the odd ones, and the other way round; any set given with ``--check`` is
never fitted on. The shipped choice is the one made on all positions (session 15: the even half alone, 19 + 28
questions, chose by one question's rank a report boost that lost on the odd half). Each set needs an index of
its reports built with the default model. The grid holds 0 for every boost: "no boost" can win.

    .venv/bin/python scripts/fit_boosts.py GOLD --index INDEX [--set QUESTIONS INDEX ...] [--check QUESTIONS INDEX]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.eval.gold import evidence_keys, read_gold  # noqa: E402
from qa.eval.retrieval import first_hit_rank, mrr_at  # noqa: E402
from qa.runtime import load_embedder  # noqa: E402
from qa.search import filters  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from qa.store.index import Index  # noqa: E402

OUT = ROOT / "qa" / "data" / "boosts.json"
# Each boost's grid reaches past where the fit settles: with 0.3 as the largest value, the report and mentioned
# boosts both sat on that edge (session 8), and 0.5 ranked better on every set (session 15, bench/README.md).
GRID = {"paragraph": (0.0, 0.05, 0.15, 0.3), "report": (0.0, 0.05, 0.15, 0.3, 0.5, 0.8, 1.2), "near": (0.0, 0.1),
        "mentioned": (0.0, 0.05, 0.15, 0.3, 0.5, 0.8, 1.2)}


class _Cached:
    """The embedder with each query embedded once."""

    def __init__(self, embedder):
        self.embedder, self.seen = embedder, {}
        self.name = getattr(embedder, "name", "")

    def embed(self, texts, kind="passage"):
        key = (tuple(texts), kind)
        if key not in self.seen:
            self.seen[key] = self.embedder.embed(texts, kind=kind)
        return self.seen[key]


def _sets(pairs: list[list[str]], embedder) -> list[tuple[str, list[dict], Retriever]]:
    out = []
    for questions, index in pairs:
        gold = [q for q in read_gold(Path(questions)) if evidence_keys(q) and q.get("type") != "unanswerable"]
        out.append((Path(questions).parent.name + "/" + Path(questions).name, gold,
                    Retriever(Index.load(Path(index)), embedder)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--set", nargs=2, action="append", default=[], metavar=("QUESTIONS", "INDEX"),
                    help="a further question set (gold format) and the index of its reports, half fitted on")
    ap.add_argument("--check", nargs=2, action="append", default=[], metavar=("QUESTIONS", "INDEX"),
                    help="a set only measured, never fitted on")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    embedder = _Cached(load_embedder(Settings()))
    sets = _sets([[str(args.gold), str(args.index)], *args.set], embedder)
    checks = _sets(args.check, embedder)

    def ranks(boost: filters.YearBoost, chosen: list[tuple[str, list[dict], Retriever]]) -> dict[str, list[int]]:
        filters.year_boost = lambda b=boost: b  # the grid point, for this process only
        return {name: [first_hit_rank([h.chunk.text for h in r.search(q["question"], k=10).hits], evidence_keys(q))
                       for q in gold] for name, gold, r in chosen}

    points = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    table = [ranks(filters.YearBoost(**point), sets) for point in points]  # per grid point, per set, per question

    def mean_mrr(got: dict[str, list[int]], part: slice) -> float:
        return sum(mrr_at(r[part]) for r in got.values()) / len(got)

    def best(part: slice) -> int:
        """The grid point with the best mean MRR@10 over ``part`` of every set (ties: the smaller boosts)."""
        return max(range(len(points)), key=lambda i: (round(mean_mrr(table[i], part), 6),
                                                      [-v for v in points[i].values()]))

    even, odd, every = slice(0, None, 2), slice(1, None, 2), slice(None)
    chosen, on_even, on_odd = best(every), best(even), best(odd)
    zero = ranks(filters.YearBoost(0.0, 0.0, 0.0, 0.0), sets + checks)
    final = table[chosen] | ranks(filters.YearBoost(**points[chosen]), checks)

    def figures(got: dict[str, list[int]], odd_from: dict[str, list[int]], even_from: dict[str, list[int]]
                ) -> dict[str, float]:
        out = {}
        for name, _, _ in sets:
            out[f"{name} all"] = round(mrr_at(got[name]), 3)
            out[f"{name} odd half, boosts chosen on the even half"] = round(mrr_at(odd_from[name][odd]), 3)
            out[f"{name} even half, boosts chosen on the odd half"] = round(mrr_at(even_from[name][even]), 3)
        for name, _, _ in checks:
            out[f"{name} (check)"] = round(mrr_at(got[name]), 3)
        return out

    out = {"boosts": points[chosen], "provenance": {
        "data": {name: f"{len(gold)} questions: fitted on all; two-fold cross-fitted (even/odd positions) for "
                       "the held-out figures" for name, gold, _ in sets}
        | {name: f"{len(gold)} questions, check only" for name, gold, _ in checks},
        "date": dt.date.today().isoformat(),
        "command": "python scripts/fit_boosts.py ../shared/eval/dev.jsonl --index index "
                   + " ".join(f"--set {n} <index>" for n, _, _ in sets[1:])
                   + " ".join(f" --check {n} <index>" for n, _, _ in checks),
        "method": f"grid search for the mean MRR@10 over the sets' questions, over {GRID}",
        "chosen on each half": {"even": points[on_even], "odd": points[on_odd]},
        "mrr@10": figures(final, table[on_even], table[on_odd]),
        "mrr@10 without boosts": figures(zero, zero, zero),
    }}
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
