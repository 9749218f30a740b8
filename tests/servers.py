"""What the tests that start the app share: a free loopback port, polling, the app on a port, Debian's Chromium."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from qa.config import Settings
from qa.web.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``cond`` until it holds; fail after ``timeout`` seconds."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def serve(corpus: Path, index: Path, embedder, *, start: bool = True):
    """The page up on a free loopback port (as `qa serve` has it before the index), and the index loaded or built
    behind it unless ``start`` is false. Returns (service, app, url); the caller closes the app and stops the
    service."""
    from qa.web.page import build_app, launch, start_service

    service = Service(Settings(corpus=corpus, index=index), embedder=embedder)
    app = build_app(service)
    url = launch(app, port=free_port(), prevent_thread_lock=True, quiet=True)
    assert url.startswith("http://127.0.0.1:")
    if start:
        start_service(service, echo=False).join(timeout=120)
    return service, app, url
