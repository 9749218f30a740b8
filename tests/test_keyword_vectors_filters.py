import numpy as np
import pytest

from qa.filters import Filters, detect_places, detect_years, document_matches, place_core, romanize
from qa.keyword import KeywordIndex, tokenize
from qa.types import Document
from qa.vectors import IVF_THRESHOLD, VectorIndex, factory_for, nprobe_for


def test_tokenize_folds_traditional_and_drops_question_words():
    toks = tokenize("當陽全市中小學一共有多少名在校學生?")
    assert "当阳" in toks and "学生" in toks
    assert "多少" not in toks and "?" not in toks


def test_keyword_search_traditional_query_finds_simplified_text(tmp_path):
    texts = ["南昌市财政性教育经费预计投入73.2亿元", "钟山县排查安全隐患49项", "当阳市在校学生36184人"]
    kw = KeywordIndex.build(texts)
    ids, scores = kw.search("南昌全市財政性教育經費預計投入多少?", k=3)
    assert ids[0] == 0 and scores[0] > 0
    kw.save(tmp_path / "bm25")
    again = KeywordIndex.load(tmp_path / "bm25", len(texts))
    ids2, scores2 = again.search("安全隱患", k=3)
    assert list(ids2) == [1]
    mask = np.array([True, False, True])
    assert list(again.search("安全隐患", k=3, mask=mask)[0]) == []


def test_keyword_index_of_nothing_answers_nothing():
    kw = KeywordIndex.build([])
    assert kw.search("教师", k=5)[0].size == 0


def _unit(n, d, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_index_exact_and_subset(tmp_path):
    x = _unit(500, 32)
    v = VectorIndex.build(x)
    assert v.factory == "Flat"
    ids, scores = v.search(x[7], 3)
    assert ids[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
    ids, _ = v.search(x[7], 3, subset=np.array([1, 2, 3]))
    assert set(ids) <= {1, 2, 3} and len(ids) == 3
    v.save(tmp_path / "f.index")
    w = VectorIndex.load(tmp_path / "f.index", "Flat")
    assert list(w.search(x[9], 1)[0]) == [9]


def test_ivf_index_finds_the_vector_itself():
    x = _unit(4000, 16, seed=1)
    v = VectorIndex.build(x, "IVF32,Flat")
    hits = sum(v.search(x[i], 1)[0][0] == i for i in range(0, 4000, 97))
    assert hits / len(range(0, 4000, 97)) >= 0.95


def test_factory_choice_by_size():
    assert factory_for(IVF_THRESHOLD) == "Flat"
    big = factory_for(1_000_000)
    assert big.startswith("IVF") and nprobe_for(big) >= 16


def test_detect_years():
    assert detect_years("钟山县2011年招聘了多少教师?") == (2011,)
    assert detect_years("How many teachers were trained in 2020?") == (2020,)
    assert detect_years("生机比达到8.5:1, 投入73.2亿元, 20xx年") == ()


def test_detect_places_in_chinese_and_pinyin():
    known = ["钟山县", "当阳市", "南昌"]
    assert detect_places("鍾山縣上半年排查了多少隱患?", known) == ("钟山县",)
    assert detect_places("How many students does Dangyang have?", known) == ("当阳市",)
    assert detect_places("What did the county do?", known) == ()
    assert place_core("钟山县") == "钟山" and romanize("当阳") == "dangyang"


def test_document_filter():
    d = Document("d1", "a.txt", "t", year=2011, places=("钟山县",))
    assert document_matches(d, Filters(places=("钟山",)))
    assert not document_matches(d, Filters(places=("南昌",)))
    assert document_matches(d, Filters(years=(2011,)))
