"""Beyond one machine: the index folder against Milvus, embedding on a Dask cluster, faster encoders.

Three parts, each appending a section to bench/README.md:

- ``--part store``: for each size (``--sizes 10000 100000``), synthetic paragraphs (copies of the shipped
  reports' paragraphs with permuted digits and a copy tag, so every text differs; hash vectors, no model):
  build/insert rate and ``search``/``ask`` p50/p95 with the index folder and with Milvus (milvus-lite in
  process, or ``--milvus milvus://HOST:PORT`` for a server; the collection opened lazily, then loaded), and
  the process's memory (``bench/scale_memory.py``: the serving process alone, over a server).
- ``--part embed``: paragraphs/s of the real model in one process (all cores) against a local Dask
  cluster of 1 and 2 workers (cold: start + model load + embedding; warm: embedding only), and the
  cosine of the cluster's vectors to the single process's.
- ``--part encoders``: torch float32, torch bf16 autocast, ONNX int8, CTranslate2 int8 and OpenVINO int8
  (when installed) on the same texts, side by side: passages/s, CPU ms/passage, cosine to float32, dense
  CMRC Recall@5, and ``qa eval`` Recall@5 (dev gold and CMRC, hybrid retrieval) with each ``--backend``.

    .venv/bin/python bench/scale.py --part store --sizes 10000 100000
    .venv/bin/python bench/scale.py --part embed --n 256
    .venv/bin/python bench/scale.py --part encoders --n 200 --eval-limit 1000
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (  # noqa: E402
    SHARED,
    HashEmbedder,
    append_section,
    bench_questions,
    md_table,
    median,
    pct,
    shipped_reports,
    vary,
)
from qa.textnorm import normalize  # noqa: E402
from qa.types import Chunk, Document  # noqa: E402

MODEL_NAME = "bench-hash-384"


def hash_embedder() -> HashEmbedder:
    emb = HashEmbedder(MODEL_NAME)
    emb.origin, emb.backend = "hash", "hash"
    return emb


# -- store ------------------------------------------------------------------------------------------------
PREP_UNIQUE = 100_000  # paragraphs varied in full (digits permuted, tagged); beyond, cheap tagged copies


def synthetic_pending(n: int):
    """``n`` paragraphs as pending files: copy i of every shipped report, until there are ``n``. The first
    ``PREP_UNIQUE`` are varied in full (``vary``: about 4 ms each); later copies append a copy tag to one of
    those (every text still differs; at 1M, full variation alone would take over an hour)."""
    from qa.ingest.corpus import read_file
    from qa.store.build import Pending

    root = shipped_reports()[0].parent
    reads = [(p.relative_to(root).as_posix(), read_file(p, root)) for p in shipped_reports()]
    out, total, i = [], 0, 0
    base: list[tuple[str, str]] = []
    while total < n:
        for source, fr in reads:
            if total >= n:
                break
            docs = {d.doc_id: Document(f"{d.doc_id}-{i}", f"c{i:05d}/{source}", vary(d.title, i), d.year,
                                       d.places, d.part, d.span) for d in fr.documents}
            chunks = []
            for c in fr.chunks[: n - total]:
                if total + len(chunks) < PREP_UNIQUE:
                    text = vary(c.text, i, unique=True)
                    base.append((text, normalize(text)))
                    text, norm = base[-1]
                else:
                    text, norm = base[(total + len(chunks)) % len(base)]
                    tag = f"〔副本{i}〕"
                    text, norm = text + tag, norm + normalize(tag)
                chunks.append(Chunk(f"{c.chunk_id}-{i}", f"{c.doc_id}-{i}", f"c{i:05d}/{source}", c.ordinal,
                                    c.heading, c.span, text, norm))
            if chunks:
                out.append(Pending.of_chunks(f"c{i:05d}/{source}", list(docs.values()), chunks, f"{i}-{source}"))
                total += len(chunks)
        i += 1
    return out


def timed_queries(store, questions: list[str]) -> dict[str, float]:
    from qa.answer.compose import Answerer
    from qa.search.retrieve import Retriever

    retriever = Retriever(store, hash_embedder())
    answerer = Answerer(retriever)
    answerer.ask(questions[0])  # warm-up
    search, ask = [], []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, k=10)
        search.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        answerer.ask(q)
        ask.append(1000 * (time.perf_counter() - t))
    return {"search p50": median(search), "search p95": pct(search, 95), "ask p50": median(ask),
            "ask p95": pct(ask, 95)}


def rss_mb() -> float:
    """MB resident in this process and its children (milvus-lite runs in process)."""
    import psutil

    me = psutil.Process(os.getpid())
    return sum(p.memory_info().rss for p in (me, *me.children(recursive=True))) / 1e6


def store_part(sizes: list[int], milvus: str | None, questions: list[str], work: Path,
               stores: tuple[str, ...] = ("folder", "milvus")) -> str:
    from qa.store.build import embed_pending, make_manifest, write
    from qa.store.index import Index

    emb = hash_embedder()
    rows = []
    for n in sizes:
        t = time.perf_counter()
        pending = synthetic_pending(n)
        prep = time.perf_counter() - t
        segments, _, _ = embed_pending(pending, emb, {}, False, None)
        del pending
        print(f"{n}: prepared in {time.perf_counter() - t:.0f} s ({load_avg()})", file=sys.stderr, flush=True)
        if "folder" in stores:
            rss0 = rss_mb()
            t = time.perf_counter()
            write(work / f"index-{n}", make_manifest(emb, {}, segments), segments, segments)
            folder_s = time.perf_counter() - t
            t = time.perf_counter()
            folder = Index.load(work / f"index-{n}")
            open_s = time.perf_counter() - t
            lat_f = timed_queries(folder, questions)
            mem = rss_mb() - rss0
            del folder
            rows.append([n, "folder (FAISS+BM25)", f"{n / folder_s:,.0f}", f"{open_s:.1f}",
                         *(f"{v:.0f}" for v in lat_f.values()), f"{mem:,.0f}", load_avg()])
            print(f"{n}: text prep {prep:.0f} s; {rows[-1]}", file=sys.stderr, flush=True)
        if "milvus" in stores:
            for row in milvus_rows(n, milvus, segments, questions, work):
                rows.append([n, *row, load_avg()])
                print(f"{n}: {rows[-1]}", file=sys.stderr, flush=True)
    return md_table(["paragraphs", "store", "insert paragraphs/s", "open s", "search p50 ms", "search p95 ms",
                     "ask p50 ms", "ask p95 ms", "RSS growth MB", "load (1/5/15 min)"], rows)


def load_avg() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def milvus_rows(n: int, milvus: str | None, segments, questions: list[str], work: Path) -> list[list]:
    """Insert ``segments`` into a fresh collection, open it lazily, then with every record loaded, and time
    the questions each way: the rows' cells (RSS growth: the insert and that opening with its questions)."""
    from qa.store.milvus import MilvusTarget, connect
    from qa.store.milvus_lazy import open_store
    from qa.store.milvus_update import ensure_collections, write_files

    target = MilvusTarget.parse(milvus) if milvus else MilvusTarget.parse(str(work / f"bench-{n}.db"))
    target = MilvusTarget(target.uri, f"bench_{n}", target.token, target.index)
    rss0 = rss_mb()
    client = connect(target)
    ensure_collections(client, target, hash_embedder().dim, rebuild=True)
    t, done, start = time.perf_counter(), 0, 0
    for stop in range(1, len(segments) + 1):  # in parts of about 10k paragraphs, saying the rate so far
        if stop == len(segments) or sum(s.size for s in segments[start:stop]) >= 10_000:
            part = segments[start:stop]
            write_files(client, target, part, {s.source: s.id for s in part}, MODEL_NAME, replaced=set())
            done, start = done + sum(s.size for s in part), stop
            print(f"inserted {done:,} in {time.perf_counter() - t:.0f} s ({load_avg()})", file=sys.stderr, flush=True)
    client.flush(target.collection)
    rate = f"{n / (time.perf_counter() - t):,.0f}"
    kind = "milvus-lite (in process)" if target.is_lite else f"milvus server ({target.index})"
    rows = []
    for lazy in (True, False):
        rss1 = rss_mb()
        t = time.perf_counter()
        store = open_store(target, model_name=MODEL_NAME, lazy=lazy)
        open_s = time.perf_counter() - t
        lat = timed_queries(store, questions)
        mem = f"{rss_mb() - rss0:,.0f} (open: {rss_mb() - rss1:,.0f})"
        del store
        rows.append([f"{kind}, {'lazy' if lazy else 'loaded'}", rate, f"{open_s:.1f}",
                     *(f"{v:.0f}" for v in lat.values()), mem])
    for name in (target.collection, target.files_collection, target.terms_collection):
        client.drop_collection(name)
    return rows


