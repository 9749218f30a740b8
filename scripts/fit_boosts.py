"""Fit what a question's years and merely-mentioned places add to a paragraph's score (qa/data/boosts.json).

A grid search for the best mean MRR@10 over one half of each question set (even positions); the other halves
are held out and reported, and so is any set given with ``--check`` (never fitted on). Each set needs an index
of its reports built with the default model. The grid holds 0 for every boost: "no boost" can win.

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
GRID = {"paragraph": (0.0, 0.05, 0.15, 0.3), "report": (0.0, 0.05, 0.15, 0.3), "near": (0.0, 0.1),
        "mentioned": (0.0, 0.05, 0.15, 0.3)}


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

    def score(boost: filters.YearBoost) -> dict[str, float]:
        filters.year_boost = lambda b=boost: b  # the grid point, for this process only
        got = {}
        for name, gold, retriever in sets:
            got[f"{name} fitted half"] = mrr(retriever, gold[::2])
            got[f"{name} held-out half"] = mrr(retriever, gold[1::2])
        for name, gold, retriever in checks:
            got[f"{name} (check)"] = mrr(retriever, gold)
        return got

    def fitted(got: dict[str, float]) -> float:
        return sum(v for k, v in got.items() if k.endswith("fitted half")) / len(sets)

    results = []
    for values in itertools.product(*GRID.values()):
        got = score(filters.YearBoost(**dict(zip(GRID, values, strict=True))))
        results.append((fitted(got), values, got))
    _, values, best = max(results, key=lambda r: (round(r[0], 6), [-v for v in r[1]]))
    zero = score(filters.YearBoost(0.0, 0.0, 0.0, 0.0))
    out = {"boosts": dict(zip(GRID, values, strict=True)), "provenance": {
        "data": {name: f"{len(gold)} questions: even positions fitted on, odd held out" for name, gold, _ in sets}
        | {name: f"{len(gold)} questions, check only" for name, gold, _ in checks},
        "date": dt.date.today().isoformat(),
        "command": "python scripts/fit_boosts.py ../shared/eval/dev.jsonl --index index "
                   + " ".join(f"--set {n} <index>" for n, _, _ in sets[1:])
                   + " ".join(f" --check {n} <index>" for n, _, _ in checks),
        "method": f"grid search for the mean MRR@10 of the fitted halves over {GRID}",
        "mrr@10": {k: round(v, 3) for k, v in best.items()},
        "mrr@10 without boosts": {k: round(v, 3) for k, v in zero.items()},
    }}
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
