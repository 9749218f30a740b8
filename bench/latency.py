"""Query latency of ``search`` and ``ask`` at 1k-100k paragraphs, and of FAISS alone up to 1M vectors.

End to end (``--sizes``): an ``Index`` is built in memory from copies of the shipped reports' paragraphs:
copy 0 is the real corpus with its real vectors (embedded once with the model); copy ``j`` has its digits
permuted (``benchlib.digit_table(j)``; its keyword tokens are the original's with the same permutation,
since jieba cuts digit runs alike whatever the digits) and a random unit vector. Metadata (titles, years,
places) is kept, so filters match the same share of paragraphs at every size. Queries are encoded by the
real model: ~50 questions (``../shared/eval/dev.jsonl``, topped up with CMRC/DRCD questions), each
asked ``--repeats`` times after one warm-up ``ask`` (whose time is reported: it builds the answerer's
term weights). ``Retriever.search(q, k=10)`` and ``Answerer.ask(q)`` (extractive, no language model) are
timed, with a per-step breakdown of ``ask``.

FAISS alone (``--faiss-sizes``): random unit vectors, the index ``qa.store.vectors.VectorIndex.build`` chooses
(``factory_for``), its build time, single-query latency at k=100 (what retrieval asks for) and recall@10
against exact search (``IndexFlatIP``) over ``--queries`` random unit queries (``SQ8`` above 200k
vectors: 8-bit codes scanned, the best candidates re-scored against the float vectors). IVF was measured
in earlier sessions (bench/README.md) and dropped: it is no longer built.

    .venv/bin/python bench/latency.py                                    # everything (1M takes a while)
    .venv/bin/python bench/latency.py --sizes 1000 --faiss-sizes 1000,300000 --no-append
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from benchlib import (
    ROOT,
    StepTimer,
    TimedEmbedder,
    append_section,
    bench_questions,
    digit_table,
    exit_cleanly_on_term,
    load_model,
    load_text,
    md_table,
    pct,
)

import qa.answer.compose as qcompose
import qa.search.retrieve as qr
from qa.answer.compose import Answerer
from qa.answer.features import VectorCache
from qa.config import Settings
from qa.ingest.corpus import read_corpus
from qa.ingest.quotes import quotable, sentence_texts
from qa.store.index import SENTENCE_DTYPE, Index, SentenceVectors, keyword_text, passage_text
from qa.store.keyword import KeywordIndex, tokenize
from qa.store.vectors import VectorIndex
from qa.textnorm import normalize
from qa.types import Chunk, Document

ENCODE = "encode query"
ENCODE_SENTENCES = "encode sentences"
STEPS = [
    (qr, "detect", "detect filters"),
    (qr.Retriever, "_mask", "filter mask"),
    (VectorIndex, "search", "dense search (k=100)"),
    (qr, "keyword_query", "keyword query (lexicon)"),
    (KeywordIndex, "scores", "BM25 scores"),
    (qr, "fuse", "fuse"),
    (qcompose, "sentence_features", "sentence features (with sentence encoding)"),
    (Answerer, "extractive", "extract answer (with sentence features)"),
]


class KindTimedEmbedder(TimedEmbedder):
    """Times query encodes and sentence (passage) encodes as separate steps."""

    def embed(self, texts, kind, progress=None):
        self._step = ENCODE if kind == "query" else ENCODE_SENTENCES
        return super().embed(texts, kind, progress)


# -- end to end ------------------------------------------------------------------------------------------
BASE_COST: dict[str, float] = {}  # what the real corpus cost to embed, for the tables


class _Run:
    """One answerer over one index, timing ``search`` and a cold ``ask`` (its sentence-vector memo emptied)."""

    def __init__(self, index: Index, embedder):
        self.timer = StepTimer()
        self.answerer = Answerer(qr.Retriever(index, KindTimedEmbedder(embedder, self.timer, ENCODE)),
                                 settings=Settings())
        self.first = 0.0
        self.search_ms: list[float] = []
        self.ask_ms: list[float] = []
        self.steps: list[dict[str, float]] = []

    def warm_up(self, question: str) -> None:
        with self.timer.patched(STEPS):
            t = time.perf_counter()
            self.answerer.ask(question)
            self.first = time.perf_counter() - t

    def ask(self, question: str) -> None:
        a = self.answerer
        with self.timer.patched(STEPS):
            t = time.perf_counter()
            a.retriever.search(question, k=10)
            self.search_ms.append(1000 * (time.perf_counter() - t))
            self.timer.reset()
            a.vectors = VectorCache(a.params.vector_cache)  # cold: as if no sentence had been seen before
            t = time.perf_counter()
            a.ask(question)
            self.ask_ms.append(1000 * (time.perf_counter() - t))
            self.steps.append({k: 1000 * v for k, v in self.timer.seconds.items()})


def base_corpus(embedder) -> tuple[list[Document], list[Chunk], list[list[str]], np.ndarray, np.ndarray]:
    """The shipped reports, their paragraphs' vectors and (as ``qa index`` stores them) their quotable
    sentences' vectors, with the time each took: the index-time cost of sentence vectors."""
    reads, _ = read_corpus(ROOT / "corpus")
    docs = [d for r in reads for d in r.documents]
    chunks = [c for r in reads for c in r.chunks]
    tokens = [tokenize(keyword_text(c), normalized=True) for c in chunks]
    t = time.perf_counter()
    vecs = embedder.embed([passage_text(c) for c in chunks], kind="passage")
    BASE_COST.update(paragraphs=len(chunks), paragraph_s=time.perf_counter() - t, load=load_text())
    sents = [t for c in chunks for t in sentence_texts(c)]
    t = time.perf_counter()
    svecs = embedder.embed(sents, kind="passage").astype(SENTENCE_DTYPE)
    BASE_COST.update(sentences=len(sents), sentence_s=time.perf_counter() - t)
    print(f"embedded the {len(chunks)} real paragraphs in {BASE_COST['paragraph_s']:.1f} s, their {len(sents)} "
          f"sentences in {BASE_COST['sentence_s']:.1f} s (load {load_text()})", flush=True)
    return docs, chunks, tokens, vecs, svecs


