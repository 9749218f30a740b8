"""Fit what a question's years and merely-mentioned places add to a paragraph's score (qa/data/boosts.json).

A grid search for the best MRR@10 over one half of the gold questions (even positions); the other half is
held out and reported. Needs an index of the gold questions' reports built with the default model.

    .venv/bin/python scripts/fit_boosts.py GOLD --index INDEX
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
GRID = {"paragraph": (0.05, 0.15, 0.3), "report": (0.05, 0.15, 0.3), "near": (0.0, 0.1),
        "mentioned": (0.05, 0.15, 0.3)}


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


def mrr(retriever: Retriever, questions: list[dict]) -> float:
    ranks = [first_hit_rank([h.chunk.text for h in retriever.search(q["question"], k=10).hits], evidence_keys(q))
             for q in questions]
    return mrr_at(ranks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args(argv)
    gold = [q for q in read_gold(args.gold) if evidence_keys(q)]
    fit_on, held_out = gold[::2], gold[1::2]
    retriever = Retriever(Index.load(args.index), _Cached(load_embedder(Settings())))
    results = []
    for values in itertools.product(*GRID.values()):
        boost = filters.YearBoost(**dict(zip(GRID, values, strict=True)))
        filters.year_boost = lambda b=boost: b  # the grid point, for this process only
        results.append((mrr(retriever, fit_on), values, boost))
    best_fit, values, boost = max(results, key=lambda r: (r[0], [-v for v in r[1]]))
    held = mrr(retriever, held_out)
    zero = filters.YearBoost(0.0, 0.0, 0.0, 0.0)
    filters.year_boost = lambda: zero
    base_fit, base_held = mrr(retriever, fit_on), mrr(retriever, held_out)
    out = {"boosts": dict(zip(GRID, values, strict=True)), "provenance": {
        "data": f"{args.gold.name}: {len(fit_on)} questions fitted on (even positions), {len(held_out)} held out",
        "date": dt.date.today().isoformat(),
        "command": "python scripts/fit_boosts.py <gold.jsonl> --index <index of its reports>",
        "method": f"grid search for MRR@10 over {GRID}",
        "mrr@10": {"fitted half": round(best_fit, 3), "held-out half": round(held, 3),
                   "no boosts, fitted half": round(base_fit, 3), "no boosts, held-out half": round(base_held, 3)},
    }}
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
