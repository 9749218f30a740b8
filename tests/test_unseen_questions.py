"""The kept-aside questions of bench/unseen/questions.jsonl, and the development questions of
bench/pagedev/questions.jsonl, are well formed, and each evidence string is an exact substring of its report's raw
text.

The texts are third-party copies kept outside the repository: set QA_LABELLED_PAGES to the labelled pages
folder (the full-length reports sit beside it in ../long_reports); without it the evidence test is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SETS = [BENCH / "unseen" / "questions.jsonl", BENCH / "pagedev" / "questions.jsonl"]
PAGES = Path(os.environ["QA_LABELLED_PAGES"]) if os.environ.get("QA_LABELLED_PAGES") else None
REQUIRED = ("id", "lang", "type", "question", "file", "evidence", "answers")
LANGS = {"en", "zh", "zh-hant"}
TYPES = {"numeric", "list", "fact", "yesno", "unanswerable"}


def rows(questions: Path) -> list[dict]:
    with open(questions, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def text_of(name: str) -> str | None:
    for folder in (PAGES, PAGES.parent / "long_reports"):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    return None


@pytest.mark.parametrize("questions", SETS, ids=lambda p: p.parent.name)
def test_every_line_has_the_gold_fields(questions):
    qs = rows(questions)
    assert len(qs) >= 50
    for q in qs:
        assert all(k in q for k in REQUIRED), q.get("id")
        assert q["lang"] in LANGS and q["type"] in TYPES, q["id"]
        assert isinstance(q["evidence"], list) and isinstance(q["answers"], list), q["id"]
        if q["type"] == "unanswerable":
            assert not q["evidence"] and not q["answers"], q["id"]
        else:
            assert q["evidence"] and all(q["answers"]), q["id"]
    assert len({q["id"] for q in qs}) == len(qs)


@pytest.mark.parametrize("questions", SETS, ids=lambda p: p.parent.name)
def test_the_mix_of_languages_and_declines(questions):
    qs = rows(questions)
    assert sum(q["lang"] == "en" for q in qs) >= 0.4 * len(qs)
    assert sum(q["type"] == "unanswerable" for q in qs) >= 6
    assert len({q["file"] for q in qs}) >= 15


@pytest.mark.skipif(PAGES is None or not PAGES.is_dir(), reason="QA_LABELLED_PAGES not set")
@pytest.mark.parametrize("questions", SETS, ids=lambda p: p.parent.name)
def test_every_evidence_string_is_in_its_raw_text(questions):
    """Each evidence string of a page at hand is in it (a page lost with a machine reset is left out: the
    folder's README says which are missing)."""
    missing, checked = [], 0
    for q in rows(questions):
        wanted = [(q["file"], q["evidence"]), *(q.get("alt_evidence") or {}).items()]
        for name, strings in wanted:
            text = text_of(name)
            if text is None:
                continue
            checked += len(strings)
            missing += [(q["id"], e) for e in strings if e not in text]
    assert checked and not missing
