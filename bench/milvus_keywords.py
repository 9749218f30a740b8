"""Keyword search over a Milvus collection: Milvus's own BM25 against the package's BM25 (``qa.store.milvus_bm25``).

On one collection of ``--size`` synthetic paragraphs (``bench/synthetic.py``, hash vectors, no model), for
the bench questions, question by question and alternately:

- **Milvus BM25**: what the product did before session 9: one search of the ``sparse`` field (Milvus's BM25
  function over its own jieba tokens and document frequencies), the top 100 taken as the keyword side;
- **package BM25**: the product now: Milvus gathers candidates from the rows' ``kw`` vectors, the client
  scores them with the folder's BM25 and asks again with more candidates until its top 100 is proven exact,
  plus the dense candidates' scores read by key; one side per ``--factors`` value (the first request's
  candidates, as a multiple of 100).

Each side's keyword query is the one retrieval builds (``Retriever.parts``). Reported: the keyword step's
time, a whole ``ask`` with each side in place, the requests per question, and how many questions' keyword
top 100 (positions and scores) equals the folder's (``KeywordIndex`` over the same paragraphs' tokens).

    QA_SHARED=../shared nice .venv/bin/python bench/milvus_keywords.py --size 100000 --questions 40

Historical since session 10: collections no longer hold the ``sparse`` field (the schema dropped Milvus's
BM25 function, which nothing searched), so this bench runs only from a checkout of session 9
(``git worktree add ../s9 320b786``); its figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import append_section, bench_questions, md_table, median, pct  # noqa: E402
from bench.scale import MODEL_NAME, hash_embedder, load_avg, rss_mb  # noqa: E402

CANDIDATES = 100


class MilvusBM25:
    """The keyword side as it was: Milvus's BM25 function, its top ``CANDIDATES``, 0 elsewhere."""

    def __init__(self, new):
        self.new, self.size, self.requests = new, new.size, 0

    def scores(self, query, *, mask=None, also=None):
        out = np.zeros(self.size, dtype=np.float32)
        if not query.strip():
            return out
        store = self.new.store
        res = store.search("sparse", [query], min(CANDIDATES, self.size), None, "BM25")
        self.requests += 1
        ids, scores = store.positions_scores(res, sign=1.0)
        out[ids] = np.abs(scores)
        return out

    def __getattr__(self, name):  # document frequencies, vocab: as the product's
        return getattr(self.new, name)


def run(size: int, questions: list[str], variants: int, work: Path, factors: tuple[float, ...] = (1.5, 3.0)) -> str:
    from bench.synthetic import SentencePool, synthetic_segments
    from qa.answer.compose import Answerer
    from qa.search.fusion import top_k
    from qa.search.retrieve import Retriever
    from qa.store.keyword import KeywordIndex, merge_token_ids
    from qa.store.milvus import MilvusTarget, connect
    from qa.store.milvus_lazy import open_store
    from qa.store.milvus_update import ensure_collections, write_files

    t = time.perf_counter()
    segments = sorted(synthetic_segments(size, SentencePool.build(variants), model_name=MODEL_NAME),
                      key=lambda s: s.source)  # the collection's order: file, then paragraph
    made_s = time.perf_counter() - t
    folder = KeywordIndex.from_ids(*merge_token_ids([(s.terms, s.token_ids, s.lengths) for s in segments]))
    target = MilvusTarget(str(work / "kw.db"), f"kw_{size}")
    client = connect(target)
    ensure_collections(client, target, hash_embedder().dim, rebuild=True)
    if "sparse" not in {f["name"] for f in client.describe_collection(target.collection)["fields"]}:
        raise SystemExit("this collection has no `sparse` field (dropped in session 10): run this bench from "
                         "a checkout of session 9, see its docstring")
    rss0, t, start, done = rss_mb(), time.perf_counter(), 0, 0
    for stop in range(1, len(segments) + 1):
        if stop == len(segments) or sum(s.size for s in segments[start:stop]) >= 10_000:
            part = segments[start:stop]
            write_files(client, target, part, {s.source: s.id for s in part}, MODEL_NAME, replaced=set())
            done, start = done + sum(s.size for s in part), stop
            print(f"inserted {done:,} in {time.perf_counter() - t:.0f} s, RSS {rss_mb():,.0f} MB ({load_avg()})",
                  file=sys.stderr, flush=True)
    client.flush(target.collection)
    insert_s = time.perf_counter() - t
    del segments
    store = open_store(target, model_name=MODEL_NAME, lazy=False)
    new = store.keywords
    old = MilvusBM25(new)
    retriever = Retriever(store, hash_embedder())
    answerer = Answerer(retriever)
    answerer.ask(questions[0])  # warm-up
    import qa.store.milvus_bm25 as bm25

    sides = ["Milvus BM25", *(f"package BM25, first request {f:g} x 100" for f in factors)]
    times, asks = {s: [] for s in sides}, {s: [] for s in sides}
    same, requests = dict.fromkeys(sides, 0), {s: [] for s in sides}
    for q in questions:
        pt = retriever.parts(q)
        want = folder.scores(pt.query)
        top = top_k(want, CANDIDATES)
        top = top[want[top] > 0]
        for name, factor in zip(sides, (None, *factors), strict=True):
            kw = old if factor is None else new
            if factor is not None:
                bm25.FIRST_FACTOR = factor
            before = new.requests
            t = time.perf_counter()
            got = kw.scores(pt.query, also=pt.d_ids)
            times[name].append(1000 * (time.perf_counter() - t))
            requests[name].append(new.requests - before if kw is new else 1)
            mine = top_k(got, CANDIDATES)
            mine = mine[got[mine] > 0]
            same[name] += int(np.array_equal(mine, top) and np.array_equal(got[mine], want[top]))
            store.keywords = kw
            t = time.perf_counter()
            answerer.ask(q)
            asks[name].append(1000 * (time.perf_counter() - t))
        store.keywords = new
        print(f"{q[:30]!r}: {[requests[s][-1] for s in sides]} request(s), {len(top)} ranked", file=sys.stderr,
              flush=True)
    n = len(questions)
    rows = [[name, f"{median(times[name]):.0f} / {pct(times[name], 95):.0f}",
             f"{median(asks[name]):.0f} / {pct(asks[name], 95):.0f}",
             f"{np.mean(requests[name]):.2f} (max {max(requests[name])})", f"{same[name]} of {n}"] for name in sides]
    notes = (f"{size:,} synthetic paragraphs (bench/synthetic.py, hash vectors) made in {made_s:.0f} s, inserted "
             f"into milvus-lite in process in {insert_s:.0f} s ({size / insert_s:,.0f} paragraphs/s, both fields "
             f"written: Milvus's BM25 function and the package's `kw` vectors); RSS growth over the insert and "
             f"questions {rss_mb() - rss0:,.0f} MB; collection opened loaded (lite's default); {n} questions, "
             f"the two sides alternately, question by question; load {load_avg()} at the end.")
    return notes + "\n\n" + md_table(
        ["keyword side", "keyword scores p50 / p95 ms", "ask p50 / p95 ms", "Milvus searches per question",
         "top 100 equal to the folder's (positions and scores)"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--variants", type=int, default=256)
    ap.add_argument("--factors", type=float, nargs="+", default=[1.5, 3.0],
                    help="first requests of the package's side, as multiples of the 100 candidates (one side each)")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="milvus-kw-") as work:
        body = run(args.size, bench_questions(args.questions), args.variants, Path(work), tuple(args.factors))
    print(body)
    if not args.no_readme:
        append_section("Milvus keyword search: Milvus's BM25 vs the package's", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
