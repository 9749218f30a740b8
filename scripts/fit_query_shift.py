"""Fit the language offset taken off English questions' vectors (qa/data/query_shift.json; qa/search/shift.py).

Data: XQuAD's parallel questions, English (``xquad-en2zh-dev``) and Chinese (``xquad-zh-dev``), over the same
Chinese passages. The first ``--skip`` questions are held out (the ones ``qa eval --limit 300`` and the answer
model's ``--skip 300`` leave for measuring); the offset is fitted on the rest.

- direction: mean English question vector - mean Chinese question vector, over the fitting questions;
- strength ``alpha``: two-fold cross-fitting over the articles of the fitting questions (the direction worked
  out on one fold's questions, dense MRR@10 of the English questions measured on the other fold's); the
  smallest grid point within one paired standard error of the best (``choose_alpha``). 0 is on the grid, so
  "no offset" can win;
- figures written with it: dense R@1, R@5 and MRR@10 of the held-out English questions, without the offset and
  with it, and the same on the fitting questions.

    .venv/bin/python scripts/fit_query_shift.py --bench ../shared/bench [--skip 300] [--out qa/data/query_shift.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "qa" / "data" / "query_shift.json"
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)


def rank_figures(queries: np.ndarray, passages: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Dense R@1, R@5 and MRR@10 of unit ``queries`` against unit ``passages`` (gold: each query's passage).

    >>> p = np.eye(3, dtype=np.float32)
    >>> rank_figures(np.array([[1, 0, 0], [0.6, 0.8, 0]], np.float32), p, np.array([0, 0]))
    {'R@1': 0.5, 'R@5': 1.0, 'MRR@10': 0.75}
    """
    if not len(queries):
        return {"R@1": 0.0, "R@5": 0.0, "MRR@10": 0.0}
    sims = queries @ passages.T
    rank = (sims > sims[np.arange(len(gold)), gold][:, None]).sum(axis=1)
    return {"R@1": round(float((rank == 0).mean()), 4), "R@5": round(float((rank < 5).mean()), 4),
            "MRR@10": round(float(np.where(rank < 10, 1.0 / (rank + 1), 0.0).mean()), 4)}


