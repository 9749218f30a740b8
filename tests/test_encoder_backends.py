"""Encoder backends for large builds: OpenVINO int8 weights and torch bf16 against torch float32, and the
choice of backend for ``auto`` (bf16 only on CPUs with native bfloat16, and an index keeps its backend).

Model tests (``-m model``); the OpenVINO one needs the openvino extra. Speed is measured by
bench/encode_amx.py and bench/scale.py --part encoders, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qa.models.cpu
from qa.config import Settings
from qa.models.cpu import native_bf16
from qa.runtime import LazyEmbedder, choose_backend, load_embedder

PASSAGES = [
    "2019年全区共有在职教师1764人，在校学生23870人，新建公办幼儿园3所。",
    "今年全县粮食总产量达到18.6万吨，比上年增长3.2%，新建高标准农田2万亩。",
    "市环保局全年共查处环境违法案件126起，空气质量优良天数达到312天。",
    "The hospital added 300 beds and hired 45 doctors to reduce waiting times.",
]
QUESTIONS = [("全区有多少在职教师？", 0), ("粮食总产量是多少？", 1), ("空气质量优良天数有多少天？", 2),
             ("How many doctors did the hospital hire?", 3)]


def _check(embedder, reference, floor: float) -> None:
    """Close to the float32 vectors, and the tiny retrieval still ranks each answer first."""
    got, ref = embedder.embed(PASSAGES, kind="passage"), reference.embed(PASSAGES, kind="passage")
    assert got.shape == ref.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cos = (got * ref).sum(axis=1)
    assert cos.min() >= floor, cos
    queries = embedder.embed([q for q, _ in QUESTIONS], kind="query")
    assert list((queries @ got.T).argmax(axis=1)) == [i for _, i in QUESTIONS]


@pytest.mark.model
def test_bf16_autocast_is_close_to_float32(real_embedder):
    from qa.models.embed import AutocastEmbedder

    emb = AutocastEmbedder(real_embedder)
    assert emb.name == f"{real_embedder.name}+bf16" and emb.dim == real_embedder.dim
    _check(emb, real_embedder, 0.99)


@pytest.mark.model
def test_openvino_int8_is_close_to_float32(real_embedder, model_home):
    pytest.importorskip("openvino", reason="the openvino extra is not installed")
    pytest.importorskip("nncf", reason="the openvino extra is not installed")
    from qa.models.openvino_backend import OpenVinoEmbedder
    from qa.models.resolve import resolve_model

    folder = Path(resolve_model(None, home=model_home).location)
    emb = OpenVinoEmbedder(folder, name="e5+openvino-int8", threads=1)
    assert emb.name == "e5+openvino-int8" and emb.backend == "openvino-int8"
    _check(emb, real_embedder, 0.99)
    again = OpenVinoEmbedder(folder, threads=1)  # the converted model is reused
    assert again.xml == emb.xml and np.allclose(again.embed(PASSAGES[:1], kind="passage"),
                                                emb.embed(PASSAGES[:1], kind="passage"), atol=1e-6)


@pytest.mark.model
@pytest.mark.parametrize("backend,suffix", [("openvino-int8", "+openvino-int8"), ("torch-bf16", "+bf16"),
                                            ("ct2-int8", "+ct2-int8")])
def test_each_backend_has_its_own_model_name(model_home, backend, suffix, monkeypatch):
    """Caches and manifests are keyed by the name: vectors of two backends never mix."""
    monkeypatch.setenv("QA_HOME", str(model_home))
    emb = load_embedder(Settings(backend=backend))
    assert emb.name.endswith(suffix) and emb.backend == backend
    if backend == "torch-bf16":  # bf16 passages name the vectors; questions are the float32 model's
        assert isinstance(emb.passage, LazyEmbedder) and emb.passage.name == emb.name
        assert isinstance(emb.query, LazyEmbedder) and emb.query.name == emb.name.removesuffix(suffix)
    else:
        assert isinstance(emb, LazyEmbedder)


@pytest.mark.model
@pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bfloat16 (AMX / AVX-512 BF16)")
def test_bf16_backend_is_close_to_float32(model_home, real_embedder, monkeypatch):
    """bf16 passages against float32 ones; the tiny retrieval with float32 questions over bf16 passages."""
    monkeypatch.setenv("QA_HOME", str(model_home))
    emb = load_embedder(Settings(backend="torch-bf16"))
    _check(emb, real_embedder, 0.999)
    import torch

    assert next(emb.passage.load().inner.model.parameters()).dtype == torch.bfloat16
    assert next(emb.query.load().model.parameters()).dtype == torch.float32


# -- which backend "auto" means --------------------------------------------------------------------------
def test_native_bf16_reads_the_cpu_flags():
    assert native_bf16(cpuinfo="processor : 0\nflags : fpu sse4_2 avx2 fma\n") is False
    assert native_bf16(cpuinfo="flags : avx512f avx512_vnni\n") is False  # VNNI is int8, not bf16
    assert native_bf16(cpuinfo="flags : avx512f avx512_bf16\n") is True
    assert native_bf16(cpuinfo="flags : amx_tile amx_bf16 amx_int8\n") is True
    assert native_bf16(cpuinfo="no flags here") is False


@pytest.fixture
def bf16_cpu(monkeypatch):
    """Set whether "this CPU" has native bfloat16."""
    def set_to(value: bool) -> None:
        monkeypatch.setattr(qa.models.cpu, "native_bf16", lambda cpuinfo=None: value)
    return set_to


def _manifest(folder: Path, backend: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"model": {"name": "e5", "backend": backend}}), "utf-8")
    return folder


def test_auto_is_float32_on_a_cpu_without_bf16(tmp_path, bf16_cpu):
    bf16_cpu(False)
    assert choose_backend(Settings(index=tmp_path / "new")) == "torch"


def test_auto_is_bf16_for_a_new_index_on_a_cpu_with_bf16(tmp_path, bf16_cpu):
    bf16_cpu(True)
    assert choose_backend(Settings(index=tmp_path / "new")) == "torch-bf16"
    assert choose_backend(Settings(index=tmp_path / "new", backend="torch")) == "torch"  # asked for
    assert choose_backend(Settings(index=tmp_path / "new", store="milvus://127.0.0.1:19530")) == "torch"


def test_auto_keeps_the_backend_an_index_was_built_with(tmp_path, bf16_cpu):
    """No silent re-embedding: a float32 index stays float32 on a bf16 CPU, a bf16 index (built on another
    machine) stays bf16 on a CPU without it; other recorded backends fall back to the CPU's choice."""
    bf16_cpu(True)
    assert choose_backend(Settings(index=_manifest(tmp_path / "a", "torch"))) == "torch"
    bf16_cpu(False)
    assert choose_backend(Settings(index=_manifest(tmp_path / "b", "torch-bf16"))) == "torch-bf16"
    assert choose_backend(Settings(index=_manifest(tmp_path / "c", "onnx-int8"))) == "torch"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "manifest.json").write_text("{not json", "utf-8")
    assert choose_backend(Settings(index=tmp_path / "d")) == "torch"


def test_cluster_workers_get_the_heads_backend_not_auto(tmp_path, monkeypatch):
    """A worker resolving "auto" itself would read its own CPU (and no index): it could embed in another
    backend than the head names the vectors by."""
    import qa.runtime
    import qa.store.cluster

    seen = {}
    monkeypatch.setattr(qa.store.cluster, "cluster_embed", lambda address, factory: seen.setdefault("f", factory))
    monkeypatch.setattr(qa.runtime, "update_index", lambda *a, **kw: "done")

    class Head:
        name, dim, origin, backend = "e5+bf16", 8, "", "torch-bf16"

    settings = Settings(index=tmp_path / "idx", corpus=tmp_path, cluster="local:1")
    assert qa.runtime.update_store(settings, Head()) == "done"
    assert seen["f"].args[0].backend == "torch-bf16"