def synthetic_index(n: int, base, name: str, rng: np.random.Generator) -> tuple[Index, float]:
    docs0, chunks0, tokens0, vecs0, svecs0 = base
    docs: dict[str, Document] = {}
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    for j in range(math.ceil(n / len(chunks0))):
        table = digit_table(j)
        for d in docs0:
            doc_id = d.doc_id if j == 0 else f"{d.doc_id}#{j}"
            docs[doc_id] = replace(d, doc_id=doc_id)
        for c, toks in zip(chunks0, tokens0, strict=True):
            if len(chunks) == n:
                break
            if j == 0:
                chunks.append(c)
                tokens.append(toks)
                continue
            chunks.append(replace(c, chunk_id=f"{c.chunk_id}#{j}", doc_id=f"{c.doc_id}#{j}",
                                  text=c.text.translate(table), norm=c.norm.translate(table)))
            tokens.append([t.translate(table) for t in toks])
    used = {c.doc_id for c in chunks}
    docs = {k: v for k, v in docs.items() if k in used}
    extra = rng.standard_normal((max(0, n - len(vecs0)), vecs0.shape[1]), dtype=np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    emb = np.ascontiguousarray(np.vstack([vecs0[:n], extra]), dtype=np.float32)
    t = time.perf_counter()
    vectors = VectorIndex.build(emb)
    keywords = KeywordIndex.build([], tokens=tokens)
    build_s = time.perf_counter() - t
    manifest = {"model": {"name": name, "dim": emb.shape[1]}, "chunk_count": n, "document_count": len(docs),
                "faiss_factory": vectors.factory}
    vectors.exact = emb
    counts = np.array([len(quotable(c)) for c in chunks], dtype=np.int64)  # a copy's are its original's
    offsets = np.concatenate([[0], np.cumsum(counts)])
    n_real = int(sum(len(quotable(c)) for c in chunks0[:n]))
    s_extra = rng.standard_normal((int(offsets[-1]) - n_real, vecs0.shape[1]), dtype=np.float32)
    s_extra /= np.linalg.norm(s_extra, axis=1, keepdims=True)
    sentences = SentenceVectors(np.vstack([svecs0[:n_real], s_extra.astype(SENTENCE_DTYPE)]), offsets)
    return Index(Path("/nonexistent"), manifest, docs, chunks, emb, vectors, keywords,
                 sentences=sentences), build_s


MODES = {"index": "made at index time", "question": "made at question time"}


def end_to_end(sizes: list[int], embedder, base, questions: list[str], repeats: int,
               thread_settings: list[int], modes: list[str]) -> tuple[str, list[dict]]:
    """``thread_settings``: torch intra-op thread counts to measure each size with (0 = torch's default);
    ``modes``: where the candidate sentences' vectors come from (``MODES``), measured alternately per question."""
    import faiss
    import torch

    default_threads = torch.get_num_threads()
    rng = np.random.default_rng(0)
    results = []
    for n in sizes:
        index, build_s = synthetic_index(n, base, embedder.name, rng)
        for threads in thread_settings:
            torch.set_num_threads(threads or default_threads)
            faiss.omp_set_num_threads(threads or default_threads)  # as qa.runtime.use_query_threads does
            runs = {m: _Run(replace(index, sentences=None) if m == "question" else index, embedder) for m in modes}
            for run in runs.values():
                run.warm_up(questions[0])
            for _ in range(repeats):
                for q in questions:
                    for run in runs.values():
                        run.ask(q)
            for mode, run in runs.items():
                res = {"n": n, "threads": threads or default_threads, "docs": len(index.documents), "mode": mode,
                       "build_s": build_s, "first_s": run.first, "search": run.search_ms, "ask": run.ask_ms,
                       "steps": run.steps, "load": load_text()}
                results.append(res)
                print(f"  {n} paragraphs, {res['threads']} torch thread(s), sentence vectors {MODES[mode]}: search "
                      f"p50 {pct(run.search_ms, 50):.0f} ms, ask p50 {pct(run.ask_ms, 50):.0f} ms, "
                      f"p95 {pct(run.ask_ms, 95):.0f} ms (load {res['load']})", flush=True)
        del index, runs
    torch.set_num_threads(default_threads)
    rows = []
    for r in results:
        rest = [a - s.get(ENCODE, 0.0) - s.get(ENCODE_SENTENCES, 0.0)
                for a, s in zip(r["ask"], r["steps"], strict=True)]
        rows.append([r["n"], r["docs"], r["threads"], MODES[r["mode"]], f"{r['build_s']:.1f}", f"{r['first_s']:.2f}",
                     f"{pct(r['search'], 50):.0f} / {pct(r['search'], 95):.0f}",
                     f"{pct(r['ask'], 50):.0f} / {pct(r['ask'], 95):.0f}",
                     f"{pct(rest, 50):.0f} / {pct(rest, 95):.0f}", r["load"]])
    table = md_table(["paragraphs", "reports", "torch threads", "sentence vectors", "in-memory FAISS+BM25 build s",
                      "first ask s (term weights)", "search p50 / p95 ms", "ask p50 / p95 ms",
                      "ask minus encoding p50 / p95 ms", "load average"], rows)
    names = [ENCODE, ENCODE_SENTENCES] + [s for _, _, s in STEPS]
    rows = []
    for name in names:
        rows.append([name, *(f"{pct([s.get(name, 0.0) for s in r['steps']], 50):.1f} / "
                             f"{pct([s.get(name, 0.0) for s in r['steps']], 95):.1f}" for r in results)])
    rows.append(["ask (whole)", *(f"{pct(r['ask'], 50):.1f} / {pct(r['ask'], 95):.1f}" for r in results)])
    steps = md_table(["step of ask (p50 / p95 ms)", *(f"{r['n']} paragraphs, {r['threads']} thr., sentence vectors "
                                                      f"{MODES[r['mode']]}" for r in results)], rows)
    cost = BASE_COST
    return (f"{len(questions)} questions x {repeats} runs per size, after one warm-up ask; the answerer's "
            f"sentence-vector memo is emptied before each timed ask (each ask pays for its sentences as if none "
            f"had been seen); the modes are timed alternately, question by question. Index-time cost of the "
            f"sentence vectors on the shipped reports: {cost['paragraphs']} paragraphs embedded in "
            f"{cost['paragraph_s']:.1f} s, their {cost['sentences']} quotable sentences in {cost['sentence_s']:.1f} s "
            f"(load {cost['load']}); stored in float16, {2 * 384 * cost['sentences'] / cost['paragraphs'] / 1024:.1f} "
            f"KB per paragraph beside its 1.5 KB vector.\n\n{table}\n\n"
            f"Where the time of `ask` goes (per-call p50 / p95 ms of each step; steps nest: 'extract answer' holds "
            f"'sentence features', which holds 'encode sentences' and any query encode of its own; 'filter mask' "
            f"runs only when a "
            f"question names a year or place):\n\n{steps}"), results


# -- FAISS alone -----------------------------------------------------------------------------------------
def random_unit(n: int, d: int, rng: np.random.Generator, block: int = 200_000) -> np.ndarray:
    out = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, block):
        x = rng.standard_normal((min(block, n - s), d), dtype=np.float32)
        out[s:s + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


class Fitted:
    """A Gaussian fitted to real passage vectors (their mean and covariance), sampled and normalized: as
    anisotropic as e5's vectors (which crowd into a narrow cone), without their finer cluster structure."""

    def __init__(self, vectors: np.ndarray):
        self.mean = vectors.mean(axis=0)
        vals, vecs = np.linalg.eigh(np.cov(vectors, rowvar=False))
        self.root = (vecs * np.sqrt(np.clip(vals, 0, None))).astype(np.float32)

    def sample(self, n: int, rng: np.random.Generator, block: int = 200_000) -> np.ndarray:
        d = len(self.mean)
        out = np.empty((n, d), dtype=np.float32)
        for s in range(0, n, block):
            x = self.mean + rng.standard_normal((min(block, n - s), d), dtype=np.float32) @ self.root.T
            out[s:s + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out


THREADS = {"faiss": 1}


def faiss_part(sizes: list[int], queries: np.ndarray, target: float, make_data, label: str,
               factory: str | None = None) -> tuple[list[dict], list[list]]:
    import faiss

    faiss.omp_set_num_threads(THREADS["faiss"])
    dim = queries.shape[1]
    results, sweeps = [], []
    for n in sizes:
        data = make_data(n)
        exact = faiss.IndexFlatIP(dim)
        exact.add(data)
        _, truth = exact.search(queries, 10)
        del exact
        t = time.perf_counter()
        vi = VectorIndex.build(data, factory)
        build_s = time.perf_counter() - t

        def run(vi=vi, truth=truth) -> tuple[float, float, float]:
            lat, hits = [], 0
            for q, gold in zip(queries, truth, strict=True):
                t = time.perf_counter()
                ids, _ = vi.search(q, 100)
                lat.append(1000 * (time.perf_counter() - t))
                hits += len(set(ids[:10].tolist()) & set(gold.tolist()))
            return pct(lat, 50), pct(lat, 95), hits / (10 * len(queries))

        p50, p95, recall = run()
        res = {"data": label, "n": n, "factory": vi.factory, "build_s": build_s, "p50": p50, "p95": p95,
               "recall": recall, "load": load_text(), "how": _how(vi)}
        print(f"  FAISS {label} {n}: {vi.factory} built in {build_s:.1f} s, p50 {p50:.2f} ms, recall@10 "
              f"{recall:.3f} (load {res['load']})", flush=True)
        results.append(res)
        del vi, data
    return results, sweeps


def _how(vi: VectorIndex) -> str:
    return "exact" if vi.factory == "Flat" else "scans all, re-scores exactly"


def faiss_tables(results: list[dict], sweeps: list[list], target: float) -> str:
    rows = [[r["data"], r["n"], r["factory"], r["how"], f"{r['build_s']:.1f}", f"{r['p50']:.2f}",
             f"{r['p95']:.2f}", f"{r['recall']:.3f}", "yes" if r["recall"] >= target else "no", r["load"]]
            for r in results]
    return ("One query per call at k=100 (what retrieval asks for); recall@10 of its first 10 against exact "
            f"search, {THREADS['faiss']} FAISS thread(s).\n\n"
            + md_table(["data", "vectors", "factory (factory_for)", "search", "build s", "search p50 ms",
                        "search p95 ms", "recall@10 vs exact", f"recall >= {target}", "load average"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="paragraph counts for search/ask ('' = skip)")
    ap.add_argument("--faiss-sizes", default="1000,10000,100000,1000000",
                    help="random vector counts for FAISS alone ('' = skip)")
    ap.add_argument("--fitted-sizes", default="300000",
                    help="vector counts drawn from a Gaussian fitted to the real vectors ('' = skip)")
    ap.add_argument("--torch-threads", default="0,1",
                    help="torch thread counts to measure search/ask with (0 = torch's default, one per core)")
    ap.add_argument("--sentence-vectors", default="index,question",
                    help="where candidate sentences' vectors come from: index (stored), question (embedded), both")
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200, help="random queries for the random-vector part")
    ap.add_argument("--target", type=float, default=0.95, help="recall@10 target")
    ap.add_argument("--faiss-threads", type=int, default=1,
                    help="FAISS threads for the FAISS-alone part (1: as qa's query processes run)")
    ap.add_argument("--factory", choices=["Flat", "SQ8"],
                    help="FAISS factory for the FAISS-alone part (default: what factory_for picks)")
    ap.add_argument("--model", help="model folder or name (default: $QA_MODEL, else the bundled build)")
    ap.add_argument("--backend", choices=["torch", "onnx-int8"], default="torch")
    ap.add_argument("--no-append", action="store_true", help="do not append the tables to bench/README.md")
    args = ap.parse_args()
    exit_cleanly_on_term()
    THREADS["faiss"] = args.faiss_threads
    sizes, faiss_sizes, fitted_sizes = ([int(x) for x in a.split(",") if x]
                                        for a in (args.sizes, args.faiss_sizes, args.fitted_sizes))
    parts = []
    embedder = base = None
    questions = bench_questions(args.questions)
    if sizes or fitted_sizes:
        embedder = load_model(args.model, args.backend)
        base = base_corpus(embedder)
    if sizes:
        threads = [int(x) for x in args.torch_threads.split(",")]
        modes = [m for m in args.sentence_vectors.split(",") if m]
        text, _ = end_to_end(sizes, embedder, base, questions, args.repeats, threads, modes)
        parts.append(f"### search and ask\n\nModel `{embedder.name}` ({args.backend}) encodes the queries. {text}")
    results, sweeps = [], []
    rng = np.random.default_rng(1)
    if fitted_sizes:
        fit = Fitted(base[3])
        qvecs = embedder.embed([normalize(q) for q in questions], kind="query")
        r, s = faiss_part(fitted_sizes, qvecs, args.target, lambda n: fit.sample(n, rng), "fitted",
                          args.factory)
        results += r
        sweeps += s
    if faiss_sizes:
        queries = random_unit(args.queries, 384, rng)
        r, s = faiss_part(faiss_sizes, queries, args.target, lambda n: random_unit(n, 384, rng), "random",
                          args.factory)
        results += r
        sweeps += s
    if results:
        parts.append("### FAISS alone\n\nData: `random` = uniform random unit vectors (no structure: the worst "
                     f"case for IVF), {args.queries} random unit queries; `fitted` = a Gaussian fitted to the "
                     f"real paragraphs' vectors, queries = the {len(questions)} questions' real query vectors. "
                     + faiss_tables(results, sweeps, args.target))
    body = "\n\n".join(parts)
    print(body)
    if not args.no_append:
        append_section("Query latency", body)


if __name__ == "__main__":
    main()
