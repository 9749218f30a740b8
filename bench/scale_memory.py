"""The memory of a serving process over a Milvus collection: every paragraph loaded against the lazy store.

Starts ``milvus-lite server`` on 127.0.0.1 (so the serving process is a client only, as with a Milvus
cluster), inserts ``--size`` synthetic paragraphs (bench/synthetic.py's: composed from the shipped
reports' sentences with other numbers and places, random unit vectors, no model), then, in a fresh process
per mode, opens the collection (``MilvusIndex``: every record in memory; ``LazyMilvusIndex``: per-row
arrays, records fetched by key) and asks the questions: the serving process's resident memory after opening
and after the questions, open time, ``search``/``ask`` p50/p95, and the server's memory. Also
``--lite-file``: the same in process, against a milvus-lite file (the server's memory is then inside the
serving process).

    .venv/bin/python bench/scale_memory.py --size 10000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import append_section, bench_questions, md_table  # noqa: E402
from bench.scale import MODEL_NAME, hash_embedder, load_avg, timed_queries  # noqa: E402
from bench.synthetic import SentencePool, synthetic_segments  # noqa: E402

MODES = ("loaded", "lazy")


def rss_mb(pid: int | None = None) -> float:
    """MB resident in a process and its children."""
    import psutil

    me = psutil.Process(pid or os.getpid())
    return sum(p.memory_info().rss for p in (me, *me.children(recursive=True))) / 1e6


def child(uri: str, collection: str, mode: str, questions: int) -> dict:
    """In a fresh process: open the store in ``mode``, ask, and report memory and times."""
    import gc

    from qa.answer.compose import Answerer  # noqa: F401 - imported before the baseline, as a server has it
    from qa.search.retrieve import Retriever  # noqa: F401
    from qa.store.milvus import MilvusTarget, connect
    from qa.store.milvus_lazy import open_store

    target = MilvusTarget(uri, collection)
    connect(target)
    qs = bench_questions(questions)
    gc.collect()
    base = rss_mb()
    t = time.perf_counter()
    store = open_store(target, model_name=MODEL_NAME, lazy=mode == "lazy")
    open_s = time.perf_counter() - t
    gc.collect()
    opened = rss_mb() - base
    lat = timed_queries(store, qs)
    gc.collect()
    return {"open s": open_s, "RSS after open MB": opened, "RSS after questions MB": rss_mb() - base, **lat}


def start_server(data: Path) -> tuple[subprocess.Popen, int]:
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).with_name("milvus-lite"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "server", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("milvus-lite server did not start")


def insert(uri: str, collection: str, n: int) -> float:
    """Insert ``n`` synthetic paragraphs into a fresh collection; paragraphs per second."""
    from qa.store.milvus import MilvusTarget, connect
    from qa.store.milvus_update import ensure_collections, write_files

    emb = hash_embedder()
    segments = list(synthetic_segments(n, SentencePool.build(), model_name=MODEL_NAME))
    target = MilvusTarget(uri, collection)
    client = connect(target)
    ensure_collections(client, target, emb.dim, rebuild=True)
    t = time.perf_counter()
    write_files(client, target, segments, {s.source: s.id for s in segments}, MODEL_NAME, replaced=set())
    client.flush(target.collection)
    return n / (time.perf_counter() - t)


def run_child(uri: str, collection: str, mode: str, questions: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--uri", uri, "--collection", collection,
           "--questions", str(questions)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(size: int, questions: int, lite_file: bool, timeout: float, work: Path) -> str:
    collection = f"mem_{size}"
    proc = None
    if lite_file:
        uri = str(work / "mem.db")
    else:
        proc, port = start_server(work / "data")
        uri = f"http://127.0.0.1:{port}"
    try:
        rate = insert(uri, collection, size)
        if lite_file:  # one process at a time opens a milvus-lite file
            from qa.store.milvus import _CLIENTS

            _CLIENTS.pop(uri).close()
        rows = []
        for mode in MODES:
            got = run_child(uri, collection, mode, questions, timeout)
            server = f"{rss_mb(proc.pid):,.0f}" if proc is not None else "(in process)"
            rows.append([size, mode, f"{rate:,.0f}", f"{got.pop('open s'):.1f}", f"{got.pop('Retriever s'):.1f}",
                         *(f"{v:,.0f}" for v in got.values()), server, load_avg()])
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    kind = "milvus-lite file, in process" if lite_file else "milvus-lite server on 127.0.0.1"
    head = ["paragraphs", "store opened", "insert paragraphs/s", "open s", "Retriever s", "serving RSS after open MB",
            "serving RSS after questions MB", "search p50 ms", "search p95 ms", "ask p50 ms", "ask p95 ms",
            "server RSS MB", "load (1/5/15 min)"]
    return f"Collection in a {kind}.\n\n" + md_table(head, rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--lite-file", action="store_true", help="a milvus-lite file in process instead of a server")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per opening process")
    ap.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    ap.add_argument("--uri", help=argparse.SUPPRESS)
    ap.add_argument("--collection", help=argparse.SUPPRESS)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.uri, args.collection, args.child, args.questions)))
        return 0
    with tempfile.TemporaryDirectory(prefix="scale-mem-") as work:
        body = measure(args.size, args.questions, args.lite_file, args.timeout, Path(work))
    print(body)
    if not args.no_readme:
        append_section("Scale: memory of a serving process over Milvus, loaded vs lazy", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
