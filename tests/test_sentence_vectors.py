"""Sentence vectors made at index time: stored per segment, used by the answer step instead of embedding."""

from dataclasses import replace

import numpy as np

from qa.answer.compose import Answerer
from qa.answer.features import chunk_positions, sentence_features
from qa.ingest.quotes import quotable, sentence_texts
from qa.search.question import analyze
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index

QUESTION = "公开招聘新录用了多少教师?"
FILTERED = "石泉县2011年招聘了多少教师?"


class CountingEmbedder:
    """Forwards to the fake embedder and counts the texts embedded, by kind."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.texts = {"query": 0, "passage": 0}

    def embed(self, texts, kind, progress=None):
        self.texts[kind] += len(texts)
        return self.inner.embed(texts, kind, progress=progress)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _index(tiny_corpus, tmp_path, emb):
    update_index(tiny_corpus, tmp_path / "index", emb, progress=False)
    return Index.load(tmp_path / "index")


def test_each_paragraph_holds_the_vectors_of_its_quotable_sentences(tiny_corpus, tmp_path, fake_embedder):
    idx = _index(tiny_corpus, tmp_path, fake_embedder)
    assert idx.manifest["chunk_count"] == len(idx.chunks) > 0
    for i, chunk in enumerate(idx.chunks):
        stored = idx.sentence_vectors(i)
        texts = sentence_texts(chunk)
        assert stored.shape == (len(quotable(chunk)), fake_embedder.dim) and stored.dtype == np.float32
        if texts:  # the same vectors the model gives those sentences (stored in float16)
            made = fake_embedder.embed(texts, kind="passage")
            assert np.abs(stored - made).max() < 2e-3


def test_answers_embed_no_sentence_when_the_index_holds_them(tiny_corpus, tmp_path, fake_embedder):
    idx = _index(tiny_corpus, tmp_path, fake_embedder)
    emb = CountingEmbedder(fake_embedder)
    answerer = Answerer(Retriever(idx, emb))
    answer = answerer.ask(QUESTION)
    assert not answer.abstained and "37" in answer.text
    assert emb.texts == {"query": 1, "passage": 0}  # the retriever's query vector is reused too
    answer = answerer.ask(FILTERED)  # searched without its place and year: the whole question is encoded apart
    assert not answer.abstained and "37" in answer.text and emb.texts["passage"] == 0


def test_stored_and_question_time_sentence_vectors_give_the_same_features(tiny_corpus, tmp_path, fake_embedder):
    idx = _index(tiny_corpus, tmp_path, fake_embedder)
    retriever = Retriever(idx, fake_embedder)
    answerer = Answerer(retriever)
    res = retriever.search(QUESTION, k=10)
    q = analyze(QUESTION)
    args = (fake_embedder, answerer.weights, answerer.params, chunk_positions(idx))
    stored = sentence_features(q, res, idx, *args)
    emb = CountingEmbedder(fake_embedder)
    bare = replace(idx, sentences=None)  # as a store without sentence vectors (Milvus)
    embedded = sentence_features(q, replace(res, query_vector=None), bare, emb, *args[1:])
    assert emb.texts["passage"] > 0 and emb.texts["query"] == 1
    assert [c.sentence for c in stored.candidates] == [c.sentence for c in embedded.candidates]
    assert np.abs(stored.matrix - embedded.matrix).max() < 1e-2
    assert np.array_equal(stored.matrix[:, 2:], embedded.matrix[:, 2:])  # all but the sentence cosines


def test_an_update_stores_sentence_vectors_for_new_files_only(tiny_corpus, tmp_path, fake_embedder):
    _index(tiny_corpus, tmp_path, fake_embedder)
    (tiny_corpus / "new.txt").write_text("河西县2012年教育工作总结\n\n全年新建校舍3所。培训教师120人次。\n",
                                         encoding="utf-8")
    emb = CountingEmbedder(fake_embedder)
    report = update_index(tiny_corpus, tmp_path / "index", emb, progress=False)
    idx = Index.load(tmp_path / "index")
    new = [i for i, c in enumerate(idx.chunks) if idx.documents[c.doc_id].source == "new.txt"]
    assert report.added == ("new.txt",) and new
    assert emb.texts["passage"] == report.embedded + sum(len(quotable(idx.chunks[i])) for i in new)
    assert all(len(idx.sentence_vectors(i)) == len(quotable(idx.chunks[i])) for i in range(len(idx.chunks)))
