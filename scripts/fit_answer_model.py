"""Fit the answer scorer (qa/data/answer_model.json): which candidate sentence holds the answer, and when to decline.

Examples are the candidate sentences the answerer itself considers (the top passages the retriever returns),
labelled 1 when the sentence contains a gold answer span. Data: public reading-comprehension sets in the
bench format (CMRC2018, DRCD, XQuAD en->zh and zh dev halves), and optionally part of a gold file over the
report corpus (the rest is held out and scored separately). The first ``--skip`` questions of each bench set
are left out of fitting: ``qa eval --passages ... --limit N`` (N <= skip) then measures on questions the
model never saw.

Declines: the best sentence's probability, for answerable questions (positives) and for questions the
corpus does not answer (negatives: another set's questions asked of the report corpus, and the gold file's
unanswerable ones). The threshold is the highest that falsely declines at most ``--false-decline`` of
the positives; bench/decline_curve.py prints the whole curve.

    python scripts/fit_answer_model.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl \\
        --corpus-index index --out qa/data/answer_model.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.answer.evidence import TermWeights
from qa.answer.features import chunk_positions, sentence_features
from qa.answer.scorer import FEATURES, AnswerParams
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder, open_index
from qa.search.question import analyze
from qa.search.retrieve import Retriever
from qa.textnorm import match_key

BENCH_SETS = ("cmrc2018-dev", "drcd-dev", "xquad-en2zh-dev", "xquad-zh-dev")


@dataclass
class Examples:
    """Feature rows, labels, and for each row the question it belongs to."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # one per question
    source: list[str] = field(default_factory=list)  # one per question

    def add(self, qid: str, source: str, matrix: np.ndarray, labels: np.ndarray) -> None:
        self.x.append(matrix)
        self.y.append(labels)
        self.group.append(qid)
        self.source.append(source)


def collect(questions: list[dict], retriever: Retriever, source: str, ex: Examples, cache: dict,
            params: AnswerParams, detect_filters: bool) -> None:
    index = retriever.index
    kw = index.keywords
    weights = TermWeights(kw.size, kw.document_frequency)
    positions = chunk_positions(index)
    for n, q in enumerate(questions, 1):
        spans = [k for k in (match_key(a) for a in q.get("answers") or []) if k]
        info = analyze(q["question"])
        res = retriever.search(q["question"], k=10, detect_filters=detect_filters)
        feats = sentence_features(info, res, index, retriever.embedder, weights, params, positions, cache)
        labels = np.array([any(s in match_key(c.sentence) for s in spans) for c in feats.candidates], dtype=int)
        ex.add(str(q.get("qid") or q.get("id")), source, feats.matrix, labels)
        if n % 50 == 0:
            print(f"  {source}: {n}/{len(questions)}", file=sys.stderr, flush=True)


def subset(folder: Path, n: int) -> Path:
    """A copy of a bench set with its first ``n`` passages and their questions (in the model cache folder)."""
    out = default_home() / "bench-subsets" / f"{folder.name}-{n}"
    out.mkdir(parents=True, exist_ok=True)
    passages = read_gold(folder / "passages.jsonl")[:n]
    pids = {str(p["pid"]) for p in passages}
    questions = [q for q in read_gold(folder / "questions.jsonl") if str(q["pid"]) in pids]
    for name, rows in (("passages.jsonl", passages), ("questions.jsonl", questions)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000).fit(x, y)


def top1(ex: Examples, idx: list[int], coef: np.ndarray, b: float) -> float:
    """Share of questions whose highest-scored candidate holds the answer."""
    got = [bool(ex.y[i][np.argmax(ex.x[i] @ coef + b)]) for i in idx if len(ex.y[i])]
    return round(sum(got) / len(idx), 4) if idx else 0.0


def anchor(ex: Examples, idx: list[int]) -> float:
    """The e5-only anchor: the sentence with the highest cosine within the top-ranked passage."""
    got = []
    for i in idx:
        m = ex.x[i]
        if not len(m):
            got.append(False)
            continue
        first = m[:, FEATURES.index("inv_rank")] == 1.0
        cos = np.where(first, m[:, FEATURES.index("s_cos")], -9)
        got.append(bool(ex.y[i][int(np.argmax(cos))]))
    return round(sum(got) / len(idx), 4) if idx else 0.0


