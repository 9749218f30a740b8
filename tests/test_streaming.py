"""The chat streams for real: what the model has written so far reaches the page before the answer is done."""

from __future__ import annotations

import threading

import pytest
from llm_server import FakeLLMServer

from qa.config import Settings
from qa.types import Answer
from qa.web.actions import SEARCHING, chat_turn
from qa.web.service import Service

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


class GatedService:
    """Streams two pieces, and finishes only once the test has seen the first one on the page."""

    def __init__(self):
        self.seen_first = threading.Event()

    @property
    def answerer(self):
        raise RuntimeError("no index in this stand-in")

    def ask(self, question, history=None, filters=None, on_piece=None):
        on_piece("石泉县")
        assert self.seen_first.wait(timeout=10), "the first piece never reached the page"
        on_piece("石泉县2011年")
        return Answer(question, "石泉县2011年补充教师26名。", (), (), False, ())


def test_pieces_reach_the_page_before_the_answer_is_done():
    svc = GatedService()
    steps = chat_turn(svc, "石泉县2011年招聘了多少教师?", [], None)
    assert next(steps)[0][-1]["content"] == SEARCHING
    first = next(steps)[0][-1]["content"]
    assert first == "石泉县"  # shown while the service is still waiting
    svc.seen_first.set()
    rest = [s[0][-1]["content"] for s in steps]
    assert rest[-1].startswith("石泉县2011年补充教师26名")


def test_a_language_model_reply_streams_into_the_chat(tiny_corpus, tmp_path, fake_embedder):
    reply = "石泉县2011年通过公开招聘新录用教师37名[1]。"
    with FakeLLMServer(reply=reply, chunk_size=2, delay=0.0) as srv:
        settings = Settings(corpus=tiny_corpus, index=tmp_path / "index", llm_base_url=srv.base_url,
                            llm_model="m")
        svc = Service(settings, embedder=fake_embedder)
        svc.start()
        steps = [s[0][-1]["content"] for s in chat_turn(svc, "石泉县2011年招聘了多少教师?", [], None)]
    assert steps[0] == SEARCHING
    drafts = steps[1:-1]
    assert drafts, "no draft was shown before the checked answer"
    assert all(reply.startswith(d.replace("\\", "")) for d in drafts)  # pieces of the reply, in order
    assert "37" in steps[-1]
