"""Fit the off-topic gate (``offtopic_model`` in qa/data/answer_model.json): an English question that no
passage of the corpus is near is declined, whatever its best sentence scores.

Why. Asked "What is the capital of France?" of the shipped reports, the answer quoted a fragment of a report
under "The reports say:". Of 120 XQuAD English questions (football, science, history) asked of the reports, 116
were answered with unrelated sentences. The question-level decline model (``scripts/fit_decline.py``) decides
for Chinese only, and leaves the cosine levels out: within one article they told nothing. Between corpora they
do: an English question about the reports comes closer to some report passage than one about something else.

Data (public sets and the dev gold; ``--extra`` adds collected sets, measured only):

- positives: XQuAD English questions asked of the XQuAD Chinese passages; the dev gold's English answerable
  questions asked of the report corpus;
- negatives, made by asking a set's questions of another set's corpus: XQuAD English questions asked of the
  report corpus, and the dev gold's English questions asked of the XQuAD passages (so the gate cannot learn the
  style of a set's questions, only how near the corpus is).

A logistic regression on two question-level features (``qa.answer.decline.question_row``: the highest cosine
between the question and a sentence, and between the question and the first passage) is fitted on the later
XQuAD questions (after ``--skip``) and half the gold file; its threshold is the highest that falsely declines
at most ``--false-decline`` of every fitted positive source. It is measured on the first ``--held`` XQuAD
questions, the other half of the gold file, and each ``--extra`` set. The cosines belong to the embedding model
it was fitted with: the gate is used only with that model (``model`` in its entry).

    python scripts/fit_offtopic.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl --corpus-index index \\
        --extra pagedev=bench/pagedev/questions.jsonl:PAGEDEV_INDEX --features .fit-cache \\
        --model qa/data/answer_model.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

import numpy as np

from qa.answer.decline import OFFTOPIC_FEATURES, QUESTION_FEATURES, load_offtopic
from qa.answer.scorer import load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder, open_index
from qa.search.retrieve import Retriever

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decline import cached, extra_recorded, extra_spec, fit, matrices, prob, rows  # noqa: E402

SET = "xquad-en2zh-dev"
COLUMNS = [QUESTION_FEATURES.index(f) for f in OFFTOPIC_FEATURES]


def english(questions: list[dict]) -> list[dict]:
    return [q for q in questions if q.get("lang", "en") == "en"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--skip", type=int, default=300, help="fit on the XQuAD questions after the first N")
    ap.add_argument("--per-set", type=int, default=250, help="XQuAD questions fitted on")
    ap.add_argument("--held", type=int, default=100, help="XQuAD questions measured (the first N)")
    ap.add_argument("--gold", type=Path, required=True, help="gold questions over the report corpus")
    ap.add_argument("--corpus-index", type=Path, required=True, help="index of the report corpus")
    ap.add_argument("--extra", nargs="*", default=[], metavar="NAME=QUESTIONS:INDEX",
                    help="collected question sets and the index of their corpus, measured only")
    ap.add_argument("--false-decline", type=float, default=0.01)
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularization strength")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features", type=Path, default=Path(".fit-cache"), help="cache of feature rows")
    ap.add_argument("--model", type=Path, default=Path("qa/data/answer_model.json"),
                    help="the answer model file: its sentence model scores, its offtopic_model is (re)written")
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    ap.add_argument("--bound-only", action="store_true",
                    help="keep the model file's gate and fit only its answer_above bound (on best_support)")
    ap.add_argument("--bound-cost", type=float, default=0.0,
                    help="share of the fitted off-topic questions the gate declines that the bound may answer")
    args = ap.parse_args(argv)

    model = load_model(args.model)
    embedder = load_embedder(Settings.from_env())
    cache: dict = {}
    xquad = english([q for q in read_gold(args.bench / SET / "questions.jsonl") if q.get("answers")])
    wiki = Retriever(bench_index(args.bench / SET / "passages.jsonl", embedder, default_home()), embedder)
    reports = Retriever(open_index(Settings(index=args.corpus_index, corpus=Path("/nonexistent")), embedder,
                                   build=False), embedder)
    gold = english([q for q in read_gold(args.gold) if q.get("type") != "unanswerable"])
    ids = sorted(str(q["id"]) for q in read_gold(args.gold))
    random.Random(args.seed).shuffle(ids)  # the halves of scripts/fit_decline.py
    fit_ids = set(ids[: len(ids) // 2])
    halves = {"fit": [q for q in gold if str(q["id"]) in fit_ids],
              "held": [q for q in gold if str(q["id"]) not in fit_ids]}
    first, later = xquad[:args.held], xquad[args.skip:args.skip + args.per_set]

    def ask(qs: list[dict], retriever: Retriever, key: str, detect: bool) -> np.ndarray:
        ms = cached(args.features, f"offtopic-{key}", lambda: matrices(
            [{**q, "answers": []} for q in qs], retriever, model, cache, False, detect, key))
        return rows(ms, model)  # every question-level feature: the gate reads COLUMNS, its bound best_support

    parts: dict[str, dict[str, tuple[np.ndarray, int]]] = {"fitted": {}, "held_out": {}}
    for part, qs, tag, gq in (("fitted", later, f"{args.skip}-{args.per_set}", halves["fit"]),
                              ("held_out", first, f"0-{args.held}", halves["held"])):
        parts[part][f"{SET} on its passages"] = (ask(qs, wiki, f"{SET}-{tag}-in", False), 1)
        parts[part][f"gold {part} (English)"] = (ask(gq, reports, f"gold-{part}-{args.gold.stem}", True), 1)
        parts[part][f"{SET} on the reports"] = (ask(qs, reports, f"{SET}-{tag}-reports-{args.gold.stem}", True), 0)
        parts[part][f"gold {part} (English) on {SET}"] = (ask(gq, wiki, f"gold-{part}-{args.gold.stem}-wiki", True), 0)
    for spec in args.extra:
        name, qfile, index = extra_spec(spec)
        extra = Retriever(open_index(Settings(index=Path(index), corpus=Path("/nonexistent")), embedder, build=False),
                          embedder)
        qs = english([q for q in read_gold(Path(qfile)) if q.get("type") != "unanswerable"])
        parts["held_out"][f"{name} (English answerable)"] = (ask(qs, extra, f"extra-{name}", True), 1)
        parts["held_out"][f"{SET} on {name}'s corpus"] = (ask(first, extra, f"{SET}-0-{args.held}-{name}", True), 0)

    if args.bound_only:
        return bound(args, argv, parts)
    x = np.vstack([v[:, COLUMNS] for v, _ in parts["fitted"].values()])
    y = np.concatenate([np.full(len(v), lab) for v, lab in parts["fitted"].values()])
    w = np.concatenate([np.full(len(v), 1.0 / len(v)) for v, _ in parts["fitted"].values()])
    coef, intercept = fit(x, y, args.c, w * len(w))
    threshold = min(float(np.quantile(prob(v[:, COLUMNS], coef, intercept), args.false_decline))
                    for v, lab in parts["fitted"].values() if lab == 1)

    def table(part: dict) -> dict:
        out = {}
        for src, (v, lab) in part.items():
            declined = prob(v[:, COLUMNS], coef, intercept) < threshold
            out[src] = {"questions": len(v), "kind": "answerable" if lab else "off-topic",
                        ("false_declines" if lab else "declined"): round(float(declined.mean()), 4)}
        return out

    report = {"threshold": round(threshold, 4), "fitted": table(parts["fitted"]),
              "held_out": table(parts["held_out"])}
    print(json.dumps({"coef": coef.tolist(), "intercept": intercept, **report}, indent=1, ensure_ascii=False))
    if args.dry_run:
        return 0
    data = json.loads(args.model.read_text(encoding="utf-8"))
    data["offtopic_model"] = {
        "features": list(OFFTOPIC_FEATURES),
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(intercept, 6),
        "threshold": round(threshold, 4),
        "languages": ["en"],
        "model": embedder.name,
        "provenance": {
            "fitted_on": {src: len(v) for src, (v, _) in parts["fitted"].items()},
            "held_out": {src: len(v) for src, (v, _) in parts["held_out"].items()},
            "bench": f"{SET}: English questions with answers {args.skip}..{args.skip + args.per_set - 1} fitted, "
                     f"0..{args.held - 1} held out",
            "gold": f"{args.gold.name}: English answerable questions, half fitted (seed {args.seed}), half held out",
            "date": dt.date.today().isoformat(),
            "command": recorded_command("scripts/fit_offtopic.py", [extra_recorded(a) for a in argv or sys.argv[1:]]),
            "report": report,
        },
    }
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


def support_bound(supports: np.ndarray, cost: float) -> float:
    """The lowest best-sentence support from which the gate answers, so that at most ``cost`` (rounded down) of
    the declined off-topic questions whose ``supports`` are given are answered: just above the (k+1)-th highest.

    >>> support_bound(np.array([0.2, 0.5, 0.3, 0.45]), 0.0), support_bound(np.array([0.2, 0.5, 0.3, 0.45]), 0.25)
    (0.5001, 0.4501)
    """
    k = int(np.floor(cost * len(supports)))
    return round(float(np.sort(supports)[::-1][min(k, len(supports) - 1)]) + 1e-4, 4)


def bound(args, argv, parts: dict) -> int:
    """``--bound-only``: the shipped gate's ``answer_above``, fitted on the off-topic sources it was fitted on
    (the highest bound over them), and what it changes on every source."""
    gate = load_offtopic(args.model)
    col = QUESTION_FEATURES.index("best_support")
    declines = {part: {src: (np.array([gate.declines(r, gate.model) for r in v], dtype=bool), v, lab)
                       for src, (v, lab) in sources.items()} for part, sources in parts.items()}
    value = max(support_bound(v[d, col], args.bound_cost) for d, v, lab in declines["fitted"].values()
                if lab == 0 and d.any())
    table = {part: {src: {"questions": len(v), "kind": "answerable" if lab else "off-topic",
                          "declined": f"{int(d.sum())} -> {int((d & (v[:, col] < value)).sum())}"}
                    for src, (d, v, lab) in sources.items()} for part, sources in declines.items()}
    print(json.dumps({"answer_above": value, **table}, indent=1, ensure_ascii=False))
    if args.dry_run:
        return 0
    data = json.loads(args.model.read_text(encoding="utf-8"))
    entry = data["offtopic_model"]
    entry["answer_above"] = value
    entry["provenance"]["answer_above"] = {
        "rule": f"best_support from which the gate answers: just above the highest support of the fitted off-topic "
                f"questions it declines (cost {args.bound_cost})",
        "date": dt.date.today().isoformat(),
        "command": recorded_command("scripts/fit_offtopic.py", [extra_recorded(a) for a in argv or sys.argv[1:]]),
        "declined_before_after": table}
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
