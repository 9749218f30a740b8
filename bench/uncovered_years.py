"""How often the "year no report covers" decline fires: on questions the corpus answers (it must not) and on
questions whose year was swapped for one the corpus does not cover (it should).

Answerable: every question of the bench sets, asked of its own set's passages (text only: the passages carry
no report metadata, so no passage counts as an undated report and only the years the text names cover a
year, the strictest setting; and once more asked of its own passage alone), and the gold file's answerable
questions asked of the index of their reports.
Unanswerable: the bench questions naming a four-digit year with that year swapped for one no passage of
the set names (text only, as above), and the gold questions with their year swapped by
``scripts/answer_negatives.py`` (seeded), with the rule as shipped and with undated reports left out (what
the rule would catch if every report had a year).
No embedding: the check reads only the question, the reports' metadata and the paragraph text.

    .venv/bin/python bench/uncovered_years.py --gold ../shared/eval/dev.jsonl --index index
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from benchlib import ROOT, append_section, command_line, coverage_args, machine_line, md_table, read_jsonl

from qa.eval.gold import read_gold
from qa.search.filters import detect
from qa.search.years import CorpusYears, ReportYears, corpus_years, question_years, scope_of, uncovered_years
from qa.store.index import Index
from qa.textnorm import normalize

sys.path.insert(0, str(ROOT / "scripts"))
from answer_negatives import swap_year, swapped_questions  # noqa: E402


def bench_rows(bench: Path) -> list[list[object]]:
    rows = []
    for d in sorted(p for p in bench.iterdir() if (p / "questions.jsonl").exists()):
        passages = {p["pid"]: normalize(f"{p.get('title', '')} {p['text']}") for p in read_jsonl(d / "passages.jsonl")}
        corpus = corpus_years([], passages.items())
        qs = read_jsonl(d / "questions.jsonl")
        naming = [q for q in qs if question_years(q["question"])]
        fired = sum(bool(uncovered_years(q["question"], corpus)) for q in naming)
        alone = sum(bool(uncovered_years(q["question"], corpus_years([], [(q["pid"], passages[q["pid"]])])))
                    for q in naming)
        rows.append([f"{d.name} (answerable)", len(qs), len(naming), f"{fired / len(qs):.4f}", "-",
                     f"{alone} of {len(naming)}"])
        swapped = bench_swapped(naming, corpus)
        if swapped:
            caught = sum(bool(uncovered_years(q, corpus)) for q in swapped)
            rate = f"{caught / len(swapped):.4f}"
            rows.append([f"{d.name} year swapped", len(swapped), len(swapped), rate, "-", "-"])
    return rows


def bench_swapped(questions: list[dict], corpus: CorpusYears, seed: int = 0) -> list[str]:
    """The questions naming a four-digit year, that year swapped for one no passage names (nor the year
    before or after), as ``scripts/answer_negatives.py`` swaps the gold questions'."""
    rng = random.Random(seed)
    free = [y for y in range(1950, 2040) if not corpus.text & {y - 1, y, y + 1}]
    out = []
    for q in questions:
        text = q["question"]
        swapped = swap_year(text, question_years(text)[0], rng.choice(free)) if free else text
        if swapped != text:
            out.append(swapped)
    return out


def declined(question: str, index: Index, corpus: CorpusYears) -> bool:
    """The answerer's decision (``Answerer._uncovered_years``), with the filters the question itself states."""
    docs = index.documents.values()
    return bool(uncovered_years(question, corpus, scope_of(detect(question, docs), docs)))


def gold_rows(gold_path: Path, index: Index, seeds: int) -> list[list[object]]:
    corpus = corpus_years(index.documents.values(), ((c.doc_id, c.norm) for c in index.chunks))
    dated = replace(corpus, reports={d: ReportYears(r.years) for d, r in corpus.reports.items()})
    gold = [q for q in read_gold(gold_path) if q.get("type") != "unanswerable"]
    named = sum(bool(question_years(q["question"])) for q in gold)
    fired = sum(declined(q["question"], index, corpus) for q in gold)
    fired_dated = sum(declined(q["question"], index, dated) for q in gold)
    rows = [[f"{gold_path.name} answerable", len(gold), named, f"{fired / len(gold):.4f}",
             f"{fired_dated / len(gold):.4f}", "-"]]
    for q in gold:
        q.setdefault("answers", q.get("evidence"))
    caught: Counter[str] = Counter()
    caught_dated: Counter[str] = Counter()
    total: Counter[str] = Counter()
    texts = "\n".join(c.norm for c in index.chunks)
    for seed in range(seeds):
        for q in swapped_questions(gold, index.documents.values(), texts, seed=seed):
            if q["swap"] != "year":
                continue
            lang = "en" if q.get("lang") == "en" else "zh"
            total[lang] += 1
            caught[lang] += declined(q["question"], index, corpus)
            caught_dated[lang] += declined(q["question"], index, dated)
    for lang in sorted(total):
        rows.append([f"year swapped ({lang}, {seeds} seeds)", total[lang], total[lang],
                     f"{caught[lang] / total[lang]:.4f}", f"{caught_dated[lang] / total[lang]:.4f}", "-"])
    return rows


def main() -> int:
    args = coverage_args(__doc__.splitlines()[0])
    start = time.perf_counter()
    rows = bench_rows(args.bench) + gold_rows(args.gold, Index.load(args.index), args.seeds)
    body = (md_table(["questions", "n", "naming a year", "declined as a year no report covers",
                      "declined, undated reports left out", "declined, asked of its own passage alone"], rows)
            + f"\n\nWhole run: {time.perf_counter() - start:.0f} s.\n")
    print(f"{machine_line()}\n\nCommand: `{command_line()}`\n\n{body}")
    if not args.no_append:
        append_section("Declines for years no report covers", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
