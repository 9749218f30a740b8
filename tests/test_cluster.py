"""Embedding on a local Dask cluster: the same vectors and keys as one process, and loopback only."""

from __future__ import annotations

import functools

import numpy as np
import pytest

pytest.importorskip("dask.distributed")
psutil = pytest.importorskip("psutil")

from qa.models.embed import FakeEmbedder  # noqa: E402
from qa.store.cluster import dask_client, local_workers, run_blocks  # noqa: E402
from qa.store.index import Index  # noqa: E402
from qa.store.update import update_index  # noqa: E402


def is_loopback(ip: str) -> bool:
    """127.0.0.0/8 or ::1, also written as an IPv4-mapped IPv6 address (::ffff:127.0.0.1)."""
    import ipaddress

    addr = ipaddress.ip_address(ip)
    mapped = getattr(addr, "ipv4_mapped", None)
    return (mapped or addr).is_loopback


def _listeners(pids: set[int]) -> list[str]:
    out = []
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            out.append(conn.laddr.ip)
    return out


def test_local_address_parsing():
    assert local_workers("local:2") == 2 and local_workers("local") >= 1
    assert local_workers("tcp://10.0.0.5:8786") is None
    with pytest.raises(ValueError, match="local:N"):
        local_workers("local:two")


@pytest.fixture(scope="module")
def cluster():
    """One local cluster of two workers for the module (starting one takes seconds)."""
    with dask_client("local:2") as (client, _):
        yield client


def test_a_local_cluster_listens_on_loopback_only(cluster):
    import os

    assert len(cluster.scheduler_info()["workers"]) == 2
    me = psutil.Process(os.getpid())
    pids = {me.pid, *(c.pid for c in me.children(recursive=True))}
    ips = _listeners(pids)
    assert ips, "the cluster should listen somewhere"
    assert all(is_loopback(ip) for ip in ips), ips
    assert cluster.scheduler.address.startswith("tcp://127.0.0.1:")


def test_cluster_vectors_equal_one_process(cluster, tiny_corpus, tmp_path):
    from qa.store.cluster import cluster_embed

    local, remote = FakeEmbedder(dim=64), FakeEmbedder(dim=64)
    update_index(tiny_corpus, tmp_path / "one", local, progress=False)
    report = update_index(tiny_corpus, tmp_path / "two", remote, progress=False,
                          embed=cluster_embed(cluster.scheduler.address, functools.partial(FakeEmbedder, dim=64)))
    assert remote.calls == 0 and report.embedded == report.chunk_count  # every vector came from the workers
    a, b = Index.load(tmp_path / "one"), Index.load(tmp_path / "two")
    assert a.embedding_keys == b.embedding_keys
    cos = np.sum(a.embeddings * b.embeddings, axis=1)
    assert cos.min() >= 0.9999
    again = update_index(tiny_corpus, tmp_path / "two", remote, progress=False,
                         embed=cluster_embed(cluster.scheduler.address, functools.partial(FakeEmbedder, dim=64)))
    assert again.embedded == 0  # nothing is sent to the cluster twice


def test_blocks_come_back_in_order(cluster):
    texts = [f"第{i}段 教师 {i}" for i in range(600)]
    got = run_blocks(cluster.scheduler.address, functools.partial(FakeEmbedder, dim=16), "fake-16", texts)
    assert np.allclose(got, FakeEmbedder(dim=16).embed(texts, kind="passage"), atol=1e-6)
