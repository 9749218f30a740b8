"""Fit ``gloss_weight`` in qa/data/answer_model.json: how much an English question's gloss coverage
(``qa.answer.gloss``: the share of its words the dictionary glosses of a sentence's words name) adds to the
choice model's score of that sentence.

The choice model is kept as it is; one weight is added to its log-odds, so the fit is a search over a grid.
For each English question with an answer, the candidate sentences are made as the answerer makes them
(``sentence_features``) and labelled by whether they hold a gold answer span; the answerer quotes its best
candidate (for a figure question, its best one that gives a figure). The weight chosen is the one that puts a
labelled sentence first for the most fitted questions (the smallest such weight on a tie), counted as a share
of the bench's questions and of the collected sets' questions, and averaged: neither kind outweighs the other.

Sources:
- XQuAD en->zh dev (public, ``--bench``): English questions over Chinese passages; questions after ``--skip``
  are fitted, the first ``--skip`` held out (``qa eval --passages ... --limit`` measures those);
- collected report questions over their own corpus (``--extra NAME=QUESTIONS:INDEX``, as in
  ``scripts/fit_decline.py``): written by people reading web copies of reports, so worded as users word them.
  ``--fit-extra`` names the ones fitted on; the others are measured only.

Every source is reported before (weight 0) and after, fitted and held out apart.

    python scripts/fit_gloss_weight.py --bench ../shared/bench --features .fit-cache \\
        --extra webcheck2=bench/webcheck2/questions.jsonl:INDEX ... --fit-extra webcheck2 ... --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

from qa.answer import figures
from qa.answer.evidence import TermWeights
from qa.answer.features import chunk_positions, sentence_features
from qa.answer.scorer import AnswerParams, load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder, open_index
from qa.search.retrieve import Retriever, question_info
from qa.textnorm import match_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decline import extra_recorded, extra_spec  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "qa" / "data" / "answer_model.json"
BENCH = "xquad-en2zh-dev"
GRID = tuple(round(0.25 * i, 2) for i in range(17))  # 0 .. 4
Question = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # base score, gloss, labels, quotable


def rows(questions: list[dict], retriever: Retriever, model: AnswerParams, label: str) -> list[Question]:
    """Per English question with a gold span: the choice model's log-odds of each candidate, its gloss
    coverage, whether it holds a gold span, and whether the answerer may quote it (a figure question's
    candidate must give a figure)."""
    index = retriever.index
    weights = TermWeights(index.keywords.size, index.keywords.document_frequency)
    positions, cache, out = chunk_positions(index), {}, []
    for n, q in enumerate(questions, 1):
        spans = [k for k in (match_key(a) for a in q.get("answers") or []) if k]
        res = retriever.search(q["question"], k=10)
        info = question_info(q["question"], res)
        if info.lang != "en" or not spans:
            continue
        f = sentence_features(info, res, index, retriever.embedder, weights, model, positions, cache,
                              retriever.shift)
        if not len(f.candidates):
            continue
        p = np.clip(model.probability(f.matrix), 1e-9, 1 - 1e-9)
        labels = np.array([any(s in match_key(c.sentence) for s in spans) for c in f.candidates])
        quotable = np.array([info.kind != "numeric" or figures.gives_figure(c.quote, info) for c in f.candidates])
        out.append((np.log(p / (1 - p)), f.gloss, labels, quotable))
        if n % 100 == 0:
            print(f"  {label}: {n}/{len(questions)}", file=sys.stderr, flush=True)
    return out


def cached(store: Path | None, key: str, make) -> list[Question]:
    """``make()``, or the rows a previous run saved under ``key`` in ``store``."""
    path = store / f"gloss-{key}.npz" if store else None
    if path and path.exists():
        with np.load(path) as z:
            cuts = np.cumsum(z["sizes"])[:-1]
            return list(zip(*(np.split(z[k], cuts) for k in ("base", "gloss", "labels", "quotable")), strict=True))
    got = make()
    if path:
        store.mkdir(parents=True, exist_ok=True)
        cat = (lambda i: np.concatenate([r[i] for r in got])) if got else (lambda i: np.zeros(0))
        np.savez(path, base=cat(0), gloss=cat(1), labels=cat(2), quotable=cat(3),
                 sizes=np.array([len(r[0]) for r in got], dtype=np.int64))
    return got


def first_right(questions: list[Question], weight: float) -> tuple[int, int]:
    """(questions whose first quotable candidate holds the answer, questions with a labelled candidate)."""
    right = total = 0
    for base, gloss, labels, quotable in questions:
        if not labels.any():
            continue
        total += 1
        score = np.where(quotable, base + weight * gloss, -np.inf)
        right += bool(labels[int(np.argmax(score))]) if np.isfinite(score).any() else 0
    return right, total


def choose(fitted: dict[str, list[Question]]) -> float:
    """The grid weight with the highest mean over the two kinds of source (the public bench, the collected
    report questions) of the share of their fitted questions answered first; the smallest on a tie. Each
    kind counts alike, so neither the bench's size nor the number of collected sets decides."""
    kinds: dict[bool, list[Question]] = {}
    for name, qs in fitted.items():
        kinds.setdefault(name == BENCH, []).extend(qs)

    def mean_share(w: float) -> float:
        shares = [r / t for r, t in (first_right(qs, w) for qs in kinds.values()) if t]
        return float(np.mean(shares)) if shares else 0.0
    return max(GRID, key=lambda w: (round(mean_share(w), 9), -w))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with xquad-en2zh-dev")
    ap.add_argument("--skip", type=int, default=300, help="XQuAD questions held out (the first N)")
    ap.add_argument("--per-set", type=int, default=300, help="XQuAD questions fitted on (after --skip)")
    ap.add_argument("--extra", nargs="*", default=[], metavar="NAME=QUESTIONS:INDEX")
    ap.add_argument("--fit-extra", nargs="*", default=[], metavar="NAME", help="the --extra sets fitted on")
    ap.add_argument("--features", type=Path, help="cache folder for the candidate rows")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--write", action="store_true", help="store the weight and its provenance in --model")
    args = ap.parse_args(argv)

    settings = Settings.from_env()
    embedder = load_embedder(settings)
    model = load_model(args.model)
    folder = args.bench / "xquad-en2zh-dev"
    qs = [q for q in read_gold(folder / "questions.jsonl") if q.get("answers")]
    xquad = Retriever(bench_index(folder / "passages.jsonl", embedder, default_home()), embedder)
    fitted = {"xquad-en2zh-dev": cached(args.features, f"xquad-{args.skip}-{args.per_set}", lambda: rows(
        qs[args.skip:args.skip + args.per_set], xquad, model, "xquad fitted"))}
    held = {"xquad-en2zh-dev": cached(args.features, f"xquad-0-{args.skip}", lambda: rows(
        qs[:args.skip], xquad, model, "xquad held"))}
    for spec in args.extra:
        name, qfile, where = extra_spec(spec)
        index = open_index(Settings(index=Path(where), corpus=Path("/nonexistent")), embedder, build=False)
        got = cached(args.features, f"extra-{name}", lambda q=qfile, i=index, n=name: rows(
            [x for x in read_gold(Path(q)) if x.get("type") != "unanswerable"], Retriever(i, embedder), model, n))
        (fitted if name in args.fit_extra else held)[name] = got
    weight = choose(fitted)
    report = {}
    for part, sources in (("fitted", fitted), ("held_out", held)):
        for name, got in sources.items():
            (b, t), (a, _) = first_right(got, 0.0), first_right(got, weight)
            report[f"{name} ({part})"] = {"questions": t, "first_right_before": b, "first_right_after": a}
            print(f"{name} ({part}): answer sentence first {b}/{t} -> {a}/{t}")
    print(f"gloss_weight = {weight}")
    if args.write:
        data = json.loads(args.model.read_text(encoding="utf-8"))
        data.setdefault("params", {})["gloss_weight"] = weight
        data["gloss_provenance"] = {
            "fitted_on": {k: len(v) for k, v in fitted.items()}, "held_out": {k: len(v) for k, v in held.items()},
            "objective": "mean over the bench and the collected sets of the share of English questions whose "
                         "first quotable candidate holds a gold span; grid 0..4 by 0.25",
            "xquad": f"xquad-en2zh-dev questions {args.skip}..{args.skip + args.per_set} fitted, 0..{args.skip} held",
            "date": dt.date.today().isoformat(),
            "command": recorded_command("scripts/fit_gloss_weight.py",
                                        [extra_recorded(a) for a in argv or sys.argv[1:]]),
            "model": embedder.name, "report": report}
        args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
