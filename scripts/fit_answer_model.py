"""Fit the answer scorer (qa/data/answer_model.json): which candidate sentence holds the answer, and when to decline.

Examples are the candidate sentences the answerer itself considers (the top passages the retriever returns),
labelled 1 when the sentence contains a gold answer span. Data: public reading-comprehension sets in the
bench format (CMRC2018, DRCD, XQuAD en->zh and zh dev halves), and optionally part of a gold file over the
report corpus (the rest is held out and scored separately). The first ``--skip`` questions of each bench set
are left out of fitting: ``qa eval --passages ... --limit N`` (N <= skip) then measures on questions the
model never saw.

The choice model is fitted listwise by default (``--kind listwise``): a softmax over each question's
candidates, so only what tells a question's sentences apart gets weight (the pointwise logistic regression also
learned which questions are answered at all, and fell to 0.17 top-1 on XQuAD en->zh left out of the fit); the
score is then calibrated into a probability by a one-feature logistic regression. The shipped chain, with the
support model and threshold of the previous file (``--support-from``/``--donor-threshold``), then
``scripts/fit_runner_up.py`` and ``scripts/fit_decline.py`` on the same cache, is in bench/README.md
("Session 13").

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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.answer.evidence import TermWeights
from qa.answer.features import chunk_positions, sentence_features
from qa.answer.scorer import FEATURES, GAP_FEATURES, AnswerParams, Tree, load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder, open_index
from qa.search.retrieve import Retriever, question_info
from qa.textnorm import match_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_negatives import swapped_questions  # noqa: E402

BENCH_SETS = ("cmrc2018-dev", "drcd-dev", "xquad-en2zh-dev", "xquad-zh-dev")


@dataclass
class Examples:
    """Feature rows, labels, and for each row the question it belongs to."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # one per question
    source: list[str] = field(default_factory=list)  # one per question
    gloss: list[np.ndarray] = field(default_factory=list)  # per question, its candidates' gloss coverage

    def add(self, qid: str, source: str, matrix: np.ndarray, labels: np.ndarray,
            gloss: np.ndarray | None = None) -> None:
        self.x.append(matrix)
        self.y.append(labels)
        self.group.append(qid)
        self.source.append(source)
        self.gloss.append(np.zeros(len(labels)) if gloss is None else np.asarray(gloss, dtype=np.float64))


def collect(questions: list[dict], retriever: Retriever, source: str, ex: Examples, cache: dict,
            params: AnswerParams, detect_filters: bool) -> None:
    index = retriever.index
    kw = index.keywords
    weights = TermWeights(kw.size, kw.document_frequency)
    positions = chunk_positions(index)
    for n, q in enumerate(questions, 1):
        spans = [k for k in (match_key(a) for a in q.get("answers") or []) if k]
        res = retriever.search(q["question"], k=10, detect_filters=detect_filters)
        info = question_info(q["question"], res)  # as the answerer reads it (English terms: retrieval's choice)
        feats = sentence_features(info, res, index, retriever.embedder, weights, params, positions, cache,
                                  retriever.shift)
        labels = np.array([any(s in match_key(c.sentence) for s in spans) for c in feats.candidates], dtype=int)
        ex.add(str(q.get("qid") or q.get("id")), source, feats.matrix, labels, feats.gloss)
        if n % 50 == 0:
            print(f"  {source}: {n}/{len(questions)}", file=sys.stderr, flush=True)


def collect_cached(store: Path | None, key: str, questions: list[dict], retriever_fn, source: str, ex: Examples,
                   cache: dict, params: AnswerParams, detect_filters: bool) -> None:
    """``collect``, or read back the rows a previous run with the same ``key`` saved in ``store`` (fitting
    variants then needs no embedding)."""
    path = store / f"{key}.npz" if store else None
    if path and path.exists():
        with np.load(path, allow_pickle=False) as z:
            cuts = np.cumsum(z["sizes"])[:-1]
            gloss = np.split(z["gloss"], cuts) if "gloss" in z.files else [None] * len(z["sizes"])
            for qid, m, y, g in zip(z["qids"], np.split(z["x"], cuts), np.split(z["y"], cuts), gloss, strict=True):
                ex.add(str(qid), source, m.reshape(-1, len(FEATURES)), y, g)
        return
    start = len(ex.group)
    collect(questions, retriever_fn(), source, ex, cache, params, detect_filters)
    if path:
        store.mkdir(parents=True, exist_ok=True)
        rows = range(start, len(ex.group))
        np.savez(path, x=np.vstack([ex.x[i].reshape(-1, len(FEATURES)) for i in rows]),
                 y=np.concatenate([ex.y[i] for i in rows]), sizes=np.array([len(ex.y[i]) for i in rows]),
                 gloss=np.concatenate([ex.gloss[i] for i in rows]),
                 qids=np.array([ex.group[i] for i in rows]))


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


