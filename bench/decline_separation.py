"""How well the decline model's question features separate answerable from unanswerable report questions, per
language, on the collected web-copy sets: the evidence for whether refitting the decline model on them can help.

Reads the feature rows that ``scripts/fit_decline.py --extra NAME=QUESTIONS:INDEX ... --features CACHE`` leaves
in its cache (``decline-extra-<set>-{in,out,unanswerable}.npz``: each set's answerable questions, the same with
their evidence taken out of the results, and its unanswerable ones) and prints, per language:

- the ROC AUC of each feature, and of a logistic regression fitted leaving one set out (answerable against the
  written unanswerable questions; answer-taken-out twins added to the fit with ``--with-out``);
- for the decline model in ``--model``, and for a leave-one-set-out refit whose threshold declines 5% of the
  fitted answerable questions: false declines, answer-taken-out declines and unanswerable declines, summed
  over the sets read for changes (``--held`` sets apart).

    python bench/decline_separation.py --features .fit-cache --held webcheck9 webcheck11 webcheck12
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_decline import cached, rows  # noqa: E402

from qa.answer.decline import QUESTION_FEATURES, read_decline_model  # noqa: E402
from qa.answer.scorer import load_model  # noqa: E402

PARTS = ("in", "out", "unanswerable")  # label 1, 0, 0
NO_WEIGHT = ("english", "best_s_cos", "top_p_cos", "english_s_cos", "second_support", "figure_measured")


def load(store: Path, sets: list[str], model_file: Path) -> dict[tuple[str, str], np.ndarray]:
    model = load_model(model_file)
    out = {}
    for s in sets:
        for part in PARTS:
            path = store / f"decline-extra-{s}-{part}.npz"
            if not path.exists():
                raise SystemExit(f"{path}: missing; run scripts/fit_decline.py --extra {s}=... --features {store}")
            out[(s, part)] = rows(cached(store, f"extra-{s}-{part}", None), model)
    return out


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", type=Path, default=Path(".fit-cache"))
    ap.add_argument("--sets", nargs="+", default=["pagedev", "webdev", "webcheck",
                                                 *(f"webcheck{i}" for i in range(2, 13))])
    ap.add_argument("--held", nargs="*", default=["webcheck9", "webcheck11", "webcheck12"],
                    help="sets never read for changes: reported apart")
    ap.add_argument("--model", type=Path, default=ROOT / "qa/data/answer_model.json")
    ap.add_argument("--with-out", action="store_true", help="fit on the answer-taken-out twins too")
    args = ap.parse_args(argv)

    sets = [s for s in args.sets if (args.features / f"decline-extra-{s}-in.npz").exists()]
    data = load(args.features, sets, args.model)
    decline = read_decline_model(json.loads(args.model.read_text(encoding="utf-8")), str(args.model))
    en, cols = QUESTION_FEATURES.index("english"), [i for i, f in enumerate(QUESTION_FEATURES) if f not in NO_WEIGHT]
    read = [s for s in sets if s not in args.held]
    fit_parts = PARTS if args.with_out else ("in", "unanswerable")
    for lang in ("en", "zh"):
        def of(s: str, part: str, lang: str = lang) -> np.ndarray:
            x = data[(s, part)]
            return x[(x[:, en] > 0) == (lang == "en")] if len(x) else x

        x2 = np.vstack([of(s, p) for s in read for p in ("in", "unanswerable")])
        y2 = np.concatenate([np.full(len(of(s, p)), p == "in") for s in read for p in ("in", "unanswerable")])
        print(f"\n## {lang}: {int(y2.sum())} answerable, {int((~y2).sum())} unanswerable questions (sets read)")
        print("| feature | AUC |\n| --- | --- |")
        for i in cols:
            print(f"| {QUESTION_FEATURES[i]} | {roc_auc_score(y2, x2[:, i]):.3f} |")
        results = {}
        for s in sets:
            train = [t for t in read if t != s]
            x = np.vstack([of(t, p) for t in train for p in fit_parts])[:, cols]
            y = np.concatenate([np.full(len(of(t, p)), p == "in") for t in train for p in fit_parts])
            mean, sd = x.mean(0), x.std(0) + 1e-9
            m = LogisticRegression(max_iter=5000, class_weight="balanced").fit((x - mean) / sd, y)
            threshold = np.quantile(m.predict_proba((x[y] - mean) / sd)[:, 1], 0.05)

            def refit(part: str, s: str = s, m=m, mean=mean, sd=sd) -> np.ndarray:
                z = of(s, part)
                return m.predict_proba((z[:, cols] - mean) / sd)[:, 1] if len(z) else np.zeros(0)

            results[s] = {p: refit(p) for p in PARTS} | {"threshold": threshold}
        truth = [np.full(len(results[s][p]), p == "in") for s in read for p in ("in", "unanswerable")]
        auc = roc_auc_score(np.concatenate(truth),
                            np.concatenate([results[s][p] for s in read for p in ("in", "unanswerable")]))
        print(f"\nleave-one-set-out regression AUC (answerable vs unanswerable, sets read): {auc:.3f}")
        print("\n| sets | decider | false declines | answer taken out declined | unanswerable declined |")
        print("| --- | --- | --- | --- | --- |")
        for name, group in (("read", read), ("held", [s for s in sets if s in args.held])):
            if not group:
                continue
            for who in ("shipped", "refit"):
                cells = []
                for part in PARTS:
                    if who == "shipped":
                        got = [decline.answers(r) for s in group for r in of(s, part)]
                        n, k = len(got), sum(v is False for v in got)
                        if got and all(v is None for v in got):
                            cells.append(f"- (support rule) of {n}")
                            continue
                    else:
                        n = sum(len(results[s][part]) for s in group)  # each set by the refit leaving it out
                        k = sum(int((results[s][part] < results[s]["threshold"]).sum()) for s in group)
                    cells.append(f"{k}/{n}")
                print(f"| {name} | {who} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
