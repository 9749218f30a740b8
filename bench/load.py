"""Load test of the real server: `qa serve` on a loopback port, many clients asking at once.

For each number of concurrent clients (default 10, 50, 100) and each way in (``gradio_client``, and plain
HTTP to Gradio's API: POST ``/gradio_api/call/ask`` then read the event stream) it asks a mix of general
questions in English, Simplified and Traditional Chinese, and reports: answers that differ from the answer
the same question got alone, errors, p50/p95/p99 latency, and the server's RSS before and after. Then the
same while an update embeds a new report in the background: there an answer counts as consistent when it
equals the one-at-a-time answer before the update or the one after it (each answer comes from one whole
index, the old or the new).

Bounded: a fixed number of questions per run and a deadline per run; the server binds 127.0.0.1 and is
stopped at the end (also on Ctrl-C). Appends a section to bench/README.md.

    .venv/bin/python bench/load.py                       # 10/50/100 clients, 300 questions a run
    .venv/bin/python bench/load.py --clients 50 --questions 1000 --ways http
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, append_section, exit_cleanly_on_term, md_table, pct, write_variant  # noqa: E402

# General questions about what education bureaus' work reports cover, written for this test (not the
# gold questions), in three scripts.
QUESTIONS = [
    "How many schools were renovated?",
    "What was done to train teachers?",
    "What are the plans for the next year?",
    "How were rural schools supported?",
    "学校安全隐患排查了多少项?",
    "教师培训有哪些措施?",
    "明年的工作计划有哪些?",
    "新建了多少所幼儿园?",
    "学前教育方面做了什么?",
    "學校食堂衛生如何管理?",
    "教師隊伍建設有什麼成績?",
    "安全教育活動開展了多少次?",
    "義務教育均衡發展的情況如何?",
]
SERVER_START_SECONDS = 900  # the first start may build the index with the real model


@dataclass
class Run:
    label: str
    clients: int
    way: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    rss_before: float = 0.0
    rss_after: float = 0.0
    seconds: float = 0.0
    unanswered: int = 0  # not asked: the run's deadline passed
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question, key of its answer)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def key(result: dict) -> str:
    """What must not change between asking alone and asking at once: the text and what it cites."""
    cites = [(c["file"], c["paragraph"], c["sentence"]) for c in result.get("citations", [])]
    return json.dumps([result.get("answer"), result.get("abstained"), cites], ensure_ascii=False)


# -- the two ways in -------------------------------------------------------------------------------------
def http_ask(url: str, question: str, timeout: float) -> dict:
    """Gradio's HTTP API by hand: POST the call, then read its server-sent events to the result."""
    body = json.dumps({"data": [question, [], None, None, None]}).encode()
    req = urllib.request.Request(url + "gradio_api/call/ask", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        event_id = json.loads(resp.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/ask/{event_id}", timeout=timeout) as resp:
        event = ""
        for raw in resp:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = line[5:].strip()
                if event == "error":
                    raise RuntimeError(f"server error: {data[:200]}")
                return json.loads(data)[0]
    raise RuntimeError("the event stream ended without a result")


class Clients:
    """One ``gradio_client.Client`` per concurrent client (made once, reused across runs)."""

    def __init__(self, url: str, timeout: float):
        self.url, self.timeout = url, timeout
        self.pool: list = []
        self.lock = threading.Lock()

    def get(self, i: int):
        from gradio_client import Client

        with self.lock:
            while len(self.pool) <= i:
                self.pool.append(None)
            if self.pool[i] is None:
                # httpx's default 5 s is shorter than a busy server takes to accept a call into its queue
                self.pool[i] = Client(self.url, verbose=False, httpx_kwargs={"timeout": self.timeout})
            return self.pool[i]


# -- the server ------------------------------------------------------------------------------------------
def start_server(corpus: Path, index: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1"}
    cmd = [sys.executable, "-m", "qa.cli", "serve", "--corpus", str(corpus), "--index", str(index),
           "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"), cwd=ROOT)
    deadline = time.time() + SERVER_START_SECONDS
    url = f"http://127.0.0.1:{port}/"
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qa serve exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        if "index ready" in log.read_text(errors="replace"):
            try:
                http_ask(url, QUESTIONS[0], timeout=120)
                return proc
            except OSError:
                pass
        time.sleep(1.0)
    proc.kill()
    raise RuntimeError(f"qa serve did not get ready in {SERVER_START_SECONDS} s:\n{log.read_text()[-2000:]}")


def wait_indexed(index: Path, source: str, timeout: float) -> bool:
    """Whether the index on disk lists ``source`` (within ``timeout``); the server swaps it in just after."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if source in json.loads((index / "manifest.json").read_text(encoding="utf-8"))["files"]:
                time.sleep(2.0)  # the swap in the server follows the write
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return False


# -- a run --------------------------------------------------------------------------------------------------
def ask_one(way: str, url: str, clients: Clients, slot: int, question: str, timeout: float) -> dict:
    if way == "http":
        return http_ask(url, question, timeout)
    return clients.get(slot).predict(question, api_name="/ask")


def run(label: str, way: str, n_clients: int, n_questions: int, url: str, pid: int, clients: Clients,
        deadline_s: float, timeout: float, until=None) -> Run:
    """``n_questions`` questions from ``n_clients`` threads (each thread asks one after another); with
    ``until``, questions go on being asked (past ``n_questions``) until it returns true."""
    r = Run(label, n_clients, way, rss_before=rss_mb(pid))
    rng = random.Random(n_clients * 7 + len(label))
    lock = threading.Lock()
    end = time.time() + deadline_s
    asked = [0]
    if way == "gradio_client":
        with ThreadPoolExecutor(max_workers=min(n_clients, 16)) as pool:  # connect the clients first
            list(pool.map(clients.get, range(n_clients)))

    def next_question() -> str | None:
        with lock:
            more = asked[0] < n_questions or (until is not None and not until())
            if not more:
                return None
            if time.time() > end:
                r.unanswered += max(0, n_questions - asked[0])
                asked[0] = n_questions
                return None
            asked[0] += 1
            return rng.choice(QUESTIONS)

    def client(slot: int) -> None:
        while (q := next_question()) is not None:
            t0 = time.perf_counter()
            try:
                result = ask_one(way, url, clients, slot, q, timeout)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    r.errors.append(f"{type(e).__name__}: {str(e)[:120]}")
                    if len(r.errors) <= 3:
                        print(f"error ({label}, {way}): {r.errors[-1]}", file=sys.stderr)
                continue
            dt = time.perf_counter() - t0
            with lock:
                r.latencies.append(dt)
                r.answers.append((q, key(result)))

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline_s + timeout + 30)
    r.seconds = time.time() - t0
    r.rss_after = rss_mb(pid)
    return r


def judge(r: Run, expected: dict[str, set[str]]) -> Run:
    r.differing = [q for q, k in r.answers if k not in expected[q]]
    return r


def alone(url: str, timeout: float) -> dict[str, str]:
    """Every question asked once, one at a time: the reference answers."""
    return {q: key(http_ask(url, q, timeout)) for q in QUESTIONS}


def row(r: Run) -> list:
    ms = [x * 1000 for x in r.latencies]
    return [r.label, r.way, r.clients, len(r.latencies), len(r.differing), len(r.errors), r.unanswered,
            f"{pct(ms, 50):.0f}", f"{pct(ms, 95):.0f}", f"{pct(ms, 99):.0f}",
            f"{len(r.latencies) / r.seconds:.1f}" if r.seconds else "-",
            f"{r.rss_before:.0f} -> {r.rss_after:.0f}"]


HEADERS = ["phase", "way in", "clients", "answered", "differing", "errors", "not asked (deadline)",
           "p50 ms", "p95 ms", "p99 ms", "answers/s", "server RSS MB before -> after"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="reports to serve (copied first)")
    ap.add_argument("--index", type=Path, help="an index of that corpus to start from (copied; saves a build)")
    ap.add_argument("--clients", default="10,50,100", help="concurrent clients per run, comma-separated")
    ap.add_argument("--ways", default="gradio_client,http", help="gradio_client and/or http")
    ap.add_argument("--questions", type=int, default=300, help="questions per run")
    ap.add_argument("--rss-questions", type=int, default=1000, help="questions of the RSS run (50 clients, http)")
    ap.add_argument("--deadline", type=float, default=600, help="seconds at most per run")
    ap.add_argument("--timeout", type=float, default=300, help="seconds at most per question")
    ap.add_argument("--no-update", action="store_true", help="skip the runs during a background update")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    exit_cleanly_on_term()
    levels = [int(x) for x in args.clients.split(",") if x]
    ways = [w for w in args.ways.split(",") if w]
    work = Path(tempfile.mkdtemp(prefix="qa-load-"))
    proc = None
    try:
        corpus, index, log = work / "corpus", work / "index", work / "serve.log"
        shutil.copytree(args.corpus, corpus)
        if args.index:
            shutil.copytree(args.index, index)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        t0 = time.time()
        proc = start_server(corpus, index, port, log)
        print(f"server ready in {time.time() - t0:.0f} s (pid {proc.pid})", file=sys.stderr)
        before = alone(url, args.timeout)
        expected = {q: {k} for q, k in before.items()}
        clients = Clients(url, args.timeout)
        runs: list[Run] = []
        for n in levels:
            for way in ways:
                runs.append(judge(run("steady", way, n, max(args.questions, n), url, proc.pid, clients,
                                      args.deadline, args.timeout), expected))
                print(md_table(HEADERS, [row(runs[-1])]).splitlines()[-1], file=sys.stderr)
        if args.rss_questions:
            runs.append(judge(run(f"{args.rss_questions} questions", "http", 50, args.rss_questions, url,
                                  proc.pid, clients, args.deadline * 2, args.timeout), expected))
            print(md_table(HEADERS, [row(runs[-1])]).splitlines()[-1], file=sys.stderr)
        update_note = ""
        if not args.no_update:
            update_note = during_update(args, corpus, log, url, proc.pid, clients, levels, ways, before, runs)
        body = (f"`qa serve` over {len(list(corpus.glob('*')))} report files; {len(QUESTIONS)} general questions "
                "(English, Simplified, Traditional; not the gold set), each run drawing them at random. "
                "'differing' = answers (text, citations) unlike the same question's one-at-a-time answer; "
                "during the update, unlike both the answer before and the answer after it. The server answers "
                "2 questions at a time (the rest wait in Gradio's queue), so latency includes queueing.\n\n"
                + md_table(HEADERS, [row(r) for r in runs]) + "\n\n" + update_note)
        errors = sorted({e for r in runs for e in r.errors})[:5]
        if errors:
            body += "\n\nErrors seen: " + "; ".join(f"`{e}`" for e in errors)
        print(body)
        if not args.no_readme:
            append_section("Load: concurrent clients against qa serve", body)
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def during_update(args, corpus: Path, log: Path, url: str, pid: int, clients: Clients, levels: list[int],
                  ways: list[str], before: dict[str, str], runs: list[Run]) -> str:
    """Runs while the server embeds a new report (dropped into the corpus folder it watches): questions go on
    until the update has finished; each answer must equal the one-at-a-time answer before or after it."""
    src = max((p for p in corpus.glob("*.txt")), key=lambda p: p.stat().st_size)
    new = write_variant(src, corpus, 1, unique=True)  # every paragraph new: all of it is embedded
    t0 = time.time()
    done = threading.Event()
    finished_at = [0.0]

    def watch_log() -> None:
        if wait_indexed(log.parent / "index", new.name, timeout=args.deadline):
            finished_at[0] = time.time() - t0
        done.set()

    threading.Thread(target=watch_log, daemon=True).start()
    n = max(1, (50 if 50 in levels else levels[0]) // len(ways))  # the ways at once, sharing the clients
    with ThreadPoolExecutor(max_workers=len(ways)) as pool:
        during = list(pool.map(lambda way: run("during update", way, n, args.questions // len(ways), url, pid,
                                               clients, args.deadline, args.timeout, until=done.is_set), ways))
    done.wait(timeout=args.deadline)
    after = alone(url, args.timeout)
    either = {q: {before[q], after[q]} for q in QUESTIONS}
    runs.extend(judge(r, either) for r in during)
    changed = sum(before[q] != after[q] for q in QUESTIONS)
    took = f"finished {finished_at[0]:.0f} s after it" if finished_at[0] else "had not finished by the deadline"
    return (f"During the update: `{new.name}` ({new.stat().st_size // 1024} KB, every paragraph new) dropped "
            f"into the watched corpus folder; the update {took}; the 'during update' runs kept asking until "
            f"then. {changed} of {len(QUESTIONS)} questions' one-at-a-time answers changed with the new report.")


if __name__ == "__main__":
    sys.exit(main())
