"""The MCP server through the official SDK's own client: over stdio, in a child process (fake embedder)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

HERE = Path(__file__).resolve().parent
QUESTION = "石泉县2011年招聘了多少教师?"


def _structured(result) -> dict | list:
    """A tool result's structured content (or its JSON text)."""
    assert not result.is_error, result.content
    data = result.structured_content
    if data is None:
        data = json.loads(result.content[0].text)
    return data.get("result", data) if isinstance(data, dict) and set(data) == {"result"} else data


async def _session(corpus: Path, index: Path) -> dict:
    from mcp import Client, StdioServerParameters

    env = {"PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    params = StdioServerParameters(command=sys.executable, env=env,
                                   args=[str(HERE / "mcp_fake_server.py"), str(corpus), str(index)])
    out = {}
    async with Client(params, read_timeout_seconds=120) as client:
        out["tools"] = {t.name: t for t in (await client.list_tools()).tools}
        out["ask"] = _structured(await client.call_tool("ask_reports", {"question": QUESTION}))
        out["follow"] = _structured(await client.call_tool("ask_reports", {
            "question": "那安全方面呢?", "history": [QUESTION]}))
        out["search"] = _structured(await client.call_tool("search_reports", {"question": "安全隐患", "k": 2}))
        out["list"] = _structured(await client.call_tool("list_reports", {}))
        out["bad"] = await client.call_tool("ask_reports", {"question": "x" * 1200})
    return out


def test_stdio_client_lists_tools_and_gets_a_cited_answer(tiny_corpus, tmp_path):
    got = anyio.run(_session, tiny_corpus, tmp_path / "index")
    assert set(got["tools"]) == {"search_reports", "ask_reports", "list_reports"}
    assert {"question", "k", "year", "place"} <= set(got["tools"]["search_reports"].input_schema["properties"])
    ask = got["ask"]
    assert not ask["abstained"] and "[1]" in ask["answer"] and "37" in ask["answer"]
    assert ask["citations"][0]["file"] == "shiquan_2011.txt" and "37" in ask["citations"][0]["sentence"]
    assert got["follow"]["question"].startswith("石泉县")  # the follow-up read against the first question
    assert 1 <= len(got["search"]["hits"]) <= 2 and got["search"]["hits"][0]["rank"] == 1
    assert {r["file"] for r in got["list"]} == {p.name for p in tiny_corpus.iterdir()}
    assert got["bad"].is_error and "too long" in got["bad"].content[0].text


def test_cli_has_the_mcp_command():
    from qa.cli import build_parser

    args = build_parser().parse_args(["mcp", "--transport", "http", "--port", "9000"])
    assert (args.command, args.transport, args.port) == ("mcp", "http", 9000)
    shutil.which("qa")  # the console script name stays "qa"


def test_streamable_http(tiny_corpus, tmp_path):
    import socket
    import subprocess
    import time

    from mcp import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(HERE / "mcp_fake_server.py"), str(tiny_corpus),
                             str(tmp_path / "index"), str(port)], env=env, stderr=subprocess.DEVNULL)

    async def session() -> dict:
        async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=120) as client:
            return _structured(await client.call_tool("ask_reports", {"question": QUESTION}))

    try:
        end = time.time() + 60
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        ask = anyio.run(session)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "[1]" in ask["answer"] and ask["citations"][0]["file"] == "shiquan_2011.txt"
