"""A Milvus collection opened lazily (qa/store/milvus_lazy.py) answers as the collection loaded in memory does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.answer.compose import Answerer  # noqa: E402
from qa.models.embed import FakeEmbedder  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from qa.store.index import IndexError as StoreError  # noqa: E402
from qa.store.keyword import tokenize  # noqa: E402
from qa.store.milvus import MilvusIndex, MilvusTarget, connect  # noqa: E402
from qa.store.milvus_lazy import LazyChunks, LazyMilvusIndex, open_store  # noqa: E402
from qa.store.milvus_update import update_milvus  # noqa: E402

TINY = Path(__file__).resolve().parent / "data" / "tiny"
SHIPPED = Path(__file__).resolve().parent.parent / "corpus"
QUESTIONS = ["安全隐患排查", "钟山县招聘了多少教师", "南昌市教育经费", "How many teachers were recruited?",
             "2011年青海省新建了几所学校?", "What did Nanchang spend on education in 2012?"]


@pytest.fixture(scope="module")
def embedder() -> FakeEmbedder:
    return FakeEmbedder(dim=64)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The tiny reports and the shipped ones but the largest (a few hundred paragraphs)."""
    corpus = tmp_path_factory.mktemp("corpus")
    for p in [*TINY.iterdir(), *sorted(SHIPPED.glob("*.txt"), key=lambda p: p.stat().st_size)[:-1]]:
        shutil.copy(p, corpus / p.name)
    return corpus


@pytest.fixture(scope="module")
def stores(embedder, corpus, tmp_path_factory):
    """The corpus in one collection, opened both ways."""
    target = MilvusTarget(str(tmp_path_factory.mktemp("lazy") / "lazy.db"), "lazy")
    update_milvus(corpus, target, embedder, progress=False, rebuild=True)
    return (MilvusIndex.open(target), LazyMilvusIndex.open(target), target)


def test_the_lazy_store_holds_no_paragraph_until_asked(stores):
    eager, lazy, _ = stores
    assert isinstance(lazy.chunks, LazyChunks) and len(lazy.chunks._cache) == 0
    assert len(lazy.chunks) == len(eager.chunks) > 0
    assert lazy.chunks[3] == eager.chunks[3] and len(lazy.chunks._cache) == 1
    assert lazy.chunks_at([5, 0, 5]) == [eager.chunks[5], eager.chunks[0], eager.chunks[5]]
    with pytest.raises(IndexError):
        lazy.chunks[len(eager.chunks)]


def test_row_facts_equal_the_walk_over_every_paragraph(stores):
    eager, lazy, _ = stores
    assert np.array_equal(lazy.pks, eager.pks)
    e_docs, e_ids = eager.row_documents()
    l_docs, l_ids = lazy.row_documents()
    assert np.array_equal(e_docs, l_docs) and e_ids == l_ids
    assert dict(lazy.row_years()) == dict(eager.row_years()) and lazy.row_years()
    assert lazy.row_years().union() == frozenset().union(*eager.row_years().values())
    assert lazy.paragraph_counts() == eager.paragraph_counts()
    for doc_id in e_ids:
        assert lazy.chunks_of(doc_id) == eager.chunks_of(doc_id)
    assert list(lazy.document_texts()) == list(eager.document_texts())
    names = {"钟山", "南昌", "青海", "不存在的地方", "100%_x"}
    assert lazy.texts_naming(names) == eager.texts_naming(names)


def test_term_frequencies_equal_the_keyword_postings(stores):
    eager, lazy, _ = stores
    local = eager.keywords.local()
    assert len(lazy.keywords.terms) == len(local.terms)
    for term in local.terms:
        assert lazy.keywords.document_frequency(term) == local.document_frequency(term)
        assert term in lazy.keywords.vocab
    assert lazy.keywords.document_frequency("zzz-no-such-term") == 0
    ids = np.array([0, 2, 4])
    some = {t for c in eager.chunks_at(ids) for t in tokenize(c.norm, normalized=True)}
    for term in sorted(some)[:20] + ["zzz-no-such-term"]:
        assert lazy.keywords.occurs_in(term, ids) == local.occurs_in(term, ids)


def test_lazy_answers_equal_the_loaded_ones(stores, embedder):
    eager, lazy, _ = stores
    answers = []
    for store in (eager, lazy):
        answerer = Answerer(Retriever(store, embedder))
        answers.append([(a.text, a.abstained, [c.chunk.chunk_id for c in a.citations])
                        for a in map(answerer.ask, QUESTIONS)])
    assert answers[0] == answers[1]
    assert len(lazy.chunks._cache) < len(lazy.chunks)  # it read only what the questions needed


def test_the_store_setting_chooses_lazy_or_loaded(stores, monkeypatch):
    _, _, target = stores
    assert isinstance(open_store(target), MilvusIndex)  # milvus-lite: loaded, by default
    assert isinstance(open_store(target, lazy=True), LazyMilvusIndex)
    monkeypatch.setenv("QA_MILVUS_LAZY", "1")
    assert isinstance(open_store(target), LazyMilvusIndex)
    monkeypatch.setenv("QA_MILVUS_LAZY", "0")
    assert isinstance(open_store(target), MilvusIndex)


def test_released_collections_are_loaded_again_on_open(stores):
    """A milvus-lite file opened by a new process holds its collections released."""
    eager, _, target = stores
    client = connect(target)
    for name in (target.collection, target.files_collection, target.terms_collection):
        client.release_collection(name)
    again = open_store(target, lazy=True)
    assert len(again.chunks) == len(eager.chunks) and again.chunks[1] == eager.chunks[1]