ZERO = ("s_cos", "p_cos")  # absolute cosine levels belong to one embedding model (e5's sit near 0.8): not fitted


def fit(x: np.ndarray, y: np.ndarray, kind: str, c: float, zero: tuple[str, ...] = ZERO,
        sizes: list[int] | None = None) -> AnswerParams:
    """The choice model of ``kind``: listwise (``listwise``: needs each question's row count in ``sizes``), a
    logistic regression, or boosted trees (sklearn and scipy at fitting time only: the JSON holds flat arrays).

    The regression is fitted on standardized features and its weights mapped back to the raw ones: fitted on
    raw features, the penalty shrank the weights of the cosines (whose spread within a question is a few
    hundredths) far more than those of 0/1 features, and the model ranked below the cosine alone on English.
    The features in ``zero`` get no weight; the gaps to the best candidate carry the cosines instead.
    """
    x = np.where(np.isin(np.arange(x.shape[1]), [FEATURES.index(f) for f in zero]), 0.0, x)
    if kind == "listwise":
        return listwise(x, y, sizes or [len(y)], c)
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        mean, sd = x.mean(axis=0), x.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        m = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / sd, y)
        coef = m.coef_[0] / sd
        return AnswerParams(coef=tuple(float(v) for v in coef), intercept=float(m.intercept_[0] - coef @ mean))
    from sklearn.ensemble import GradientBoostingClassifier

    m = GradientBoostingClassifier(n_estimators=BOOST.trees, max_depth=BOOST.depth, learning_rate=BOOST.rate,
                                   subsample=BOOST.subsample, random_state=0).fit(x, y)
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    trees = tuple(Tree(feature=tuple(int(f) for f in t.tree_.feature),
                       threshold=tuple(float(v) for v in t.tree_.threshold),
                       left=tuple(int(v) for v in t.tree_.children_left),
                       right=tuple(int(v) for v in t.tree_.children_right),
                       value=tuple(float(v) * BOOST.rate for v in t.tree_.value[:, 0, 0]))
                  for t in m.estimators_[:, 0])
    return AnswerParams(coef=(0.0,) * x.shape[1], intercept=float(np.log(prior / (1 - prior))), trees=trees)


