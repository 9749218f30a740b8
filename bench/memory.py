"""Peak memory of indexing and answering, and the start-up time of the web app.

Each scenario runs in a child process; its peak RSS is the ``ru_maxrss`` that ``os.wait4`` reports for
that child (it includes the child's own children).

- index: ``qa index --corpus corpus --index <fresh temp dir>`` (model load, read, embed, write);
- ask x1: ``qa ask QUESTION`` once (model + index load, one answer);
- serve x5: a Python child that loads the model and the index (``qa.runtime.open_answerer``, torch
  threads set as ``qa ask``/``qa serve`` set them) and answers 5 questions, printing its own load and
  answer times;
- web: ``qa serve --index <built> --port <free>``: seconds until ``GET /`` returns 200 (the page), then
  until ``/search`` answers through ``gradio_client`` (index loaded: ready), then one ``/ask``; its
  peak RSS is ``VmHWM`` from ``/proc/<pid>/status`` after those calls. The server is then stopped.

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --repeats 1 --no-append
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchlib import ROOT, append_section, bench_questions, exit_cleanly_on_term, load_text, md_table, median

QA = str(ROOT / ".venv" / "bin" / "qa")
PY = str(ROOT / ".venv" / "bin" / "python")
SERVE_SNIPPET = r"""
import json, sys, time
t0 = time.perf_counter()
from qa.config import Settings
from qa import runtime
from qa.runtime import open_answerer
if hasattr(runtime, "use_query_threads"):
    runtime.use_query_threads()  # as `qa ask` and `qa serve` do
settings = Settings.from_env().with_overrides(index=sys.argv[1], model=sys.argv[2] or None)
answerer = open_answerer(settings)
loaded = time.perf_counter() - t0
times = []
for q in json.loads(sys.argv[3]):
    t = time.perf_counter()
    answerer.ask(q)
    times.append(time.perf_counter() - t)
print(json.dumps({"load_s": loaded, "ask_s": times}))
"""


def run_measured(cmd: list[str], *, timeout: float = 1800) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout): the child is reaped with ``os.wait4`` to get its own rusage."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True)
        deadline = time.time() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(" ".join(cmd))
            time.sleep(0.05)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve_once(index: Path, model: str | None, question: str, timeout: float = 600) -> dict:
    """Start ``qa serve``, time the page and the first successful /search and /ask, then stop it."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [QA, "serve", "--index", str(index), "--corpus", str(ROOT / "corpus"), "--port", str(port)]
    if model:
        cmd += ["--model", model]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tempfile.TemporaryFile("w+")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    res: dict = {}
    try:
        while "page_s" not in res:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout:
                log.seek(0)
                raise RuntimeError(f"qa serve did not come up: {log.read()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        res["page_s"] = time.perf_counter() - t0
            except OSError:
                time.sleep(0.1)
        client = Client(url, verbose=False)
        res["client_s"] = time.perf_counter() - t0
        attempts = 0
        while "ready_s" not in res:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout:
                raise RuntimeError("qa serve never answered /search")
            attempts += 1
            try:
                out = client.predict(question="教师", api_name="/search")
                if out.get("hits"):
                    res["ready_s"] = time.perf_counter() - t0
            except Exception:  # noqa: BLE001 - "not loaded yet" comes back as an error; retry
                time.sleep(0.2)
        res["search_attempts"] = attempts
        t = time.perf_counter()
        client.predict(question, api_name="/ask")
        res["first_ask_s"] = time.perf_counter() - t
        t = time.perf_counter()
        client.predict(question, api_name="/ask")
        res["second_ask_s"] = time.perf_counter() - t
        res["hwm_mb"] = vm_hwm_mb(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--model", help="model folder or name (default: $QA_MODEL, else the bundled build)")
    ap.add_argument("--no-append", action="store_true", help="do not append the tables to bench/README.md")
    args = ap.parse_args()
    exit_cleanly_on_term()
    model_args = ["--model", args.model] if args.model else []
    questions = bench_questions(5)
    work = Path(tempfile.mkdtemp(prefix="qa-bench-mem-"))
    rows, serve_rows = [], []
    try:
        index = work / "index"
        runs: dict[str, list[tuple[float, float]]] = {"index": [], "ask": [], "serve": []}
        extra: list[dict] = []
        for r in range(args.repeats):
            shutil.rmtree(index, ignore_errors=True)
            wall, rss, _ = run_measured([QA, "index", "--corpus", str(ROOT / "corpus"), "--index", str(index),
                                         *model_args])
            runs["index"].append((wall, rss))
            wall, rss, _ = run_measured([QA, "ask", questions[0], "--index", str(index), *model_args])
            runs["ask"].append((wall, rss))
            wall, rss, out = run_measured([PY, "-c", SERVE_SNIPPET, str(index), args.model or "",
                                           json.dumps(questions, ensure_ascii=False)])
            runs["serve"].append((wall, rss))
            extra.append(json.loads(out.strip().splitlines()[-1]))
            print(f"run {r + 1}: index {runs['index'][-1]}, ask {runs['ask'][-1]}, serve {runs['serve'][-1]} "
                  f"(load {load_text()})", flush=True)
        labels = {"index": "`qa index` (shipped corpus, from scratch)", "ask": "`qa ask` (one question)",
                  "serve": "load model + index, answer 5 questions"}
        for key, label in labels.items():
            notes = ""
            if key == "serve":
                notes = (f"load {median([e['load_s'] for e in extra]):.1f} s; per answer median "
                         f"{1000 * median([t for e in extra for t in e['ask_s']]):.0f} ms")
            rows.append([label, f"{median([x[1] for x in runs[key]]):.0f}", f"{median([x[0] for x in runs[key]]):.1f}",
                         notes])
        for r in range(args.repeats):
            res = serve_once(index, args.model, questions[0])
            serve_rows.append(res)
            print(f"serve run {r + 1}: {res} (load {load_text()})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body = (f"{args.repeats} runs per scenario (medians); load average after the runs {load_text()}.\n\n"
            + md_table(["scenario", "peak RSS MB", "wall s", "notes"], rows) + "\n\n"
            + "`qa serve` with the built index:\n\n"
            + md_table(["page (GET / 200) s", "gradio_client connected s", "ready (first /search answered) s",
                        "first /ask s", "second /ask s", "server peak RSS (VmHWM) MB"],
                       [[f"{median([s[k] for s in serve_rows]):.{d}f}" for k, d in
                         (("page_s", 1), ("client_s", 1), ("ready_s", 1), ("first_ask_s", 2), ("second_ask_s", 2),
                          ("hwm_mb", 0))]]))
    print(body)
    if not args.no_append:
        append_section("Memory and start-up", body)


if __name__ == "__main__":
    sys.exit(main())
