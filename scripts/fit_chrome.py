"""Fit the chrome line classifier (qa/ingest/chrome.py) on labelled web pages; write qa/data/chrome_model.json.

The pages are third-party copies kept outside the repository; their labels (tests/data/web_pages/labels.jsonl:
file, site, chrome_lines) are in it. The threshold is chosen on out-of-fold predictions with whole sites held
out, for the highest chrome recall that keeps body recall and chrome precision at their targets.

    .venv/bin/python scripts/fit_chrome.py --pages DIR [--labels tests/data/web_pages/labels.jsonl]

Needs scikit-learn (the ``fit`` extra).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.chrome import FEATURES, MODEL_FILE, ChromeModel, line_features  # noqa: E402
from qa.ingest.clean import Line, _chrome_rule, _keep_table_cells, is_prose, is_title_like  # noqa: E402

LABELS = ROOT / "tests" / "data" / "web_pages" / "labels.jsonl"
OUT = ROOT / "qa" / "data" / MODEL_FILE


@dataclass(frozen=True)
class Targets:
    body_recall: float = 0.99  # of body lines, on out-of-fold predictions
    precision: float = 0.95
    folds: int = 5
    c: float = 0.3  # inverse regularization strength of the logistic regression


TARGETS = Targets()


@dataclass(frozen=True)
class Page:
    file: str
    site: str
    lines: tuple[str, ...]  # the non-blank lines
    numbers: tuple[int, ...]  # their 0-based line numbers in the file
    chrome: tuple[bool, ...]


def load_pages(pages: Path, labels: Path = LABELS) -> list[Page]:
    out = []
    for row in map(json.loads, labels.read_text(encoding="utf-8").splitlines()):
        path = pages / row["file"]
        if not path.exists():
            continue
        raw = path.read_text(encoding="utf-8").split("\n")
        numbered = [(n, line.strip()) for n, line in enumerate(raw) if line.strip()]
        chrome = set(row["chrome_lines"])
        out.append(Page(row["file"], row["site"], tuple(t for _, t in numbered), tuple(n for n, _ in numbered),
                        tuple(n in chrome for n, _ in numbered)))
    if not out:
        raise SystemExit(f"no labelled page found in {pages}")
    return out


def page_rows(page: Page) -> tuple[list[list[float]], list[bool], list[bool]]:
    """Feature rows, rule flags and prose flags of a page's lines."""
    keep = [_chrome_rule(t) is None for t in page.lines]
    _keep_table_cells([Line(0, len(t), t) for t in page.lines], keep)
    rules = [not k for k in keep]
    titles = [is_title_like(t) for t in page.lines]
    title = next((t for t, like in zip(page.lines[:8], titles, strict=False) if like), None)
    rows = line_features(page.lines, rules=rules, titles=titles, title=title)
    return rows, rules, [is_prose(t) for t in page.lines]


def site_folds(pages: list[Page], folds: int) -> list[int]:
    """A fold number per page, whole sites together, sites dealt out in sorted order."""
    sites = sorted({p.site for p in pages})
    fold_of = {s: i % folds for i, s in enumerate(sites)}
    return [fold_of[p.site] for p in pages]


def _design(pages: list[Page]):
    x, y, rule, prose = [], [], [], []
    for page in pages:
        rows, rules, prose_flags = page_rows(page)
        x += rows
        y += page.chrome
        rule += rules
        prose += prose_flags
    return np.array(x, dtype=float), np.array(y, dtype=bool), np.array(rule), np.array(prose)


def _lr(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit((x - mean) / scale, y)
    return mean, scale, lr


def _scores(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp = float((pred & y).sum())
    precision = tp / max(pred.sum(), 1)
    recall = tp / max(y.sum(), 1)
    body = float((~pred & ~y).sum()) / max((~y).sum(), 1)
    return precision, recall, body


def choose_threshold(y: np.ndarray, p: np.ndarray, rule: np.ndarray, prose: np.ndarray, letters: np.ndarray,
                     targets: Targets = TARGETS) -> float:
    """The threshold with the best chrome recall among those that meet the body and precision targets,
    else among those that meet the body target (body text comes first). Prose is never dropped."""
    met, safe = (None, -1.0), (0.95, -1.0)
    for t in np.linspace(0.05, 0.95, 91):
        pred = rule | ((p > t) & ~prose & letters)
        precision, recall, body = _scores(y, pred)
        if body >= targets.body_recall and precision >= targets.precision and recall > met[1]:
            met = (float(t), recall)
        if body >= targets.body_recall and recall > safe[1]:
            safe = (float(t), recall)
    return met[0] if met[0] is not None else safe[0]


def fit(pages: list[Page], targets: Targets = TARGETS, provenance: dict | None = None) -> ChromeModel:
    """A model fitted on ``pages``; its threshold from out-of-fold predictions over their sites."""
    x, y, rule, prose = _design(pages)
    folds = np.array([f for page, f in zip(pages, site_folds(pages, targets.folds), strict=True)
                      for _ in page.lines])
    oof = np.zeros(len(y))
    for k in range(targets.folds):
        train = folds != k
        if not train.any() or train.all() or len(set(y[train])) < 2:
            continue
        mean, scale, lr = _lr(x[train], y[train], targets.c)
        oof[~train] = lr.predict_proba((x[~train] - mean) / scale)[:, 1]
    letters = (x[:, FEATURES.index("cjk_share")] + x[:, FEATURES.index("latin_share")]) > 0
    threshold = choose_threshold(y, oof, rule, prose, letters, targets)
    mean, scale, lr = _lr(x, y, targets.c)
    return ChromeModel(FEATURES, tuple(map(float, mean)), tuple(map(float, scale)),
                       tuple(float(c) for c in lr.coef_[0]), float(lr.intercept_[0]), threshold,
                       provenance or {})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, required=True, help="folder of the labelled page texts")
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    pages = load_pages(args.pages, args.labels)
    provenance = {
        "data": f"{len(pages)} labelled web pages from {len({p.site for p in pages})} sites "
                f"({sum(len(p.lines) for p in pages)} lines), labels in tests/data/web_pages/labels.jsonl",
        "date": dt.date.today().isoformat(),
        "command": "python scripts/fit_chrome.py --pages <labelled pages folder>",
        "method": "scikit-learn LogisticRegression (balanced classes) on standardized features; threshold "
                  f"from {TARGETS.folds}-fold site-held-out predictions (body recall >= {TARGETS.body_recall},"
                  f" chrome precision >= {TARGETS.precision})",
        "checked": "bench/chrome.py: precision and recall on sites held out of fitting",
    }
    model = fit(pages, TARGETS, provenance)
    args.out.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
          f"threshold {model.threshold:.2f}")
    for name, c in sorted(zip(FEATURES, model.coef, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {name:18s} {c:+.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
