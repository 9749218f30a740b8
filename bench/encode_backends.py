"""Encoder backends compared: torch fp32 (sentence-transformers) vs ONNX fp32 vs ONNX int8.

Measures, on the same texts: throughput (passages/s, best of ``--rounds`` interleaved runs; and CPU ms per
passage, which other processes on the machine disturb less, most so with 1 thread), cosine to the torch
fp32 embeddings, and retrieval quality (Recall@5, MRR@10) on CMRC 2018 dev. Prints a table and appends
it, with the machine and the command, to bench/README.md.

    .venv/bin/python bench/encode_backends.py --model /path/to/e5-folder --n 300
    .venv/bin/python bench/encode_backends.py --model DIR --alternatives   # other int8 recipes too
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.models.onnx_backend import INT8, OnnxEmbedder, QuantRecipe, export_onnx  # noqa: E402

ALTERNATIVES = {  # measured with --alternatives; INT8 is the default recipe
    "int8-tensor": QuantRecipe(tag="int8-tensor", per_channel=False),
    "int8-matmul": QuantRecipe(tag="int8-matmul", op_types=("MatMul",)),
    "int8-rr": QuantRecipe(tag="int8-rr", reduce_range=True),
    # the FFN output MatMuls of layers 0, 4, 5 in float32: most of the int8 error (layer 4 alone half)
    "int8-xffn045": QuantRecipe(tag="int8-xffn045", exclude=(r"layer\.[045]/output/dense/MatMul$",)),
}


@dataclass
class Row:
    label: str
    model_key: str  # rows with the same key share fidelity and retrieval numbers
    embedder: object
    threads: str
    size_mb: float | None = None
    best_rate: float = 0.0
    best_cpu_ms: float = float("inf")
    stats: dict = field(default_factory=dict)


def throughput_texts(corpus: Path, cmrc: Path, n: int) -> list[str]:
    """``n`` report paragraphs (non-empty lines) and ``n`` CMRC passages, each cut to 250 characters."""
    lines = [line.strip()[:250] for p in sorted(corpus.glob("*.txt"))
             for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    passages = [json.loads(line)["text"][:250] for line in _lines(cmrc / "passages.jsonl")]
    return lines[:n] + passages[:n]


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def retrieval_set(cmrc: Path, n: int, max_queries: int) -> tuple[list[str], list[str], np.ndarray]:
    """The first ``n`` passages (full text) and the questions about them (at most ``max_queries``)."""
    passages = [json.loads(line) for line in _lines(cmrc / "passages.jsonl")][:n]
    index = {p["pid"]: i for i, p in enumerate(passages)}
    questions = [q for q in map(json.loads, _lines(cmrc / "questions.jsonl")) if q["pid"] in index]
    questions = questions[:max_queries]
    return ([p["text"] for p in passages], [q["question"] for q in questions],
            np.array([index[q["pid"]] for q in questions]))


def recall_mrr(passages: np.ndarray, queries: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """Recall@5 and MRR@10 of exact inner-product search."""
    scores = queries @ passages.T
    rank = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(axis=1)  # 0 = first
    return float((rank < 5).mean()), float(np.where(rank < 10, 1.0 / (rank + 1), 0.0).mean())


def timed_embed(row: Row, texts: list[str]) -> np.ndarray:
    import torch

    default_threads = torch.get_num_threads()
    if row.threads.isdigit() and row.model_key == "torch":
        torch.set_num_threads(int(row.threads))
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        vecs = row.embedder.embed(texts, kind="passage")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        torch.set_num_threads(default_threads)
    row.best_rate = max(row.best_rate, len(texts) / wall)
    row.best_cpu_ms = min(row.best_cpu_ms, 1000 * cpu / len(texts))
    return vecs


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def build_rows(model: Path, export_dir: Path | None, alternatives: bool) -> tuple[list[Row], list[str]]:
    """Embedders to compare, and notes on the exports (time, size)."""
    import torch

    from qa.models.embed import SentenceTransformerEmbedder

    notes: list[str] = []
    paths: dict[str, Path] = {}
    recipes = [("fp32", None), ("int8", INT8)]
    recipes += list(ALTERNATIVES.items()) if alternatives else []
    for tag, recipe in recipes:
        start = time.perf_counter()
        kwargs = {"quantize": False} if recipe is None else {"recipe": recipe}
        paths[tag] = export_onnx(model, export_dir, **kwargs)
        seconds = time.perf_counter() - start
        size = paths[tag].stat().st_size / 1e6
        reused = " (reused)" if seconds < 2 else ""
        notes.append(f"onnx-{tag}: {size:.0f} MB, export {seconds:.1f} s{reused}")
    torch_emb = SentenceTransformerEmbedder(model)
    default = f"default ({torch.get_num_threads()})"
    rows = [Row("torch fp32", "torch", torch_emb, t) for t in (default, "2", "1")]
    for tag, recipe in recipes:
        size = paths[tag].stat().st_size / 1e6
        kwargs = {"quantized": False} if recipe is None else {"recipe": recipe}
        emb = OnnxEmbedder(model, out_dir=export_dir, **kwargs)
        rows.append(Row(f"onnx {tag}", tag, emb, "default", size))
        for threads in (2, 1) if tag in ("fp32", "int8") else ():
            emb = OnnxEmbedder(model, out_dir=export_dir, threads=threads, **kwargs)
            rows.append(Row(f"onnx {tag}", tag, emb, str(threads), size))
    return rows, notes


def table(rows: list[Row]) -> str:
    base = rows[0].best_rate
    out = ["| backend | threads | passages/s | CPU ms/passage | speedup | cos mean | cos min | R@5 | MRR@10"
           " | file MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r.stats
        size = f"{r.size_mb:.0f}" if r.size_mb else "-"
        out.append(f"| {r.label} | {r.threads} | {r.best_rate:.1f} | {r.best_cpu_ms:.0f} | "
                   f"{r.best_rate / base:.2f}x | {s['cos_mean']:.4f} | {s['cos_min']:.4f} | "
                   f"{s['r5']:.3f} | {s['mrr']:.3f} | {size} |")
    return "\n".join(out)


def append_readme(readme: Path, text: str) -> None:
    if not readme.exists():
        readme.write_text("# Benchmarks\n\nResults appended by the scripts in this folder, newest last.\n",
                          encoding="utf-8")
    with open(readme, "a", encoding="utf-8") as f:
        f.write("\n" + text + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; ``main(["--model", "/tmp/e5ref", "--n", "50", "--no-readme"])``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="sentence-transformers folder (default: qa.models.resolve's)")
    ap.add_argument("--n", type=int, default=300, help="texts per source and retrieval passages")
    ap.add_argument("--queries", type=int, default=500, help="at most this many retrieval questions")
    ap.add_argument("--rounds", type=int, default=3, help="timed runs per backend, interleaved; best kept")
    ap.add_argument("--alternatives", action="store_true", help="also other int8 quantization recipes")
    ap.add_argument("--export-dir", type=Path, help="where exports go (default: MODEL/onnx)")
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--cmrc", type=Path, default=REPO.parent / "shared" / "bench" / "cmrc2018-dev")
    ap.add_argument("--readme", type=Path, default=REPO / "bench" / "README.md")
    ap.add_argument("--no-readme", action="store_true", help="print only")
    args = ap.parse_args(argv)
    if args.model is None:
        from qa.models.resolve import resolve_model

        args.model = Path(resolve_model().location)
    load_before = load_average()
    texts = throughput_texts(args.corpus, args.cmrc, args.n)
    passages, questions, gold = retrieval_set(args.cmrc, args.n, args.queries)
    rows, notes = build_rows(args.model, args.export_dir, args.alternatives)
    print(f"{len(texts)} texts; retrieval: {len(passages)} passages, {len(questions)} questions",
          file=sys.stderr)
    vecs: dict[str, np.ndarray] = {}
    for r in rows:  # warm-up (first-call allocations), and the vectors for the fidelity check
        r.embedder.embed(texts[:16], kind="passage")
    for round_ in range(args.rounds):
        for r in rows:
            vecs[r.model_key] = timed_embed(r, texts)
            print(f"round {round_ + 1}: {r.label} t={r.threads}: {r.best_rate:.1f}/s", file=sys.stderr)
    quality: dict[str, dict] = {}
    for r in rows:
        if r.model_key not in quality:
            cos = (vecs[r.model_key] * vecs["torch"]).sum(axis=1)
            r5, mrr = recall_mrr(r.embedder.embed(passages, kind="passage"),
                                 r.embedder.embed(questions, kind="query"), gold)
            quality[r.model_key] = {"cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
                                    "r5": r5, "mrr": mrr}
            print(f"{r.label}: R@5 {r5:.3f} MRR@10 {mrr:.3f}", file=sys.stderr)
        r.stats = quality[r.model_key]
    result = table(rows)
    print(result)
    report = "\n".join([
        f"## Encoder backends, {time.strftime('%Y-%m-%d %H:%M')}", "",
        f"- machine: {machine()}; load average before / after: {load_before} | {load_average()}",
        f"- command: `{shlex.join(['python', 'bench/encode_backends.py', *(argv or sys.argv[1:])])}`",
        f"- throughput: {len(texts)} texts ({args.n} report paragraphs + {args.n} CMRC passages, <= 250 "
        f"chars), best of {args.rounds}; speedup = passages/s over the first row; cosine to torch fp32",
        f"- retrieval: CMRC 2018 dev, {len(passages)} passages, {len(questions)} questions, exact search",
        f"- exports: {'; '.join(notes)}", "", result])
    if not args.no_readme:
        append_readme(args.readme, report)
        print(f"appended to {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
