"""An OpenAI-compatible chat API beside the page: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Chat clients that speak the OpenAI API (the ``openai`` SDK, Open WebUI, Chatbox, LangChain) ask the reports
as they would ask a model. The messages are the conversation: the last user message is the question, the
earlier ones make follow-ups ("and in 2012?") work. Answers stream (``"stream": true``, server-sent events)
or come whole.

The answer text carries the ``[n]`` markers and ends with a short "Sources:" list. The citations come in an
extra field, ``citations`` (on the response, or on the last chunk of a stream, the one with
``finish_reason``): one object per ``[n]`` with ``n``, ``title``, ``year``, ``places``, ``file``,
``section``, ``paragraph``, ``text`` and ``sentence`` (as ``qa ask --json`` prints them). ``abstained``,
``related`` and ``notes`` sit beside it. Optional request fields ``year``, ``place`` and ``report`` filter.

With ``QA_API_KEY`` set, requests must send ``Authorization: Bearer <key>``. A server listening beyond
loopback serves the API only with a key.

>>> from openai import OpenAI  # doctest: +SKIP
>>> client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="unused")  # doctest: +SKIP
>>> ask = [{"role": "user", "content": "青松县2019年新建了几所学校?"}]
>>> r = client.chat.completions.create(model="report-qa", messages=ask)  # doctest: +SKIP
>>> r.choices[0].message.content, r.citations[0]["file"]  # doctest: +SKIP
"""

# No ``from __future__ import annotations``: FastAPI reads the route functions' annotations (``Request``)
# at run time, and they are imported inside ``api_router``.
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from qa.answer.render import hit_json, source_line, to_json
from qa.errors import QuestionError
from qa.types import Answer

MODEL_ID = "report-qa"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_MESSAGES = 200


@dataclass(frozen=True)
class ApiAccess:
    """Who may call the API: anyone on a loopback server without a key; with a key, whoever sends it."""

    key: str | None
    host: str

    @property
    def open(self) -> bool:
        return bool(self.key) or self.host in LOOPBACK

    def refusal(self, authorization: str | None) -> tuple[int, str] | None:
        """(status, message) when a request may not be served, else None."""
        if not self.open:
            return 403, ("the API is off: this server listens beyond loopback, so set QA_API_KEY "
                         "and send it as a bearer token")
        if self.key:
            sent = (authorization or "").removeprefix("Bearer ").strip()
            if not secrets.compare_digest(sent.encode(), self.key.encode()):
                return 401, "missing or wrong API key (send Authorization: Bearer <QA_API_KEY>)"
        return None


@dataclass(frozen=True)
class ChatRequest:
    question: str
    history: tuple[str, ...]
    stream: bool
    model: str
    year: int | None = None
    place: str | None = None
    report: str | None = None


def _text_of(content) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def parse_request(body: dict) -> ChatRequest:
    """The question, the user's earlier questions and the options of a chat completion request.

    >>> parse_request({"messages": [{"role": "user", "content": "a?"}, {"role": "assistant", "content": "x"},
    ...                             {"role": "user", "content": "and b?"}]}).history
    ('a?',)
    """
    if not isinstance(body, dict):
        raise QuestionError("the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or len(messages) > MAX_MESSAGES:
        raise QuestionError(f"'messages' must be a list of 1 to {MAX_MESSAGES} messages")
    asked = [_text_of(m.get("content")).strip() for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    asked = [q for q in asked if q]
    if not asked:
        raise QuestionError("'messages' holds no user message with text: ask a question")
    year = body.get("year")
    if year not in (None, "") and not str(year).isdigit():
        raise QuestionError(f"'year' must be a year such as 2011, not {year!r}")
    return ChatRequest(asked[-1], tuple(asked[:-1]), bool(body.get("stream")), str(body.get("model") or MODEL_ID),
                       int(year) if year not in (None, "") else None, body.get("place") or None,
                       body.get("report") or None)


def answer_text(answer: Answer) -> str:
    """What a chat client shows: the answer with its ``[n]``, its notes, and one line per source."""
    out = [answer.text]
    out += [f"(note: {note})" for note in answer.notes]
    if answer.citations:
        out.append("\nSources:\n" + "\n".join(source_line(c) for c in answer.citations))
    elif answer.abstained and answer.related:
        out.append("\nRelated passages:\n" + "\n".join(f"- {h.chunk.source} ¶{h.chunk.ordinal}: {h.chunk.text[:120]}"
                                                      for h in answer.related[:5]))
    return "\n".join(out)


def extras(answer: Answer) -> dict:
    """The documented extra fields: citations, abstained, related, notes."""
    j = to_json(answer)
    return {"citations": j["citations"], "abstained": answer.abstained,
            "related": [hit_json(h) for h in answer.related], "notes": list(answer.notes)}


def completion(answer: Answer, model: str) -> dict:
    """A whole ``chat.completion`` object."""
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": answer_text(answer)}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **extras(answer)}


def chunks(answer: Answer, model: str) -> Iterator[str]:
    """The answer as server-sent ``chat.completion.chunk`` events, line by line, then ``[DONE]``."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model}

    def event(delta: dict, finish: str | None = None, **more) -> str:
        obj = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    lines = answer_text(answer).split("\n")
    for i, line in enumerate(lines):
        yield event({"content": line + ("\n" if i + 1 < len(lines) else "")})
    yield event({}, "stop", **extras(answer))
    yield "data: [DONE]\n\n"


def error_body(status: int, message: str) -> dict:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error"}
    kind = kinds.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "code": status}}


def api_router(service, access: ApiAccess):
    """The FastAPI routes of the API, over ``service`` (a ``qa.web.service.Service``)."""
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse, StreamingResponse

    from qa.web.actions import filters_from

    router = APIRouter(prefix="/v1")

    def refused(request: Request) -> JSONResponse | None:
        no = access.refusal(request.headers.get("authorization"))
        return JSONResponse(error_body(*no), status_code=no[0]) if no else None

    @router.get("/models")
    def models(request: Request):
        if (no := refused(request)) is not None:
            return no
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "report-qa"}]}

    @router.post("/chat/completions")
    def chat(request: Request, body: dict):
        if (no := refused(request)) is not None:
            return no
        try:
            req = parse_request(body)
            answer = service.ask(req.question, history=list(req.history),
                                 filters=filters_from(req.year, req.place, req.report))
        except QuestionError as e:
            return JSONResponse(error_body(400, str(e)), status_code=400)
        except RuntimeError as e:  # the index is not there yet
            return JSONResponse(error_body(503, str(e)), status_code=503)
        if req.stream:
            return StreamingResponse(chunks(answer, req.model), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return completion(answer, req.model)

    return router


def mount(server_app, service, access: ApiAccess) -> None:
    """Add the API to a running FastAPI app (Gradio's), ahead of its own routes."""
    before = len(server_app.router.routes)
    server_app.include_router(api_router(service, access))
    added = server_app.router.routes[before:]
    del server_app.router.routes[before:]
    server_app.router.routes[:0] = added
