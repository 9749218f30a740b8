"""The web chat: a Gradio page over ``qa.web.service.Service`` (``qa serve`` / ``python app.py``).

The page is up at once; while the first index is built a status line says how far it got (refreshed by a
timer), and questions are answered as soon as it is ready. Answers stream in line by line; each ``[n]`` is
a link that opens the cited paragraph, in context, in the Sources panel. The Reports tab lists, adds and
removes reports; updates run in the background and swap in when complete.

Layout and wiring live here; what the controls do is in ``qa.web.actions``, the HTML in ``qa.web.html``.
Programs call the same service through two named endpoints (``gradio_client``)::

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")
    answer = client.predict("青松县2019年新建了几所学校?", api_name="/ask")  # dict, as ``qa ask --json``
    hits = client.predict("安全隐患", 5, api_name="/search")

>>> app = build_app(Service(Settings(), embedder=FakeEmbedder()))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing sent out
import gradio as gr  # noqa: E402

from qa.config import Settings
from qa.web.actions import (
    _index,
    ask_json,
    chat_turn,
    filter_choices,
    index_version,
    new_chat_state,
    remove_report,
    reports_safe,
    search_json,
    status_line,
    upload_reports,
)
from qa.web.html import REPORT_HEADERS, page_js, report_rows, sources_panel
from qa.web.i18n import AUTO, SWITCH_CHOICES, localize, localized_choices, resolve, t
from qa.web.i18n import status_line as localized_status
from qa.web.service import MAX_UPLOAD_BYTES, Service

log = logging.getLogger(__name__)

EXAMPLES = [
    "How much was invested in school buildings?",
    "What did the schools do about fire and traffic risks?",
    "钟山县2011年招聘了多少教师?",
    "學校的師資培訓有哪些做法?",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
ASK_CONCURRENCY = 2  # questions answered at once; more wait in Gradio's queue
TIMER_SECONDS = 1.5


def build_app(service: Service) -> gr.Blocks:
    """The whole page, wired to ``service`` (which may still be building its index)."""
    with gr.Blocks(title="report-qa", analytics_enabled=False) as app:
        with gr.Row(equal_height=False):
            title = gr.Markdown(t("title", "en"), elem_id="qa-title")
            lang_choice = gr.Dropdown(SWITCH_CHOICES, value=AUTO, label="Language · 语言", elem_id="qa-lang",
                                      scale=0, min_width=240)
        status = gr.Markdown(status_line(service), elem_id="qa-status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat", elem_id="qa-tab-chat") as chat_tab:
                ui = _chat_tab(gr)
            with gr.Tab("Reports", id="reports", elem_id="qa-tab-reports") as reports_tab:
                rp = _reports_tab(gr)
        ui.lang, ui.lang_choice = gr.State("en"), lang_choice
        ui.labelled = [title, chat_tab, reports_tab]
        _wire(gr, app, service, status, ui, rp)
        _wire_language(gr, app, ui, rp)
    return app


def _chat_tab(gr) -> SimpleNamespace:
    ui = SimpleNamespace(state=gr.State(new_chat_state()))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            ui.chatbot = gr.Chatbot(elem_id="qa-chat", height=460, show_label=False, latex_delimiters=[],
                                    feedback_options=None, buttons=["copy"],
                                    placeholder="Ask a question about the reports below.")
            with gr.Row():
                ui.question = gr.Textbox(show_label=False, placeholder="Your question …", scale=5, lines=1,
                                         max_lines=4, elem_id="qa-question")
                ui.ask = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
            ui.examples = gr.Examples([[q] for q in EXAMPLES], inputs=[ui.question], label="Examples",
                                      cache_examples=False)
            with gr.Accordion("Filters", open=False) as ui.filters:
                with gr.Row():
                    ui.year = gr.Dropdown([("any year", "")], value="", label="Year", elem_id="qa-year")
                    ui.place = gr.Dropdown([("any place", "")], value="", label="Place", elem_id="qa-place")
                    ui.report = gr.Dropdown([("all reports", "")], value="", label="Report",
                                            elem_id="qa-report")
            ui.clear = gr.Button("New conversation", size="sm")
        with gr.Column(scale=2):
            ui.sources = gr.HTML(sources_panel([]), elem_id="qa-sources", js_on_load=None, max_height=760,
                                 container=True, padding=True)
    return ui


def _reports_tab(gr) -> SimpleNamespace:
    rp = SimpleNamespace()
    rp.table = gr.Dataframe(headers=REPORT_HEADERS, value=None, interactive=False, wrap=True,
                            elem_id="qa-reports", label="Indexed reports (click a row to pick its file)")
    with gr.Row():
        with gr.Column():
            rp.upload = gr.File(label=f"Add reports: {', '.join(UPLOAD_TYPES)} (at most "
                                      f"{MAX_UPLOAD_BYTES // 2**20} MB each)", file_count="multiple",
                                file_types=UPLOAD_TYPES, type="filepath", elem_id="qa-upload")
            rp.upload_msg = gr.Markdown(elem_id="qa-upload-msg")
        with gr.Column():
            rp.to_remove = gr.Dropdown([], label="Report file to remove", elem_id="qa-remove-file")
            rp.remove = gr.Button("Remove (moved to corpus/.removed/)", variant="stop")
            rp.reindex = gr.Button("Update the index now")
            rp.remove_msg = gr.Markdown(elem_id="qa-remove-msg")
    return rp


def _wire(gr, app, service: Service, status, ui: SimpleNamespace, rp: SimpleNamespace) -> None:
    seen = gr.State("")
    quiet = {"api_visibility": "private", "show_progress": "hidden", "queue": False}

    def refresh(last: str, lang: str = "en"):
        version = index_version(service) + ":" + lang
        if version == last:
            return localized_status(service, lang), *([gr.skip()] * 5), last
        rows = reports_safe(service)
        years, places, docs = localized_choices(filter_choices(rows), lang)
        files = sorted({r["file"] for r in rows})
        dropdowns = [gr.Dropdown(choices=c) for c in (files, years, places, docs)]
        return localized_status(service, lang), report_rows(rows), *dropdowns, version

    outs = [status, rp.table, rp.to_remove, ui.year, ui.place, ui.report, seen]
    gr.Timer(TIMER_SECONDS).tick(refresh, [seen, ui.lang], outs, **quiet)
    app.load(refresh, [seen], outs, js=page_js(), **quiet)

    def on_ask(q, chat, st, y, p, r, lang):
        for chat_, panel, st_, box in chat_turn(service, q, chat, st, y, p, r):
            if chat_ and chat_[-1].get("role") == "assistant":
                chat_ = [*chat_[:-1], {**chat_[-1], "content": localize(chat_[-1]["content"], lang)}]
            yield chat_, localize(panel, lang), st_, box

    chat_io = {"inputs": [ui.question, ui.chatbot, ui.state, ui.year, ui.place, ui.report, ui.lang],
               "outputs": [ui.chatbot, ui.sources, ui.state, ui.question], "api_visibility": "private",
               "concurrency_limit": ASK_CONCURRENCY, "concurrency_id": "qa", "show_progress": "minimal"}
    ui.ask.click(on_ask, **chat_io)
    ui.question.submit(on_ask, **chat_io)
    ui.clear.click(lambda lang: ([], localize(sources_panel([]), lang), new_chat_state(), ""), [ui.lang],
                   [ui.chatbot, ui.sources, ui.state, ui.question], **quiet)

    rp.upload.upload(lambda paths, lang: (localize(upload_reports(service, paths), lang), None), [rp.upload, ui.lang],
                     [rp.upload_msg, rp.upload], api_visibility="private")
    rp.remove.click(lambda s, lang: localize(remove_report(service, s), lang), [rp.to_remove, ui.lang],
                    [rp.remove_msg], api_visibility="private")
    rp.reindex.click(lambda lang: service.update_in_background() or localize(
        "Updating the index in the background …", lang), [ui.lang], [rp.remove_msg], **quiet)
    rp.table.select(_selected_file, [rp.table], [rp.to_remove], **quiet)

    def ask(question: str, history: list[str] | None = None, year: int | None = None,
            place: str | None = None, report: str | None = None) -> dict:
        """Answer a question; the answer as JSON with its citations (or, declined, related passages)."""
        return ask_json(service, question, history, year, place, report)

    def search(question: str, k: int = 5, year: int | None = None, place: str | None = None,
               report: str | None = None) -> dict:
        """The k best paragraphs for a question, ranked."""
        return search_json(service, question, k, year, place, report)

    gr.api(ask, api_name="ask", concurrency_limit=ASK_CONCURRENCY, concurrency_id="qa")
    gr.api(search, api_name="search", concurrency_limit=ASK_CONCURRENCY, concurrency_id="qa")


def _wire_language(gr, app, ui: SimpleNamespace, rp: SimpleNamespace) -> None:
    """The page's language: the browser's (its Accept-Language) until the switch picks one; every label,
    the status line (next timer tick) and the page's messages follow it."""
    title, chat_tab, reports_tab = ui.labelled
    upload_label = {"types": ", ".join(UPLOAD_TYPES), "mb": MAX_UPLOAD_BYTES // 2**20}

    def labels(choice: str | None, state: dict | None, request: gr.Request):
        lang = resolve(choice, request.headers.get("accept-language") if request is not None else None)
        return (lang, gr.Markdown(t("title", lang)), gr.Tab(label=t("tab_chat", lang)),
                gr.Tab(label=t("tab_reports", lang)), gr.Chatbot(placeholder=t("chat_placeholder", lang)),
                gr.Textbox(placeholder=t("question_placeholder", lang)), gr.Button(t("ask", lang)),
                gr.Accordion(label=t("filters", lang)), gr.Dropdown(label=t("year", lang)),
                gr.Dropdown(label=t("place", lang)), gr.Dropdown(label=t("report", lang)),
                gr.Button(t("new_conversation", lang)), gr.Dataset(label=t("examples", lang)),
                gr.Dataframe(label=t("reports_table", lang)), gr.File(label=t("upload", lang, **upload_label)),
                gr.Dropdown(label=t("remove_file", lang)), gr.Button(t("remove", lang)),
                gr.Button(t("reindex", lang)), localize(sources_panel((state or {}).get("turns", [])), lang))

    outs = [ui.lang, title, chat_tab, reports_tab, ui.chatbot, ui.question, ui.ask, ui.filters, ui.year,
            ui.place, ui.report, ui.clear, ui.examples.dataset, rp.table, rp.upload, rp.to_remove, rp.remove,
            rp.reindex, ui.sources]
    quiet = {"api_visibility": "private", "show_progress": "hidden", "queue": False}
    app.load(labels, [ui.lang_choice, ui.state], outs, **quiet)
    ui.lang_choice.change(labels, [ui.lang_choice, ui.state], outs, **quiet)


def _selected_file(table: Any, evt: gr.SelectData) -> Any:
    """A click on a row of the reports table picks that row's file for removal (Gradio passes ``evt``
    because of its annotation)."""
    col = REPORT_HEADERS.index("file")
    row_value = getattr(evt, "row_value", None)
    if isinstance(row_value, list | tuple) and len(row_value) > col:
        return row_value[col]
    try:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return table.iloc[row, col]
    except (IndexError, KeyError, TypeError, AttributeError, ValueError):
        return gr.skip()


# -- running ------------------------------------------------------------------------------------------
def launch(app: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
           prevent_thread_lock: bool = False, quiet: bool = False) -> str:
    """Start serving ``app`` (queue on, nothing fetched from the network unless ``share``); its local URL."""
    app.queue(default_concurrency_limit=ASK_CONCURRENCY)
    app.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=prevent_thread_lock,
               show_error=True, quiet=quiet, ssr_mode=False, max_file_size=4 * MAX_UPLOAD_BYTES,
               footer_links=["api", "settings"], enable_monitoring=False)
    return app.local_url or f"http://{host}:{port}/"