def stack(ex: Examples, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    xs = [ex.x[i] for i in idx if len(ex.x[i])]
    ys = [ex.y[i] for i in idx if len(ex.y[i])]
    return np.vstack(xs), np.concatenate(ys)


def best_prob(ex: Examples, i: int, coef: np.ndarray, b: float) -> float:
    m = ex.x[i]
    return float(1 / (1 + np.exp(-(m @ coef + b).max()))) if len(m) else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--sets", nargs="+", default=list(BENCH_SETS), help="bench sets to fit on")
    ap.add_argument("--max-passages", nargs="*", default=[], metavar="NAME=N",
                    help="use only the first N passages of a set (and their questions): a smaller index to embed")
    ap.add_argument("--per-set", type=int, default=250, help="questions fitted on per bench set")
    ap.add_argument("--skip", type=int, default=300, help="leave each set's first N questions out (for eval)")
    ap.add_argument("--skip-set", nargs="*", default=[], metavar="NAME=N", help="another --skip for one set")
    ap.add_argument("--gold", type=Path, help="gold questions over the report corpus (part fitted, part held out)")
    ap.add_argument("--gold-fit-share", type=float, default=0.5, help="share of the gold questions fitted on")
    ap.add_argument("--corpus-index", type=Path, help="index of the report corpus (for gold and negatives)")
    ap.add_argument("--negatives", type=int, default=150, help="CMRC questions asked of the report corpus")
    ap.add_argument("--false-decline", type=float, default=0.05, help="most positives a decline may hit")
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularization strength")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--dump", type=Path, help="also write per-question decline scores here (for the curve)")
    args = ap.parse_args(argv)

    skips = {k: int(v) for k, _, v in (x.partition("=") for x in args.skip_set)}
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    params = AnswerParams()
    cache: dict = {}
    ex = Examples()
    counts: dict[str, int] = {}
    limits = {k: int(v) for k, _, v in (x.partition("=") for x in args.max_passages)}
    for name in args.sets:
        folder = subset(args.bench / name, limits[name]) if name in limits else args.bench / name
        qs = [q for q in read_gold(folder / "questions.jsonl")[skips.get(name, args.skip):]
              if q.get("answers")][: args.per_set]
        print(f"{name}: {len(qs)} questions", file=sys.stderr, flush=True)
        retriever = Retriever(bench_index(folder / "passages.jsonl", embedder, default_home()), embedder)
        collect(qs, retriever, name, ex, cache, params, detect_filters=False)
        counts[name] = len(qs)
    negatives: list[int] = []
    gold_fit: list[int] = []
    gold_held: list[int] = []
    gold_unanswerable: list[int] = []
    if args.gold and args.corpus_index:
        corpus = Retriever(open_index(Settings(index=args.corpus_index, corpus=Path("/nonexistent")), embedder,
                                      build=False), embedder)
        gold = read_gold(args.gold)
        rng = random.Random(args.seed)
        ids = sorted(str(q["id"]) for q in gold)
        rng.shuffle(ids)
        fit_ids = set(ids[: int(len(ids) * args.gold_fit_share)])
        start = len(ex.group)
        collect(gold, corpus, "gold", ex, cache, params, detect_filters=True)
        for i, q in zip(range(start, len(ex.group)), gold, strict=True):
            if q.get("type") == "unanswerable":
                gold_unanswerable.append(i)
            else:
                (gold_fit if str(q["id"]) in fit_ids else gold_held).append(i)
        neg_q = read_gold(args.bench / "cmrc2018-dev" / "questions.jsonl")[: args.negatives]
        start = len(ex.group)
        collect([{**q, "answers": []} for q in neg_q], corpus, "negatives", ex, cache, params, detect_filters=True)
        negatives = list(range(start, len(ex.group)))
        counts.update({"gold_fitted": len(gold_fit), "gold_held_out": len(gold_held),
                       "gold_unanswerable": len(gold_unanswerable), "negatives_cmrc_on_reports": len(negatives)})

    bench_idx = {name: [i for i, s in enumerate(ex.source) if s == name] for name in args.sets}
    held_out: dict[str, dict] = {}
    for name, idx in bench_idx.items():  # leave one set out
        train = [i for other, ix in bench_idx.items() if other != name for i in ix] + gold_fit
        model = fit(*stack(ex, train), args.c)
        held_out[name] = {"top1_left_out": top1(ex, idx, model.coef_[0], model.intercept_[0]),
                          "e5_anchor": anchor(ex, idx)}
    train = [i for ix in bench_idx.values() for i in ix] + gold_fit
    if gold_held:
        no_gold = fit(*stack(ex, [i for ix in bench_idx.values() for i in ix]), args.c)
        held_out["gold_all_fitted_without_gold"] = top1(ex, gold_fit + gold_held, no_gold.coef_[0],
                                                         no_gold.intercept_[0])
    model = fit(*stack(ex, train), args.c)
    coef, b = model.coef_[0], float(model.intercept_[0])
    if gold_held:
        held_out["gold_held_out"] = top1(ex, gold_held, coef, b)
        held_out["gold_fitted"] = top1(ex, gold_fit, coef, b)

    # The threshold: the highest that declines at most --false-decline of the answerable questions of each
    # source fitted on (so that the bench sets' many easy questions do not set it for the reports').
    fitted_sources = {**bench_idx, "gold": gold_fit} if gold_fit else dict(bench_idx)
    threshold = min((float(np.quantile([best_prob(ex, i, coef, b) for i in idx], args.false_decline))
                     for idx in fitted_sources.values() if idx), default=0.0)
    positives = [i for ix in bench_idx.values() for i in ix] + gold_fit + gold_held
    neg_scores = [best_prob(ex, i, coef, b) for i in negatives + gold_unanswerable]

    def declined(idx: list[int]) -> float:
        return round(sum(best_prob(ex, i, coef, b) < threshold for i in idx) / max(1, len(idx)), 4)

    decline = {"threshold": round(threshold, 4),
               "false_declines": {name: declined(idx) for name, idx in fitted_sources.items()}
               | {"gold_held_out": declined(gold_held)},
               "negatives_declined": {"cmrc_on_reports": declined(negatives),
                                      "gold_unanswerable": declined(gold_unanswerable)}}
    if args.dump:
        held = set(gold_held)
        args.dump.write_text(json.dumps({"threshold": threshold,
                                         "positives": [best_prob(ex, i, coef, b) for i in positives],
                                         "positive_sources": [ex.source[i] if i not in held else "gold_held_out"
                                                              for i in positives],
                                         "negatives": neg_scores,
                                         "negative_sources": ["cmrc_on_reports"] * len(negatives)
                                         + ["gold_unanswerable"] * len(gold_unanswerable)}))
    out = {
        "features": list(FEATURES),
        "coef": [round(float(c), 6) for c in coef],
        "intercept": round(b, 6),
        "params": {"decline_below": round(threshold, 4)},
        "provenance": {
            "datasets": {name: f"{args.bench.name}/{name}, questions {skips.get(name, args.skip)}.. "
                               f"(first {args.per_set} with answers)"
                         for name in args.sets} | ({"gold": f"{args.gold.name}, {args.gold_fit_share:.0%} fitted "
                                                     f"(seed {args.seed})"} if args.gold else {}),
            "counts_questions": counts,
            "sentences": int(sum(len(y) for y in ex.y)),
            "positive_sentences": int(sum(int(y.sum()) for y in ex.y)),
            "date": dt.date.today().isoformat(),
            "command": "python scripts/fit_answer_model.py " + " ".join(
                a if not Path(a).is_absolute() else Path(a).name for a in (argv or sys.argv[1:])),
            "model": embedder.name,
            "defaults": {k: v for k, v in asdict(params).items() if k not in ("coef", "intercept", "provenance")},
            "held_out_top1": held_out,
            "decline": decline,
        },
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["provenance"]["held_out_top1"] | {"decline": decline}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
