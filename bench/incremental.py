"""Incremental indexing: the time to add ONE report to an index of 10, 100, 1000 reports.

Corpora are made by copying the shipped report files (copy ``i`` of file ``i mod 5``) with digits
permuted and a tag ``〔i〕`` after every sentence, so every copy's paragraphs are new text (``vary`` in
``benchlib``). The base index of each corpus is built with a fast stand-in embedder (a random unit vector
per text) under the real model's name, and again under ``FakeEmbedder(384)``'s name, so that either
embedder finds every stored vector reusable. The measured step, ``--repeats`` times on a fresh copy of the base index:
drop one new report (a fresh copy of ``--new-report``) into the corpus and run ``update_index`` with
(a) ``qa.models.embed.FakeEmbedder(384)`` and (b) the real model; only the new report's paragraphs are embedded.
Also timed: ``update_index`` when no file changed (what every ``qa index``/``qa serve`` start runs).
Every step of ``update_index`` is timed; and the same update as the web app runs it (the index in memory
passed in, the new one handed back in memory) is timed on its own. The time should stay flat as the
corpus grows; the step table says what grows.

    .venv/bin/python bench/incremental.py                         # 10, 100, 1000 reports
    .venv/bin/python bench/incremental.py --sizes 10,100 --repeats 2 --no-append
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    TOP_STEPS,
    HashEmbedder,
    StepTimer,
    TimedEmbedder,
    append_section,
    exit_cleanly_on_term,
    index_steps,
    load_model,
    load_text,
    md_table,
    median,
    shipped_reports,
    write_variant,
)

from qa.models.embed import FakeEmbedder
from qa.store.index import Index
from qa.store.update import update_index

ENCODE = "  encode (model)"
APP = "web app: add one, new index in memory"
NOOP = "no file changed (update_index with nothing to do)"


def build_base(n: int, work: Path, names: list[str]) -> tuple[Path, dict[str, Path], dict]:
    """A corpus of ``n`` report files and one base index per embedder name (built with the stand-in)."""
    corpus = work / f"corpus-{n}"
    corpus.mkdir(parents=True)
    files = shipped_reports()
    for i in range(n):
        write_variant(files[i % len(files)], corpus, i)
    bases: dict[str, Path] = {}
    info: dict = {}
    for k, name in enumerate(names):
        bases[name] = work / f"base-{n}-{k}"
        t = time.perf_counter()
        report = update_index(corpus, bases[name], HashEmbedder(name), progress=False)
        info.setdefault("build_s", time.perf_counter() - t)
        info.update(chunks=report.chunk_count, documents=Index.load(bases[name]).manifest["document_count"])
    return corpus, bases, info


def add_one(corpus: Path, base: Path, embedder, new_src: Path | None, tag: int, work: Path) -> dict:
    """Time adding one new report (none if ``new_src`` is None: a no-change update) to a copy of ``base``,
    twice: as ``qa index`` does it (index on disk only), and as the web app does it (the current index in
    memory is passed in and the new one comes back in memory, ready to answer from)."""
    target = work / "target"
    new = write_variant(new_src, corpus, tag) if new_src else None
    timer = StepTimer()
    timed = TimedEmbedder(embedder, timer, ENCODE)
    try:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(base, target)
        t = time.perf_counter()
        with timer.patched(index_steps()):
            report = update_index(corpus, target, timed, progress=False)
        total = time.perf_counter() - t
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(base, target)
        current = Index.load(target)
        t = time.perf_counter()
        app = update_index(corpus, target, embedder, progress=False, previous=current, load=True)
        timer.seconds[APP] = time.perf_counter() - t
        assert app.index is not None and len(app.index.chunks) == app.chunk_count
    finally:
        if new:
            new.unlink()
        shutil.rmtree(target, ignore_errors=True)
    assert report.added == ((new.name,) if new else ()), report.summary()
    assert report.reused == report.chunk_count - report.embedded, report.summary()
    return {"total": total, "steps": dict(timer.seconds), "embedded": report.embedded, "reused": report.reused}


def step_order() -> list[str]:
    order = [step for _, _, step in index_steps()]
    order.insert(order.index("embed step (total)") + 1, ENCODE)
    return [*order, APP]


def tables(rows: list[dict], sizes: list[int]) -> str:
    head = ["reports", "documents", "paragraphs", "base build s (stand-in embedder)", "embedder",
            "new paragraphs embedded", "add one report s", "of which encoding s", "everything else s",
            "web app (index in memory) s"]
    out = []
    for r in rows:
        runs = r["runs"]
        total = median([x["total"] for x in runs])
        enc = median([x["steps"].get(ENCODE, 0.0) for x in runs])
        other = median([x["total"] - x["steps"].get(ENCODE, 0.0) for x in runs])
        out.append([r["size"], r["info"]["documents"], r["info"]["chunks"], f"{r['info']['build_s']:.1f}",
                    r["embedder"], runs[0]["embedded"], f"{total:.2f}", f"{enc:.2f}", f"{other:.2f}",
                    f"{median([x['steps'][APP] for x in runs]):.2f}"])
    text = [md_table(head, out)]
    order = step_order()
    for emb in dict.fromkeys(r["embedder"] for r in rows):
        mine = {r["size"]: r for r in rows if r["embedder"] == emb}
        steps = [s for s in order if any(s in x["steps"] for r in mine.values() for x in r["runs"])]
        body = []
        for s in steps:
            vals = [median([x["steps"].get(s, 0.0) for x in mine[n]["runs"]]) for n in sizes if n in mine]
            growth = f"x{vals[-1] / vals[0]:.0f}" if vals[0] > 1e-4 else "-"
            body.append(["↳ " + s.strip() if s.startswith("  ") else s, *(f"{v:.3f}" for v in vals), growth])
        others = []
        for n in sizes:
            if n in mine:
                others.append(median([x["total"] - sum(x["steps"].get(k, 0.0) for k in TOP_STEPS)
                                      for x in mine[n]["runs"]]))
        body.append(["other (manifest, lock, swap, glue)", *(f"{v:.3f}" for v in others), "-"])
        what = "Steps of a no-change update" if emb == NOOP else f"Steps of adding one report, {emb}"
        text.append(f"{what} (median seconds; ↳ rows are parts of the step above; "
                    f"growth = largest / smallest corpus):\n\n"
                    + md_table(["step", *(f"{n} reports" for n in sizes if n in mine), "growth"], body))
    return "\n\n".join(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000", help="corpus sizes in report files")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--noop-repeats", type=int, default=1, help="runs of the no-change update per size")
    ap.add_argument("--new-report", default="000_00009ec7e0122b08.txt", help="shipped file the new report copies")
    ap.add_argument("--model", help="model folder or name (default: $QA_MODEL, else the bundled build)")
    ap.add_argument("--backend", choices=["torch", "onnx-int8"], default="torch")
    ap.add_argument("--no-real", action="store_true", help="only the FakeEmbedder case (no model)")
    ap.add_argument("--no-append", action="store_true", help="do not append the tables to bench/README.md")
    args = ap.parse_args()
    exit_cleanly_on_term()
    sizes = [int(s) for s in args.sizes.split(",")]
    new_src = ROOT / "corpus" / args.new_report

    fake = FakeEmbedder(dim=384)
    embedders = [("FakeEmbedder(384)", fake)]
    if not args.no_real:
        real = load_model(args.model, args.backend)
        embedders.append((f"{real.name} ({args.backend})", real))
    from qa.store.keyword import _jieba

    _jieba()
    work = Path(tempfile.mkdtemp(prefix="qa-bench-inc-"))
    rows = []
    tag = 900_000
    try:
        for n in sizes:
            corpus, bases, info = build_base(n, work, [e.name for _, e in embedders])
            print(f"{n} reports: {info['chunks']} paragraphs, base built in {info['build_s']:.1f} s "
                  f"(load {load_text()})", flush=True)
            for label, emb in embedders:
                runs = []
                for _ in range(args.repeats):
                    tag += 1
                    runs.append(add_one(corpus, bases[emb.name], emb, new_src, tag, work))
                    print(f"  {label}: add one {runs[-1]['total']:.2f} s "
                          f"(encode {runs[-1]['steps'].get(ENCODE, 0):.2f} s)", flush=True)
                rows.append({"size": n, "info": info, "embedder": label, "runs": runs})
            runs = [add_one(corpus, bases[embedders[0][1].name], embedders[0][1], None, 0, work)
                    for _ in range(args.noop_repeats)]
            print(f"  no change: {median([x['total'] for x in runs]):.2f} s", flush=True)
            rows.append({"size": n, "info": info, "embedder": NOOP, "runs": runs})
            shutil.rmtree(corpus)
            for b in bases.values():
                shutil.rmtree(b)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body = (f"New report: a fresh copy of `{args.new_report}`; {args.repeats} runs per cell, each on a fresh copy "
            f"of the base index; load average after the runs {load_text()}.\n\n" + tables(rows, sizes))
    print(body)
    if not args.no_append:
        append_section("Incremental indexing: adding one report", body)


if __name__ == "__main__":
    main()
