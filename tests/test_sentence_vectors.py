"""Sentence vectors made at index time: stored per segment, used by the answer step instead of embedding."""

from dataclasses import replace
from pathlib import Path

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


def _two_passage_index(tmp_path, emb):
    """A long paragraph with one sentence that is the question, and a short one sharing part of it."""
    from qa.store.build import build_from_chunks
    from qa.textnorm import normalize
    from qa.types import Chunk, Document

    noise = "。".join("".join(chr(0x4E00 + 300 + 7 * i + j) for j in range(7)) for i in range(20))
    texts = {"long": f"甲乙丙丁戊。{noise}。", "short": "甲乙丙丁子丑。"}
    docs = [Document(doc_id=k, source=k, title="") for k in texts]
    chunks = [Chunk(k, k, k, 1, (), (0, len(t)), t, normalize(t)) for k, t in texts.items()]
    build_from_chunks(tmp_path / "ix", docs, chunks, emb, progress=False)
    return Index.load(tmp_path / "ix")


def test_passages_are_reranked_by_their_best_sentence(tmp_path, fake_embedder):
    from qa.search.fusion import FusionParams

    idx = _two_passage_index(tmp_path, fake_embedder)
    dense_only = FusionParams(bias=-60.0, coverage=0.0, agreement=0.0, chinese=0.0)  # keyword weight ~0

    def first(index, weight):
        params = replace(dense_only, sentence_en=weight, sentence_zh=weight)
        return Retriever(index, fake_embedder, params=params).search("甲乙丙丁戊", k=2).hits[0].chunk.doc_id

    assert first(idx, 0.0) == "short"  # the long paragraph's vector is diluted by its other sentences
    assert first(idx, 5.0) == "long"  # ... its first sentence is the question
    assert first(replace(idx, sentences=None), 5.0) == "short"  # a store without sentence vectors: as fused


def test_the_dense_side_scores_a_passage_by_its_best_sentence_too(tmp_path, fake_embedder):
    """With the head re-ranking off, the dense search itself finds the long paragraph whose one sentence is
    the question: its score blends its own cosine with that sentence's (``fusion.blend``)."""
    from qa.search.fusion import FusionParams

    idx = _two_passage_index(tmp_path, fake_embedder)
    dense_only = FusionParams(bias=-60.0, coverage=0.0, agreement=0.0, chinese=0.0)

    def ranked(index, weight):
        params = replace(dense_only, dense_sentence_en=weight, dense_sentence_zh=weight)
        r = Retriever(index, fake_embedder, params=params)
        return [h.chunk.doc_id for h in r.search("甲乙丙丁戊", k=2).hits], r

    assert ranked(idx, 0.0)[0][0] == "short"
    order, r = ranked(idx, 0.75)
    assert order[0] == "long"
    qvec = r.query_vector("甲乙丙丁戊")
    pos = [c.doc_id for c in idx.chunks].index("long")
    own = float(idx.cosine(np.array([pos]), qvec)[0])
    best = float(np.max(idx.sentence_vectors(pos) @ qvec))
    assert best > own
    assert np.isclose(r.dense_scores(np.array([pos]), qvec, "甲乙丙丁戊")[0], 0.25 * own + 0.75 * best, atol=1e-5)
    assert ranked(replace(idx, sentences=None), 0.75)[0][0] == "short"  # no sentence vectors: own cosine alone


def test_the_dense_blend_fitting_script_examples_hold():
    import doctest
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import fit_dense_sentences

    assert doctest.testmod(fit_dense_sentences).failed == 0


def test_the_shipped_dense_blend_records_how_it_was_fitted():
    import json

    from qa.search.fusion import fitted_params

    data = json.loads((Path(__file__).resolve().parent.parent / "qa" / "data" / "fusion.json").read_text("utf-8"))
    prov = data["dense_sentence_provenance"]
    assert prov["command"].startswith("python scripts/fit_dense_sentences.py")
    p = fitted_params()
    assert (p.dense_sentence_en, p.dense_sentence_zh) == (prov["chosen"]["en"], prov["chosen"]["zh"])
    for figures in prov["held_out"].values():  # held out of the fit, the blend ranks no worse than the paragraph
        assert figures["blended"]["MRR@10"] >= figures["paragraph"]["MRR@10"]
