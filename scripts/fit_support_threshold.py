"""Fit the support threshold of English questions (``decline_below_en`` in qa/data/answer_model.json).

Without a question-level decline model for its language (``decline_model.languages``), a question is declined
when no candidate sentence's support reaches a threshold. One threshold served both languages. It was chosen
where almost every answerable question is Chinese or a Wikipedia paragraph, and there English supports sit
high: at 0.1322 it declined no answerable XQuAD en->zh question and 0.02-0.04 of the ones with their answer
taken out. An English question about a report reaches its Chinese through dictionary senses that cover the
reports' wording less well, so its supports sit lower: the same threshold declined 4 of the 39 answerable
English questions of the web-copy development set and none of its unanswerable ones (session 16,
bench/README.md).

The English threshold is chosen by the rule the shared one was: the lowest, over the sources fitted on, of
the ``--false-decline`` quantile of their answerable English questions' best supports (so each source sees
about that share declined: with interpolation, 2 of 39 for 0.05). Sources fitted on:
XQuAD en->zh questions ``--skip``.. (their passages in the corpus), the English half of the dev gold that the
answer model is fitted on (same seeded split), and every ``--set QUESTIONS INDEX`` (report questions, English
ones with evidence). Measured on what it was not fitted on: XQuAD's first ``--held`` questions with and
without their answer passages, the dev gold's other half and its unanswerable questions, every ``--check``
set. Candidates are made as the decline fit makes them (``scripts/fit_decline.py``: ``matrices``).

    .venv/bin/python scripts/fit_support_threshold.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl \\
        --corpus-index index --set QUESTIONS INDEX [--check QUESTIONS INDEX] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_decline import cached, matrices  # noqa: E402

from qa.answer.scorer import load_model  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.eval.gold import read_gold  # noqa: E402
from qa.eval.provenance import recorded_command  # noqa: E402
from qa.models.resolve import default_home  # noqa: E402
from qa.runtime import bench_index, load_embedder, open_index  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from qa.textnorm import script_of  # noqa: E402

OUT = ROOT / "qa" / "data" / "answer_model.json"
CURVE = (0.06, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.175, 0.2)


def english(questions: list[dict]) -> list[dict]:
    return [q for q in questions if script_of(q["question"]) == "en"]


def best_support(ms: list[np.ndarray], model) -> np.ndarray:
    """Each question's best candidate support (0 with no candidate)."""
    return np.array([float(model.support(m).max()) if len(m) else 0.0 for m in ms])