def _queries(store) -> list[str]:
    """The questions, and pieces of paragraphs: one, two and three words, common and rare."""
    out = list(QUESTIONS)
    for i in range(0, len(store.chunks), 7):
        toks = tokenize(store.chunks[i].norm, normalized=True)
        out += [" ".join(toks[j:j + n]) for j, n in ((0, 1), (1, 2), (3, 3)) if len(toks) > j + n]
    return out


@pytest.fixture(scope="module")
def folder_keywords(corpus, embedder, tmp_path_factory):
    """The same corpus as a folder index (built once: ~8 s on a busy machine), its keyword side; only read."""
    from qa.store.index import Index
    from qa.store.update import update_index

    directory = tmp_path_factory.mktemp("folder") / "index"
    update_index(corpus, directory, embedder, progress=False)
    return Index.load(directory).keywords


@pytest.mark.parametrize("first", [3.0, 1.1])  # 1.1: many questions need more than one request to be exact
def test_keyword_scores_equal_the_folders_bit_for_bit(stores, folder_keywords, monkeypatch, first):
    import qa.store.milvus_bm25 as bm25
    from qa.search.fusion import top_k

    monkeypatch.setattr(bm25, "FIRST_FACTOR", first)  # read by the Milvus side only, not by the folder's build
    folder = folder_keywords
    eager, lazy, _ = stores
    mask = np.zeros(folder.size, dtype=bool)
    mask[::3] = True
    k = 10
    for store in (eager, lazy):
        monkeypatch.setattr(store.keywords, "candidates", k)
        before = store.keywords.requests
        for q in _queries(eager):
            for m in (None, mask):
                want = folder.scores(q, mask=m)
                also = np.flatnonzero(want)[::5]
                got = store.keywords.scores(q, mask=m, also=also)
                top = top_k(want, k)
                assert np.array_equal(top_k(got, k), top), q
                assert np.array_equal(got[top], want[top]) and np.array_equal(got[also], want[also]), q
                assert np.all((got == want) | (got == 0)), q  # 0 only where not fetched
        if first < 2:
            assert store.keywords.requests > before + len(_queries(eager))  # some needed more requests


def _row_facts(store) -> tuple:
    docs, ids = store.row_documents()
    return store.pks.tolist(), docs.tolist(), ids, dict(store.row_years()), store.paragraph_counts()


def test_opening_lazily_reads_no_paragraph_row(stores, monkeypatch):
    """Keys, reports and years come from the files and terms collections (qa/store/milvus_rowmap.py)."""
    eager, _, target = stores
    client = connect(target)
    read = []
    for name in ("query_iterator", "query", "get"):
        real = getattr(client, name)
        monkeypatch.setattr(client, name, lambda coll, *a, _real=real, **k: read.append(coll) or _real(coll, *a, **k))
    again = LazyMilvusIndex.open(target)
    assert read and target.collection not in read
    assert _row_facts(again) == _row_facts(eager)


def test_row_facts_follow_changed_and_removed_files(corpus, embedder, tmp_path):
    """After an update (a file changed, one removed, one added), the lazy store's rows are the loaded one's."""
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    target = MilvusTarget(str(tmp_path / "moves.db"), "moves")
    update_milvus(folder, target, embedder, progress=False, rebuild=True)
    files = sorted(folder.glob("*.txt"))
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\n2019年至2021年新建学校3所。\n", encoding="utf-8")
    files[1].unlink()
    added = "新县2018年工作报告\n\n2018年新建医院2所，二〇二〇年再建1所。\n"
    (folder / "zz_new.txt").write_text(added, encoding="utf-8")
    update_milvus(folder, target, embedder, progress=False)
    eager, lazy = MilvusIndex.open(target), LazyMilvusIndex.open(target)
    assert _row_facts(lazy) == _row_facts(eager) and len(lazy.pks) == len(eager.chunks)
    assert lazy.chunks_at([0, len(eager.chunks) - 1]) == eager.chunks_at([0, len(eager.chunks) - 1])
    assert {2019, 2021, 2018, 2020} <= lazy.row_years().union()


def test_a_collection_without_row_records_must_be_rebuilt(corpus, embedder, tmp_path):
    """A collection made before session 11 keys rows by chunk id and has no per-file row records: refused."""
    from pymilvus import DataType

    target = MilvusTarget(str(tmp_path / "old.db"), "old")
    update_milvus(corpus, target, embedder, progress=False, rebuild=True)
    client = connect(target)
    client.drop_collection(target.terms_collection)
    s = client.create_schema(auto_id=False)
    s.add_field("pk", DataType.INT64, is_primary=True)
    s.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
    for name in ("file", "file_sha"):
        s.add_field(name, DataType.VARCHAR, max_length=100)
    for name in ("hashes", "counts"):
        s.add_field(name, DataType.ARRAY, element_type=DataType.INT64, max_capacity=16)
    s.add_field("tokens", DataType.INT64)
    s.add_field("ref_avgdl", DataType.DOUBLE)
    ip = client.prepare_index_params()
    ip.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(target.terms_collection, schema=s, index_params=ip)
    for opening in (lambda: LazyMilvusIndex.open(target), lambda: MilvusIndex.open(target),
                    lambda: update_milvus(corpus, target, embedder, progress=False)):
        with pytest.raises(StoreError, match=r"earlier version of report-qa.*--rebuild"):
            opening()
    update_milvus(corpus, target, embedder, progress=False, rebuild=True)
    assert len(LazyMilvusIndex.open(target).pks) == len(MilvusIndex.open(target).chunks) > 0
