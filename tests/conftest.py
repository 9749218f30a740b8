"""Shared fixtures: a fake embedder, a tiny corpus written by the tests, a service over it, Debian's Chromium, the
real model (built once)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qa.config import Settings
from qa.models.embed import FakeEmbedder
from qa.web.service import Service

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder(dim=64)


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A copy of tests/data/tiny (three short reports) in a temporary folder the test may change."""
    dst = tmp_path / "corpus"
    shutil.copytree(DATA / "tiny", dst)
    return dst


@pytest.fixture(scope="session")
def model_home(tmp_path_factory) -> Path:
    """Where the real model is built: $QA_HOME when set (CI keeps it between runs), else a temp dir."""
    home = os.environ.get("QA_HOME")
    return Path(home) if home else tmp_path_factory.mktemp("qa-home")


@pytest.fixture(scope="session")
def real_embedder(model_home):
    """The default model, resolved (and built on first use) offline from the bundled weights."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from qa.models.resolve import load_sentence_transformer, resolve_model

    info = resolve_model(None, home=model_home)
    return load_sentence_transformer(info)


@pytest.fixture
def service(tiny_corpus, tmp_path, fake_embedder):
    """A started service over the tiny corpus with the fake embedder."""
    svc = Service(Settings(corpus=tiny_corpus, index=tmp_path / "index"), embedder=fake_embedder)
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from servers import CHROMIUM

    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI needs Debian's chromium (scripts/install-chromium.sh)")
        pytest.skip(f"{CHROMIUM} is missing; the browser tests need Debian's (apt-get install chromium)")
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def chromium(chromium_path):
    """One Chromium per test module (a launch costs seconds on a busy machine); each test opens its own context."""
    from playwright.sync_api import sync_playwright
    from servers import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
