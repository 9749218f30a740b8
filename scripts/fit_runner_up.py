"""Fit when a fact or figure answer also quotes its runner-up sentence (``runner_up_keep_*`` in the answer model).

The scorer ranks candidate sentences; when the second is nearly as likely as the first, the first is often
wrong (XQuAD en->zh: the best sentence holds the answer for 0.55 of the questions, one of the best two for
0.77). Quoting the runner-up then helps the asker, and costs a longer answer. The share ``r`` of the best
probability above which the runner-up is quoted is chosen per language (English questions over Chinese text
are scored less surely) to maximize

    answers holding the gold span - cost * answers given a second quote

over the fitted questions: with ``--cost 0.2`` a second quote must be the answer the first one missed at
least one time in five at the margin. The runner-up must come from the best sentence's passage (a figure
answer's: state a new figure), as the answerer requires. The feature rows are the ones
``scripts/fit_answer_model.py`` collects (``--features`` reuses its cache), scored by the shipped model;
the first ``--skip`` questions of each set stay out for ``qa eval --limit``. The chosen shares and the
table behind them are written into the model file's params and provenance.

    python scripts/fit_runner_up.py --bench ../shared/bench --features .fit-cache --model qa/data/answer_model.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

from qa.answer.scorer import FEATURES, AnswerParams, load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder
from qa.search.retrieve import Retriever

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_answer_model import BENCH_SETS, Examples, collect_cached  # noqa: E402

GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(10)) + (2.0,)  # 2.0: never (probabilities are <= 1)
ENGLISH = FEATURES.index("english")
SAME_PASSAGE = FEATURES.index("inv_rank")
NEW_FIGURE = FEATURES.index("numeric_new_figure")
NUMERIC = FEATURES.index("numeric")


def outcome(x: np.ndarray, y: np.ndarray, model: AnswerParams, gloss: np.ndarray | None = None
            ) -> tuple[bool, float, bool]:
    """For one question: whether the best sentence holds the answer, the runner-up's share of the best
    probability (0 when there is no eligible runner-up), and whether the runner-up holds it. ``gloss``: the
    candidates' gloss coverage (``qa.answer.gloss``), scored as the answerer scores it."""
    p = model.probability(x, gloss)
    order = np.argsort(-p, kind="stable")
    best = order[0]
    for i in order[1:]:
        same = x[i, SAME_PASSAGE] == x[best, SAME_PASSAGE]
        if same and (x[i, NUMERIC] == 0 or x[i, NEW_FIGURE] == 1):
            return bool(y[best]), float(p[i] / max(p[best], 1e-12)), bool(y[i])
    return bool(y[best]), 0.0, False


def table(rows: list[tuple[bool, float, bool]], cost: float) -> list[dict]:
    """Per share in ``GRID``: answers given a second quote, answers holding the span, and the objective."""
    out = []
    n = max(1, len(rows))
    for r in GRID:
        added = sum(share >= r for _, share, _ in rows)
        hit = sum(first or (share >= r and second) for first, share, second in rows)
        out.append({"keep": r, "added": round(added / n, 4), "hit": round(hit / n, 4),
                    "objective": round((hit - cost * added) / n, 4)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--sets", nargs="+", default=list(BENCH_SETS))
    ap.add_argument("--skip", type=int, default=300, help="leave each set's first N questions out (for eval)")
    ap.add_argument("--per-set", type=int, default=250)
    ap.add_argument("--features", type=Path, help="the feature cache of scripts/fit_answer_model.py")
    ap.add_argument("--model", type=Path, required=True, help="the answer model to score with and to update")
    ap.add_argument("--cost", type=float, default=0.2, help="an extra quote's cost, in answers")
    args = ap.parse_args(argv)

    model = load_model(args.model)
    embedder = load_embedder(Settings.from_env())
    ex = Examples()
    for name in args.sets:
        folder = args.bench / name
        qs = [q for q in read_gold(folder / "questions.jsonl")[args.skip:] if q.get("answers")][:args.per_set]
        key = f"{name}-all-{args.skip}-{args.per_set}"
        collect_cached(args.features, key, qs, lambda f=folder: Retriever(
            bench_index(f / "passages.jsonl", embedder, default_home()), embedder),
            name, ex, {}, AnswerParams(), detect_filters=False)
    rows: dict[str, list] = {"en": [], "zh": []}
    for x, y, g in zip(ex.x, ex.y, ex.gloss, strict=True):
        if len(y) and y.any():
            rows["en" if x[0, ENGLISH] else "zh"].append(outcome(x, y, model, g))
    chosen, tables = {}, {}
    for lang, rs in rows.items():
        tables[lang] = table(rs, args.cost)
        chosen[lang] = max(tables[lang], key=lambda t: (t["objective"], t["keep"]))["keep"]
    data = json.loads(args.model.read_text(encoding="utf-8"))
    data["params"] |= {f"runner_up_keep_{lang}": keep for lang, keep in chosen.items()}
    data["provenance"]["runner_up"] = {
        "datasets": {name: f"{args.bench.name}/{name}, questions {args.skip}.. (first {args.per_set} with answers)"
                     for name in args.sets},
        "questions": {lang: len(rs) for lang, rs in rows.items()},
        "cost": args.cost, "chosen": chosen, "table": tables, "date": dt.date.today().isoformat(),
        "command": recorded_command("scripts/fit_runner_up.py", argv or sys.argv[1:])}
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"chosen": chosen, "table": tables}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
