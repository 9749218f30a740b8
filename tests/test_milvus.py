"""The Milvus backend against the index folder: milvus-lite in process (fast tests) and the real model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.search.filters import Filters  # noqa: E402
from qa.search.fusion import fitted_params  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from qa.store.index import Index, IndexError  # noqa: E402
from qa.store.milvus import MilvusIndex, MilvusTarget, connect, iterate  # noqa: E402
from qa.store.milvus_update import update_milvus  # noqa: E402
from qa.store.update import update_index  # noqa: E402

QUESTIONS = ["安全隐患排查", "石泉县招聘了多少教师", "乐陵市教育财政", "How many teachers were recruited?"]


@pytest.fixture(scope="module")
def lite_file(tmp_path_factory) -> str:
    """One milvus-lite file for the module (opening one costs seconds); a collection per test."""
    return str(tmp_path_factory.mktemp("lite") / "store.db")


@pytest.fixture
def lite(lite_file, request) -> MilvusTarget:
    return MilvusTarget(lite_file, f"t_{request.node.name.replace('[', '_').replace(']', '')[:60]}")


def _files(target: MilvusTarget) -> dict[str, int]:
    rows = iterate(connect(target), target.collection, ["file"])
    out: dict[str, int] = {}
    for r in rows:
        out[r["file"]] = out.get(r["file"], 0) + 1
    return out


def test_target_parsing():
    assert MilvusTarget.parse("milvus://db.example:1234/reports").uri == "http://db.example:1234"
    assert MilvusTarget.parse("milvus://db.example/reports").collection == "reports"
    assert MilvusTarget.parse("x.db").is_lite
    with pytest.raises(ValueError, match="unknown store"):
        MilvusTarget.parse("postgres://x")
    with pytest.raises(ValueError, match="collection name"):
        MilvusTarget.parse("milvus://h:1/bad-name")
    assert MilvusTarget.parse("milvus://h:1/reports").index == "FLAT"
    hnsw = MilvusTarget.parse("milvus://h:1/reports?index=hnsw")
    assert hnsw.index == "HNSW" and hnsw.collection == "reports"
    assert hnsw.dense_search_params(500)["ef"] == 500  # never below the hits asked for
    assert "nlist" in MilvusTarget.parse("milvus://h?index=IVF_SQ8").dense_index_params()
    with pytest.raises(ValueError, match="unknown Milvus index"):
        MilvusTarget.parse("milvus://h:1/reports?index=DISKANN_TYPO")


def test_an_hnsw_collection_finds_what_flat_finds(tiny_corpus, fake_embedder, lite):
    flat = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True).index
    hnsw_target = MilvusTarget(lite.uri, f"{lite.collection[:50]}_hnsw", index="HNSW")
    hnsw = update_milvus(tiny_corpus, hnsw_target, fake_embedder, progress=False, load=True).index
    assert connect(lite).describe_index(hnsw_target.collection, "vector")["index_type"] == "HNSW"
    for question in QUESTIONS:
        q = fake_embedder.embed([question], kind="query")[0]
        assert list(hnsw.vectors.search(q, 3)[0]) == list(flat.vectors.search(q, 3)[0])


def test_same_paragraphs_and_dense_ranking_as_the_folder(tiny_corpus, tmp_path, fake_embedder, lite):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    folder = Index.load(tmp_path / "index")
    report = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True)
    store = report.index
    assert report.chunk_count == len(folder.chunks) == len(store.chunks)
    assert [c.chunk_id for c in store.chunks] == [c.chunk_id for c in folder.chunks]
    assert store.documents.keys() == folder.documents.keys()
    q = fake_embedder.embed(["安全隐患排查"], kind="query")[0]
    ids_f, sc_f = folder.vectors.search(q, 5)
    ids_m, sc_m = store.vectors.search(q, 5)
    assert list(ids_f) == list(ids_m) and np.allclose(sc_f, sc_m, atol=1e-5)
    assert np.allclose(store.cosine(ids_f, q), folder.cosine(ids_f, q), atol=1e-5)
    sub = np.array([ids_f[-1], ids_f[-2]])
    assert set(store.vectors.search(q, 5, subset=sub)[0]) == set(sub)


def test_keyword_search_ranks_the_paragraph_that_holds_the_words(tiny_corpus, fake_embedder, lite):
    store = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True).index
    ids, scores = store.keywords.search("乐陵市 教育财政", k=3)
    assert len(ids) and scores[0] > 0 and "乐陵" in store.chunks[ids[0]].text
    mask = np.zeros(len(store.chunks), dtype=bool)
    mask[[i for i, c in enumerate(store.chunks) if c.source == "shiquan_2011.txt"]] = True
    ids, _ = store.keywords.search("乐陵市 教育财政", k=3, mask=mask)
    assert all(mask[i] for i in ids)
    assert store.keywords.document_frequency("石泉县") > 0


def test_retriever_results_match_the_folder(tiny_corpus, tmp_path, fake_embedder, lite):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    # a collection holds no sentence vectors, so it keeps the fused order: the folder is compared without
    # its re-ranking by sentences (test_sentence_vectors.py checks that re-ranking)
    fused = replace(fitted_params(), sentence_en=0.0, sentence_zh=0.0)
    folder = Retriever(Index.load(tmp_path / "index"), fake_embedder, params=fused)
    milvus = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True).index
    store = Retriever(milvus, fake_embedder, params=fused)
    for q in QUESTIONS:  # the shipped weights change nothing over a collection
        assert Retriever(milvus, fake_embedder).search(q, k=3).hits == store.search(q, k=3).hits, q
    for q in QUESTIONS:
        a, b = folder.search(q, k=3), store.search(q, k=3)
        assert a.hits[0].chunk.chunk_id == b.hits[0].chunk.chunk_id, q
    f = Filters(years=(2011,))
    assert {h.chunk.source for h in store.search("教师", k=5, filters=f).hits} == \
        {h.chunk.source for h in folder.search("教师", k=5, filters=f).hits}


def test_per_file_update_and_removal_are_seen_in_milvus(tiny_corpus, fake_embedder, lite):
    first = update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    before, calls = _files(lite), fake_embedder.calls
    again = update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    assert again.embedded == 0 and again.unchanged == 3 and fake_embedder.calls == calls
    p = tiny_corpus / "leling_plan.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("58.6亿元", "80.1亿元"), encoding="utf-8")
    changed = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True)
    assert changed.changed == ("leling_plan.txt",) and changed.embedded == 1
    assert _files(lite) == before  # the old version's rows are gone, the new ones in
    texts = [c.text for c in changed.index.chunks if c.source == "leling_plan.txt"]
    assert any("80.1亿元" in t for t in texts) and not any("58.6亿元" in t for t in texts)
    (tiny_corpus / "hanchuan_trad.txt").unlink()
    removed = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, load=True)
    assert removed.removed == ("hanchuan_trad.txt",) and "hanchuan_trad.txt" not in _files(lite)
    assert all(c.source != "hanchuan_trad.txt" for c in removed.index.chunks)
    assert removed.chunk_count == len(removed.index.chunks) == first.chunk_count - before["hanchuan_trad.txt"]


def test_vectors_of_a_removed_file_are_reused_from_the_cache(tiny_corpus, tmp_path, fake_embedder, lite):
    update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    moved = tmp_path / "hanchuan.txt.bak"
    (tiny_corpus / "hanchuan_trad.txt").rename(moved)
    update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    moved.rename(tiny_corpus / "hanchuan_trad.txt")
    back = update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    assert back.added == ("hanchuan_trad.txt",) and back.embedded == 0


def test_another_model_is_refused_and_rebuild_replaces_it(tiny_corpus, fake_embedder, lite):
    from qa.models.embed import FakeEmbedder

    update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    with pytest.raises(IndexError, match="built with model"):
        MilvusIndex.open(lite, model_name="other")
    other = FakeEmbedder(dim=32, name="other")
    report = update_milvus(tiny_corpus, lite, other, progress=False, rebuild=True, load=True)
    assert report.index.model_name == other.name and report.embedded == report.chunk_count


def _session9_collection(target: MilvusTarget, dim: int) -> None:
    """The paragraphs collection as session 9 made it: text analyzed with jieba, Milvus's BM25 into ``sparse``."""
    from pymilvus import DataType, Function, FunctionType

    client = connect(target)
    client.drop_collection(target.collection)
    s = client.create_schema(auto_id=False)
    s.add_field("pk", DataType.INT64, is_primary=True)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("text", DataType.VARCHAR, max_length=1000, enable_analyzer=True, analyzer_params={"tokenizer": "jieba"})
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("kw", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("dl", DataType.INT64)
    s.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=8)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                            output_field_names=["sparse"]))
    ip = client.prepare_index_params()
    ip.add_index("vector", index_type="FLAT", metric_type="IP")
    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    ip.add_index("kw", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(target.collection, schema=s, index_params=ip)


def test_a_collection_of_the_previous_format_must_be_rebuilt(tiny_corpus, fake_embedder, lite):
    update_milvus(tiny_corpus, lite, fake_embedder, progress=False)
    fields = connect(lite).describe_collection(lite.collection)["fields"]
    assert "sparse" not in {f["name"] for f in fields}  # no Milvus BM25 since session 10
    assert not any(f.get("params", {}).get("enable_analyzer") for f in fields)
    _session9_collection(lite, fake_embedder.dim)
    for opening in (lambda: MilvusIndex.open(lite), lambda: update_milvus(tiny_corpus, lite, fake_embedder,
                                                                          progress=False)):
        with pytest.raises(IndexError, match=r"earlier version of report-qa.*--rebuild"):
            opening()
    report = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, rebuild=True, load=True)
    assert len(report.index.chunks) > 0 and report.embedded == 0  # the vectors came back from the cache beside the file


