"""bench/all_sets.py: the per-set counts and the question-by-question changes that a summary prints."""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import all_sets  # noqa: E402


def _details(out: Path, name: str, rows: list[tuple[str, str, bool, bool]]) -> None:
    """A set's details.jsonl: (id, type, answer_hit, declined) per question, English."""
    (out / name).mkdir(parents=True)
    (out / name / "details.jsonl").write_text("".join(
        json.dumps({"id": i, "type": t, "lang": "en", "answer_hit": hit, "citation_hit": hit, "declined": dec}) + "\n"
        for i, t, hit, dec in rows), encoding="utf-8")


def test_docstring_examples():
    assert doctest.testmod(all_sets).failed == 0


def test_summary_counts_and_changes(tmp_path, capsys):
    before, after = tmp_path / "before", tmp_path / "after"
    _details(before, "webcheck", [("a", "numeric", False, True), ("b", "fact", True, False),
                                  ("c", "unanswerable", False, False)])
    _details(after, "webcheck", [("a", "numeric", True, False), ("b", "fact", True, False),
                                 ("c", "unanswerable", False, True)])
    all_sets.summary(after, before)
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| webcheck "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1/2 -> 2/2"  # answer_hit
    assert cells[5] == "0/1 -> 1/1"  # unanswerables declined
    assert cells[6] == "1/2 -> 0/2"  # false declines
    assert "a: answer_hit 0->1, citation_hit 0->1, declined 1->0" in out
    assert "b:" not in out  # unchanged questions are not listed


def test_unseen_keeps_tables_only(tmp_path):
    text = "## Kept-aside\n| set | answer_hit |\n| web | 0.8 |\nq7 (web, en, numeric): rank 1, answer_hit 0: ...\n"
    kept = all_sets.tables_only(text)
    assert "| web | 0.8 |" in kept and "q7" not in kept


def test_bench_aggregates_before_and_after(tmp_path, capsys):
    for name, hit in (("before", 0.75), ("after", 0.8)):
        (tmp_path / name / "bench").mkdir(parents=True)
        (tmp_path / name / "bench" / "xquad.json").write_text(json.dumps({"recall@1": 0.9, "answer_hit": hit}))
    all_sets.summary(tmp_path / "after", tmp_path / "before")
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| xquad "))
    assert row == "| xquad | 0.900 | 0.750 -> 0.800 |"
