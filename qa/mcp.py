"""The reports as an MCP server (``qa mcp``): tools an agent calls over stdio or streamable HTTP.

Tools:

- ``search_reports(question, k, year, place)``: the k best paragraphs, ranked, with their reports;
- ``ask_reports(question, history, year, place, report)``: an answer whose ``[n]`` markers name its
  ``citations``, or a decline (``abstained``) with related passages;
- ``list_reports()``: the reports indexed, with their year, places and file.

The server answers at once: the index is loaded (or built) in the background, and during a first build
questions are answered from the keyword index (the answer's notes say so) until the vectors are in.

    qa mcp                                   # stdio, for a client that starts it
    qa mcp --transport http --port 8765      # streamable HTTP at http://127.0.0.1:8765/mcp

>>> server = build_server(Settings(), embedder=FakeEmbedder())  # doctest: +SKIP
>>> server.run("stdio")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, TypedDict

from qa.config import Settings
from qa.errors import QuestionError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class McpLimits:
    max_k: int = 50
    ready_wait: float = 120.0  # seconds a tool call waits for the index to be readable
    poll: float = 0.05


LIMITS = McpLimits()


class AskResult(TypedDict):
    """What ``ask_reports`` returns (as ``qa ask --json``): the answer with its ``[n]`` markers, what each
    ``[n]`` cites, and, for a decline (``abstained``), the related passages."""

    question: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]]
    related: list[dict[str, Any]]
    notes: list[str]


class SearchResult(TypedDict):
    question: str
    filters: str
    notes: list[str]
    hits: list[dict[str, Any]]


class Reports:
    """The answerer behind the tools, made in the background: keyword-only while a first build embeds."""

    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        self._embedder = embedder
        self._answerer = None
        self._error: str | None = None
        self._done = threading.Event()

    def start(self) -> Reports:
        threading.Thread(target=self._load, name="mcp-index", daemon=True).start()
        return self

    def _load(self) -> None:
        from qa.answer.compose import Answerer
        from qa.runtime import indexing_threads, load_embedder
        from qa.search.retrieve import Retriever
        from qa.store.index import Index
        from qa.store.update import update_index

        try:
            embedder = self._embedder or load_embedder(self.settings)

            def on_read(parts: list) -> None:
                index = Index.keywords_only(self.settings.index, embedder.name, parts)
                self._answerer = Answerer(Retriever(index, embedder), settings=self.settings)

            self.settings.corpus.mkdir(parents=True, exist_ok=True)
            with indexing_threads():
                report = update_index(self.settings.corpus, self.settings.index, embedder, progress=False,
                                      load=True, on_read=on_read)
            index = report.index or Index.load(self.settings.index, model_name=embedder.name)
            self._answerer = Answerer(Retriever(index, embedder), settings=self.settings)
        except Exception as e:  # noqa: BLE001 - every tool call reports it
            log.exception("the index could not be loaded")
            self._error = f"{type(e).__name__}: {e}"
        finally:
            self._done.set()

    def answerer(self):
        """The answerer (waits while the reports are first read); raises ``RuntimeError`` saying why not."""
        end = time.time() + LIMITS.ready_wait
        while self._answerer is None and not self._done.is_set() and time.time() < end:
            time.sleep(LIMITS.poll)
        if self._answerer is None:
            raise RuntimeError(f"the index could not be loaded: {self._error}" if self._error
                               else "the index is still being built: try again in a moment")
        return self._answerer


def _filters(year: int | None, place: str | None, report: str | None = None):
    from qa.search.filters import Filters

    return Filters(years=(year,) if year else (), places=(place,) if place else (),
                   doc_ids=(report,) if report else ())


def search_reports(reports: Reports, question: str, k: int = 5, year: int | None = None,
                   place: str | None = None) -> SearchResult:
    from qa.answer.render import hit_json
    from qa.search.question import check_question

    q = check_question(question)
    retriever = reports.answerer().retriever
    res = retriever.search(q, k=max(1, min(int(k), LIMITS.max_k)), filters=_filters(year, place))
    docs = retriever.index.documents
    hits = [{"rank": r, **hit_json(h), "document": h.chunk.doc_id, "title": docs[h.chunk.doc_id].title,
             "year": docs[h.chunk.doc_id].year, "places": list(docs[h.chunk.doc_id].places)}
            for r, h in enumerate(res.hits, 1)]
    return SearchResult(question=q, filters=res.filters.describe(), notes=list(res.notes), hits=hits)


def ask_reports(reports: Reports, question: str, history: list[str] | None = None, year: int | None = None,
                place: str | None = None, report: str | None = None) -> AskResult:
    from qa.answer.render import to_json
    from qa.search.followup import contextualize
    from qa.search.question import check_question

    q = check_question(question)
    answerer = reports.answerer()
    places = sorted({p for d in answerer.retriever.index.documents.values() for p in d.places})
    asked = contextualize(q, [check_question(h) for h in history or []], places)
    return AskResult(**to_json(answerer.ask(asked, filters=_filters(year, place, report))))


def list_reports(reports: Reports) -> list[dict]:
    index = reports.answerer().retriever.index
    counts = index.paragraph_counts()
    return [{"document": d.doc_id, "title": d.title, "year": d.year, "places": list(d.places), "file": d.source,
             "part": d.part, "paragraphs": counts.get(d.doc_id, 0)}
            for d in sorted(index.documents.values(), key=lambda d: (d.source, d.part or 0))]


def build_server(settings: Settings, embedder=None, reports: Reports | None = None):
    """The MCP server with its three tools; the index starts loading in the background."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from qa import __version__

    reports = reports or Reports(settings, embedder).start()
    server = MCPServer("report-qa", version=__version__, log_level="WARNING",
                       instructions="Questions about a folder of work reports. ask_reports answers with [n] "
                                    "markers that name its citations; search_reports ranks paragraphs.")

    def checked(fn, *args, **kw):
        try:
            return fn(reports, *args, **kw)
        except (QuestionError, RuntimeError) as e:
            raise ToolError(str(e)) from e  # the client sees the message as the tool's error

    @server.tool(name="search_reports")
    def search_reports_tool(question: str, k: int = 5, year: int | None = None,
                            place: str | None = None) -> SearchResult:
        """The k paragraphs of the reports that best match the question, ranked (filters: year, place)."""
        return checked(search_reports, question, k, year, place)

    @server.tool(name="ask_reports")
    def ask_reports_tool(question: str, history: list[str] | None = None, year: int | None = None,
                         place: str | None = None, report: str | None = None) -> AskResult:
        """Answer a question from the reports. The answer's [n] markers name its citations (report, section,
        paragraph, the cited sentence); 'abstained' is true when the reports do not give it, with related
        passages. 'history' holds earlier questions of the conversation, so follow-ups work."""
        return checked(ask_reports, question, history, year, place, report)

    @server.tool(name="list_reports")
    def list_reports_tool() -> list[dict]:
        """The reports indexed: title, year, places, file and paragraph count."""
        return checked(list_reports)

    return server


def run(settings: Settings, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until the client goes away (stdio) or until interrupted (HTTP)."""
    server = build_server(settings)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