# -- distributed embedding -----------------------------------------------------------------------------
def embed_texts(n: int) -> list[str]:
    from qa.ingest.corpus import read_file
    from qa.store.index import passage_text

    root = shipped_reports()[0].parent
    texts = [passage_text(c) for p in shipped_reports() for c in read_file(p, root).chunks]
    passages = [json.loads(line)["text"] for line in open(SHARED / "bench" / "cmrc2018-dev" / "passages.jsonl",
                                                           encoding="utf-8")]
    return (texts + passages)[:n]


def embed_part(n: int, workers_list: tuple[int, ...] = (1, 2)) -> str:
    from dask.distributed import as_completed

    from qa.config import Settings
    from qa.runtime import worker_embedder
    from qa.store.cluster import PARAMS, dask_client, embed_block

    texts = embed_texts(n)
    settings = Settings.from_env()
    single = worker_embedder(settings)
    single.embed(texts[:8], kind="passage")
    t = time.perf_counter()
    base = single.embed(texts, kind="passage")
    one = len(texts) / (time.perf_counter() - t)
    rows = [["one process", os.cpu_count(), "-", f"{one:.1f}", "-", "1.00x", "1.000000", load_avg()]]
    factory = functools.partial(worker_embedder, settings)
    blocks = [texts[i:i + PARAMS.block // 4] for i in range(0, len(texts), PARAMS.block // 4)]
    for workers in workers_list:
        t0 = time.perf_counter()
        with dask_client(f"local:{workers}") as (client, threads):
            started = time.perf_counter() - t0
            rates = []
            for _ in range(2):  # the first round loads the model on every worker
                t = time.perf_counter()
                futs = [client.submit(embed_block, factory, settings.model or "default", threads, b, pure=False)
                        for b in blocks]
                out = {}
                for f in as_completed(futs):
                    out[futs.index(f)] = f.result()
                rates.append(len(texts) / (time.perf_counter() - t))
            vecs = np.vstack([out[i] for i in range(len(blocks))])
        cold = len(texts) / (started + len(texts) / rates[0])
        cos = float(np.min(np.sum(vecs * base, axis=1)))
        rows.append([f"Dask local, {workers} worker(s)", threads, f"{started:.1f}", f"{rates[1]:.1f}", f"{cold:.1f}",
                     f"{rates[1] / one:.2f}x", f"{cos:.6f}", load_avg()])
        print(rows[-1], file=sys.stderr, flush=True)
    return md_table(["how", "threads per worker", "cluster start s", "warm paragraphs/s", "cold paragraphs/s",
                     "warm vs one process", "min cosine to one process", "load (1/5/15 min)"], rows)


# -- encoders ------------------------------------------------------------------------------------------
def encoder_rows(model: Path, threads: int, ct2_dir: Path | None):
    """(label, --backend value, embedder) of every encoder compared; OpenVINO when it is installed."""
    import importlib.util

    from qa.models.ct2_backend import Ct2Embedder
    from qa.models.embed import AutocastEmbedder, SentenceTransformerEmbedder
    from qa.models.onnx_backend import OnnxEmbedder

    torch_emb = SentenceTransformerEmbedder(model)
    rows = [("torch float32", "torch", torch_emb), ("torch bf16 autocast", "torch-bf16", AutocastEmbedder(torch_emb)),
            ("onnx int8", "onnx-int8", OnnxEmbedder(model, quantized=True, threads=threads)),
            ("ctranslate2 int8", "ct2-int8", Ct2Embedder(model, threads=threads, out_dir=ct2_dir))]
    if importlib.util.find_spec("openvino") and importlib.util.find_spec("nncf"):
        from qa.models.openvino_backend import OpenVinoEmbedder

        rows.append(("openvino int8 weights", "openvino-int8", OpenVinoEmbedder(model, threads=threads)))
    return rows


def qa_eval(backend: str, args: list[str], work: Path) -> dict:
    """``qa eval ... --backend B --json --retrieval-only`` in a fresh process (its own index under ``work``)."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "qa.cli", "eval", *args, "--backend", backend, "--json", "--retrieval-only",
           "--index", str(work / f"index-{backend}"), "--corpus", str(repo / "corpus")]
    out = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": str(repo)})
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(out.stdout)


def cmrc_subset(passages: int, work: Path) -> tuple[Path, Path]:
    """The first ``passages`` CMRC dev passages and the questions about them, as bench files in ``work``
    (the whole set, 848 passages, costs minutes of encoding per backend on a loaded 2-core machine)."""
    cmrc = SHARED / "bench" / "cmrc2018-dev"
    rows = [line for line in (cmrc / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:passages]
    pids = {json.loads(line)["pid"] for line in rows}
    qs = [line for line in (cmrc / "questions.jsonl").read_text(encoding="utf-8").splitlines()
          if line.strip() and json.loads(line)["pid"] in pids]
    (work / "passages.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (work / "questions.jsonl").write_text("\n".join(qs) + "\n", encoding="utf-8")
    return work / "passages.jsonl", work / "questions.jsonl"


def quality(backends: list[str], limit: int, passages: int, work: Path) -> dict[str, tuple[float, float]]:
    """dev-gold R@5 and CMRC R@5 by ``qa eval`` (the product's hybrid retrieval) for each backend."""
    work.mkdir(parents=True, exist_ok=True)
    p_file, q_file = cmrc_subset(passages, work)
    out = {}
    for b in backends:
        t = time.perf_counter()
        dev = qa_eval(b, [str(SHARED / "eval" / "dev.jsonl")], work)
        bench = qa_eval(b, ["--passages", str(p_file), "--questions", str(q_file), "--limit", str(limit)], work)
        out[b] = (dev.get("recall@5", float("nan")), bench.get("recall@5", float("nan")))
        print(f"{b}: dev R@5 {out[b][0]}, CMRC R@5 {out[b][1]} ({time.perf_counter() - t:.0f} s, load "
              f"{load_avg()})", file=sys.stderr, flush=True)
    return out


def encoders_part(n: int, threads: int, rounds: int, ct2_dir: Path | None = None, eval_limit: int = 0,
                  eval_passages: int = 200, eval_skip: tuple[str, ...] = (), work: Path | None = None) -> str:
    import torch

    from bench.encode_backends import recall_mrr, retrieval_set, throughput_texts
    from qa.models.resolve import resolve_model

    torch.set_num_threads(threads)
    model = Path(resolve_model().location)
    cmrc = SHARED / "bench" / "cmrc2018-dev"
    texts = throughput_texts(Path(__file__).resolve().parent.parent / "corpus", cmrc, n // 2)
    passages, questions, gold = retrieval_set(cmrc, n, 4 * n)
    rows = encoder_rows(model, threads, ct2_dir)
    best = {label: (0.0, float("inf")) for label, _, _ in rows}
    vecs = {}
    for _label, _, e in rows:
        e.embed(texts[:8], kind="passage")
    loads = [load_avg()]
    for _ in range(rounds):  # interleaved, best kept: the machine is shared
        for label, _, e in rows:
            w, c = time.perf_counter(), time.process_time()
            vecs[label] = e.embed(texts, kind="passage")
            w, c = time.perf_counter() - w, time.process_time() - c
            best[label] = (max(best[label][0], len(texts) / w), min(best[label][1], 1000 * c / len(texts)))
        loads.append(load_avg())
    print(f"speed (passages/s, CPU ms/passage): {best}; loads {loads}", file=sys.stderr, flush=True)
    dense = {}
    for label, _, e in rows:
        dense[label] = recall_mrr(e.embed(passages, kind="passage"), e.embed(questions, kind="query"), gold)
        print(f"{label}: dense R@5, MRR@10 {dense[label]}", file=sys.stderr, flush=True)
    names = [(label, backend) for label, backend, _ in rows]
    del rows[:]  # free the models before the qa eval processes start
    work = work or Path(tempfile.mkdtemp(prefix="scale-eval-"))
    evals = quality([b for _, b in names if b not in eval_skip], eval_limit, eval_passages, work) if eval_limit else {}
    out = []
    base = names[0][0]
    base_rate, base_cpu = best[base]
    for label, backend in names:
        cos = np.sum(vecs[label] * vecs[base], axis=1)
        rate, cpu = best[label]
        dev5, cmrc5 = evals.get(backend, (float("nan"), float("nan")))
        out.append([label, f"`{backend}`", f"{rate:.1f}", f"{cpu:.0f}", f"{rate / base_rate:.2f}x",
                    f"{base_cpu / cpu:.2f}x", f"{cos.mean():.4f}", f"{cos.min():.4f}", f"{dense[label][0]:.3f}",
                    f"{dev5:.4f}", f"{cmrc5:.4f}"])
        print(out[-1], file=sys.stderr)
    return (f"{len(texts)} texts (report paragraphs and CMRC passages, cut to 250 characters), {threads} "
            f"thread(s), best of {rounds} interleaved rounds; load average at each round: {', '.join(loads)}. "
            f"Dense R@5: {len(passages)} CMRC passages, {len(questions)} questions, exact search on the "
            f"vectors alone. dev/CMRC R@5: `qa eval --retrieval-only` (hybrid retrieval, as shipped) on the dev gold "
            f"and on the first {eval_passages} CMRC dev passages with their questions (at most {eval_limit}); "
            f"not run for: {', '.join(eval_skip) or 'none'}.\n\n" +
            md_table(["backend", "--backend", "passages/s", "CPU ms/passage", "speed vs fp32", "CPU vs fp32",
                      "cos mean", "cos min", "dense R@5", "dev R@5", "CMRC R@5"], out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["store", "embed", "encoders"], required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--milvus", help="a Milvus server (milvus://HOST:PORT); default: milvus-lite in a temp file")
    ap.add_argument("--stores", nargs="+", choices=["folder", "milvus"], default=["folder", "milvus"],
                    help="--part store: which stores to measure (1M: the folder only, lite is too slow)")
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--part embed: local Dask workers")
    ap.add_argument("--n", type=int, default=256, help="texts for --part embed / encoders")
    ap.add_argument("--threads", type=int, default=1, help="--part encoders: threads per encoder")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--ct2-dir", type=Path, help="--part encoders: the converted model (default: MODEL/ct2-int8)")
    ap.add_argument("--eval-passages", type=int, default=200, help="--part encoders: CMRC passages for qa eval")
    ap.add_argument("--eval-skip", nargs="*", default=[], help="--part encoders: backends left out of qa eval")
    ap.add_argument("--work", type=Path, help="--part encoders: keep the qa eval indexes here")
    ap.add_argument("--eval-limit", type=int, default=1000,
                    help="--part encoders: CMRC questions for the qa eval quality columns (0: skip qa eval)")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    if args.part == "store":
        with tempfile.TemporaryDirectory(prefix="scale-") as work:
            body = store_part(args.sizes, args.milvus, bench_questions(args.questions), Path(work),
                              tuple(args.stores))
        title = "Scale: index folder vs Milvus"
    elif args.part == "embed":
        body, title = embed_part(args.n, tuple(args.workers)), "Scale: embedding on a local Dask cluster"
    else:
        body = encoders_part(args.n, args.threads, args.rounds, args.ct2_dir, args.eval_limit, args.eval_passages,
                             tuple(args.eval_skip), args.work)
        title = "Scale: encoder backends for large builds"
    print(body)
    if not args.no_readme:
        append_section(title, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
