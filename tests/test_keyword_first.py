"""Answers from the first second: a keyword-only index while the first build embeds."""

from __future__ import annotations

import threading
import time

import numpy as np

from qa.answer.compose import Answerer
from qa.config import Settings
from qa.models.embed import FakeEmbedder
from qa.search.retrieve import Retriever, keyword_only_note
from qa.store.index import Index
from qa.store.update import update_index
from qa.web.i18n import status_line
from qa.web.service import Progress, Service

QUESTION = "石泉县2011年招聘了多少教师?"


class GatedEmbedder(FakeEmbedder):
    """Embeds passages only once ``gate`` is set: the first build stays keyword-only until then."""

    def __init__(self):
        super().__init__(dim=64)
        self.gate = threading.Event()

    def embed(self, texts, kind, progress=None):
        if kind == "passage":
            assert self.gate.wait(60)
        return super().embed(texts, kind, progress)


class QueryFails(FakeEmbedder):
    def embed(self, texts, kind, progress=None):
        assert kind == "passage", "a keyword-only index must not embed the question"
        return super().embed(texts, kind, progress)


def test_on_read_gets_every_paragraph_before_embedding(tiny_corpus, tmp_path):
    seen = []
    emb = FakeEmbedder(dim=64)
    report = update_index(tiny_corpus, tmp_path / "index", emb, progress=False, load=True,
                          on_read=lambda parts: seen.append((emb.calls, parts)))
    calls, parts = seen[0]
    assert calls == 0  # before anything was embedded
    idx = Index.keywords_only(tmp_path / "index", emb.name, parts)
    assert [c.chunk_id for c in idx.chunks] == [c.chunk_id for c in report.index.chunks]
    assert idx.keyword_only and not report.index.keyword_only
    full = report.index.keywords.scores("安全隐患")
    assert np.allclose(idx.keywords.scores("安全隐患"), full)  # the same BM25 as the index written
    seen.clear()
    update_index(tiny_corpus, tmp_path / "index", emb, progress=False, load=True, on_read=seen.append)
    assert not seen  # nothing to embed: not called


def test_keyword_only_retriever_answers_with_citations_and_says_so(tiny_corpus, tmp_path):
    parts = []
    update_index(tiny_corpus, tmp_path / "index", FakeEmbedder(dim=64), progress=False, load=True,
                 on_read=parts.extend)
    answerer = Answerer(Retriever(Index.keywords_only(tmp_path / "index", "fake-64", parts), QueryFails(dim=64)))
    answer = answerer.ask(QUESTION)
    assert "37" in answer.text and answer.citations[0].chunk.source == "shiquan_2011.txt"
    assert keyword_only_note(QUESTION) in answer.notes
    assert "keywords only" in keyword_only_note("How many teachers?")
    assert keyword_only_note("漢川查出多少隱患?") != keyword_only_note("汉川查出多少隐患?")  # its script


def test_service_answers_from_keywords_while_the_first_build_embeds(tiny_corpus, tmp_path):
    emb = GatedEmbedder()
    svc = Service(Settings(corpus=tiny_corpus, index=tmp_path / "index"), embedder=emb)
    svc.will_start()
    worker = threading.Thread(target=svc.start)
    worker.start()
    try:
        answer = svc.ask(QUESTION)  # waits for the reports to be read, not for the vectors
        assert svc.current_index().keyword_only and "37" in answer.text and answer.citations
        assert any("keywords only" in n or "关键词" in n for n in answer.notes)
        assert "keyword search only" in status_line(svc, "en")
    finally:
        emb.gate.set()
        worker.join(60)
    assert not svc.current_index().keyword_only
    assert not any("关键词" in n for n in svc.ask(QUESTION).notes)
    assert "up to date" in status_line(svc, "en")


def test_progress_time_left():
    p = Progress("embedding", 100, 400, started=time.time() - 10)
    assert 25 <= p.eta() <= 35
    assert Progress("embedding", 0, 400).eta() is None and Progress().eta() is None
