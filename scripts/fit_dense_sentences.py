"""Fit how much a passage's best sentence counts in its dense score (``dense_sentence_en``/``dense_sentence_zh``
in ``qa/data/fusion.json``).

The dense side scores a passage by ``(1 - b) x its own cosine + b x the best cosine of one of its sentences``
(``qa.search.fusion.blend``), over the paragraph search's top ``dense_pool``. One vector for a whole long
paragraph blurs what each of its sentences says; a sentence alone misses what the paragraph around it says.

For every question the paragraph search's top ``--pool`` and their best sentences are read once, as the
product reads them (``qa.search.sentences.best_sentences``); ``b`` is then chosen per question language on a grid, by
dense MRR@10 over the fitted part of the sets: the smallest ``b`` within one paired standard error of the best.
English questions are fitted on XQuAD English->Chinese, Chinese ones on CMRC2018 and DRCD (questions
``--hold``.. of each); each set's first ``--hold`` questions (the ones ``qa eval --limit 300`` measures) are held
out, and XQuAD-zh and the gold file are never fitted on.

    python scripts/fit_dense_sentences.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl \\
        --corpus corpus --index index --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_fusion import load_set, question_vectors  # noqa: E402

from qa.eval.provenance import recorded_command  # noqa: E402
from qa.search.fusion import PARAMS_FILE, blend, fitted_params  # noqa: E402
from qa.search.retrieve import CHINESE_QUESTION, Retriever  # noqa: E402
from qa.search.sentences import best_sentences  # noqa: E402
from qa.textnorm import cjk_ratio  # noqa: E402

GRID = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0)
FIT = {"en": ("xquad-en2zh-dev",), "zh": ("cmrc2018-dev", "drcd-dev")}
CHECK = ("xquad-zh-dev",)


@dataclass(frozen=True)
class Pool:
    """One question's paragraph-search top: positions, own cosines, best-sentence cosines, which are gold."""

    ids: np.ndarray
    cos: np.ndarray
    best: np.ndarray
    gold: np.ndarray


def read_pool(r: Retriever, question: str, qvec: np.ndarray, gold, pool: int) -> Pool:
    qvec = r.searched(qvec, question)  # the cached vector is the plain one
    ids, cos = r.index.vectors.search(qvec, pool)
    ids = np.asarray(ids, dtype=np.int64)
    best = best_sentences(r.index, ids, qvec, cos)
    if best is None:
        raise SystemExit("the index holds no sentence vectors: rebuild it (`qa index --rebuild`)")
    return Pool(ids, np.asarray(cos, dtype=np.float64), best, np.array([bool(gold(int(i))) for i in ids], dtype=bool))


def ranks(p: Pool, weight: float) -> int:
    """The gold passage's 1-based rank under ``weight`` (0: not in the pool).

    >>> p = Pool(np.array([0, 1]), np.array([0.9, 0.8]), np.array([0.7, 0.95]), np.array([False, True]))
    >>> ranks(p, 0.0), ranks(p, 1.0)
    (2, 1)
    """
    if not p.gold.any():
        return 0
    order = np.lexsort((p.ids, -blend(p.cos, p.best, weight)))
    return int(np.flatnonzero(p.gold[order])[0] + 1)


def figures(rows: list[Pool], weight: float) -> dict[str, float]:
    rk = np.array([ranks(p, weight) for p in rows])
    found = rk > 0
    return {"R@1": round(float(np.mean(rk == 1)), 4), "R@5": round(float(np.mean(found & (rk <= 5))), 4),
            "MRR@10": round(float(np.mean(np.where(found & (rk <= 10), 1.0 / np.maximum(rk, 1), 0.0))), 4),
            "questions": len(rows)}


def reciprocal(rows: list[Pool], weight: float) -> np.ndarray:
    rk = np.array([ranks(p, weight) for p in rows])
    return np.where((rk > 0) & (rk <= 10), 1.0 / np.maximum(rk, 1), 0.0)


