"""The README's "Five ways in": each example run as written (the fake embedder stands in for the model, and
the server's address and the MCP command are the test's own)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import socket
import sys
from pathlib import Path

import pytest

from qa.config import Settings
from qa.models.embed import FakeEmbedder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


# The README asks about the reports a user has; the tests ask the tiny corpus's made-up reports instead.
QUESTION = "石泉县2011年招聘了多少教师?"
_QUESTION_RE = re.compile(r'"[^"\n]*[?？]"')


def examples() -> list[tuple[str, str]]:
    """The README's examples, each with its one quoted question replaced by ``QUESTION``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Five ways in", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    return [(lang, _QUESTION_RE.sub(f'"{QUESTION}"', code)) for lang, code in found]


def test_every_asking_example_quotes_one_question():
    asking = [code for _, code in examples()[1:]]  # the first one starts the page, it asks nothing
    assert asking and all(code.count(f'"{QUESTION}"') == 1 for code in asking)


@pytest.fixture
def env(tiny_corpus, tmp_path, monkeypatch):
    """$QA_CORPUS and $QA_INDEX at the tiny corpus; the fake embedder wherever the model would be loaded."""
    monkeypatch.setenv("QA_CORPUS", str(tiny_corpus))
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "index"))
    monkeypatch.setattr("qa.runtime.load_embedder", lambda settings: FakeEmbedder(dim=64))
    return tiny_corpus, tmp_path / "index"


def _run(code: str) -> tuple[dict, str]:
    out, namespace = io.StringIO(), {"__name__": "__readme__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    return namespace, out.getvalue()


def test_five_examples_in_order():
    assert [lang for lang, _ in examples()] == ["sh", "sh", "python", "python", "python"]


def test_page_and_cli(env, capsys):
    from qa.cli import build_parser, main

    (_, serve), (_, ask) = examples()[:2]
    assert build_parser().parse_args(shlex.split(serve)[1:]).command == "serve"
    assert main(shlex.split(ask)[1:]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "[1]" in answer["answer"] and answer["citations"][0]["file"] == "shiquan_2011.txt"


def test_python(env):
    _, out = _run(examples()[2][1])
    assert "37" in out and "[1]" in out and "石泉县" in out


def test_openai(env):
    from qa.web.openai_api import ApiAccess, mount
    from qa.web.page import build_app, launch, start_service
    from qa.web.service import Service

    corpus, index = env
    svc = Service(Settings(corpus=corpus, index=index), embedder=FakeEmbedder(dim=64))
    start_service(svc, echo=False).join(timeout=120)
    app = build_app(svc)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = launch(app, port=port, prevent_thread_lock=True, quiet=True)
    mount(app.server_app, svc, ApiAccess(None, "127.0.0.1"))
    try:
        code = examples()[3][1].replace("http://127.0.0.1:7860/", url)
        namespace, out = _run(code)
    finally:
        app.close()
        svc.stop()
    assert "[1]" in out and "37" in out
    assert namespace["citations"][0]["file"] == "shiquan_2011.txt"


def test_mcp(env):
    corpus, index = env
    code = examples()[4][1]
    params = 'StdioServerParameters(command="qa", args=["mcp"])'
    assert params in code
    args = [str(HERE / "mcp_fake_server.py"), str(corpus), str(index)]
    code = code.replace(params, f"StdioServerParameters(command={sys.executable!r}, "
                                f"env={{'PYTHONPATH': {str(REPO)!r}}}, args={args!r})")
    _, out = _run(code)
    assert "ask_reports" in out and "[1]" in out and "shiquan_2011.txt" in out
