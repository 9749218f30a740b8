"""A tiny OpenAI-compatible chat server for tests: real HTTP on 127.0.0.1, an ephemeral port.

>>> with FakeLLMServer(reply="教师120名[1]。") as srv:  # doctest: +SKIP
...     LLMClient(LLMConfig(base_url=srv.base_url, model="m")).chat(messages)
...     srv.requests[0].body["messages"]

Options: ``reply`` (text, or a callable ``messages -> text``), ``delay`` (seconds before the
response starts), ``status`` (e.g. 500: an error body), ``malformed`` (JSON without ``choices``),
``chunk_size`` (characters per streamed delta), ``ignore_stream`` (answer plain JSON even when
asked to stream). A request with ``"stream": true`` gets server-sent events, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[list[dict]], str]


@dataclass
class RecordedRequest:
    """One request the server received: path, headers (lower-case names) and the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    raw: bytes = field(default=b"", repr=False)


class FakeLLMServer:
    """An OpenAI-compatible server in a background thread; use it as a context manager."""

    def __init__(
        self,
        reply: Reply = "OK [1]",
        *,
        delay: float = 0.0,
        status: int = 200,
        malformed: bool = False,
        chunk_size: int = 3,
        ignore_stream: bool = False,
        model: str = "fake-model",
    ):
        self.reply, self.delay, self.status, self.malformed = reply, delay, status, malformed
        self.chunk_size, self.ignore_stream, self.model = max(1, chunk_size), ignore_stream, model
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        handler = type("_Handler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a handler still in its delay must not hold up the test
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in `delay`
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- behaviour -------------------------------------------------------------------------------
    def record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def reply_for(self, messages: list[dict]) -> str:
        return self.reply(messages) if callable(self.reply) else self.reply

    def chunks_for(self, text: str) -> list[str]:
        """The deltas a streamed reply is cut into (what a client should yield, in order)."""
        n = self.chunk_size
        return [text[i : i + n] for i in range(0, len(text), n)]

    def wait(self) -> bool:
        """Sleeps ``delay`` seconds; False when the server stopped meanwhile."""
        return not (self.delay > 0 and self._stop.wait(self.delay))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer  # set on the per-server subclass
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output

    def do_GET(self) -> None:
        self._record(b"")
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.fake.model, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self._record(raw)
        fake = self.fake
        try:
            if not fake.wait():
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
            elif fake.status >= 400:
                self._json(fake.status, {"error": {"message": f"fake failure {fake.status}", "type": "fake"}})
            elif fake.malformed:
                self._json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "model": fake.model})
            elif not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                self._json(400, {"error": {"message": "a JSON body with messages is required"}})
            elif body.get("stream") and not fake.ignore_stream:
                self._stream(fake.reply_for(body["messages"]))
            else:
                text = fake.reply_for(body["messages"])
                message = {"role": "assistant", "content": text}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                self._json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "choices": [choice]})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout); nothing to tell it

    def _record(self, raw: bytes) -> Any:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake.record(RecordedRequest(self.command, self.path, headers, body, raw))
        return body

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": self.fake.model}
        deltas: list[dict] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in self.fake.chunks_for(text)]
        for delta in deltas:
            self._event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.wfile.write(b": keep-alive comment\n\ndata: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, obj: Any) -> None:
        self.wfile.write(b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n")
        self.wfile.flush()
