"""Fit the per-question keyword weight of the fusion (``qa/data/fusion.json``) on public bench sets.

For every question of every set it runs the product's retrieval once (``Retriever.parts``: dense candidates,
keyword scores with the lexicon on and off, the evidence), then finds the gold passage's rank under every
keyword weight on a grid. The four parameters of the logistic weight (``qa.search.fusion``) are chosen by
grid search to maximise the mean MRR@10 over the sets named in ``--fit``; all sets are then reported fused vs
dense alone vs keyword alone, with the lexicon on and off, so that the sets not fitted on check the fit.

    python scripts/fit_fusion.py --bench BENCH_DIR --fit cmrc2018-dev,xquad-en2zh-dev \\
        --gold GOLD.jsonl --corpus CORPUS_DIR --limit 600 --write
Question vectors are cached under the report-qa home (``fit-cache``), so reruns cost only the search.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.eval.gold import evidence_keys, read_gold  # noqa: E402
from qa.eval.provenance import recorded_command  # noqa: E402
from qa.search.fusion import Evidence, FusionParams, fitted_params, keyword_weight, scale  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from qa.textnorm import match_key  # noqa: E402

W_GRID = np.round(np.linspace(0.0, 1.0, 41), 3)  # keyword weights at which each question's rank is found
TOP = 10
OBJECTIVE = "mean MRR@10 minus 10 x each shortfall of fused R@1/R@5/MRR@10 below a fitted set's better single retriever"
OLD_RULE = (0.4, 0.5)  # the fixed keyword weight before this fit, English .. Chinese (for the "before" column)


@dataclass(frozen=True)
class Grid:
    bias: tuple[float, ...] = tuple(np.round(np.linspace(-6, 2, 17), 2))
    coverage: tuple[float, ...] = tuple(np.round(np.linspace(-2, 8, 11), 2))
    agreement: tuple[float, ...] = tuple(np.round(np.linspace(-2, 8, 11), 2))
    chinese: tuple[float, ...] = tuple(np.round(np.linspace(-4, 4, 9), 2))


@dataclass
class Table:
    """One set, one lexicon setting: per question the rank under each grid weight, and its evidence."""

    name: str
    ranks: np.ndarray  # (questions, len(W_GRID)), 0 = not in the top 10
    dense: np.ndarray
    keyword: np.ndarray
    evidence: np.ndarray  # (questions, 3): coverage, agreement, chinese
    old_rule: np.ndarray  # rank under the weight used before (0.4 English .. 0.5 Chinese by share of CJK)
    scaled: list  # per question (Scaled, gold mask): exact ranks for the chosen parameters


def _rank(s, is_gold: np.ndarray, w: float) -> int:
    order = np.lexsort((s.ids, -((1 - w) * s.dense + w * s.keyword)))[:TOP]
    hit = np.flatnonzero(is_gold[order])
    return int(hit[0] + 1) if len(hit) else 0


def ranks_under_weights(retriever: Retriever, question: str, qvec: np.ndarray, gold) -> tuple:
    qvec = retriever.searched(qvec, question)  # the cached vector is the plain one
    pt = retriever.parts(question, qvec=qvec)
    s = scale(pt.d_ids, pt.d_scores, pt.kw_scores, lambda ids: retriever.dense_scores(ids, qvec, question),
              retriever.params.candidates)
    is_gold = np.array([gold(int(i)) for i in s.ids], dtype=bool)
    out = np.zeros(len(W_GRID), dtype=np.int64)
    old = 0
    if is_gold.any():
        out[:] = [_rank(s, is_gold, w) for w in W_GRID]
        old = _rank(s, is_gold, OLD_RULE[0] + (OLD_RULE[1] - OLD_RULE[0]) * pt.evidence.chinese)
    kw_order = np.argsort(-pt.kw_scores, kind="stable")[:TOP]
    kw_order = kw_order[pt.kw_scores[kw_order] > 0]
    k_hit = next((r for r, i in enumerate(kw_order, 1) if gold(int(i))), 0)
    d_hit = next((r for r, i in enumerate(pt.d_ids[:TOP], 1) if gold(int(i))), 0)
    return out, d_hit, k_hit, pt.evidence, old, (s, is_gold)


def question_vectors(embedder, questions: list[str], home: Path, tag: str) -> np.ndarray:
    key = hashlib.sha256(("\n".join(questions) + embedder.name).encode()).hexdigest()[:16]
    path = home / "fit-cache" / f"{tag}-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    from qa.textnorm import normalize

    vecs = embedder.embed([normalize(q) for q in questions], kind="query")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def load_set(args, name: str, embedder, home: Path):
    """(retriever index, questions, gold test per question) of a bench set or of the gold file."""
    from qa.runtime import bench_index

    if name == "dev-gold":
        from qa.config import Settings
        from qa.runtime import open_index

        idx = open_index(Settings(corpus=args.corpus, index=args.index), embedder)
        keys_of = [q for q in read_gold(args.gold) if q.get("type") != "unanswerable" and evidence_keys(q)]
        norm = [match_key(c.text) for c in idx.chunks]
        golds = [(lambda ks: (lambda i: any(k in norm[i] for k in ks)))(evidence_keys(q)) for q in keys_of]
        return idx, keys_of, golds
    folder = args.bench / name
    passages, questions = subset(folder, args.max_passages, home) if args.max_passages else (
        folder / "passages.jsonl", folder / "questions.jsonl")
    idx = bench_index(passages, embedder, home)
    qs = read_gold(questions)[: args.limit]
    pos = {c.chunk_id: i for i, c in enumerate(idx.chunks)}
    golds = [(lambda g: (lambda i: i == g))(pos.get(str(q["pid"]), -1)) for q in qs]
    return idx, qs, golds


def subset(folder: Path, n: int, home: Path) -> tuple[Path, Path]:
    """The first ``n`` passages of a bench set and the questions about them (a bounded run), as files."""
    every = folder.joinpath("passages.jsonl").read_text(encoding="utf-8").splitlines()
    if n >= len(every):
        return folder / "passages.jsonl", folder / "questions.jsonl"
    rows = every[:n]
    pids = {str(json.loads(r)["pid"]) for r in rows}
    qs = [q for q in folder.joinpath("questions.jsonl").read_text(encoding="utf-8").splitlines()
          if q.strip() and str(json.loads(q)["pid"]) in pids]
    out = home / "fit-cache" / "subsets" / f"{folder.name}-{n}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "passages.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (out / "questions.jsonl").write_text("\n".join(qs) + "\n", encoding="utf-8")
    return out / "passages.jsonl", out / "questions.jsonl"


def tables_for(args, name: str, embedder, home: Path) -> dict[bool, Table]:
    idx, qs, golds = load_set(args, name, embedder, home)
    vecs = question_vectors(embedder, [q["question"] for q in qs], home, name)
    out = {}
    for lexicon in (True, False):
        r = Retriever(idx, embedder, lexicon=lexicon)
        rows = [ranks_under_weights(r, q["question"], v, g) for q, v, g in zip(qs, vecs, golds, strict=True)]
        out[lexicon] = Table(name, np.array([x[0] for x in rows]), np.array([x[1] for x in rows]),
                             np.array([x[2] for x in rows]),
                             np.array([[x[3].coverage, x[3].agreement, x[3].chinese] for x in rows]),
                             np.array([x[4] for x in rows]), [x[5] for x in rows])
        print(f"{name} lexicon={'on' if lexicon else 'off'}: {len(qs)} questions", file=sys.stderr)
    return out


def metrics(ranks: np.ndarray) -> dict:
    n = max(len(ranks), 1)
    return {"n": int(len(ranks)), "recall@1": round(float(np.sum(ranks == 1)) / n, 4),
            "recall@5": round(float(np.sum((ranks > 0) & (ranks <= 5))) / n, 4),
            "mrr@10": round(float(np.sum(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0))) / n, 4)}


def fused_ranks(t: Table, p: FusionParams) -> np.ndarray:
    """Exact ranks under the weights ``p`` gives (the grid serves only the search)."""
    return np.array([_rank(s, g, keyword_weight(p, Evidence(*e))) if g.any() else 0
                     for (s, g), e in zip(t.scaled, t.evidence, strict=True)], dtype=np.int64)


def _metric_rows(r: np.ndarray) -> np.ndarray:
    """R@1, R@5 and MRR@10 of a rank vector."""
    n = max(len(r), 1)
    return np.array([np.sum(r == 1) / n, np.sum((r > 0) & (r <= 5)) / n,
                     np.sum(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0)) / n])


def fit(tables: list[Table], base: FusionParams, grid: Grid, penalty: float = 10.0) -> tuple[FusionParams, float]:
    """Grid search: mean MRR@10 over the sets, minus ``penalty`` times every shortfall of the fused R@1, R@5 or
    MRR@10 below the better single retriever of a set (the rule: fused is never worse than its best part)."""
    ev = [t.evidence for t in tables]
    floors = [np.maximum(_metric_rows(t.dense), _metric_rows(t.keyword)) for t in tables]
    best, best_score = base, -np.inf
    for b, c, a, z in itertools.product(grid.bias, grid.coverage, grid.agreement, grid.chinese):
        score = 0.0
        for t, e, floor in zip(tables, ev, floors, strict=True):
            w = 1.0 / (1.0 + np.exp(-(b + c * e[:, 0] + a * e[:, 1] + z * e[:, 2])))
            j = np.abs(W_GRID[None, :] - w[:, None]).argmin(axis=1)
            m = _metric_rows(t.ranks[np.arange(len(j)), j])
            score += m[2] - penalty * float(np.sum(np.maximum(0.0, floor - m)))
        if score > best_score + 1e-12:
            best, best_score = replace(base, bias=float(b), coverage=float(c), agreement=float(a),
                                       chinese=float(z)), score
    return best, best_score / len(tables)


def report(all_tables: dict[str, dict[bool, Table]], p: FusionParams, fitted_on: list[str]) -> list[dict]:
    rows = []
    for name, by in all_tables.items():
        for lexicon, t in by.items():
            rows.append({"set": name, "lexicon": lexicon, "held_out": name not in fitted_on,
                         "fused": metrics(fused_ranks(t, p)), "dense": metrics(t.dense),
                         "keyword": metrics(t.keyword), "old_weight": metrics(t.old_rule),
                         "best_constant_weight": best_constant(t),
                         "mean_weight": round(float(np.mean([keyword_weight(p, Evidence(*e)) for e in t.evidence]))
                                              if len(t.evidence) else 0.0, 3)})
    return rows


def best_constant(t: Table) -> dict:
    """The one keyword weight that would have been best for this set alone (a reference, not used)."""
    mrr = [float(np.sum(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0))) / max(len(r), 1) for r in t.ranks.T]
    j = int(np.argmax(mrr))
    return {"weight": float(W_GRID[j]), **metrics(t.ranks[:, j])}


def markdown(rows: list[dict]) -> str:
    lines = ["| set | lexicon | fitted on | fused R@1 / R@5 / MRR@10 | dense | keyword | old fixed weight |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cell = [f"{r[k]['recall@1']:.3f} / {r[k]['recall@5']:.3f} / {r[k]['mrr@10']:.3f}"
                for k in ("fused", "dense", "keyword", "old_weight")]
        lines.append(f"| {r['set']} ({r['fused']['n']}) | {'on' if r['lexicon'] else 'off'} | "
                     f"{'no' if r['held_out'] else 'yes'} | " + " | ".join(cell) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder of bench sets (passages/questions.jsonl)")
    ap.add_argument("--sets", default="cmrc2018-dev,drcd-dev,xquad-en2zh-dev,xquad-zh-dev")
    ap.add_argument("--fit", default="cmrc2018-dev,xquad-en2zh-dev", help="sets to fit on (the rest check it)")
    ap.add_argument("--gold", type=Path, help="a gold file to report on (never fitted on)")
    ap.add_argument("--corpus", type=Path, help="the reports the gold file asks about")
    ap.add_argument("--index", type=Path, default=Path("index"), help="their index (built if missing)")
    ap.add_argument("--limit", type=int, help="first N questions of each bench set")
    ap.add_argument("--max-passages", type=int, help="bounded run: only the first N passages of each bench set "
                    "(and the questions about them)")
    ap.add_argument("--write", action="store_true", help="write qa/data/fusion.json")
    ap.add_argument("--json", type=Path, help="also write the report rows here")
    args = ap.parse_args()
    from qa.config import Settings
    from qa.models.resolve import default_home
    from qa.runtime import load_embedder

    home = default_home()
    embedder = load_embedder(Settings())
    names = [s for s in args.sets.split(",") if s] + (["dev-gold"] if args.gold else [])
    fit_on = [s for s in args.fit.split(",") if s]
    tables = {n: tables_for(args, n, embedder, home) for n in names}
    base = fitted_params()
    p, score = fit([tables[n][True] for n in fit_on], base, Grid())
    rows = report(tables, p, fit_on)
    print(json.dumps(asdict(p)), f"objective on the fitted sets {score:.4f}")
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.write:
        prov = {"fitted_on": fit_on, "questions_per_set": args.limit or "all",
                "passages_per_set": args.max_passages or "all", "objective": OBJECTIVE,
                "date": dt.date.today().isoformat(), "command": recorded_command("scripts/fit_fusion.py", sys.argv[1:]),
                "checked_on": [n for n in names if n not in fit_on]}
        out = ROOT / "qa" / "data" / "fusion.json"
        kept = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}  # e.g. sentence_provenance
        kept.update({"params": asdict(p), "provenance": prov})
        out.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
