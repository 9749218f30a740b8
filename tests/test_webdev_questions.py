"""The web-copy development questions of bench/webdev/questions.jsonl are well formed, name only pages listed
in bench/webdev/sources.jsonl, and (when the pages are at hand) each evidence string is an exact substring of
its page, each page matches its recorded sha256, and each answer is inside its evidence after normalization.

The page texts are third-party copies kept outside the repository: set QA_WEBDEV_PAGES to their folder;
without it the text tests are skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from qa.textnorm import match_key

HERE = Path(__file__).resolve().parent.parent / "bench" / "webdev"
PAGES = Path(os.environ["QA_WEBDEV_PAGES"]) if os.environ.get("QA_WEBDEV_PAGES") else None
REQUIRED = ("id", "lang", "type", "question", "file", "evidence", "answers")


def jsonl(name: str) -> list[dict]:
    with open(HERE / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_fields_languages_and_spread():
    qs, files = jsonl("questions.jsonl"), {s["file"] for s in jsonl("sources.jsonl")}
    assert len({q["id"] for q in qs}) == len(qs) >= 55
    for q in qs:
        assert all(k in q for k in REQUIRED), q.get("id")
        assert q["lang"] in {"en", "zh", "zh-hant"} and q["file"] in files, q["id"]
        if q["type"] == "unanswerable":
            assert not q["evidence"] and not q["answers"], q["id"]
        else:
            assert q["evidence"] and all(q["answers"]), q["id"]
    assert sum(q["lang"] == "en" for q in qs) >= 0.5 * len(qs)
    assert sum(q["type"] == "unanswerable" for q in qs) >= 6
    assert {q["file"] for q in qs} == files


def test_sources_are_other_sites_than_the_labelled_pages():
    labelled = Path(__file__).resolve().parent / "data" / "web_pages" / "labels.jsonl"
    with open(labelled, encoding="utf-8") as f:
        taken = {json.loads(line)["site"] for line in f if line.strip()}
    assert not taken & {s["site"] for s in jsonl("sources.jsonl")}


@pytest.mark.skipif(PAGES is None or not PAGES.is_dir(), reason="QA_WEBDEV_PAGES not set")
def test_texts_evidence_and_answers():
    for s in jsonl("sources.jsonl"):
        raw = (PAGES / s["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == s["sha256"], s["file"]
    for q in jsonl("questions.jsonl"):
        text = (PAGES / q["file"]).read_text(encoding="utf-8")
        assert all(e in text for e in q["evidence"]), q["id"]
        if q["evidence"]:
            ev = match_key(" ".join(q["evidence"]))
            assert any(match_key(a) in ev for a in q["answers"]), q["id"]
