"""The OpenAI-compatible client against a real local HTTP server, and the answer prompt."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from llm_server import FakeLLMServer

from qa.answer.llm import NO_ANSWER, LLMClient, LLMConfig, LLMError, build_messages, is_no_answer

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "石泉县2011年招聘了多少教师?"}]
REPLY = "石泉县2011年公开招聘教师120名[1]。"


def client_for(srv: FakeLLMServer, **kw) -> LLMClient:
    return LLMClient(LLMConfig(base_url=srv.base_url, model="qwen-test", **kw))


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply=REPLY) as srv:
        yield srv


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- replies and requests -------------------------------------------------------------------------
def test_chat_returns_the_reply(server: FakeLLMServer) -> None:
    assert client_for(server).chat(MESSAGES) == REPLY


def test_reply_can_depend_on_the_messages() -> None:
    with FakeLLMServer(reply=lambda msgs: "echo:" + msgs[-1]["content"]) as srv:
        assert client_for(srv).chat(MESSAGES) == "echo:石泉县2011年招聘了多少教师?"


def test_request_body_has_model_messages_and_settings(server: FakeLLMServer) -> None:
    client_for(server, temperature=0.3, max_tokens=77).chat(MESSAGES)
    [req] = server.requests
    assert req.method == "POST" and req.path == "/v1/chat/completions"
    assert req.body["model"] == "qwen-test"
    assert req.body["messages"] == MESSAGES
    assert req.body["temperature"] == 0.3 and req.body["max_tokens"] == 77
    assert req.body["stream"] is False
    assert req.headers["content-type"].startswith("application/json")


def test_trailing_slash_in_base_url_is_tolerated(server: FakeLLMServer) -> None:
    LLMClient(LLMConfig(base_url=server.base_url + "/", model="m")).chat(MESSAGES)
    assert server.requests[0].path == "/v1/chat/completions"


def test_authorization_header_sent_when_key_set(server: FakeLLMServer) -> None:
    client_for(server, api_key="sk-secret-123").chat(MESSAGES)
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret-123"


def test_no_authorization_header_without_key(server: FakeLLMServer) -> None:
    client_for(server).chat(MESSAGES)
    assert "authorization" not in server.requests[0].headers


def test_api_key_not_in_config_repr() -> None:
    cfg = LLMConfig(base_url="http://127.0.0.1:1/v1", model="m", api_key="sk-secret-123")
    assert "sk-secret-123" not in repr(cfg) and "sk-secret-123" not in str(cfg)


def test_leading_think_block_is_dropped() -> None:
    with FakeLLMServer(reply="<think>\n先找段落[2]。\n</think>\n\n" + REPLY, chunk_size=2) as srv:
        client = client_for(srv)
        assert client.chat(MESSAGES) == REPLY
        assert "".join(client.chat_stream(MESSAGES)) == REPLY


# -- streaming ------------------------------------------------------------------------------------
def test_stream_yields_the_deltas_in_order() -> None:
    with FakeLLMServer(reply=REPLY, chunk_size=4) as srv:
        pieces = list(client_for(srv).chat_stream(MESSAGES))
        assert pieces == srv.chunks_for(REPLY) and len(pieces) > 3
        assert "".join(pieces) == REPLY
        assert srv.requests[0].body["stream"] is True


def test_chat_with_stream_true_joins_the_stream(server: FakeLLMServer) -> None:
    assert client_for(server).chat(MESSAGES, stream=True) == REPLY
    assert server.requests[0].body["stream"] is True


def test_stream_falls_back_when_the_server_answers_plain_json() -> None:
    with FakeLLMServer(reply=REPLY, ignore_stream=True) as srv:
        assert list(client_for(srv).chat_stream(MESSAGES)) == [REPLY]


# -- failures -------------------------------------------------------------------------------------
@pytest.mark.parametrize("stream", [False, True])
def test_timeout_raises_quickly(stream: bool) -> None:
    with FakeLLMServer(reply=REPLY, delay=5) as srv:
        client = client_for(srv, timeout=0.3)
        start = time.monotonic()
        with pytest.raises(LLMError, match=r"timed out after 0\.3 s") as err:
            client.chat(MESSAGES) if not stream else list(client.chat_stream(MESSAGES))
        assert time.monotonic() - start < 2.0
        assert "/v1/chat/completions" in str(err.value)
        assert len(srv.requests) == 1  # no retries


@pytest.mark.parametrize("stream", [False, True])
def test_unreachable_endpoint_raises_fast(stream: bool) -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    client = LLMClient(LLMConfig(base_url=base, model="m", timeout=5))
    start = time.monotonic()
    with pytest.raises(LLMError) as err:
        client.chat(MESSAGES) if not stream else list(client.chat_stream(MESSAGES))
    assert time.monotonic() - start < 2.0
    assert str(err.value) == f"cannot reach {base} (connection refused)"


def test_invalid_base_url_raises_llm_error() -> None:
    with pytest.raises(LLMError, match="invalid base_url"):
        LLMClient(LLMConfig(base_url="ftp://127.0.0.1/v1", model="m", timeout=1)).chat(MESSAGES)


@pytest.mark.parametrize("stream", [False, True])
def test_http_500_raises_with_status_and_body(stream: bool) -> None:
    with FakeLLMServer(status=500) as srv:
        client = client_for(srv, api_key="sk-secret-123")
        with pytest.raises(LLMError) as err:
            client.chat(MESSAGES) if not stream else list(client.chat_stream(MESSAGES))
        msg = str(err.value)
        assert msg.startswith(f"HTTP 500 from {srv.base_url}/chat/completions: ")
        assert "fake failure 500" in msg and "sk-secret-123" not in msg


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_body_raises(stream: bool) -> None:
    with FakeLLMServer(malformed=True) as srv:
        client = client_for(srv)
        with pytest.raises(LLMError, match="^malformed response: no choices$"):
            client.chat(MESSAGES) if not stream else list(client.chat_stream(MESSAGES))


# -- configuration --------------------------------------------------------------------------------
def test_from_env_is_none_when_unset() -> None:
    assert LLMConfig.from_env({}) is None
    assert LLMConfig.from_env({"QA_LLM_BASE_URL": "http://127.0.0.1:11434/v1"}) is None
    assert LLMConfig.from_env({"QA_LLM_MODEL": "qwen2.5:7b", "QA_LLM_BASE_URL": " "}) is None


def test_from_env_reads_the_values() -> None:
    env = {
        "QA_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
        "QA_LLM_MODEL": "qwen2.5:7b",
        "QA_LLM_API_KEY": "sk-abc",
        "QA_LLM_TIMEOUT": "12.5",
    }
    assert LLMConfig.from_env(env) == LLMConfig(
        base_url="http://127.0.0.1:11434/v1", model="qwen2.5:7b", api_key="sk-abc", timeout=12.5
    )
    minimal = LLMConfig.from_env(
        {"QA_LLM_BASE_URL": "http://h/v1", "QA_LLM_MODEL": "m", "QA_LLM_API_KEY": ""}
    )
    assert minimal is not None and minimal.api_key is None and minimal.timeout == 60.0


@pytest.mark.parametrize("bad", ["soon", "0", "-3", "inf"])
def test_from_env_rejects_a_bad_timeout(bad: str) -> None:
    with pytest.raises(LLMError, match="QA_LLM_TIMEOUT"):
        LLMConfig.from_env({"QA_LLM_BASE_URL": "http://h/v1", "QA_LLM_MODEL": "m", "QA_LLM_TIMEOUT": bad})


# -- the prompt -----------------------------------------------------------------------------------
PASSAGES = [
    (3, "教育局學期安全工作總結 篇三 · 一、安全教育 · ¶4", "全年開展安全演練42次，覆蓋學生1.2萬人。"),
    (7, "石泉县教育工作总结 · ¶2", "2011年公开招聘教师120名。"),
]


@pytest.mark.parametrize("lang", ["en", "zh", "zh-hant"])
def test_prompt_has_every_passage_number_header_and_text(lang: str) -> None:
    system, user = build_messages("招聘了多少教师？", lang, PASSAGES)
    assert system["role"] == "system" and user["role"] == "user"
    for n, header, text in PASSAGES:
        assert f"[{n}] {header}\n{text}" in user["content"]
    assert "[1]" not in user["content"].split("Question:")[0]  # numbers as given, not renumbered
    assert "招聘了多少教师？" in user["content"]
    assert NO_ANSWER in system["content"] and "never compute" in system["content"]


def test_prompt_names_the_answer_language() -> None:
    en, zh, hant = (build_messages("q", lang, PASSAGES)[0]["content"] for lang in ("en", "zh", "zh-hant"))
    assert "Write the answer in English" in en and "Chinese (" not in en.split("Write the answer")[1]
    assert "Simplified Chinese (简体中文)" in zh and "Traditional" not in zh
    assert "Traditional Chinese (繁體中文)" in hant and "Simplified" not in hant
    assert "Answer in Traditional Chinese" in build_messages("q", "zh-hant", PASSAGES)[1]["content"]


def test_prompt_rejects_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="fr"):
        build_messages("q", "fr", PASSAGES)


def test_no_answer_marker_is_recognised() -> None:
    assert is_no_answer("NO_ANSWER") and is_no_answer(" `NO_ANSWER`。\n")
    assert not is_no_answer(REPLY) and not is_no_answer("")
