"""Shared helpers of the bench scripts: machine facts, Markdown tables, README sections, step timers,
the model, synthetic report variants and bench questions. Not a benchmark itself.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import re
import signal
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
# ../shared beside the repository, or $QA_SHARED (a worktree elsewhere)
SHARED = Path(os.environ.get("QA_SHARED") or Path(__file__).resolve().parents[2] / "shared")
README_HEADER = """# Benchmarks

Scripts (run from the repository root with `.venv/bin/python bench/<script>.py --help`); each prints a
Markdown table and appends a dated section here with the machine, its load and the exact command:

- `index_throughput.py`: paragraphs/s of the raw encoder against the whole `update_index` pipeline on
  the same passage texts, the overhead ratio and where the non-encode time goes.
- `incremental.py`: time to add one report to corpora of 10, 100, 1000 reports, with its breakdown.
- `latency.py`: `search`/`ask` latency at 1k-100k paragraphs, and FAISS build time, latency and
  recall@10 of the automatically chosen index up to 1M vectors.
- `memory.py`: peak RSS of `qa index` and of answering, and the start-up time of `qa serve`.
- `pdf_tables.py`: table rows recovered from generated PDFs and time per page, against pypdf's plain
  text and (when importable) pdfplumber.
- `chrome.py`: chrome precision/recall and body-text recall of cleaning on labelled web pages, with whole
  sites held out of fitting the chrome classifier (`--pages <folder>`).

Timings on a shared machine are noisy: every table gives medians of repeated runs and the load average
(1/5/15 min) at the time of measuring.
"""


# -- machine and report ------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_text() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def machine_line() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load_text()}"


def command_line() -> str:
    script = Path(sys.argv[0])
    try:
        script = script.resolve().relative_to(ROOT)
    except ValueError:
        pass
    return " ".join([".venv/bin/python", str(script), *sys.argv[1:]])


def exit_cleanly_on_term() -> None:
    """Turn SIGTERM into SystemExit, so ``finally`` blocks remove the temporary folders."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def coverage_args(description: str) -> argparse.Namespace:
    """The options of the coverage-decline benches (places, years): bench sets, gold file, index, seeds."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--bench", type=Path, default=SHARED / "bench")
    ap.add_argument("--gold", type=Path, default=SHARED / "eval" / "dev.jsonl")
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    return ap.parse_args()


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def append_section(title: str, body: str, *, readme: Path = README) -> None:
    """Append a dated section (machine, load, command, body) to bench/README.md, creating it if needed."""
    if not readme.exists():
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(README_HEADER, encoding="utf-8")
    section = (f"\n## {title} ({time.strftime('%Y-%m-%d %H:%M')})\n\n"
               f"Machine: {machine_line()}\n\n"
               f"Command: `{command_line()}`\n\n{body.rstrip()}\n")
    with open(readme, "a", encoding="utf-8") as f:
        f.write(section)


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def pct(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs, dtype=np.float64), q)) if len(xs) else float("nan")


# -- step timers -------------------------------------------------------------------------------------
class StepTimer:
    """Accumulates wall time per named step while functions are patched to report to it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def wrap(self, fn: Callable, step: str) -> Callable:
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[step] += time.perf_counter() - t
                self.calls[step] += 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed

    @contextmanager
    def patched(self, targets: Sequence[tuple[object, str, str]]) -> Iterator[StepTimer]:
        """Patch ``(owner, attribute, step)`` targets (module functions, or class/static methods and
        plain methods of classes) to time themselves; restore them on exit."""
        saved = []
        try:
            for owner, attr, step in targets:
                raw = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
                if isinstance(raw, classmethod):
                    new = classmethod(self.wrap(raw.__func__, step))
                elif isinstance(raw, staticmethod):
                    new = staticmethod(self.wrap(raw.__func__, step))
                else:
                    new = self.wrap(raw, step)
                saved.append((owner, attr, raw))
                setattr(owner, attr, new)
            yield self
        finally:
            for owner, attr, raw in reversed(saved):
                setattr(owner, attr, raw)


