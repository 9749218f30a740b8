"""What the web chat's controls do, free of any Gradio layout: answer (streaming), search, upload, remove,
describe the index. ``qa.web.page`` wires these to the page; tests call them directly.

>>> svc = Service(Settings(), embedder=FakeEmbedder()); svc.start()  # doctest: +SKIP
>>> list(chat_turn(svc, "青松县2019年新建了几所学校?", [], None))[-1][0][-1]["content"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from qa.answer.render import hit_json, to_json
from qa.errors import QuestionError
from qa.search.filters import Filters
from qa.search.question import check_question
from qa.store.index import Index
from qa.types import Answer
from qa.web.html import answer_lines, md_escape, sources_panel, turn_html
from qa.web.service import MAX_UPLOAD_BYTES, Service, UploadError

log = logging.getLogger(__name__)

SEARCHING = "*Searching the reports …*"
TURNS_KEPT = 20  # answers whose sources stay in the panel


# -- the service's state, as the page shows it --------------------------------------------------------
def _index(service: Service) -> Index | None:
    try:
        return service.answerer.retriever.index
    except RuntimeError:
        return None


def status_line(service: Service) -> str:
    """One line: how many reports are indexed, and what the index is doing (building, updating, idle)."""
    index, p = _index(service), service.progress
    if index is None:
        if p.stage != "idle":
            return f"**Building the index:** {p.describe()} (questions are answered once it is ready)"
        if p.message:
            return f"**Index problem:** {md_escape(p.message)}"
        return "**Starting:** loading the model and the index …"
    size = f"**{len(index.documents)}** reports, **{len(index.chunks)}** paragraphs indexed"
    if p.stage != "idle":
        return f"{size} · **updating:** {p.describe()} (answers come from the current index meanwhile)"
    if "failed" in p.message:
        return f"{size} · **{md_escape(p.message)}** (the index before it keeps serving)"
    last = f" (last update: {md_escape(p.message)})" if p.message else ""
    return f"{size} · up to date{last}"


def index_version(service: Service) -> str:
    """Changes whenever a new index is swapped in (the timer then refreshes tables and choices)."""
    index = _index(service)
    if index is None:
        return ""
    return f"{id(index)}:{index.manifest.get('built_at', '')}:{len(index.chunks)}"


def reports_safe(service: Service) -> list[dict]:
    try:
        return service.reports()
    except RuntimeError:
        return []


def filter_choices(reports: list[dict]) -> tuple[list, list, list]:
    """Choices of the year, place and report dropdowns (value ``""`` = any)."""
    years = sorted({r["year"] for r in reports if r["year"]})
    places = sorted({p for r in reports for p in r["places"]})
    return ([("any year", "")] + [(str(y), str(y)) for y in years],
            [("any place", "")] + [(p, p) for p in places],
            [("all reports", "")] + [(f"{r['title']} ({r['file']})", r["doc_id"]) for r in reports])


def filters_from(year: str | int | None = None, place: str | None = None,
                 report: str | None = None) -> Filters:
    years = (int(year),) if year not in (None, "") else ()
    return Filters(years=years, places=(place,) if place else (), doc_ids=(report,) if report else ())


# -- questions ----------------------------------------------------------------------------------------
def new_chat_state() -> dict:
    return {"questions": [], "turns": [], "turn": 0}


def _shown_question(question: str | None) -> str:
    q = (question or "").strip()
    return md_escape(q if len(q) <= 300 else q[:300] + " …")


def chat_turn(service: Service, question: str | None, chat: list | None, state: dict | None,
              year: str | None = None, place: str | None = None, report: str | None = None
              ) -> Iterator[tuple[list, str, dict, str]]:
    """Answer one chat question, streaming: yields (chat messages, sources panel, state, question box).

    The first yield shows that the reports are being searched; a language model's reply (when one is set)
    then appears piece by piece as it arrives; the last yield is the checked answer with its links.
    """
    chat = list(chat or [])
    state = dict(state or new_chat_state())
    chat.append({"role": "user", "content": _shown_question(question) or "…"})
    chat.append({"role": "assistant", "content": SEARCHING})
    answer = None
    try:
        q = check_question(question)
        state["turn"] += 1
        yield chat, sources_panel(state["turns"]), state, ""
        for draft, answer in _answer_stream(service, q, list(state["questions"]), filters_from(year, place, report)):
            if answer is None:
                chat[-1] = {"role": "assistant", "content": md_escape(draft)}
                yield chat, sources_panel(state["turns"]), state, ""
    except QuestionError as e:
        chat[-1] = {"role": "assistant", "content": f"**Cannot ask this:** {md_escape(str(e))}"}
        yield chat, sources_panel(state["turns"]), state, ""
        return
    except RuntimeError as e:  # the index is still being built
        chat[-1] = {"role": "assistant", "content": f"**Not ready yet:** {md_escape(str(e))}"}
        yield chat, sources_panel(state["turns"]), state, question or ""
        return
    except Exception as e:  # noqa: BLE001 - shown in the chat; the page keeps working
        log.exception("question failed")
        msg = f"**Something went wrong** ({md_escape(type(e).__name__)}); please try again."
        chat[-1] = {"role": "assistant", "content": msg}
        yield chat, sources_panel(state["turns"]), state, ""
        return
    turn = state["turn"]
    state["questions"] = [*state["questions"], q][-TURNS_KEPT:]
    state["turns"] = [*state["turns"], turn_html(answer, turn, _index(service), asked=q)][-TURNS_KEPT:]
    chat[-1] = {"role": "assistant", "content": "\n".join(answer_lines(answer, turn))}
    yield chat, sources_panel(state["turns"]), state, ""


def _answer_stream(service: Service, question: str, history: list[str], filters: Filters
                   ) -> Iterator[tuple[str, Answer | None]]:
    """``service.ask`` in a worker thread: yields ``(draft, None)`` for each streamed piece of a language
    model's reply, then ``("", answer)``; the worker's exception is raised here."""
    pieces: queue.Queue = queue.Queue()
    done = object()
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["answer"] = service.ask(question, history=history, filters=filters, on_piece=pieces.put)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = e
        finally:
            pieces.put(done)

    threading.Thread(target=work, name="answer", daemon=True).start()
    while (piece := pieces.get()) is not done:
        latest = piece
        while not pieces.empty():  # a fast model: show only the newest draft
            nxt = pieces.get()
            if nxt is done:
                pieces.put(done)
                break
            latest = nxt
        yield latest, None
    if "error" in outcome:
        raise outcome["error"]
    yield "", outcome["answer"]


def ask_json(service: Service, question: str, history: list[str] | None = None, year: int | None = None,
             place: str | None = None, report: str | None = None) -> dict:
    """The ``/ask`` endpoint: the answer as ``qa ask --json`` prints it (errors raise ``gr.Error``)."""
    import gradio as gr

    try:
        answer = service.ask(question, history=list(history or []), filters=filters_from(year, place, report))
    except (QuestionError, RuntimeError) as e:
        raise gr.Error(str(e)) from e
    return to_json(answer)


def search_json(service: Service, question: str, k: int = 5, year: int | None = None,
                place: str | None = None, report: str | None = None) -> dict:
    """The ``/search`` endpoint: ranked paragraphs, as ``qa search --json`` prints them."""
    import gradio as gr

    try:
        q = check_question(question)
        retriever = service.answerer.retriever
    except (QuestionError, RuntimeError) as e:
        raise gr.Error(str(e)) from e
    res = retriever.search(q, k=max(1, min(int(k), 50)), filters=filters_from(year, place, report))
    docs = retriever.index.documents
    hits = []
    for r, h in enumerate(res.hits, 1):
        d = docs[h.chunk.doc_id]
        hits.append({"rank": r, **hit_json(h), "document": d.doc_id, "title": d.title, "year": d.year,
                     "places": list(d.places)})
    return {"question": q, "filters": res.filters.describe(), "notes": list(res.notes), "hits": hits}


# -- reports ------------------------------------------------------------------------------------------
def upload_reports(service: Service, paths: list[str] | str | None) -> str:
    """Save uploaded files into the corpus (each checked by the service); a Markdown message per file."""
    if not paths:
        return ""
    msgs = []
    for p in [paths] if isinstance(paths, str) else paths:
        path = Path(p)
        try:
            if path.stat().st_size > MAX_UPLOAD_BYTES:  # refuse before reading a huge file into memory
                raise UploadError(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB is over the "
                                  f"{MAX_UPLOAD_BYTES // 2**20} MB limit")
            saved = service.add_report(path.name, path.read_bytes())
            msgs.append(f"**Added {md_escape(saved)}**: it is being indexed (see the status line).")
        except UploadError as e:
            msgs.append(f"**Refused:** {md_escape(str(e))}")
        except OSError as e:
            msgs.append(f"**Refused:** {md_escape(path.name)}: cannot read the upload ({md_escape(str(e))})")
    return "\n\n".join(msgs)


def remove_report(service: Service, source: str | None) -> str:
    if not source:
        return "Choose a report file to remove."
    try:
        moved = service.remove_report(source)
    except UploadError as e:
        return f"**Not removed:** {md_escape(str(e))}"
    return f"**Removed {md_escape(source)}** from the index (kept as corpus/{md_escape(moved)})."
