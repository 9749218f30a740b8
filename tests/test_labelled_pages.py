"""Metadata and chrome on the labelled web pages (tests/data/web_pages/labels.jsonl).

The page texts are third-party copies kept outside the repository: set QA_LABELLED_PAGES to their folder
to run these; without it they are skipped. bench/chrome.py measures the chrome classifier on them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qa.ingest.corpus import read_file
from qa.search.filters import place_core
from qa.textnorm import to_simplified

LABELS = Path(__file__).resolve().parent / "data" / "web_pages" / "labels.jsonl"
PAGES = Path(os.environ.get("QA_LABELLED_PAGES", "")) if os.environ.get("QA_LABELLED_PAGES") else None

needs_pages = pytest.mark.skipif(PAGES is None or not PAGES.is_dir(), reason="QA_LABELLED_PAGES not set")


@pytest.fixture(scope="module")
def pages() -> list[tuple[dict, list]]:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    return [(row, read_file(PAGES / row["file"], PAGES).documents) for row in rows if (PAGES / row["file"]).exists()]


def _core(name: str) -> str:
    return place_core(to_simplified(name))


def test_labels_cover_pages_from_many_sites():
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 20 and len({r["site"] for r in rows}) >= 10


@needs_pages
def test_a_place_only_mentioned_is_almost_never_taken_for_the_reports_own(pages):
    wrong = [row["file"] for row, docs in pages
             if {_core(p) for d in docs for p in d.places} & {_core(m) for m in row.get("mentions") or []}]
    assert len(wrong) <= 0.05 * len(pages), wrong


@needs_pages
def test_the_place_a_page_is_about_is_read_on_most_pages(pages):
    right = sum(1 for row, docs in pages
                if (row["about_place"] is None and not any(d.places for d in docs))
                or (row["about_place"] and _core(row["about_place"]) in {_core(p) for d in docs for p in d.places}))
    assert right >= 0.7 * len(pages)  # 36 of 52 before issue 13 session 8, 41 after (bench/about_place.py)


@needs_pages
def test_the_years_a_page_covers_are_read(pages):
    right = sum(1 for row, docs in pages if set(row["years"]) <= {y for d in docs for y in d.years})
    assert right >= 0.8 * len(pages)


@needs_pages
def test_chrome_on_sites_held_out_of_fitting_keeps_the_body():
    """bench/chrome.py's figures, as a floor: body characters >= 0.995 (0.9983 before the layout rules of issue 13,
    session 7; 1.0 with them), chrome precision >= 0.95 and recall >= 0.90 on sites each model was not fitted on
    (0.973 on the 52 pages recovered after the reset; the rules were written with these pages in view)."""
    import sys

    pytest.importorskip("sklearn")
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "bench"), str(root / "scripts")]
    try:
        from chrome import evaluate
        from fit_chrome import load_pages
    finally:
        del sys.path[:2]
    pages = load_pages(PAGES, LABELS)
    result = evaluate(pages, PAGES, 5, "none")["classifier"]
    assert result["body_chars"] >= 0.995 and result["precision"] >= 0.95
    assert result["recall"] >= 0.90