def listwise(x: np.ndarray, y: np.ndarray, sizes: list[int], c: float) -> AnswerParams:
    """Weights that rank each question's candidates: the softmax over a question's candidates puts as much mass
    as it can on those holding the answer (a conditional logit, L2 penalty 1/(2c) on standardized features).
    Questions without such a candidate carry no ranking information and are left out. The ranking score is then
    turned into a probability by a one-feature logistic regression over all rows, so the answerer's shares and
    thresholds read a calibrated probability; the order within a question is the listwise one.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, len(FEATURES))); y = np.zeros(60, dtype=int); y[::6] = 1
    >>> x[::6, FEATURES.index("coverage")] += 3  # the answer's rows cover more of the question
    >>> m = listwise(x, y, [6] * 10, 1.0)
    >>> all(np.argmax(m.probability(x[i:i + 6])) == 0 for i in range(0, 60, 6))
    True
    """
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mean) / sd
    cuts = np.cumsum(sizes)[:-1]
    groups = [(g, t.astype(bool)) for g, t in zip(np.split(z, cuts), np.split(y, cuts), strict=True) if t.any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * w @ w / c, w / c
        for g, t in groups:
            s = g @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            held = p[t].sum()
            total -= np.log(max(held, 1e-300))
            grad = grad + g.T @ (p - np.where(t, p, 0.0) / held)
        return total, grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x / sd
    score = x @ w
    cal = LogisticRegression(C=100.0, max_iter=5000).fit(score[:, None], y)
    a = float(cal.coef_[0][0])
    return AnswerParams(coef=tuple(float(v) for v in a * w), intercept=float(cal.intercept_[0]))


@dataclass(frozen=True)
class Boosting:
    trees: int = 120
    depth: int = 3
    rate: float = 0.1
    subsample: float = 0.8


BOOST = Boosting()
SUPPORT_ZERO = {"none": None, "gaps": GAP_FEATURES + ZERO, "levels": GAP_FEATURES}


def top1(ex: Examples, idx: list[int], model: AnswerParams) -> float:
    """Share of questions whose highest-scored candidate holds the answer."""
    got = [bool(ex.y[i][np.argmax(model.probability(ex.x[i]))]) for i in idx if len(ex.y[i])]
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


def stack(ex: Examples, idx: list[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The rows of the questions ``idx``, their labels, and each question's number of rows."""
    xs = [ex.x[i] for i in idx if len(ex.x[i])]
    ys = [ex.y[i] for i in idx if len(ex.y[i])]
    return np.vstack(xs), np.concatenate(ys), [len(v) for v in ys]


def fit_rows(rows: tuple[np.ndarray, np.ndarray, list[int]], kind: str, c: float,
             zero: tuple[str, ...] = ZERO) -> AnswerParams:
    x, y, sizes = rows
    return fit(x, y, kind, c, zero, sizes)


def best_prob(ex: Examples, i: int, model: AnswerParams) -> float:
    """The best support among question ``i``'s candidates: what the decline threshold is compared with."""
    m = ex.x[i]
    return float(model.support(m).max()) if len(m) else 0.0


def with_support(choice: AnswerParams, x: np.ndarray, y: np.ndarray, c: float, zero: tuple[str, ...]
                 ) -> AnswerParams:
    """``choice`` with a support model: a logistic regression on the same rows without the features in
    ``zero`` (the gaps to the question's best candidate, which rank but do not say whether it is answered)."""
    support = fit(x, y, "logistic", c, zero=zero)
    return replace(choice, support_coef=support.coef, support_intercept=support.intercept)


def pick_threshold(ex: Examples, model: AnswerParams, bench_idx: dict[str, list[int]], gold_fit: list[int],
                   gold_held: list[int], negatives: dict[str, list[int]], args, fixed: float | None = None) -> dict:
    """The highest threshold that falsely declines at most ``--false-decline`` of the answerable questions of
    each source fitted on (so that the bench sets' many easy questions do not set it for the reports'), and
    what it declines of each source. With ``fixed``, that threshold is measured instead of chosen."""
    fitted_sources = {**bench_idx, "gold": gold_fit} if gold_fit else dict(bench_idx)
    threshold = fixed if fixed is not None else min(
        (float(np.quantile([best_prob(ex, i, model) for i in idx], args.false_decline))
         for idx in fitted_sources.values() if idx), default=0.0)

    def declined(idx: list[int]) -> float:
        return round(sum(best_prob(ex, i, model) < threshold for i in idx) / max(1, len(idx)), 4)

    everything = [i for ix in negatives.values() for i in ix]
    return {"threshold": round(threshold, 4),
            "false_declines": {name: declined(idx) for name, idx in fitted_sources.items()}
            | {"gold_held_out": declined(gold_held)},
            "negatives_declined": {name: declined(idx) for name, idx in negatives.items()} | {"all": declined(
                everything)}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--sets", nargs="+", default=list(BENCH_SETS), help="bench sets to fit on")
    ap.add_argument("--max-passages", nargs="*", default=[], metavar="NAME=N",
                    help="use only the first N passages of a set (and their questions): a smaller index to embed")
    ap.add_argument("--per-set", type=int, default=250, help="questions fitted on per bench set")
    ap.add_argument("--per-set-for", nargs="*", default=[], metavar="NAME=N", help="another --per-set for one set")
    ap.add_argument("--skip", type=int, default=300, help="leave each set's first N questions out (for eval)")
    ap.add_argument("--skip-set", nargs="*", default=[], metavar="NAME=N", help="another --skip for one set")
    ap.add_argument("--gold", type=Path, help="gold questions over the report corpus (part fitted, part held out)")
    ap.add_argument("--gold-fit-share", type=float, default=0.5, help="share of the gold questions fitted on")
    ap.add_argument("--corpus-index", type=Path, help="index of the report corpus (for gold and negatives)")
    ap.add_argument("--negatives", type=int, default=150, help="CMRC questions asked of the report corpus")
    ap.add_argument("--false-decline", type=float, default=0.05, help="most positives a decline may hit")
    ap.add_argument("--kind", choices=("logistic", "listwise", "boosting"), default="listwise",
                    help="the choice model: per-question softmax (listwise), per-sentence logistic, boosted trees")
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularization strength")
    ap.add_argument("--support-from", type=Path, help="take the support (decline) model from this model file's "
                    "choice model instead of fitting one; the threshold is still chosen on the data")
    ap.add_argument("--donor-threshold", action="store_true",
                    help="with --support-from: keep that file's decline threshold too (the support model and its "
                         "threshold were fitted together), measured here instead of chosen")
    ap.add_argument("--support", choices=tuple(SUPPORT_ZERO), default="levels",
                    help="the decline model: none (the choice model declines too), gaps (without the gap features "
                         "and cosine levels), levels (without the gap features, with the cosine levels)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--features", type=Path, help="save the collected feature rows here, and reuse them")
    ap.add_argument("--collect-only", action="store_true", help="stop after collecting (with --features)")
    ap.add_argument("--dump", type=Path, help="also write per-question decline scores here (for the curve)")
    args = ap.parse_args(argv)

    skips = {k: int(v) for k, _, v in (x.partition("=") for x in args.skip_set)}
    per_sets = {k: int(v) for k, _, v in (x.partition("=") for x in args.per_set_for)}
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    params = AnswerParams()
    cache: dict = {}
    ex = Examples()
    counts: dict[str, int] = {}
    limits = {k: int(v) for k, _, v in (x.partition("=") for x in args.max_passages)}
    store = args.features
    for name in args.sets:
        folder = subset(args.bench / name, limits[name]) if name in limits else args.bench / name
        skip = skips.get(name, args.skip)
        per_set = per_sets.get(name, args.per_set)
        qs = [q for q in read_gold(folder / "questions.jsonl")[skip:] if q.get("answers")][:per_set]
        print(f"{name}: {len(qs)} questions", file=sys.stderr, flush=True)
        key = f"{name}-{limits.get(name, 'all')}-{skip}-{per_set}"
        collect_cached(store, key, qs, lambda f=folder: Retriever(bench_index(f / "passages.jsonl", embedder,
                                                                                default_home()), embedder),
                       name, ex, cache, params, detect_filters=False)
        counts[name] = len(qs)
    negatives: dict[str, list[int]] = {}
    gold_fit: list[int] = []
    gold_held: list[int] = []
    if args.gold and args.corpus_index:
        index = open_index(Settings(index=args.corpus_index, corpus=Path("/nonexistent")), embedder, build=False)
        corpus = Retriever(index, embedder)
        gold = read_gold(args.gold)
        rng = random.Random(args.seed)
        ids = sorted(str(q["id"]) for q in gold)
        rng.shuffle(ids)
        fit_ids = set(ids[: int(len(ids) * args.gold_fit_share)])
        start = len(ex.group)
        collect_cached(store, f"gold-{args.gold.stem}", gold, lambda: corpus, "gold", ex, cache, params, True)
        for i, q in zip(range(start, len(ex.group)), gold, strict=True):
            if q.get("type") == "unanswerable":
                negatives.setdefault("gold_unanswerable", []).append(i)
            else:
                (gold_fit if str(q["id"]) in fit_ids else gold_held).append(i)
        neg_q = read_gold(args.bench / "cmrc2018-dev" / "questions.jsonl")[: args.negatives]
        swapped = swapped_questions(gold, index.documents.values(), "\n".join(c.norm for c in index.chunks),
                                    seed=args.seed)
        for label, qs, key in (("cmrc_on_reports", neg_q, f"neg-cmrc-{args.negatives}"),
                               ("swapped_place_year", swapped, f"neg-swapped-{args.gold.stem}-{args.seed}")):
            start = len(ex.group)
            collect_cached(store, key, [{**q, "answers": []} for q in qs], lambda: corpus, label, ex, cache,
                           params, True)
            negatives[label] = list(range(start, len(ex.group)))
        counts.update({"gold_fitted": len(gold_fit), "gold_held_out": len(gold_held)}
                      | {f"negatives_{k}": len(v) for k, v in negatives.items()})

    if args.collect_only:
        return 0
    bench_idx = {name: [i for i, s in enumerate(ex.source) if s == name] for name in args.sets}
    held_out: dict[str, dict] = {}
    for name, idx in bench_idx.items():  # leave one set out
        train = [i for other, ix in bench_idx.items() if other != name for i in ix] + gold_fit
        held_out[name] = {"top1_left_out": top1(ex, idx, fit_rows(stack(ex, train), args.kind, args.c)),
                          "e5_anchor": anchor(ex, idx)}
    if gold_held:
        no_gold = fit_rows(stack(ex, [i for ix in bench_idx.values() for i in ix]), args.kind, args.c)
        held_out["gold_all_fitted_without_gold"] = top1(ex, gold_fit + gold_held, no_gold)
        held_out["gold_e5_anchor"] = anchor(ex, gold_fit + gold_held)
    rows = stack(ex, [i for ix in bench_idx.values() for i in ix] + gold_fit)
    model = fit_rows(rows, args.kind, args.c)
    if args.support_from:
        donor = load_model(args.support_from)
        model = replace(model, support_coef=donor.coef, support_intercept=donor.intercept)
    elif SUPPORT_ZERO[args.support] is not None:
        model = with_support(model, *rows[:2], args.c, SUPPORT_ZERO[args.support])
    if gold_held:
        held_out["gold_held_out"] = top1(ex, gold_held, model)
        held_out["gold_fitted"] = top1(ex, gold_fit, model)
    fixed = load_model(args.support_from).decline_below if args.support_from and args.donor_threshold else None
    decline = pick_threshold(ex, model, bench_idx, gold_fit, gold_held, negatives, args, fixed)
    if fixed is not None:
        decline["threshold_from"] = args.support_from.name
    threshold = decline["threshold"]
    if args.dump:
        positives = [(i, name) for name, ix in {**bench_idx, "gold": gold_fit, "gold_held_out": gold_held}.items()
                     for i in ix]
        negs = [(i, name) for name, ix in negatives.items() for i in ix]
        args.dump.write_text(json.dumps({"threshold": threshold,
                                         "positives": [best_prob(ex, i, model) for i, _ in positives],
                                         "positive_sources": [name for _, name in positives],
                                         "negatives": [best_prob(ex, i, model) for i, _ in negs],
                                         "negative_sources": [name for _, name in negs]}))
    out = {
        "features": list(FEATURES),
        "coef": [round(float(c), 6) for c in model.coef],
        "intercept": round(model.intercept, 6),
        **({"trees": [{k: [round(v, 6) if isinstance(v, float) else v for v in vals]
                       for k, vals in asdict(t).items()} for t in model.trees]} if model.trees else {}),
        **({"support": {"coef": [round(float(c), 6) for c in model.support_coef],
                        "intercept": round(model.support_intercept, 6),
                        **({"from": {"file": args.support_from.name,
                                     "command": load_model(args.support_from).provenance.get("command"),
                                     "date": load_model(args.support_from).provenance.get("date")}}
                           if args.support_from else {"without": list(SUPPORT_ZERO[args.support])})}}
           if model.support_coef else {}),
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
            "command": recorded_command("scripts/fit_answer_model.py", argv or sys.argv[1:]),
            "model": embedder.name,
            "defaults": {k: v for k, v in asdict(params).items()
                         if k not in ("coef", "intercept", "trees", "provenance")},
            "scorer": f"{args.kind} {asdict(BOOST)}" if args.kind == "boosting" else args.kind,
            "held_out_top1": held_out,
            "decline": decline,
        },
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["provenance"]["held_out_top1"] | {"decline": decline}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
