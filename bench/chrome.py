"""Chrome detection on sites held out of fitting: chrome precision and recall, body-text recall.

Sites are dealt into folds (whole sites together); for each fold the classifier is fitted on the other
folds' pages (scripts/fit_chrome.py's ``fit``) and ``qa.ingest.clean.clean`` runs on the held-out pages. A
line counts as dropped when less than half of its characters are kept. "rules only" is the same cleaning
without the classifier.

    .venv/bin/python bench/chrome.py --pages DIR [--corpus fold|none|all] [--curve 0.3 0.5 ...] [--context]
        [--no-readme]
    .venv/bin/python bench/chrome.py --pages DIR --labels FILE --shipped --no-readme   # pages of sites never fitted on

``--shipped`` measures the shipped model (``qa/data/chrome_model.json``) as it is, without folds or refitting:
for pages labelled after the model was fitted, from sites it never saw.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import append_section, md_table  # noqa: E402
from fit_chrome import LABELS, TARGETS, Page, Targets, corpus_of, fit, load_pages, site_folds  # noqa: E402

from qa.ingest.chrome import Boilerplate, ChromeModel, load_model  # noqa: E402
from qa.ingest.clean import clean  # noqa: E402


def dropped_lines(page: Page, text: str, model: ChromeModel, corpus: Boilerplate | None = None,
                  ) -> list[bool | None]:
    """Per non-blank line of the page: was it dropped (under half of its characters kept)? None for a
    line dropped as a repeat of text that is kept (a title printed twice): nothing of it is lost."""
    cleaned = clean(text, model=model, corpus=corpus)
    kept_text = "".join(line.text.replace(" ", "") for line in cleaned.lines)
    starts, pos = {}, 0
    for n, raw in enumerate(text.split("\n")):
        starts[n] = (pos, pos + len(raw))
        pos += len(raw) + 1
    out = []
    for n, line in zip(page.numbers, page.lines, strict=True):
        a, b = starts[n]
        kept = sum(max(0, min(b, k.end) - max(a, k.start)) for k in cleaned.lines)
        dropped = kept < len(line) / 2
        out.append(None if dropped and line.replace(" ", "") in kept_text else dropped)
    return out


def _at(model: ChromeModel, threshold: float) -> ChromeModel:
    return replace(model, threshold=threshold, provenance={})


def _never(model: ChromeModel) -> ChromeModel:
    return _at(model, 1.1)


def _count(page: Page, text: str, model: ChromeModel, corpus: Boilerplate | None, c: list[int]) -> None:
    """Add the page's tp, fp, fn, body chars kept, body chars, body lines kept to ``c``."""
    for dropped, chrome, line in zip(dropped_lines(page, text, model, corpus), page.chrome, page.lines, strict=True):
        if dropped is None:  # a repeat of kept text: chrome when labelled so, else no loss
            dropped = chrome
        c[0] += dropped and chrome
        c[1] += dropped and not chrome
        c[2] += chrome and not dropped
        if not chrome:
            c[3] += 0 if dropped else len(line)
            c[4] += len(line)
        c[5] += 0 if chrome or dropped else 1


def _figures(c: list[int], body_lines: int) -> dict[str, float]:
    tp, fp, fn, kept_chars, body_chars, kept_lines = c
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1),
            "body_chars": kept_chars / max(body_chars, 1), "body_lines": kept_lines / max(body_lines, 1),
            "fp": fp, "fn": fn}


