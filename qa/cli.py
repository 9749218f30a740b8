"""The ``qa`` command: a thin shell over the library.

    qa model [--build]            which model is used, where it came from
    qa corpus [--json]            the reports found and the files skipped
    qa index [--watch]            build or update the index
    qa search "question"          ranked paragraphs
    qa ask "question"             an answer with citations
    qa eval GOLD.jsonl --json     retrieval and answer metrics
    qa serve                      the web chat (and the OpenAI-compatible API at /v1)
    qa mcp [--transport http]     the MCP server (stdio, or streamable HTTP)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from qa import __version__
from qa.config import Settings
from qa.errors import QuestionError, UnreadableFile


def _common(p: argparse.ArgumentParser, *, index: bool = True, corpus: bool = True) -> None:
    if corpus:
        p.add_argument("--corpus", type=Path, help="folder of reports (default: the one the index was built "
                                                   "from, else $QA_CORPUS, else corpus)")
    if index:
        p.add_argument("--index", type=Path, help="index folder (default: index, or $QA_INDEX)")
    p.add_argument("--model", help="a sentence-transformers folder or hub name (default: $QA_MODEL, else the "
                                   "bundled multilingual-e5-small)")
    p.add_argument("--backend", choices=["auto", "torch", "onnx-int8", "onnx-int8-mixed", "ct2-int8",
                                         "openvino-int8", "torch-bf16"],
                   help="encoder backend (auto: the index folder's own; for a new one torch-bf16 on CPUs with "
                        "AMX / AVX-512 BF16, else torch)")
    p.add_argument("--store", help="where the paragraphs live: 'folder' (default, the index folder), "
                                   "milvus://HOST:PORT[/COLLECTION][?index=HNSW] or a milvus-lite file.db "
                                   "(or $QA_STORE)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, action="append", help="only reports of this year (repeatable)")
    p.add_argument("--place", action="append", help="only reports naming this place (repeatable)")
    p.add_argument("--doc", action="append", help="only this report (doc id or part of its title)")
    p.add_argument("--no-detect", action="store_true", help="do not read filters from the question")


class UsageError(Exception):
    """A command line argparse cannot read: ``prog`` and the message."""

    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors come back to ``main`` (one clear line, exit code 2) instead of exiting."""

    def error(self, message: str):
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="qa", description="Questions and answers over a folder of reports.")
    parser.add_argument("--version", action="version", version=f"report-qa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("model", help="show (or build) the embedding model")
    p.add_argument("--model")
    p.add_argument("--build", action="store_true", help="(re)build the bundled model folder")
    p.add_argument("--verify", action="store_true", help="check every file of the model folder in full")

    p = sub.add_parser("corpus", help="list the reports found and the files skipped")
    p.add_argument("--corpus", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--dropped", action="store_true", help="show, per report, the blocks dropped as chrome and why")

    p = sub.add_parser("index", help="build or update the index")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="ignore the existing index")
    p.add_argument("--watch", action="store_true", help="keep the index in step with the folder")
    p.add_argument("--cluster", help="embed on a Dask cluster: a scheduler address (tcp://HOST:PORT) or "
                                     "local[:WORKERS] for one on this machine (or $QA_CLUSTER)")

    for name, helptext in (("search", "ranked paragraphs for a question"), ("ask", "answer a question")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("question")
        _common(p)
        _filters(p)
        p.add_argument("-k", type=int, default=5, help="how many paragraphs (default 5)")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="retrieval and answer metrics over gold questions")
    p.add_argument("gold", nargs="?", type=Path, help="gold questions (JSONL)")
    p.add_argument("--passages", type=Path, help="bench format: passages.jsonl (pid, title, text)")
    p.add_argument("--questions", type=Path, help="bench format: questions.jsonl (qid, question, pid)")
    p.add_argument("--limit", type=int, help="evaluate only the first N questions")
    p.add_argument("--retrieval-only", action="store_true", help="skip the answer metrics")
    p.add_argument("--detect-filters", action="store_true",
                   help="bench format: read year and place filters from each question as the product does "
                        "(off by default: bench passages carry no report metadata)")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("serve", help="start the web chat")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link")

    p = sub.add_parser("mcp", help="serve the reports to MCP clients (stdio or streamable HTTP)")
    _common(p)
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP only")
    p.add_argument("--port", type=int, default=8765, help="HTTP only (the endpoint is /mcp)")
    return parser


def settings_from(args: argparse.Namespace, env: dict[str, str] | None = None) -> Settings:
    """Settings from flags over ``QA_*`` variables. Without ``--corpus`` (or ``QA_CORPUS``) the corpus is the
    folder the index was built from, so a command run from another folder never drops its reports."""
    env = dict(os.environ) if env is None else env
    settings = Settings.from_env(env).with_overrides(
        corpus=getattr(args, "corpus", None), index=getattr(args, "index", None),
        model=getattr(args, "model", None), backend=getattr(args, "backend", None),
        store=getattr(args, "store", None), cluster=getattr(args, "cluster", None))
    if getattr(args, "corpus", None) is None and not env.get("QA_CORPUS") and args.command != "corpus":
        from qa.store.update import recorded_corpus

        recorded = recorded_corpus(settings.index)
        if recorded is not None:
            settings = settings.with_overrides(corpus=recorded)
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        hint = ""
        if any(a.startswith("-") and a not in ("-h", "--help") for a in (argv or sys.argv[1:])[1:]):
            hint = " (a question that starts with '-' goes after '--', as in: qa ask -- \"-3 schools?\")"
        print(f"{e.prog}: error: {e}{hint}\n(see: {e.prog} --help)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    from qa.models.resolve import ModelError
    from qa.store.index import IndexError as QAIndexError

    if args.command in ("search", "ask", "eval", "serve", "mcp"):
        from qa.runtime import use_query_threads

        use_query_threads()
    try:
        return COMMANDS[args.command](args, settings_from(args))
    except (QuestionError, QAIndexError, ModelError, UnreadableFile, OSError, ValueError) as e:
        print(f"qa {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_model(args, settings: Settings) -> int:
    from qa.models.resolve import build_model, resolve_model

    info = build_model(force=True) if args.build else resolve_model(settings.model, verify=args.verify)
    dim = info.dim if info.dim is not None else "unknown until loaded"
    print(f"model:     {info.name}\nlocation:  {info.location}\nsource:    {info.source}\n"
          f"origin:    {info.origin}\ndimension: {dim}")
    return 0


def cmd_corpus(args, settings: Settings) -> int:
    from qa.ingest.corpus import read_corpus

    reads, skipped = read_corpus(settings.corpus, progress=not args.json)
    docs = [{"title": d.title, "year": d.year, "years": list(d.years), "places": list(d.places),
             "mentions": list(d.mentions), "source": d.source, "part": d.part,
             "paragraphs": sum(1 for c in r.chunks if c.doc_id == d.doc_id)}
            for r in reads for d in r.documents]
    dropped = {r.source: [{"text": t, "why": w} for t, w in zip(r.dropped, r.why, strict=True)] for r in reads}
    if args.json:
        out = {"documents": docs, "skipped": [{"source": s.source, "reason": s.reason} for s in skipped]}
        if args.dropped:
            out["dropped"] = dropped
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    shown: set[str] = set()
    for d in docs:
        print(f"{d['source']}\t{d['title']}\tyear={d['year'] or '-'}\tplaces={','.join(d['places']) or '-'}"
              f"\tparagraphs={d['paragraphs']}")
        if args.dropped and d["source"] not in shown:
            shown.add(d["source"])
            for block in dropped[d["source"]]:
                print(f"  dropped ({block['why']}): {_clip(block['text'])}")
    for s in skipped:
        print(f"skipped {s.source}: {s.reason}")
    print(f"{len(docs)} report(s), {len(skipped)} file(s) skipped", file=sys.stderr)
    return 0


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def cmd_index(args, settings: Settings) -> int:
    from qa.runtime import load_embedder, update_store
    from qa.store.milvus import is_milvus

    if args.watch and is_milvus(settings.store):
        raise ValueError("--watch works with the index folder; for Milvus run `qa index --store ...` on a schedule")
    embedder = load_embedder(settings)
    report = update_store(settings, embedder, rebuild=args.rebuild)
    print(report.summary())
    if args.watch:
        from qa.store.watch import watch

        watch(settings.corpus, settings.index, embedder)
    return 0


def _filters_from(args):
    from qa.search.filters import Filters

    return Filters(years=tuple(args.year or ()), places=tuple(args.place or ()), doc_ids=tuple(args.doc or ()))


def cmd_search(args, settings: Settings) -> int:
    from qa.runtime import open_retriever
    from qa.search.question import check_question

    question = check_question(args.question)
    retriever = open_retriever(settings)
    res = retriever.search(question, k=args.k, filters=_filters_from(args), detect_filters=not args.no_detect)
    docs = retriever.index.documents
    rows = [{"rank": r, "score": round(h.score, 4), "document": docs[h.chunk.doc_id].title,
             "source": h.chunk.source, "section": " > ".join(h.chunk.heading), "paragraph": h.chunk.ordinal,
             "text": h.chunk.text} for r, h in enumerate(res.hits, 1)]
    if args.json:
        print(json.dumps({"question": question, "filters": res.filters.describe(), "notes": list(res.notes),
                          "hits": rows}, ensure_ascii=False, indent=1))
        return 0
    for note in res.notes:
        print(f"note: {note}")
    for row in rows:
        print(f"[{row['rank']}] {row['score']:.3f}  {row['document']} · {row['section'] or '-'} · "
              f"¶{row['paragraph']} ({row['source']})\n    {row['text'][:200]}")
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from qa.answer.render import render_text, to_json
    from qa.runtime import open_answerer
    from qa.search.question import check_question

    question = check_question(args.question)
    answerer = open_answerer(settings)
    answer = answerer.ask(question, filters=_filters_from(args), detect_filters=not args.no_detect)
    if args.json:
        print(json.dumps(to_json(answer), ensure_ascii=False, indent=1))
    else:
        print(render_text(answer))
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from qa.runtime import run_eval

    result = run_eval(args, settings)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "details"}, ensure_ascii=False, indent=1))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from qa.web.page import serve

    serve(settings, host=args.host, port=args.port, share=args.share)
    return 0


def cmd_mcp(args, settings: Settings) -> int:
    try:
        from qa.mcp import run
    except ImportError as e:
        raise ValueError(f"the MCP server needs the mcp package: pip install 'report-qa[mcp]' ({e})") from e
    run(settings, transport=args.transport, host=args.host, port=args.port)
    return 0


COMMANDS = {"model": cmd_model, "corpus": cmd_corpus, "index": cmd_index, "search": cmd_search,
            "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve, "mcp": cmd_mcp}

if __name__ == "__main__":
    sys.exit(main())
