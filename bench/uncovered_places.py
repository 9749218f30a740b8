"""How often the "place the corpus never names" decline fires: on questions the corpus answers (it must not)
and on questions whose place was swapped for one the corpus does not cover (it should).

Answerable: every question of the bench sets, asked of its own passages, and the gold file's answerable
questions asked of the index of their reports. Unanswerable: the gold questions with their place swapped by
``scripts/answer_negatives.py`` (seeded). No embedding: the check reads only the question, the reports'
metadata and the paragraph text.

    .venv/bin/python bench/uncovered_places.py --gold ../shared/eval/dev.jsonl --index index
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from benchlib import ROOT, append_section, command_line, coverage_args, machine_line, md_table, read_jsonl

from qa.eval.gold import read_gold
from qa.search.filters import uncovered_places
from qa.store.index import Index
from qa.textnorm import normalize

sys.path.insert(0, str(ROOT / "scripts"))
from answer_negatives import swapped_questions  # noqa: E402


def bench_rows(bench: Path) -> list[list[object]]:
    rows = []
    for d in sorted(p for p in bench.iterdir() if (p / "questions.jsonl").exists()):
        texts = [normalize(f"{p.get('title', '')} {p['text']}") for p in read_jsonl(d / "passages.jsonl")]
        qs = read_jsonl(d / "questions.jsonl")
        fired = sum(bool(uncovered_places(q["question"], [], texts)) for q in qs)
        rows.append([f"{d.name} (answerable)", len(qs), f"{fired / len(qs):.4f}"])
    return rows


def gold_rows(gold_path: Path, index: Index, seeds: int) -> list[list[object]]:
    docs = list(index.documents.values())
    texts = [c.norm for c in index.chunks]
    gold = [q for q in read_gold(gold_path) if q.get("type") != "unanswerable"]
    fired = sum(bool(uncovered_places(q["question"], docs, texts)) for q in gold)
    rows = [[f"{gold_path.name} answerable", len(gold), f"{fired / len(gold):.4f}"]]
    for q in gold:
        q.setdefault("answers", q.get("evidence"))
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for seed in range(seeds):
        for q in swapped_questions(gold, docs, "\n".join(texts), seed=seed):
            if q["swap"] != "place":
                continue
            lang = "en" if q.get("lang") == "en" else "zh"
            total[lang] += 1
            caught[lang] += bool(uncovered_places(q["question"], docs, texts))
    for lang in sorted(total):
        rows.append([f"place swapped ({lang}, {seeds} seeds)", total[lang], f"{caught[lang] / total[lang]:.4f}"])
    return rows


def main() -> int:
    args = coverage_args(__doc__.splitlines()[0])
    rows = bench_rows(args.bench) + gold_rows(args.gold, Index.load(args.index), args.seeds)
    body = (f"{machine_line()}\n\nCommand: `{command_line()}`\n\n"
            + md_table(["questions", "n", "declined as about a place the corpus never names"], rows) + "\n")
    print(body)
    if not args.no_append:
        append_section("Declines for places the corpus never names", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
