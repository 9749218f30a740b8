"""What the sentence scorer adds to ``ask``: the same questions answered with and without embedding the
candidate sentences at question time (``AnswerParams.embed_hits`` = 0 scores every sentence with its
paragraph's cosine), alternating, in one process, with one encode of a single question as the yardstick.

On a loaded machine absolute times stretch; the ratio to one question encode (25 ms p50 on an idle machine,
bench/README.md "Query latency") carries over.

    .venv/bin/python bench/answer_cost.py --index index
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchlib import append_section, bench_questions, command_line, exit_cleanly_on_term, machine_line, md_table

from qa.answer.compose import Answerer
from qa.config import Settings
from qa.runtime import load_embedder, use_query_threads
from qa.search.retrieve import Retriever
from qa.store.index import Index


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    exit_cleanly_on_term()
    use_query_threads()
    embedder = load_embedder(Settings())
    retriever = Retriever(Index.load(args.index, model_name=embedder.name), embedder)
    full = Answerer(retriever)
    bare = Answerer(retriever, params=replace(full.params, embed_hits=0))
    questions = bench_questions(args.questions)
    full.ask(questions[0])
    bare.ask(questions[0])
    times: dict[str, list[float]] = {"with sentence vectors": [], "without": [], "one question encode": []}
    for q in questions:
        for name, a in (("with sentence vectors", full), ("without", bare)):
            t = time.perf_counter()
            a.ask(q)
            times[name].append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        embedder.embed([q], kind="query")
        times["one question encode"].append(1000 * (time.perf_counter() - t))
    med = {k: statistics.median(v) for k, v in times.items()}
    extra = med["with sentence vectors"] - med["without"]
    rows = [[k, f"{v:.0f}"] for k, v in med.items()]
    rows.append(["added by sentence vectors", f"{extra:.0f} ({extra / med['one question encode']:.1f} encodes)"])
    body = (f"{machine_line()}\n\nCommand: `{command_line()}`\n\n{len(questions)} questions, "
            f"{full.params.embed_hits} paragraphs' sentences embedded (at most {full.params.max_embed_sentences}).\n\n"
            + md_table(["ask (p50 ms)", "ms"], rows) + "\n")
    print(body)
    if not args.no_append:
        append_section("Cost of the sentence scorer", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
