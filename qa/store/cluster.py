"""Embedding on a Dask cluster: ``qa index --cluster ADDRESS`` sends the paragraphs with no vector yet to
the cluster's workers in length-sorted blocks and writes what comes back to the store (index folder or
Milvus) exactly as a local build would.

``ADDRESS`` is a running scheduler (``tcp://HOST:8786``: every worker needs report-qa and the model) or
``local[:N]`` for N worker processes on this machine, bound to 127.0.0.1. Each worker builds the embedder
once (``factory()``) and keeps it; the vectors are the ones a single process makes (same model, same
texts, same order of blocks), so content keys and the cache stay valid across both ways of building.

Dask, not Ray: bench/README.md (install, start time, throughput on this machine).

>>> embed = cluster_embed("local:2", make_embedder)  # doctest: +SKIP
>>> update_index(Path("corpus"), Path("index"), embedder, embed=embed)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.ingest.quotes import sentence_texts
from qa.models.embed import Embedder
from qa.store.build import EMBED_BATCH, Pending, Progress, embed_pending
from qa.store.index import IndexError, Segment, embedding_key, passage_text, sentence_key

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ClusterParams:
    block: int = EMBED_BATCH  # texts per task
    local_prefix: str = "local"


PARAMS = ClusterParams()
_WORKER_MODELS: dict[str, Embedder] = {}  # in each worker process: the embedder, built once


def embed_block(factory: Callable[[], Embedder], key: str, threads: int, texts: list[str]) -> np.ndarray:
    """On a worker: the passage vectors of ``texts`` (the model is built on the worker's first block)."""
    if key not in _WORKER_MODELS:
        if threads > 0:
            with contextlib.suppress(ImportError):
                import torch

                torch.set_num_threads(threads)
        _WORKER_MODELS[key] = factory()
    return _WORKER_MODELS[key].embed(texts, kind="passage")


def local_workers(address: str) -> int | None:
    """``local`` -> cores, ``local:N`` -> N; None for a scheduler address."""
    if address != PARAMS.local_prefix and not address.startswith(PARAMS.local_prefix + ":"):
        return None
    n = address.partition(":")[2]
    if n and not n.isdigit():
        raise ValueError(f"--cluster {address!r}: use local:N with N a number of workers")
    return max(1, int(n) if n else os.cpu_count() or 1)


@contextlib.contextmanager
def dask_client(address: str):
    """A Dask client: to a running scheduler, or to a local cluster on 127.0.0.1 made for this run."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        raise IndexError("--cluster needs Dask distributed: pip install 'report-qa[cluster]'") from e
    n = local_workers(address)
    if n is None:
        with Client(address) as client:
            yield client, 0
        return
    threads = max(1, (os.cpu_count() or 1) // n)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host=LOOPBACK,
                      dashboard_address=None, scheduler_port=0) as cluster, Client(cluster) as client:
        yield client, threads


def missing_texts(pending: list[Pending], model_name: str, cache: dict[str, np.ndarray], *,
                  sentences: bool = True) -> list[tuple[str, str]]:
    """(key, text) of every paragraph (and, with ``sentences``, quotable sentence) with no vector in
    ``cache``, once each, shortest first."""
    todo: dict[str, str] = {}
    for p in pending:
        for c in p.chunks:
            text = passage_text(c)
            pairs = [(embedding_key(model_name, text), text)]
            if sentences:
                pairs += [(sentence_key(model_name, t), t) for t in sentence_texts(c)]
            for key, t in pairs:
                if key not in cache:
                    todo.setdefault(key, t)
    return sorted(todo.items(), key=lambda kv: len(kv[1]))


def cluster_embed(address: str, factory: Callable[[], Embedder]):
    """An ``embed_pending`` that embeds the missing paragraphs on the cluster at ``address``; ``factory``
    (picklable: a module-level function or a ``functools.partial`` of one) builds the embedder on a worker.
    """

    def embed(pending: list[Pending], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool,
              on_progress: Progress | None, *, sentences: bool = True) -> tuple[list[Segment], int, int]:
        todo = missing_texts(pending, embedder.name, cache, sentences=sentences)
        if todo:
            vectors = run_blocks(address, factory, embedder.name, [t for _, t in todo], on_progress)
            cache.update(zip((k for k, _ in todo), vectors, strict=True))
        keys = {embedding_key(embedder.name, passage_text(c)) for p in pending for c in p.chunks}
        paragraphs = sum(k in keys for k, _ in todo)
        segments, _, reused = embed_pending(pending, embedder, cache, progress, on_progress, sentences=sentences)
        return segments, paragraphs, reused - paragraphs

    return embed


def run_blocks(address: str, factory: Callable[[], Embedder], name: str, texts: list[str],
               on_progress: Progress | None = None) -> np.ndarray:
    """Embed ``texts`` on the cluster in blocks; rows in the order of ``texts``."""
    from dask.distributed import as_completed

    blocks = [texts[i:i + PARAMS.block] for i in range(0, len(texts), PARAMS.block)]
    with dask_client(address) as (client, threads):
        remote_factory = client.scatter(factory, broadcast=True)
        futures = [client.submit(embed_block, remote_factory, name, threads, b, pure=False) for b in blocks]
        order = {f.key: i for i, f in enumerate(futures)}
        out: list[np.ndarray | None] = [None] * len(blocks)
        done = 0
        for fut in as_completed(futures):
            out[order[fut.key]] = fut.result()
            done += len(blocks[order[fut.key]])
            if on_progress:
                on_progress("embedding", done, len(texts))
    return np.ascontiguousarray(np.vstack(out), dtype=np.float32)
