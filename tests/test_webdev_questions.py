"""The web-copy question sets (bench/webdev, the development set; bench/webcheck, webcheck2 ... webcheck14, held
out) are well formed, name only pages listed in their sources.jsonl, and (when the pages are at hand) each
evidence string is an exact substring of its page, each page matches its recorded sha256, and each answer is
inside its evidence after normalization. No two sets share a site or a question id.

The page texts are third-party copies kept outside the repository: set QA_WEBDEV_PAGES (QA_WEBCHECK_PAGES,
QA_WEBCHECK2_PAGES ... QA_WEBCHECK14_PAGES) to their folder; without it the text tests of that set are skipped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path

import pytest

from qa.textnorm import match_key

BENCH = Path(__file__).resolve().parent.parent / "bench"
REQUIRED = ("id", "lang", "type", "question", "file", "evidence", "answers")
SETS = {"webdev": ("QA_WEBDEV_PAGES", 55), "webcheck": ("QA_WEBCHECK_PAGES", 40),
        "webcheck2": ("QA_WEBCHECK2_PAGES", 40), "webcheck3": ("QA_WEBCHECK3_PAGES", 40),
        "webcheck4": ("QA_WEBCHECK4_PAGES", 40), "webcheck5": ("QA_WEBCHECK5_PAGES", 40),
        "webcheck6": ("QA_WEBCHECK6_PAGES", 40), "webcheck7": ("QA_WEBCHECK7_PAGES", 40),
        "webcheck8": ("QA_WEBCHECK8_PAGES", 40), "webcheck9": ("QA_WEBCHECK9_PAGES", 40),
        "webcheck10": ("QA_WEBCHECK10_PAGES", 40), "webcheck11": ("QA_WEBCHECK11_PAGES", 40),
        "webcheck12": ("QA_WEBCHECK12_PAGES", 40), "webcheck13": ("QA_WEBCHECK13_PAGES", 40),
        "webcheck14": ("QA_WEBCHECK14_PAGES", 40)}


def jsonl(qset: str, name: str) -> list[dict]:
    with open(BENCH / qset / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pages(qset: str) -> Path | None:
    folder = os.environ.get(SETS[qset][0])
    return Path(folder) if folder and Path(folder).is_dir() else None


@pytest.mark.parametrize("qset", SETS)
def test_fields_languages_and_spread(qset):
    qs, files = jsonl(qset, "questions.jsonl"), {s["file"] for s in jsonl(qset, "sources.jsonl")}
    assert len({q["id"] for q in qs}) == len(qs) >= SETS[qset][1]
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


@pytest.mark.parametrize("qset", SETS)
def test_sources_are_other_sites_than_the_labelled_pages(qset):
    labelled = Path(__file__).resolve().parent / "data" / "web_pages" / "labels.jsonl"
    with open(labelled, encoding="utf-8") as f:
        taken = {json.loads(line)["site"] for line in f if line.strip()}
    assert not taken & {s["site"] for s in jsonl(qset, "sources.jsonl")}


def test_no_two_sets_share_a_site_or_an_id():
    for a, b in itertools.combinations(SETS, 2):
        assert not {s["site"] for s in jsonl(a, "sources.jsonl")} & {s["site"] for s in jsonl(b, "sources.jsonl")}
        assert not {q["id"] for q in jsonl(a, "questions.jsonl")} & {q["id"] for q in jsonl(b, "questions.jsonl")}


@pytest.mark.parametrize("qset", SETS)
def test_texts_evidence_and_answers(qset):
    folder = pages(qset)
    if folder is None:
        pytest.skip(f"{SETS[qset][0]} not set")
    for s in jsonl(qset, "sources.jsonl"):
        raw = (folder / s["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == s["sha256"], s["file"]
    for q in jsonl(qset, "questions.jsonl"):
        text = (folder / q["file"]).read_text(encoding="utf-8")
        assert all(e in text for e in q["evidence"]), q["id"]
        if q["evidence"]:
            ev = match_key(" ".join(q["evidence"]))
            assert any(match_key(a) in ev for a in q["answers"]), q["id"]