def shifted(queries: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row less ``vector``, normalized again (English questions: the whole offset)."""
    out = queries - vector[None, :]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def reciprocal_ranks(queries: np.ndarray, passages: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Each query's 1/rank of its gold passage (0 below rank 10)."""
    sims = queries @ passages.T
    rank = (sims > sims[np.arange(len(gold)), gold][:, None]).sum(axis=1)
    return np.where(rank < 10, 1.0 / (rank + 1), 0.0)


def choose_alpha(en: np.ndarray, zh: np.ndarray, passages: np.ndarray, gold: np.ndarray, folds: np.ndarray,
                 alphas=ALPHAS) -> tuple[float, dict[str, dict[str, float]]]:
    """The strength to ship, and every grid point's cross-fitted MRR@10 with its paired standard error
    against the best point.

    Each question's reciprocal rank is measured with the direction worked out on the other folds. The choice
    is the smallest strength whose mean is within one paired standard error of the best one's (the
    "one-standard-error rule"): the answer and decline models downstream were fitted on plain vectors, so the
    vectors move no further than a measurable gain asks.

    >>> rng = np.random.default_rng(0)
    >>> p = rng.normal(size=(40, 8)); p /= np.linalg.norm(p, axis=1, keepdims=True)
    >>> off = np.r_[np.zeros(7), 3.0]
    >>> zh = p + 0.05 * rng.normal(size=p.shape); en = zh + off  # English = Chinese + a language offset
    >>> unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    >>> alpha, _ = choose_alpha(unit(en), unit(zh), p, np.arange(40), np.arange(40) % 2)
    >>> alpha > 0
    True
    """
    per = {}
    for a in alphas:
        rr = np.zeros(len(gold))
        for f in np.unique(folds):
            test, fit = folds == f, folds != f
            direction = en[fit].mean(axis=0) - zh[fit].mean(axis=0)
            rr[test] = reciprocal_ranks(shifted(en[test], a * direction), passages, gold[test])
        per[a] = rr
    best = max(alphas, key=lambda a: (per[a].mean(), -a))
    table = {}
    for a in alphas:
        diff = per[a] - per[best]
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        table[str(a)] = {"mrr10": round(float(per[a].mean()), 4), "minus_best": round(float(diff.mean()), 4),
                         "paired_se": round(se, 4)}
    chosen = min(a for a in alphas if table[str(a)]["minus_best"] >= -table[str(a)]["paired_se"])
    return float(chosen), table


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder holding xquad-en2zh-dev and xquad-zh-dev")
    ap.add_argument("--skip", type=int, default=300, help="the first N questions are held out (default 300)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    from qa.config import Settings
    from qa.runtime import load_embedder

    en_dir, zh_dir = args.bench / "xquad-en2zh-dev", args.bench / "xquad-zh-dev"
    for d in (en_dir, zh_dir):
        if not (d / "questions.jsonl").is_file() or not (d / "passages.jsonl").is_file():
            ap.error(f"{d}: needs questions.jsonl and passages.jsonl")
    passages = _read(en_dir / "passages.jsonl")
    en_q = _read(en_dir / "questions.jsonl")
    zh_by_id = {q["qid"]: q for q in _read(zh_dir / "questions.jsonl")}
    pairs = [(q, zh_by_id[q["qid"]]) for q in en_q if q["qid"] in zh_by_id]
    if len(pairs) <= args.skip + 20:
        ap.error(f"only {len(pairs)} parallel questions; fewer than --skip {args.skip} + 20 left to fit on")
    where = {p["pid"]: i for i, p in enumerate(passages)}
    gold = np.array([where[q["pid"]] for q, _ in pairs])
    article = np.array([q["pid"].rsplit("-", 1)[0] for q, _ in pairs])

    embedder = load_embedder(Settings())
    print(f"embedding {len(passages)} passages and {2 * len(pairs)} questions with {embedder.name}", file=sys.stderr)
    pv = embedder.embed([p["text"] for p in passages], kind="passage")
    ev = embedder.embed([q["question"] for q, _ in pairs], kind="query")
    zv = embedder.embed([z["question"] for _, z in pairs], kind="query")

    held = np.arange(len(pairs)) < args.skip
    fit = ~held
    names = sorted(set(article[fit]))
    folds = np.array([names.index(a) % 2 for a in article[fit]])  # by article: no passage on both sides
    alpha, cv = choose_alpha(ev[fit], zv[fit], pv, gold[fit], folds)
    direction = ev[fit].mean(axis=0) - zv[fit].mean(axis=0)
    vector = alpha * direction

    def figures(mask):
        return {"without": rank_figures(ev[mask], pv, gold[mask]),
                "with": rank_figures(shifted(ev[mask], vector), pv, gold[mask]),
                "chinese_questions": rank_figures(zv[mask], pv, gold[mask])}

    out = {
        "model": embedder.name.split("+", 1)[0],
        "dim": int(direction.shape[0]),
        "alpha": alpha,
        "direction": [round(float(x), 6) for x in direction],
        "provenance": {
            "data": f"{en_dir.name} (English questions) and {zh_dir.name} (the same questions in Chinese), "
                    f"questions {args.skip}.. of {len(pairs)} fitted, the first {args.skip} held out",
            "fitted_questions": int(fit.sum()),
            "alpha_grid_cross_fitted": cv,
            "alpha_rule": "the smallest grid strength within one paired standard error of the best "
                          "cross-fitted dense MRR@10",
            "dense_fitted": figures(fit),
            "dense_held_out": figures(held),
            "embedder": embedder.name,
            "date": dt.date.today().isoformat(),
            "command": "python scripts/fit_query_shift.py --bench ../shared/bench --skip "
                       f"{args.skip} --out qa/data/query_shift.json",
        },
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out["provenance"].items()}, ensure_ascii=False, indent=1))
    print(f"alpha {alpha}; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
