"""The language offset taken off English questions' vectors (qa/search/shift.py, scripts/fit_query_shift.py)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.search.shift import SHIFT_ENV, SHIFT_FILE, QueryShift, load_query_shift, read_shift

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import fit_query_shift  # noqa: E402


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_an_english_question_moves_and_stays_a_unit_vector():
    shift = QueryShift("m", np.array([0.3, 0.0, 0.0], dtype=np.float32))
    vec = _unit([0.5, 0.5, 0.7])
    out = shift.apply(vec, "How many teachers were trained?")
    assert abs(float(np.linalg.norm(out)) - 1.0) < 1e-6
    assert out[0] < vec[0]  # the offset's direction was taken off
    assert out.dtype == np.float32


def test_a_chinese_question_and_a_question_of_digits_are_left_alone():
    shift = QueryShift("m", np.array([0.3, 0.0, 0.0], dtype=np.float32))
    vec = _unit([0.5, 0.5, 0.7])
    assert shift.apply(vec, "培訓了多少名教師?") is vec
    assert shift.apply(vec, "2020?") is vec


def test_a_mixed_question_gets_part_of_the_offset():
    shift = QueryShift("m", np.array([0.6, 0.0, 0.0], dtype=np.float32))
    vec = _unit([0.5, 0.5, 0.7])
    english = shift.apply(vec, "How many teachers")[0]
    mixed = shift.apply(vec, "How many 教师")[0]
    assert english < mixed < vec[0]


def test_the_offset_fits_its_model_under_any_backend_and_no_other():
    shift = QueryShift("intfloat/multilingual-e5-small", np.zeros(384, dtype=np.float32))
    assert shift.fits("intfloat/multilingual-e5-small", 384)
    assert shift.fits("intfloat/multilingual-e5-small+onnx-int8", 384)
    assert not shift.fits("intfloat/multilingual-e5-small", 768)
    assert not shift.fits("BAAI/bge-m3", 384)
    assert not shift.fits("fake-64", 64)


def test_the_shipped_offset_records_how_it_was_fitted():
    data = json.loads(SHIFT_FILE.read_text(encoding="utf-8"))
    prov = data["provenance"]
    assert "xquad" in prov["data"] and "held out" in prov["data"]
    assert prov["command"].startswith("python scripts/fit_query_shift.py")
    assert len(data["direction"]) == data["dim"]
    held = prov["dense_held_out"]
    assert held["with"]["MRR@10"] >= held["without"]["MRR@10"]  # the shipped strength did not lose where not fitted
    assert read_shift(data, "shipped").fits(data["model"], data["dim"])


def test_switched_off_or_fitted_for_another_model_gives_no_offset(monkeypatch):
    data = json.loads(SHIFT_FILE.read_text(encoding="utf-8"))
    monkeypatch.setenv(SHIFT_ENV, "off")
    assert load_query_shift(data["model"], data["dim"]) is None
    monkeypatch.delenv(SHIFT_ENV)
    assert load_query_shift(data["model"], data["dim"]) is not None
    assert load_query_shift("fake-64", 64) is None


def test_a_named_file_that_is_missing_or_malformed_is_refused_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv(SHIFT_ENV, str(tmp_path / "nothere.json"))
    with pytest.raises(ValueError, match="no such file"):
        load_query_shift("m", 3)
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": "m", "alpha": 1.0}', encoding="utf-8")
    monkeypatch.setenv(SHIFT_ENV, str(bad))
    with pytest.raises(ValueError, match="bad.json: not a fitted query offset"):
        load_query_shift("m", 3)
    bad.write_text("{half", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_query_shift("m", 3)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"model": "m", "alpha": 0.5, "direction": [0.2, 0.0, 0.0]}), encoding="utf-8")
    monkeypatch.setenv(SHIFT_ENV, str(good))
    assert np.allclose(load_query_shift("m", 3).vector, [0.1, 0.0, 0.0])


def test_the_fitting_finds_a_language_offset_and_chooses_none_where_there_is_none():
    rng = np.random.default_rng(1)
    passages = rng.normal(size=(60, 16))
    passages /= np.linalg.norm(passages, axis=1, keepdims=True)
    gold = np.arange(60)
    folds = gold % 2
    zh = passages + 0.3 * rng.normal(size=passages.shape)
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    offset = np.zeros(16)
    offset[0] = 2.0
    alpha, means = fit_query_shift.choose_alpha(unit(zh + offset), unit(zh), passages, gold, folds)
    assert alpha > 0 and means[str(alpha)]["mrr10"] > means["0.0"]["mrr10"]
    alpha, _ = fit_query_shift.choose_alpha(unit(zh), unit(zh), passages, gold, folds)
    assert alpha == 0.0  # the same questions in both languages: nothing to take off


def test_the_fitting_script_examples_hold():
    import doctest

    assert doctest.testmod(fit_query_shift).failed == 0


def test_the_retriever_searches_with_the_shifted_vector_and_hands_it_to_the_answer_step(
        tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    from qa.search.retrieve import Retriever
    from qa.store.index import Index
    from qa.store.update import update_index
    from qa.textnorm import normalize

    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    index = Index.load(tmp_path / "index")
    offset = tmp_path / "shift.json"
    direction = np.zeros(fake_embedder.dim)
    direction[:8] = 0.2
    offset.write_text(json.dumps({"model": fake_embedder.name, "alpha": 1.0, "direction": direction.tolist()}),
                      encoding="utf-8")
    monkeypatch.setenv(SHIFT_ENV, str(offset))
    shifted = Retriever(index, fake_embedder)
    monkeypatch.setenv(SHIFT_ENV, "off")
    plain = Retriever(index, fake_embedder)
    assert plain.shift is None and shifted.shift is not None

    english = "How many teachers were trained?"
    raw = fake_embedder.embed([normalize(english)], kind="query")[0]
    assert np.allclose(plain.query_vector(english), raw)
    moved = shifted.query_vector(english)
    assert not np.allclose(moved, raw) and abs(float(np.linalg.norm(moved)) - 1) < 1e-5
    assert np.allclose(shifted.search(english).query_vector, moved)
    chinese = "培训了多少名教师?"
    assert np.allclose(shifted.query_vector(chinese), plain.query_vector(chinese))