def choose(rows: list[Pool], grid=GRID) -> tuple[float, dict[str, dict[str, float]]]:
    """The smallest weight whose mean MRR@10 is within one paired standard error of the best weight's, and
    every grid point's mean and that error.

    >>> good = Pool(np.array([0, 1]), np.array([0.9, 0.8]), np.array([0.7, 0.95]), np.array([False, True]))
    >>> choose([good] * 5)[0] > 0
    True
    >>> flat = Pool(np.array([0, 1]), np.array([0.9, 0.8]), np.array([0.9, 0.8]), np.array([True, False]))
    >>> choose([flat] * 5)[0]
    0.0
    """
    per = {w: reciprocal(rows, w) for w in grid}
    best = max(grid, key=lambda w: (per[w].mean(), -w))
    table, chosen = {}, best
    for w in grid:
        diff = per[w] - per[best]
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        table[str(w)] = {"MRR@10": round(float(per[w].mean()), 4), "paired_se_vs_best": round(se, 4)}
    for w in sorted(grid):
        if per[w].mean() >= per[best].mean() - float(table[str(w)]["paired_se_vs_best"]):
            chosen = w
            break
    return chosen, table


def language(question: str) -> str:
    return "zh" if cjk_ratio(question) >= CHINESE_QUESTION else "en"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, required=True)
    ap.add_argument("--gold", type=Path, help="a gold file to report on (never fitted on)")
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--limit", type=int, default=1300, help="questions per bench set")
    ap.add_argument("--hold", type=int, default=300, help="each set's first N questions are held out")
    ap.add_argument("--pool", type=int, default=fitted_params().dense_pool)
    ap.add_argument("--max-passages", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--write", action="store_true", help="store the fitted weights in qa/data/fusion.json")
    args = ap.parse_args(argv)

    from qa.config import Settings
    from qa.models.resolve import default_home
    from qa.runtime import load_embedder

    home = default_home()
    embedder = load_embedder(Settings())
    fitted: dict[str, list[Pool]] = {"en": [], "zh": []}
    held: dict[str, list[Pool]] = {}
    checks: dict[str, list[Pool]] = {}
    names = [*FIT["en"], *FIT["zh"], *CHECK] + (["dev-gold"] if args.gold else [])
    for name in names:
        idx, qs, golds = load_set(args, name, embedder, home)
        r = Retriever(idx, embedder)
        vecs = question_vectors(embedder, [q["question"] for q in qs], home, name)
        rows = [read_pool(r, q["question"], v, g, args.pool) for q, v, g in zip(qs, vecs, golds, strict=True)]
        langs = [language(q["question"]) for q in qs]
        if name in FIT["en"] or name in FIT["zh"]:
            lang = "en" if name in FIT["en"] else "zh"
            fitted[lang] += rows[args.hold:]
            held[name] = rows[: args.hold]
        else:
            for lg in ("en", "zh"):
                part = [p for p, x in zip(rows, langs, strict=True) if x == lg]
                if part:
                    checks[f"{name} ({lg})"] = part
        print(f"{name}: {len(rows)} questions read", file=sys.stderr, flush=True)

    chosen, grids = {}, {}
    for lang, rows in fitted.items():
        chosen[lang], grids[lang] = choose(rows)
    report = {"chosen": chosen, "pool": args.pool, "grid_fitted": grids, "held_out": {}, "never_fitted": {}}
    for name, rows in held.items():
        lang = "en" if name in FIT["en"] else "zh"
        report["held_out"][f"{name} (first {args.hold})"] = {
            "paragraph": figures(rows, 0.0), "blended": figures(rows, chosen[lang])}
    for name, rows in checks.items():
        lang = "en" if name.endswith("(en)") else "zh"
        report["never_fitted"][name] = {"paragraph": figures(rows, 0.0), "blended": figures(rows, chosen[lang])}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.write:
        path = ROOT / "qa" / PARAMS_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        data["params"]["dense_sentence_en"] = chosen["en"]
        data["params"]["dense_sentence_zh"] = chosen["zh"]
        data["params"]["dense_pool"] = args.pool
        data["dense_sentence_provenance"] = {
            "command": recorded_command("scripts/fit_dense_sentences.py", argv if argv is not None else sys.argv[1:]),
            "date": dt.date.today().isoformat(), "model": embedder.name,
            "fitted_on": {lang: [f"{s}, questions {args.hold}..{args.limit}" for s in sets]
                          for lang, sets in FIT.items()},
            "rule": "smallest weight within one paired standard error of the best dense MRR@10", **report}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