def test_missing_collection_says_what_to_run(lite):
    with pytest.raises(IndexError, match="qa index --store"):
        MilvusIndex.open(lite)


def test_moving_from_the_folder_embeds_nothing(tiny_corpus, tmp_path, fake_embedder, lite):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    calls = fake_embedder.calls
    report = update_milvus(tiny_corpus, lite, fake_embedder, progress=False, seed_from=tmp_path / "index")
    assert report.embedded == 0 and fake_embedder.calls == calls and report.chunk_count > 0


def test_settings_choose_the_store(tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    from qa.config import Settings
    from qa.runtime import load_store, open_index, update_store

    settings = Settings.from_env({"QA_STORE": str(tmp_path / "s.db")}).with_overrides(
        corpus=tiny_corpus, index=tmp_path / "index")
    assert settings.store.endswith("s.db")
    store = open_index(settings, fake_embedder)
    assert isinstance(store, MilvusIndex) and len(store.chunks) > 0
    assert not (tmp_path / "index" / "manifest.json").exists()  # nothing written to the folder store
    (tiny_corpus / "leling_plan.txt").unlink()
    report = update_store(settings, fake_embedder, load=True)
    assert report.removed == ("leling_plan.txt",)
    assert len(load_store(settings, fake_embedder).chunks) == report.chunk_count
