"""Encoder backends for large builds: OpenVINO int8 weights and torch bf16 autocast against torch float32.

Model tests (``-m model``); the OpenVINO one needs the openvino extra. Speed is measured by
bench/scale.py --part encoders, not here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.runtime import LazyEmbedder, load_embedder

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
    assert isinstance(emb, LazyEmbedder) and emb.name.endswith(suffix) and emb.backend == backend
