"""Beyond one machine: the index folder against Milvus, embedding on a Dask cluster, faster encoders.

Three parts, each appending a section to bench/README.md:

- ``--part store``: for each size (``--sizes 10000 100000``), synthetic paragraphs (``bench/synthetic.py``:
  distinct paragraphs composed from the shipped reports' sentences with other numbers and places, each pool
  sentence tokenized once; random unit vectors, no model):
  build/insert rate and ``search``/``ask`` p50/p95 with the index folder and with Milvus (milvus-lite in
  process, or ``--milvus milvus://HOST:PORT`` for a server; the collection opened lazily, then loaded), and
  the process's memory (``bench/scale_memory.py``: the serving process alone, over a server).
- ``--part stream``: ``--sizes 1000000 --limit 1200``: synthetic paragraphs inserted into Milvus as they are
  made (nothing held), stopped after ``--limit`` seconds: how far it got, insert rate and memory; with
  ``--ask``, then the collection opened lazily and the questions timed; ``--deadline`` bounds the whole run.
- ``--part embed``: paragraphs/s of the real model in one process (all cores) against a local Dask
  cluster of 1 and 2 workers (cold: start + model load + embedding; warm: embedding only), and the
  cosine of the cluster's vectors to the single process's.
- ``--part encoders``: torch float32, torch bf16 (model cast), ONNX int8, CTranslate2 int8 and OpenVINO int8
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
)

MODEL_NAME = "bench-hash-384"


def hash_embedder() -> HashEmbedder:
    emb = HashEmbedder(MODEL_NAME)
    emb.origin, emb.backend = "hash", "hash"
    return emb


# -- store ------------------------------------------------------------------------------------------------
# Synthetic paragraphs: bench/synthetic.py (sentences of the shipped reports with other numbers and places,
# composed into distinct paragraphs; each pool sentence normalized and tokenized once; random unit vectors).


def timed_queries(store, questions: list[str], until: float | None = None) -> dict[str, float]:
    """``search`` and ``ask`` p50/p95 ms over ``questions`` (with ``until``, a ``time.perf_counter()`` value:
    stopping there, and saying how many were asked as ``asked``)."""
    from qa.answer.compose import Answerer
    from qa.search.retrieve import Retriever

    t = time.perf_counter()
    retriever = Retriever(store, hash_embedder())  # each position's report and years, the places table
    retriever_s = time.perf_counter() - t
    answerer = Answerer(retriever)
    answerer.ask(questions[0])  # warm-up
    search, ask = [], []
    for q in questions:
        if until is not None and time.perf_counter() > until:
            break
        t = time.perf_counter()
        retriever.search(q, k=10)
        search.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        answerer.ask(q)
        ask.append(1000 * (time.perf_counter() - t))
    out = {"Retriever s": retriever_s, "search p50": median(search), "search p95": pct(search, 95),
           "ask p50": median(ask), "ask p95": pct(ask, 95)}
    return out if until is None else out | {"asked": len(ask)}


def rss_mb() -> float:
    """MB resident in this process and its children (milvus-lite runs in process)."""
    import psutil

    me = psutil.Process(os.getpid())
    return sum(p.memory_info().rss for p in (me, *me.children(recursive=True))) / 1e6


def store_part(sizes: list[int], milvus: str | None, questions: list[str], work: Path,
               stores: tuple[str, ...] = ("folder", "milvus"), variants: int = 256) -> str:
    """For each size: make the synthetic segments one report file at a time; with the folder, save each as
    it comes (timed), then ``write`` the index around the saved files (global FAISS and BM25 indexes,
    manifest; timed), drop every build structure, load the index and time the questions."""
    import gc
    import resource

    from bench.synthetic import SentencePool, Stats, synthetic_segments
    from qa.store.build import make_manifest, write
    from qa.store.index import SEGMENTS, Segment

    emb = hash_embedder()
    pool = SentencePool.build(variants)
    notes = [f"Synthetic paragraphs (bench/synthetic.py): a pool of {len(pool.texts):,} sentence versions "
             f"({len(pool.versions):,} quotable sentences of the shipped reports, each with up to {variants} "
             f"versions with other numbers and places), normalized and tokenized once, in {pool.seconds:.0f} s; "
             "each paragraph mirrors a shipped paragraph (report, section path, number of sentences) and draws "
             "its sentences from the pool; its BM25 tokens and normalized text are its sentences' own, joined "
             "(checked against the real tokenizer on a sample); random unit vectors, no model, no query encoding."]
    print(notes[0], file=sys.stderr, flush=True)
    rows = []
    for n in sizes:
        stats = Stats()
        directory = work / f"index-{n}"
        (directory / SEGMENTS).mkdir(parents=True)
        segments, light = [], []
        t0, save_s = time.perf_counter(), 0.0
        for seg in synthetic_segments(n, pool, stats=stats, model_name=MODEL_NAME):
            if "milvus" in stores:
                segments.append(seg)
            if "folder" in stores:
                t = time.perf_counter()
                seg.save(directory / SEGMENTS)
                save_s += time.perf_counter() - t
                # what the global indexes need; the paragraphs and sentence vectors are on disk now
                light.append(Segment(seg.id, seg.source, seg.documents, [], [], seg.embeddings, seg.terms,
                                     seg.token_ids, seg.lengths))
            if len(light or segments) % 1000 == 0:
                print(f"{n}: {stats.paragraphs:,} made in {time.perf_counter() - t0:.0f} s (saving {save_s:.0f} s), "
                      f"RSS {rss_mb():,.0f} MB ({load_avg()})", file=sys.stderr, flush=True)
        made = time.perf_counter() - t0 - save_s
        notes.append(f"{n:,}: {stats.paragraphs:,} paragraphs made in {made:.0f} s besides saving, {stats.sentences:,} "
                     f"sentences; {stats.redrawn:,} repeats drawn again, {stats.longer:,} paragraphs given a sentence "
                     f"more than the one they mirror; {stats.checked:,} checked against the real preparation, "
                     f"{len(stats.check_failures)} differed; {len(pool.vocab.terms):,} distinct terms in the pool "
                     f"and section paths.")
        print(notes[-1], stats.check_failures[:5], file=sys.stderr, flush=True)
        if "folder" in stores:
            t = time.perf_counter()
            manifest = make_manifest(emb, {}, light)
            write(directory, manifest, light, [])  # links the saved segment files, builds FAISS and BM25
            write_s = time.perf_counter() - t
            del light
            if "milvus" not in stores:
                del segments
                segments = []
            gc.collect()
            release_freed_memory()  # so the build's freed arrays do not sit beside the serving process
            served = serve_folder_child(directory, len(questions))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append([n, "folder (FAISS+BM25)", f"{n / (save_s + write_s):,.0f}", f"{served.pop('open s'):.1f}",
                         f"{served['Retriever s']:.1f}",
                         *(f"{served[k]:.0f}" for k in ("search p50", "search p95", "ask p50", "ask p95")),
                         f"{served['RSS after questions MB']:,.0f} (open: {served['RSS after open MB']:,.0f})",
                         f"{peak:,.0f} / {served['peak MB']:,.0f}", load_avg()])
            print(f"{n}: saving {save_s:.0f} s + write {write_s:.0f} s; {rows[-1]}", file=sys.stderr, flush=True)
        if "milvus" in stores:
            for row in milvus_rows(n, milvus, segments, questions, work):
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                rows.append([n, *row, f"{peak:,.0f} / -", load_avg()])
                print(f"{n}: {rows[-1]}", file=sys.stderr, flush=True)
        del segments
    notes.append("Insert (folder): the segment files saved as they are made, plus `write` (links them, builds "
                 "FAISS and BM25, the manifest). The folder is then opened and asked in a fresh process, as "
                 "`qa serve` would: open s is `Index.load`, Retriever s the `Retriever` made over it (each "
                 "paragraph's report and years, the places table); its RSS growth is from just before "
                 "`Index.load` (imports done) to after the questions (open: to after loading). Milvus: RSS "
                 "growth from before the insert, in the bench's process. Peak RSS: the bench's process "
                 "(building) / the serving process, maxima.")
    return "\n\n".join(notes) + "\n\n" + md_table(
        ["paragraphs", "store", "insert paragraphs/s", "open s", "Retriever s", "search p50 ms", "search p95 ms",
         "ask p50 ms", "ask p95 ms", "RSS growth MB", "peak RSS MB", "load (1/5/15 min)"], rows)


def release_freed_memory() -> None:
    """Give memory freed on the heap back to the system (glibc's ``malloc_trim``; nothing elsewhere)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def serve_folder_child(directory: Path, questions: int) -> dict:
    import subprocess

    cmd = [sys.executable, __file__, "--part", "store", "--serve-folder", str(directory), "--questions", str(questions)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve_folder(directory: Path, questions: list[str]) -> dict:
    """In a fresh process: load the index folder, time the questions; times and memory (MB)."""
    import gc
    import resource

    from qa.answer.compose import Answerer  # noqa: F401 - imported before the baseline, as a server has them
    from qa.search.retrieve import Retriever  # noqa: F401
    from qa.store.index import Index

    gc.collect()
    base = rss_mb()
    t = time.perf_counter()
    folder = Index.load(directory)
    open_s = time.perf_counter() - t
    gc.collect()
    opened = rss_mb() - base
    print(f"opened {directory.name} in {open_s:.1f} s, RSS +{opened:,.0f} MB ({load_avg()})", file=sys.stderr,
          flush=True)
    lat = timed_queries(folder, questions)
    return {"open s": open_s, "RSS after open MB": opened, "RSS after questions MB": rss_mb() - base, **lat,
            "peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


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
                     f"{lat.pop('Retriever s'):.1f}", *(f"{v:.0f}" for v in lat.values()), mem])
    for name in (target.collection, target.files_collection, target.terms_collection):
        client.drop_collection(name)
    return rows


def stop_at(deadline_s: float, t0: float):
    """A hard bound on the whole run: at ``deadline_s`` after ``t0``, say so, end the processes this one
    started (milvus-lite's server) and exit (what was measured so far is on stderr, row by row)."""
    import threading

    import psutil

    def stop():
        print(f"deadline of {deadline_s:.0f} s reached: stopped ({load_avg()})", file=sys.stderr, flush=True)
        for child in psutil.Process(os.getpid()).children(recursive=True):
            child.kill()
        os._exit(3)

    timer = threading.Timer(max(0.0, deadline_s - (time.perf_counter() - t0)), stop)
    timer.daemon = True
    timer.start()
    return timer


def lite_mb(target) -> float:
    """MB of files in the milvus-lite file's folder (0 for a server)."""
    if not target.is_lite:
        return 0.0
    return sum(f.stat().st_size for f in Path(target.uri).parent.rglob("*") if f.is_file()) / 1e6


def milvus_stream(n: int, milvus: str | None, work: Path, limit_s: float, variants: int = 256,
                  questions: list[str] | None = None, deadline_s: float | None = None) -> str:
    """Insert up to ``n`` synthetic paragraphs into a fresh collection as they are made (about 10k at a
    time, nothing held), stopping after ``limit_s`` seconds: how far it got, the rates of making and of
    inserting, and the memory (this process with milvus-lite in it, and the lite file) along the way.
    With ``questions``: then open the collection lazily and time them (until ``deadline_s``, if given,
    minus a minute); ``deadline_s`` also ends the whole run wherever it is (``stop_at``)."""
    from bench.synthetic import SentencePool, synthetic_segments
    from qa.store.milvus import MilvusTarget, connect
    from qa.store.milvus_update import ensure_collections, write_files

    target = MilvusTarget.parse(milvus) if milvus else MilvusTarget.parse(str(work / f"stream-{n}.db"))
    target = MilvusTarget(target.uri, f"stream_{n}", target.token, target.index)
    t0 = time.perf_counter()
    timer = stop_at(deadline_s, t0) if deadline_s else None
    pool = SentencePool.build(variants)
    client = connect(target)
    ensure_collections(client, target, hash_embedder().dim, rebuild=True)
    rss0, done, make_s, insert_s, part, rows = rss_mb(), 0, 0.0, 0.0, [], []
    t = time.perf_counter()
    for seg in synthetic_segments(n, pool, model_name=MODEL_NAME):
        part.append(seg)
        if sum(s.size for s in part) < 10_000 and done + sum(s.size for s in part) < n:
            continue
        make_s += time.perf_counter() - t
        t = time.perf_counter()
        write_files(client, target, part, {s.source: s.id for s in part}, MODEL_NAME, replaced=set())
        insert_s += time.perf_counter() - t
        done += sum(s.size for s in part)
        part = []
        rows.append([f"{done:,}", f"{time.perf_counter() - t0:.0f}", f"{done / make_s:,.0f}", f"{done / insert_s:,.0f}",
                     f"{rss_mb() - rss0:,.0f}", f"{lite_mb(target):,.0f}" if target.is_lite else "-", load_avg()])
        print(rows[-1], file=sys.stderr, flush=True)
        if time.perf_counter() - t0 > limit_s:
            break
        t = time.perf_counter()
    asked = stream_questions(target, questions, rss0, t0, deadline_s) if questions else ""
    if timer is not None:
        timer.cancel()
    client.drop_collection(target.collection)
    for name in (target.files_collection, target.terms_collection):
        client.drop_collection(name)
    kind = "milvus-lite (in process)" if target.is_lite else "a Milvus server"
    return (f"Up to {n:,} synthetic paragraphs inserted into {kind} as they were made, about 10k at a time, "
            f"stopped after {limit_s:.0f} s: {done:,} inserted in {time.perf_counter() - t0:.0f} s (sentence pool "
            f"{pool.seconds:.0f} s). Rates are cumulative (paragraphs made per second of making, inserted per "
            "second of inserting); RSS growth of this process since the collection was made.\n\n" +
            md_table(["paragraphs inserted", "elapsed s", "made /s", "inserted /s", "RSS growth MB",
                      "lite files MB", "load (1/5/15 min)"], rows) + asked)


def stream_questions(target, questions: list[str], rss0: float, t0: float, deadline_s: float | None) -> str:
    """After a stream: flush, open the collection lazily (what a serving process over millions does) and
    time the questions, stopping a minute before the deadline; a paragraph of the report."""
    from qa.store.milvus import connect
    from qa.store.milvus_lazy import open_store

    t = time.perf_counter()
    connect(target).flush(target.collection)
    flush_s, rss1 = time.perf_counter() - t, rss_mb()
    print(f"flushed in {flush_s:.0f} s, RSS growth {rss1 - rss0:,.0f} MB ({load_avg()})", file=sys.stderr, flush=True)
    t = time.perf_counter()
    store = open_store(target, model_name=MODEL_NAME, lazy=True)
    open_s, rss2 = time.perf_counter() - t, rss_mb()
    parts = getattr(store, "open_seconds", {})
    print(f"opened lazily in {open_s:.0f} s {parts}, RSS growth {rss2 - rss0:,.0f} MB ({load_avg()})",
          file=sys.stderr, flush=True)
    until = t0 + deadline_s - 60 if deadline_s else None
    lat = timed_queries(store, questions, until)
    out = (f"\n\nThen: flush {flush_s:.0f} s; the {len(store.pks):,} rows opened lazily in {open_s:.0f} s "
           f"({', '.join(f'{k} {v:.1f} s' for k, v in parts.items())}) "
           f"(RSS growth since the collection was made: {rss1 - rss0:,.0f} MB after the insert, {rss2 - rss0:,.0f} "
           f"MB opened, {rss_mb() - rss0:,.0f} MB after the questions; lite files {lite_mb(target):,.0f} MB); "
           f"Retriever {lat['Retriever s']:.0f} s; {lat.get('asked', len(questions))} of {len(questions)} questions "
           f"asked: search p50/p95 {lat['search p50']:.0f}/{lat['search p95']:.0f} ms, ask p50/p95 "
           f"{lat['ask p50']:.0f}/{lat['ask p95']:.0f} ms; {time.perf_counter() - t0:.0f} s in all ({load_avg()}).")
    print(out.strip(), file=sys.stderr, flush=True)
    return out


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
    from qa.models.embed import Bf16Embedder, SentenceTransformerEmbedder
    from qa.models.onnx_backend import OnnxEmbedder

    torch_emb = SentenceTransformerEmbedder(model)
    bf16 = Bf16Embedder(SentenceTransformerEmbedder(model))  # its own copy: the cast is in place
    rows = [("torch float32", "torch", torch_emb), ("torch bf16", "torch-bf16", bf16),
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
    ap.add_argument("--part", choices=["store", "stream", "embed", "encoders"], required=True)
    ap.add_argument("--limit", type=float, default=1200, help="--part stream: stop inserting after this many s")
    ap.add_argument("--ask", action="store_true", help="--part stream: then open the collection lazily and time "
                    "--questions")
    ap.add_argument("--deadline", type=float, help="--part stream: end the whole run after this many s, "
                    "wherever it is (questions stop a minute before)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--milvus", help="a Milvus server (milvus://HOST:PORT); default: milvus-lite in a temp file")
    ap.add_argument("--stores", nargs="+", choices=["folder", "milvus"], default=["folder", "milvus"],
                    help="--part store: which stores to measure (1M: the folder only, lite is too slow)")
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--variants", type=int, default=256,
                    help="--part store: versions (other numbers and places) of each pool sentence")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--part embed: local Dask workers")
    ap.add_argument("--n", type=int, default=256, help="texts for --part embed / encoders")
    ap.add_argument("--threads", type=int, default=1, help="--part encoders: threads per encoder")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--ct2-dir", type=Path, help="--part encoders: the converted model (default: MODEL/ct2-int8)")
    ap.add_argument("--eval-passages", type=int, default=200, help="--part encoders: CMRC passages for qa eval")
    ap.add_argument("--eval-skip", nargs="*", default=[], help="--part encoders: backends left out of qa eval")
    ap.add_argument("--work", type=Path, help="--part encoders / store: keep the qa eval indexes / the folders here")
    ap.add_argument("--eval-limit", type=int, default=1000,
                    help="--part encoders: CMRC questions for the qa eval quality columns (0: skip qa eval)")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--serve-folder", type=Path, help=argparse.SUPPRESS)  # the fresh serving process
    args = ap.parse_args(argv)
    if args.serve_folder:
        print(json.dumps(serve_folder(args.serve_folder, bench_questions(args.questions))))
        return 0
    if args.part == "store":
        with tempfile.TemporaryDirectory(prefix="scale-") as work:
            body = store_part(args.sizes, args.milvus, bench_questions(args.questions), args.work or Path(work),
                              tuple(args.stores), args.variants)
        title = "Scale: index folder vs Milvus"
    elif args.part == "stream":
        with tempfile.TemporaryDirectory(prefix="scale-") as work:
            body = milvus_stream(max(args.sizes), args.milvus, args.work or Path(work), args.limit, args.variants,
                                 bench_questions(args.questions) if args.ask else None, args.deadline)
        title = "Scale: inserting into Milvus as paragraphs are made"
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