class TimedEmbedder:
    """Forwards to an embedder and adds the time of its ``embed`` calls to ``timer.seconds[step]``."""

    def __init__(self, inner, timer: StepTimer, step: str = "embed (model)"):
        self._inner = inner
        self._timer = timer
        self._step = step
        self.name = inner.name
        self.dim = inner.dim

    def embed(self, texts, kind, progress=None):
        t = time.perf_counter()
        try:
            return self._inner.embed(texts, kind, progress=progress)
        finally:
            self._timer.seconds[self._step] += time.perf_counter() - t
            self._timer.calls[self._step] += 1

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def index_steps() -> list[tuple[object, str, str]]:
    """The steps of ``qa.store.index.update_index`` worth timing, as ``StepTimer.patched`` targets."""
    import qa.store.build as qb
    import qa.store.index as qi
    import qa.store.update as qu
    from qa.store.keyword import KeywordIndex
    from qa.store.vectors import VectorIndex

    return [
        (qu, "previous_manifest", "read manifest"),
        (qu, "file_sha256", "hash files (sha256)"),
        (qu, "read_file", "read+clean+split"),
        (qb, "tokenize", "tokenize (jieba)"),
        (qu.SegmentStore, "get", "load unchanged segments"),
        (qu, "embed_pending", "embed step (total)"),
        (qb, "passage_text", "  passage_text"),
        (qb, "embedding_key", "  embedding keys (sha256)"),
        (qu, "write", "write step (total)"),
        (qi.Segment, "save", "  new segments saved"),
        (qb, "_link_or_copy", "  unchanged segments linked"),
        (VectorIndex, "build", "  FAISS build"),
        (VectorIndex, "save", "  FAISS save"),
        (qb, "merge_token_ids", "  keyword ids merged"),
        (KeywordIndex, "from_ids", "  BM25 build"),
        (KeywordIndex, "save", "  BM25 save"),
    ]


TOP_STEPS = ("read manifest", "hash files (sha256)", "read+clean+split", "tokenize (jieba)",
             "load unchanged segments", "embed step (total)", "write step (total)")


# -- the model -----------------------------------------------------------------------------------------
def load_model(model: str | None = None, backend: str = "torch", threads: int = 0):
    """The real embedder, as ``qa`` would load it (``--model``/``$QA_MODEL``, else the bundled build);
    ``threads`` > 0 sets torch's intra-op thread count (0 keeps torch's default, one per core)."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    if backend == "onnx-int8" and not (ROOT / "qa" / "onnx_backend.py").exists():
        raise SystemExit("--backend onnx-int8 needs qa/onnx_backend.py, which does not exist (yet)")
    from qa.config import Settings
    from qa.runtime import load_embedder

    settings = Settings.from_env().with_overrides(model=model, backend=backend)
    emb = load_embedder(settings)
    emb.embed(["热身 warm-up"], kind="passage")  # first call pays lazy set-up
    return emb


class HashEmbedder:
    """A stand-in that maps each text to a fixed random unit vector (fast; any name and dim).

    Used to set up big indexes under the real model's name, so that adding one report afterwards with
    the real model reuses every stored vector and embeds only the new report.
    """

    def __init__(self, name: str, dim: int = 384):
        self.name = name
        self.dim = dim

    def embed(self, texts, kind, progress=None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.dim, dtype=np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress and len(texts):
            progress(len(texts))
        return out


# -- synthetic report variants -------------------------------------------------------------------------
_SENT_END_RE = re.compile(r"([。！？；])")


def digit_table(i: int) -> dict[int, int]:
    """A per-copy permutation of the digits (ASCII and full width): numbers and years change."""
    perm = list(range(10))
    random.Random(i).shuffle(perm)
    table = {ord(str(d)): ord(str(p)) for d, p in enumerate(perm)}
    table.update({0xFF10 + d: 0xFF10 + p for d, p in enumerate(perm)})
    return table


def vary(text: str, i: int, *, unique: bool = False) -> str:
    """Copy ``i`` of a report text: digits permuted; with ``unique``, a tag ``〔i〕`` after every sentence
    end and at every line end, so every paragraph (and every piece of a long one) differs from every
    other copy's, and no stored embedding can be reused for it."""
    out = text.translate(digit_table(i))
    if unique:
        tag = f"〔{i}〕"
        # Short lines (headings, part markers such as "...總結 篇三") keep their ending: they join the
        # paragraph that follows, whose tags make it unique.
        out = "\n".join(_SENT_END_RE.sub(r"\1" + tag, line) + (tag if len(line.strip()) > 40 else "")
                        for line in out.split("\n"))
    return out


def shipped_reports() -> list[Path]:
    return sorted((ROOT / "corpus").glob("*.txt"))


def write_variant(src: Path, dest_dir: Path, i: int, *, unique: bool = True) -> Path:
    """Write copy ``i`` of a shipped report file into ``dest_dir`` (see ``vary``)."""
    text = src.read_text(encoding="utf-8")
    dest = dest_dir / f"c{i:05d}_{src.name}"
    dest.write_text(vary(text, i, unique=unique), encoding="utf-8")
    return dest


# -- questions -----------------------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict]:
    import json

    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def bench_questions(n: int = 50) -> list[str]:
    """The dev questions (``../shared/eval/dev.jsonl``), topped up with bench questions to ``n``."""
    qs = [r["question"] for r in read_jsonl(SHARED / "eval" / "dev.jsonl")]
    rest = max(0, n - len(qs))
    for name, share in (("cmrc2018-dev", (rest + 1) // 2), ("drcd-dev", rest // 2)):
        rows = read_jsonl(SHARED / "bench" / name / "questions.jsonl")
        qs += [r["question"] for r in rows[::97][:share]]
    return qs[:n]
