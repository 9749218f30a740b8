"""Answers from the first second: on a fresh index, how soon a question is answered (from the keyword
index) and how soon the full search takes over; how often the keyword-only answer cites what the full
answer cites.

    .venv/bin/python bench/first_answer.py [--questions 30] [--no-append]

The service is started as ``qa serve`` starts it (a background build over the shipped corpus, into a
temporary index), with the real model; questions are the dev questions (answer agreement on them is a
measurement only: nothing is fitted here).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import ROOT, append_section, bench_questions, load_model, load_text, md_table, median  # noqa: E402


def first_cited(answer) -> str:
    return answer.citations[0].chunk.chunk_id if answer.citations else "(declined)"


def run(questions: list[str], embedder) -> dict:
    from qa.config import Settings
    from qa.web.service import Service

    work = Path(tempfile.mkdtemp(prefix="qa-first-answer-"))
    try:
        svc = Service(Settings(corpus=ROOT / "corpus", index=work / "index"), embedder=embedder)
        t0 = time.perf_counter()
        svc.will_start()
        worker = threading.Thread(target=svc.start, daemon=True)
        worker.start()
        first = svc.ask(questions[0])  # waits while the reports are read
        first_s = time.perf_counter() - t0
        keyword_only = svc.current_index().keyword_only
        kw_answers, kw_ms = {}, []
        for q in questions:
            if not svc.current_index().keyword_only:
                break
            t = time.perf_counter()
            kw_answers[q] = first_cited(svc.ask(q))
            kw_ms.append(1000 * (time.perf_counter() - t))
        worker.join()
        full_s = time.perf_counter() - t0
        full_ms, agree = [], 0
        for q in kw_answers:
            t = time.perf_counter()
            agree += first_cited(svc.ask(q)) == kw_answers[q]
            full_ms.append(1000 * (time.perf_counter() - t))
        return {"first_s": first_s, "first_keyword_only": keyword_only and bool(first.notes), "full_s": full_s,
                "kw_ms": median(kw_ms) if kw_ms else float("nan"),
                "full_ms": median(full_ms) if full_ms else float("nan"),
                "compared": len(kw_answers), "agree": agree, "paragraphs": len(svc.current_index().chunks)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    embedder = load_model()
    r = run(bench_questions(args.questions), embedder)
    body = (f"Shipped corpus ({r['paragraphs']} paragraphs), real model (loaded before the start), fresh index, "
            f"build on all cores; "
            f"load average after the run {load_text()}. Keyword-only answers were asked while the vectors were "
            f"being made ({r['compared']} questions), then asked again once the full index was in.\n\n"
            + md_table(["first answer after start s", "keyword-only", "full index after start s",
                        "keyword-only answer ms (median)", "full answer ms (median)",
                        "same first citation as the full answer"],
                       [[f"{r['first_s']:.1f}", "yes" if r["first_keyword_only"] else "no", f"{r['full_s']:.1f}",
                         f"{r['kw_ms']:.0f}", f"{r['full_ms']:.0f}", f"{r['agree']}/{r['compared']}"]]))
    print(body)
    if not args.no_append:
        append_section("Answers from the first second", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