def evaluate(pages: list[Page], folder: Path, folds: int, corpus: str = "all",
             curve: tuple[float, ...] = (), targets: Targets = TARGETS) -> dict[str, dict[str, float]]:
    """Figures of the classifier and of the rules alone over all held-out pages, and per fold ("fold k");
    with ``curve``, also of the fold models at each of those thresholds instead of their fitted one
    ("threshold t", with the lowest fold's body chars as "worst_fold_body").
    ``corpus``: "all" reads the labelled pages as one corpus (labels unused), "fold" only the held-out fold's,
    "none" each page alone."""
    fold_of = site_folds(pages, folds)
    whole = {"all": corpus_of(pages), "none": Boilerplate()}.get(corpus)
    counts = {"classifier": [0] * 6, "rules only": [0] * 6} | {f"threshold {t:.2f}": [0] * 6 for t in curve}
    worst = {t: 1.0 for t in curve}
    out = {}
    for k in range(folds):
        train = [p for p, f in zip(pages, fold_of, strict=True) if f != k]
        test = [p for p, f in zip(pages, fold_of, strict=True) if f == k]
        if not test:
            continue
        model = fit(train, targets, corpus=whole)  # "fold": the training pages are their own corpus
        read_with = corpus_of(test) if whole is None else whole
        texts = [(folder / page.file).read_text(encoding="utf-8") for page in test]
        fold = [0] * 6
        for page, text in zip(test, texts, strict=True):
            _count(page, text, model, read_with, fold)
            _count(page, text, _never(model), read_with, counts["rules only"])
        for t in curve:
            at = [0] * 6
            for page, text in zip(test, texts, strict=True):
                _count(page, text, _at(model, t), read_with, at)
            counts[f"threshold {t:.2f}"] = [a + b for a, b in zip(counts[f"threshold {t:.2f}"], at, strict=True)]
            worst[t] = min(worst[t], _figures(at, 1)["body_chars"])
        counts["classifier"] = [a + b for a, b in zip(counts["classifier"], fold, strict=True)]
        out[f"fold {k} ({len({p.site for p in test})} sites)"] = _figures(fold, sum(not c for p in test
                                                                                for c in p.chrome))
    body_lines = sum(not c for p in pages for c in p.chrome)
    res = {name: _figures(c, body_lines) for name, c in counts.items()}
    for t in curve:
        res[f"threshold {t:.2f}"]["worst_fold_body"] = worst[t]
    return res | out


def evaluate_shipped(pages: list[Page], folder: Path, corpus: str = "fold") -> dict[str, dict[str, float]]:
    """The shipped model and the rules alone on ``pages``, nothing refitted ("fold" reads the pages as one folder)."""
    model = load_model()
    read_with = {"all": corpus_of(pages), "fold": corpus_of(pages), "none": Boilerplate()}[corpus]
    counts = {"shipped model": [0] * 6, "rules only": [0] * 6}
    for page in pages:
        text = (folder / page.file).read_text(encoding="utf-8")
        _count(page, text, model, read_with, counts["shipped model"])
        _count(page, text, _never(model), read_with, counts["rules only"])
    body_lines = sum(not c for p in pages for c in p.chrome)
    return {name: _figures(c, body_lines) for name, c in counts.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, required=True)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--folds", type=int, default=TARGETS.folds)
    ap.add_argument("--corpus", choices=("none", "all", "fold"), default="fold",
                    help="each held-out fold read as one folder (fold: as the index reads a folder), each page "
                         "alone (none), all pages as one corpus (all)")
    ap.add_argument("--curve", type=float, nargs="*", default=(),
                    help="also the fold models at these thresholds (chrome recall against body text kept)")
    ap.add_argument("--context", action="store_true", help="fit the second (context) pass too")
    ap.add_argument("--shipped", action="store_true",
                    help="measure the shipped model as it is (pages of sites it was not fitted on), no folds")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    pages = load_pages(args.pages, args.labels)
    targets = replace(TARGETS, context=args.context)
    if args.shipped:
        res = evaluate_shipped(pages, args.pages, args.corpus)
    else:
        res = evaluate(pages, args.pages, args.folds, args.corpus, tuple(args.curve), targets)
    rows = [[name, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['body_lines']:.3f}", f"{r['body_chars']:.4f}",
             r["fp"], r["fn"], f"{r['worst_fold_body']:.4f}" if "worst_fold_body" in r else ""]
            for name, r in res.items()]
    n_lines = sum(len(p.lines) for p in pages)
    table = (f"Corpus-level features: {args.corpus}. Context pass: {'yes' if args.context else 'no'}. "
             f"{len(pages)} labelled pages, {len({p.site for p in pages})} sites, {n_lines} lines "
             f"({sum(sum(p.chrome) for p in pages)} chrome); "
             + ("the shipped model, not refitted. " if args.shipped else f"{args.folds} folds of whole sites, each "
                "fitted without the sites it is measured on. ")
             + "Targets: chrome precision >= 0.95, recall >= 0.90, "
             "body recall >= 0.99.\n\n"
             + md_table(["cleaning", "chrome precision", "chrome recall", "body lines kept", "body chars kept",
                         "body lines dropped", "chrome lines kept", "worst fold body chars"], rows))
    print(table)
    if not args.no_readme:
        append_section("Chrome detection on held-out sites", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