def choose(fitted: dict[str, np.ndarray], share: float) -> float:
    """The lowest over the sources of the ``share`` quantile of their answerable questions' best supports.

    >>> import numpy as np
    >>> choose({"a": np.linspace(0.0, 1.0, 101), "b": np.linspace(0.5, 1.0, 101)}, 0.05)
    0.05
    """
    return min(float(np.quantile(v, share)) for v in fitted.values() if len(v))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--bench-set", default="xquad-en2zh-dev", help="the English bench set")
    ap.add_argument("--skip", type=int, default=300, help="fit on the bench set's questions after the first N")
    ap.add_argument("--per-set", type=int, default=250, help="bench questions fitted on")
    ap.add_argument("--held", type=int, default=100, help="bench questions measured (the first N)")
    ap.add_argument("--gold", type=Path, help="gold questions over the report corpus (half fitted, half held out)")
    ap.add_argument("--corpus-index", type=Path, help="index of the report corpus")
    ap.add_argument("--set", nargs=2, action="append", default=[], metavar=("QUESTIONS", "INDEX"),
                    help="report questions fitted on, with an index of their reports")
    ap.add_argument("--check", nargs=2, action="append", default=[], metavar=("QUESTIONS", "INDEX"),
                    help="report questions only measured on")
    ap.add_argument("--false-decline", type=float, default=0.05, help="most answerable questions a source may "
                    "see declined")
    ap.add_argument("--seed", type=int, default=0, help="the gold split (the answer model's)")
    ap.add_argument("--features", type=Path, default=Path(".fit-cache"), help="cache of feature rows")
    ap.add_argument("--model", type=Path, default=OUT)
    ap.add_argument("--write", action="store_true", help="store the threshold in --model")
    args = ap.parse_args(argv)

    model = load_model(args.model)
    embedder = load_embedder(Settings.from_env())
    cache: dict = {}
    fitted: dict[str, np.ndarray] = {}  # source -> best supports of its answerable English questions
    held: dict[str, tuple[np.ndarray, bool]] = {}  # source -> (best supports, answerable)

    folder = args.bench / args.bench_set
    questions = [q for q in read_gold(folder / "questions.jsonl") if q.get("answers")]
    bench = Retriever(bench_index(folder / "passages.jsonl", embedder, default_home()), embedder)
    later, first = questions[args.skip:args.skip + args.per_set], questions[:args.held]
    for qs, tag, remove in ((later, f"{args.skip}-{args.per_set}", False), (first, f"0-{args.held}", False),
                            (first, f"0-{args.held}", True)):
        key = f"{args.bench_set}-{tag}-{'out' if remove else 'in'}"
        got = best_support(cached(args.features, key, lambda qs=qs, remove=remove, key=key: matrices(
            qs, bench, model, cache, remove, False, key)), model)
        if tag.startswith("0-"):
            held[f"{args.bench_set} {tag}{' answer taken out' if remove else ''}"] = (got, not remove)
        else:
            fitted[f"{args.bench_set} {tag}"] = got

    def report_set(path: Path, index: Retriever, key: str) -> tuple[np.ndarray, np.ndarray]:
        qs = english(read_gold(path))
        answerable = [q for q in qs if q.get("type") != "unanswerable"]
        other = [q for q in qs if q.get("type") == "unanswerable"]
        a = best_support(cached(args.features, f"en-{key}", lambda: matrices(
            [{**q, "answers": []} for q in answerable], index, model, cache, False, True, key)), model)
        u = best_support(cached(args.features, f"en-{key}-unanswerable", lambda: matrices(
            [{**q, "answers": []} for q in other], index, model, cache, False, True, key)), model)
        return a, u

    if args.gold and args.corpus_index:
        corpus = Retriever(open_index(Settings(index=args.corpus_index, corpus=Path("/nonexistent")), embedder,
                                      build=False), embedder)
        gold = read_gold(args.gold)
        ids = sorted(str(q["id"]) for q in gold)
        random.Random(args.seed).shuffle(ids)
        fit_ids = set(ids[: len(ids) // 2])
        halves = {"fit": [q for q in english(gold) if str(q["id"]) in fit_ids and q.get("type") != "unanswerable"],
                  "held": [q for q in english(gold) if str(q["id"]) not in fit_ids and q.get("type") != "unanswerable"]}
        for half, qs in halves.items():
            key = f"en-gold-{half}-{args.gold.stem}-{args.seed}"
            got = best_support(cached(args.features, key, lambda qs=qs, key=key: matrices(
                [{**q, "answers": []} for q in qs], corpus, model, cache, False, True, key)), model)
            if half == "fit":
                fitted[f"gold {half} (en)"] = got
            else:
                held[f"gold {half} (en)"] = (got, True)
        unans = [q for q in english(gold) if q.get("type") == "unanswerable"]
        held["gold unanswerable (en)"] = (best_support(cached(
            args.features, f"en-gold-unanswerable-{args.gold.stem}", lambda: matrices(
                [{**q, "answers": []} for q in unans], corpus, model, cache, False, True, "gold unanswerable")),
            model), False)
    for group, pairs in (("set", args.set), ("check", args.check)):
        for questions_path, index_path in pairs:
            name = f"{Path(questions_path).parent.name}/{Path(questions_path).stem}"
            index = Retriever(open_index(Settings(index=Path(index_path), corpus=Path("/nonexistent")), embedder,
                                         build=False), embedder)
            a, u = report_set(Path(questions_path), index, name.replace("/", "-"))
            if group == "set":
                fitted[f"{name} (en)"] = a
                held[f"{name} unanswerable (en, fitted set)"] = (u, False)
            else:
                held[f"{name} (en)"] = (a, True)
                held[f"{name} unanswerable (en)"] = (u, False)

    threshold = choose(fitted, args.false_decline)
    shared = model.decline_below

    def declined(v: np.ndarray, t: float) -> str:
        return f"{int((v < t).sum())}/{len(v)}"

    curve = {src: {f"{t:g}": declined(v, t) for t in (*CURVE, shared, threshold)}
             for src, v in fitted.items()} | {
        src: {f"{t:g}": declined(v, t) for t in (*CURVE, shared, threshold)} for src, (v, _) in held.items()}
    report = {"threshold_en": round(threshold, 4), "shared_threshold": shared,
              "fitted (answerable: declined)": {s: {"shared": declined(v, shared), "en": declined(v, threshold)}
                                                for s, v in fitted.items()},
              "held_out": {s: {"kind": "answerable" if ok else "unanswerable", "shared": declined(v, shared),
                               "en": declined(v, threshold)} for s, (v, ok) in held.items()},
              "curve (declined at each threshold)": curve}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if not args.write:
        return 0
    data = json.loads(args.model.read_text(encoding="utf-8"))
    data["params"]["decline_below_en"] = round(threshold, 4)
    data["provenance"]["support_threshold_en"] = {
        "fitted_on": {s: len(v) for s, v in fitted.items()},
        "rule": f"lowest over the fitted sources of the {args.false_decline} quantile of their answerable English "
                "questions' best supports",
        "date": dt.date.today().isoformat(),
        "command": recorded_command("scripts/fit_support_threshold.py", argv or sys.argv[1:]),
        "model": embedder.name,
        "report": {k: v for k, v in report.items() if not k.startswith("curve")},
    }
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
