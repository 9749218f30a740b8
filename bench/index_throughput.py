"""Index build throughput: the raw encoder against the whole ``update_index`` pipeline.

For each corpus (the shipped reports; the first N CMRC-2018 dev passages written as one file each) it
times, alternately and ``--repeats`` times:

- raw: ``embedder.embed(texts, "passage")`` on exactly the texts the pipeline embeds (``passage_text``
  of the chunks ``read_file`` makes, duplicates removed as ``update_index`` removes them);
- pipeline: ``update_index(corpus, <fresh temp dir>, embedder)``: hashing, reading, cleaning, splitting,
  jieba, embedding, FAISS and BM25 builds, writing. Its steps are timed by patching them.

It reports paragraphs/s of both, the overhead ratio (pipeline / raw - 1; target <= 15 %) and the medians
of the pipeline's steps, so the non-encode time can be attributed. The jieba dictionary load (once per
process) is measured apart and excluded (the pipeline runs are warm).

    .venv/bin/python bench/index_throughput.py                      # reports + 300 CMRC passages, torch
    .venv/bin/python bench/index_throughput.py --sets reports --repeats 5 --backend onnx-int8
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    SHARED,
    TOP_STEPS,
    StepTimer,
    TimedEmbedder,
    append_section,
    exit_cleanly_on_term,
    index_steps,
    load_model,
    load_text,
    md_table,
    median,
    read_jsonl,
)

from qa.ingest.corpus import iter_corpus_files, read_file
from qa.store.index import passage_text
from qa.store.update import update_index

EMBED = "  encode (model)"


def cmrc_corpus(n: int, dest: Path) -> Path:
    """The first ``n`` CMRC-2018 dev passages, one ``.txt`` file each (title line, then the text)."""
    dest.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(read_jsonl(SHARED / "bench" / "cmrc2018-dev" / "passages.jsonl")[:n]):
        (dest / f"{i:04d}_{p['pid']}.txt").write_text(f"{p['title']}\n{p['text']}\n", encoding="utf-8")
    return dest


def pipeline_texts(corpus: Path) -> tuple[int, list[str]]:
    """(chunk count, the distinct passage texts ``update_index`` embeds), in the same order."""
    texts: list[str] = []
    for path in iter_corpus_files(corpus):
        fr = read_file(path, corpus)
        docs = {d.doc_id: d for d in fr.documents}
        texts += [passage_text(c, docs.get(c.doc_id)) for c in fr.chunks]
    return len(texts), list(dict.fromkeys(texts))


def measure(name: str, corpus: Path, embedder, repeats: int, work: Path) -> dict:
    n_chunks, texts = pipeline_texts(corpus)
    timer = StepTimer()
    timed = TimedEmbedder(embedder, timer, EMBED)
    raw, pipe, raw_cpu, pipe_cpu, steps = [], [], [], [], []
    for r in range(repeats):
        for what in (("raw", "pipeline") if r % 2 == 0 else ("pipeline", "raw")):
            if what == "raw":
                t, c = time.perf_counter(), time.process_time()
                embedder.embed(texts, kind="passage")
                raw.append(time.perf_counter() - t)
                raw_cpu.append(time.process_time() - c)
                continue
            target = work / f"{name}-{r}" / "index"
            timer.reset()
            t, c = time.perf_counter(), time.process_time()
            with timer.patched(index_steps()):
                report = update_index(corpus, target, timed, progress=False)
            pipe.append(time.perf_counter() - t)
            pipe_cpu.append(time.process_time() - c)
            steps.append(dict(timer.seconds))
            assert report.chunk_count == n_chunks and report.embedded == len(texts), report.summary()
            shutil.rmtree(target.parent, ignore_errors=True)
        print(f"  {name} run {r + 1}/{repeats}: raw {raw[-1]:.2f} s ({raw_cpu[-1]:.1f} CPU s), pipeline "
              f"{pipe[-1]:.2f} s ({pipe_cpu[-1]:.1f} CPU s) (load {load_text()})", flush=True)
    order = step_order()
    step_names = sorted({k for s in steps for k in s}, key=lambda k: order.index(k) if k in order else len(order))
    return {"name": name, "chunks": n_chunks, "texts": len(texts), "raw": raw, "pipe": pipe,
            "raw_cpu": raw_cpu, "pipe_cpu": pipe_cpu,
            "ratios": [p / r - 1 for p, r in zip(pipe, raw, strict=True)],
            "steps": {k: median([s.get(k, 0.0) for s in steps]) for k in step_names}}


def step_order() -> list[str]:
    """The pipeline's steps in the order they run; indented ones are parts of the one above."""
    order = [step for _, _, step in index_steps()]
    order.insert(order.index("embed step (total)") + 1, EMBED)
    return order