def start_service(service: Service, *, watch: bool = True, echo: bool = True) -> threading.Thread:
    """Load (or build) the index in the background, then watch the corpus folder; echo progress."""

    def run() -> None:
        try:
            service.start()
        except Exception:  # noqa: BLE001 - the status line shows the message the service recorded
            log.exception("the index could not be built")
            return
        if watch:
            service.watch()

    service.will_start()
    worker = threading.Thread(target=run, name="index-start", daemon=True)
    worker.start()
    if echo:
        echo_thread = threading.Thread(target=_echo_progress, args=(service, worker), name="index-echo")
        echo_thread.daemon = True
        echo_thread.start()
    return worker


def _echo_progress(service: Service, worker: threading.Thread) -> None:
    last, shown = "", 0.0
    while worker.is_alive():
        p = service.progress
        line = p.describe() if p.stage != "idle" else ""
        if line and line != last and (time.time() - shown > 1.0 or p.done == p.total):
            print(f"index: {line}", file=sys.stderr, flush=True)
            last, shown = line, time.time()
        time.sleep(0.2)
    index = _index(service)
    if index is not None:
        print(f"index ready: {len(index.documents)} reports, {len(index.chunks)} paragraphs "
              f"({service.progress.describe()})", file=sys.stderr, flush=True)
    else:
        print(f"index not ready: {service.progress.describe()}", file=sys.stderr, flush=True)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
          *, embedder=None) -> None:
    """Run the web chat until interrupted: the page is up at once, the index loads or builds behind it."""
    service = Service(settings, embedder=embedder)
    print(f"report-qa: serving on http://{host}:{port}/ (corpus {settings.corpus}, index {settings.index})",
          file=sys.stderr, flush=True)
    start_service(service)
    app = build_app(service)
    try:
        url = launch(app, host=host, port=port, share=share, prevent_thread_lock=True)
        serve_api(app, service, host=host, url=url)
        app.block_thread()
    finally:
        service.stop()


def serve_api(app: gr.Blocks, service: Service, *, host: str, url: str = "") -> bool:
    """Serve the OpenAI-compatible API (``qa.web.openai_api``) beside the launched page; whether it is on."""
    from qa.web.openai_api import ApiAccess, mount

    access = ApiAccess(os.environ.get("QA_API_KEY") or None, host)
    mount(app.server_app, service, access)
    if access.open:
        print(f"report-qa: OpenAI-compatible API at {url.rstrip('/')}/v1 (model report-qa)"
              f"{' (bearer key required)' if access.key else ''}", file=sys.stderr, flush=True)
    else:
        print("report-qa: the OpenAI-compatible API is off: set QA_API_KEY to serve it beyond loopback",
              file=sys.stderr, flush=True)
    return access.open


__all__ = ["EXAMPLES", "build_app", "launch", "serve", "serve_api", "start_service"]
