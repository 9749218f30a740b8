"""Encoder backends side by side on one CPU, at 1 and 2 threads: which is fastest at float32's vectors?

Rows: torch float32; torch bf16 (autocast, and the model cast to bfloat16); ONNX float32 and int8
(onnxruntime); OpenVINO (int8 weights at float32 precision, int8 weights at the CPU plugin's default
precision, the float32 model at its default precision); CTranslate2 int8. Each round embeds the same texts
with every row (interleaved, best of ``--rounds`` kept: the machine may be shared), recording wall
passages/s and CPU ms per passage (``time.process_time``: less disturbed by other processes). Cosine to
torch float32 on the passages, and on questions (``query:`` prompt) for the mixing check: an index built by
one backend searched with another backend's query vectors.

    QA_SHARED=../shared python bench/encode_amx.py --n 64 --rounds 3 --no-readme
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchlib import SHARED, append_section, cpu_model, md_table  # noqa: E402
from bench.encode_backends import throughput_texts  # noqa: E402


def cpu_flags() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return "unknown"
    return " ".join(sorted(f for f in flags.split(":", 1)[1].split() if f.startswith(("avx512", "amx"))))


def load_avg() -> str:
    import os

    return "/".join(f"{x:.1f}" for x in os.getloadavg())


class TorchRow:
    """A torch embedder run at a given thread count (torch's thread count is per process)."""

    def __init__(self, emb, threads: int):
        self.emb, self.threads = emb, threads

    def embed(self, texts, kind):
        import torch

        torch.set_num_threads(self.threads)
        return self.emb.embed(texts, kind)


def rows_for(model: Path, threads: int, which: set[str]) -> list[tuple[str, str, object]]:
    """(label, --backend value or '-', embedder) for one thread count."""
    from qa.models.embed import AutocastEmbedder, Bf16Embedder, SentenceTransformerEmbedder
    from qa.models.onnx_backend import OnnxEmbedder

    f32 = SentenceTransformerEmbedder(model)
    rows = [("torch float32", "torch", TorchRow(f32, threads))]
    if "torch" in which:
        cast = Bf16Embedder(SentenceTransformerEmbedder(model))
        rows += [("torch bf16 autocast", "-", TorchRow(AutocastEmbedder(f32), threads)),
                 ("torch bf16 (model cast)", "torch-bf16", TorchRow(cast, threads))]
    if "onnx" in which:
        rows += [("ONNX float32", "-", OnnxEmbedder(model, quantized=False, threads=threads)),
                 ("ONNX int8 (dynamic)", "onnx-int8", OnnxEmbedder(model, quantized=True, threads=threads))]
    if "openvino" in which and importlib.util.find_spec("openvino") and importlib.util.find_spec("nncf"):
        from qa.models.openvino_backend import OpenVinoEmbedder

        rows += [("OpenVINO int8 weights, f32 precision", "openvino-int8",
                  OpenVinoEmbedder(model, threads=threads, precision="f32")),
                 ("OpenVINO int8 weights, default precision", "-",
                  OpenVinoEmbedder(model, threads=threads, precision=None)),
                 ("OpenVINO float32 model, default precision", "-",
                  OpenVinoEmbedder(model, threads=threads, precision=None, weights="fp32"))]
    if "ct2" in which and importlib.util.find_spec("ctranslate2"):
        from qa.models.ct2_backend import Ct2Embedder

        rows.append(("CTranslate2 int8", "ct2-int8", Ct2Embedder(model, threads=threads)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="sentence-transformers folder (default: qa.models.resolve's)")
    ap.add_argument("--n", type=int, default=64, help="report paragraphs and as many CMRC passages")
    ap.add_argument("--queries", type=int, default=64, help="CMRC questions for the query-vector cosines")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", nargs="+", default=["torch", "onnx", "openvino", "ct2"])
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    if args.model is None:
        from qa.models.resolve import resolve_model

        args.model = Path(resolve_model().location)
    cmrc = SHARED / "bench" / "cmrc2018-dev"
    texts = throughput_texts(REPO / "corpus", cmrc, args.n)
    questions = [json.loads(line)["question"] for line in
                 (cmrc / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[:args.queries]
    rows = {t: rows_for(args.model, t, set(args.only)) for t in args.threads}
    best: dict[tuple[str, int], list[float]] = {}
    vecs: dict[str, np.ndarray] = {}
    for rs in rows.values():  # warm-up: first-call allocations, oneDNN kernel choice
        for _, _, e in rs:
            e.embed(texts[:8], kind="passage")
    loads = [load_avg()]
    for r in range(args.rounds):
        for t, rs in rows.items():
            for label, _, e in rs:
                w, c = time.perf_counter(), time.process_time()
                vecs[label] = e.embed(texts, kind="passage")
                w, c = time.perf_counter() - w, time.process_time() - c
                rate, cpu = len(texts) / w, 1000 * c / len(texts)
                old = best.get((label, t), [0.0, float("inf")])
                best[(label, t)] = [max(old[0], rate), min(old[1], cpu)]
                print(f"round {r + 1} t={t} {label}: {rate:.1f}/s {cpu:.0f} CPU ms", file=sys.stderr, flush=True)
        loads.append(load_avg())
    qvecs = {label: e.embed(questions, kind="query") for label, _, e in rows[args.threads[0]]}
    base = "torch float32"
    out = []
    for t, rs in rows.items():
        b_rate, b_cpu = best[(base, t)]
        for label, backend, _ in rs:
            rate, cpu = best[(label, t)]
            cos, qcos = (vecs[label] * vecs[base]).sum(1), (qvecs[label] * qvecs[base]).sum(1)
            out.append([label, f"`{backend}`" if backend != "-" else "-", t, f"{rate:.1f}", f"{cpu:.0f}",
                        f"{rate / b_rate:.2f}x", f"{b_cpu / cpu:.2f}x", f"{cos.mean():.5f} / {cos.min():.5f}",
                        f"{qcos.mean():.5f} / {qcos.min():.5f}"])
    table = md_table(["backend", "--backend", "threads", "passages/s", "CPU ms/passage", "wall vs fp32",
                      "CPU vs fp32", "cos passages mean / min", "cos questions mean / min"], out)
    cmd = shlex.join(["python", "bench/encode_amx.py", *(argv if argv is not None else sys.argv[1:])])
    body = (f"Machine: {cpu_model()}, flags {cpu_flags()}; command `{cmd}`; {len(texts)} texts (report "
            f"paragraphs and CMRC passages, cut to 250 characters), {len(questions)} CMRC questions for the "
            f"question cosines; best of {args.rounds} interleaved rounds; ratios against torch float32 at the "
            f"same thread count; load average at each round: {', '.join(loads)}.\n\n{table}")
    print(body)
    if not args.no_readme:
        append_section("Encoder backends on an AVX-512/AMX CPU", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