def tables(results: list[dict]) -> str:
    rows = []
    for res in results:
        raw_s, pipe_s = median(res["raw"]), median(res["pipe"])
        embed_s = res["steps"].get(EMBED, 0.0)
        rows.append([res["name"], res["chunks"], res["texts"], f"{raw_s:.2f}", f"{res['texts'] / raw_s:.1f}",
                     f"{pipe_s:.2f}", f"{res['chunks'] / pipe_s:.1f}", f"{embed_s:.2f}", f"{pipe_s - embed_s:.2f}",
                     f"{100 * (pipe_s / raw_s - 1):+.1f} %", f"{100 * median(res['ratios']):+.1f} %",
                     f"{median(res['raw_cpu']):.1f} / {median(res['pipe_cpu']):.1f}",
                     f"{100 * (median(res['pipe_cpu']) / median(res['raw_cpu']) - 1):+.1f} %"])
    out = [md_table(["corpus", "paragraphs", "texts embedded", "raw encode s", "raw texts/s", "pipeline s",
                     "pipeline paragraphs/s", "encode inside pipeline s", "non-encode s",
                     "overhead (medians)", "overhead (median of paired runs)", "CPU s raw / pipeline",
                     "overhead by CPU time"], rows)]
    for res in results:
        pipe_s = median(res["pipe"])
        top = sum(res["steps"].get(k, 0.0) for k in TOP_STEPS)
        rows = [["↳ " + k.strip() if k.startswith("  ") else k, f"{v:.3f}", f"{100 * v / pipe_s:.1f} %"]
                for k, v in res["steps"].items()]
        rows.append(["other (manifest, lock, directory swap, glue)", f"{pipe_s - top:.3f}",
                     f"{100 * (pipe_s - top) / pipe_s:.1f} %"])
        out.append(f"Pipeline steps, {res['name']} (medians over runs; ↳ rows are parts of the step above them):\n\n"
                   + md_table(["step", "seconds", "share of pipeline"], rows))
    return "\n\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="reports,cmrc", help="comma-separated: reports, cmrc")
    ap.add_argument("--cmrc-passages", type=int, default=300, help="how many CMRC dev passages (default 300)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", help="model folder or name (default: $QA_MODEL, else the bundled build)")
    ap.add_argument("--backend", choices=["torch", "onnx-int8"], default="torch")
    ap.add_argument("--torch-threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--no-append", action="store_true", help="do not append the tables to bench/README.md")
    args = ap.parse_args()
    exit_cleanly_on_term()

    from qa.store.keyword import _jieba

    t = time.perf_counter()
    _jieba()
    jieba_s = time.perf_counter() - t
    t = time.perf_counter()
    embedder = load_model(args.model, args.backend, args.torch_threads)
    model_s = time.perf_counter() - t
    import torch

    threads = torch.get_num_threads()
    print(f"model {embedder.name} ({args.backend}, {threads} torch threads) loaded in {model_s:.1f} s; "
          f"jieba dictionary {jieba_s:.2f} s")
    work = Path(tempfile.mkdtemp(prefix="qa-bench-tp-"))
    try:
        results = []
        for name in args.sets.split(","):
            if name == "reports":
                corpus = ROOT / "corpus"
            elif name == "cmrc":
                corpus = cmrc_corpus(args.cmrc_passages, work / "cmrc-corpus")
                name = f"cmrc ({args.cmrc_passages} passages)"
            else:
                raise SystemExit(f"unknown set {name!r}")
            results.append(measure(name, corpus, embedder, args.repeats, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body = (f"Model `{embedder.name}`, backend {args.backend}, {threads} torch threads, {args.repeats} runs each "
            f"(raw and pipeline alternating); CPU s = process CPU time, all threads (less disturbed by other "
            f"processes than wall time); load average after the runs {load_text()}. One-off costs not in the pipeline "
            f"times: model load {model_s:.1f} s, jieba dictionary {jieba_s:.2f} s.\n\n" + tables(results))
    print(body)
    if not args.no_append:
        append_section("Index throughput: raw encoder vs update_index", body)


if __name__ == "__main__":
    main()
