"""The web chat with the fake embedder: its functions directly, and the launched app through gradio_client."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from servers import serve, wait_for

from qa.config import Settings
from qa.types import Answer, Chunk, Citation, Document, Hit
from qa.web.actions import (
    chat_turn,
    filter_choices,
    filters_from,
    remove_report,
    reports_safe,
    status_line,
    upload_reports,
)
from qa.web.html import answer_markdown, sources_panel, turn_html
from qa.web.service import MAX_UPLOAD_BYTES, Service, UploadError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

DATA = Path(__file__).resolve().parent / "data"
QINGSONG = "青松县教育局2019年工作总结\n\n一、办学条件\n2019年，青松县新建塑胶跑道12条，改造学校食堂5所。\n"


def indexed_files(service: Service) -> set[str]:
    return {r["file"] for r in reports_safe(service)}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app launched on a free loopback port over a copy of the tiny corpus, and a client for it."""
    from gradio_client import Client

    from qa.models.embed import FakeEmbedder

    root = tmp_path_factory.mktemp("web")
    shutil.copytree(DATA / "tiny", root / "corpus")
    svc, app, url = serve(root / "corpus", root / "index", FakeEmbedder(dim=64))
    yield svc, url, Client(url, verbose=False)
    app.close()
    svc.stop()


# -- through gradio_client -------------------------------------------------------------------------
def test_app_launches_with_named_endpoints(live):
    import httpx

    _, url, client = live
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "report-qa" in page.text
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/ask", "/search"} <= set(endpoints)


def test_client_ask_returns_cited_answer(live):
    _, _, client = live
    result = client.predict("石泉县2011年招聘了多少教师?", api_name="/ask")
    assert not result["abstained"]
    assert "37" in result["answer"] and "[1]" in result["answer"]
    cite = result["citations"][0]
    assert cite["file"] == "shiquan_2011.txt" and cite["sentence"] in cite["text"]


def test_readme_example(live):
    """The example in docs/web.md, as written there (only the URL differs)."""
    from gradio_client import Client

    client = Client(live[1])
    answer = client.predict("石泉县2011年招聘了多少教师?", api_name="/ask")
    assert answer["citations"][0]["paragraph"] >= 1 and answer["citations"][0]["sentence"]
    follow = client.predict(question="那安全方面呢?", history=["石泉县2011年招聘了多少教师?"], year=2011,
                            api_name="/ask")
    assert follow["question"].startswith("石泉县")  # read against the earlier question
    hits = client.predict(question="安全隐患", k=3, api_name="/search")["hits"]
    assert 1 <= len(hits) <= 3 and {"rank", "score", "file", "paragraph", "text"} <= set(hits[0])


def test_client_search_and_filters(live):
    _, _, client = live
    res = client.predict("安全隐患", 3, api_name="/search")
    assert [h["rank"] for h in res["hits"]] == list(range(1, len(res["hits"]) + 1))
    assert res["hits"][0]["text"] and res["hits"][0]["file"].endswith(".txt")
    only = client.predict("安全隐患", 5, None, None, "", api_name="/search")
    assert only["hits"]
    doc_id = next(r["doc_id"] for r in reports_safe(live[0]) if r["file"] == "leling_plan.txt")
    res = client.predict("安全隐患", 5, None, None, doc_id, api_name="/search")
    assert {h["file"] for h in res["hits"]} == {"leling_plan.txt"}


def test_client_bad_question_is_an_error_message(live):
    from gradio_client.exceptions import AppError

    _, _, client = live
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="too long"):
        client.predict("问" * 5000, api_name="/ask")


def test_several_users_at_once(live):
    _, _, client = live
    questions = ["石泉县2011年招聘了多少教师?", "漢川的學校食堂管理有哪些做法?",
                 "安全隐患排查了多少项?", "What did the schools do about safety?"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: client.predict(q, api_name="/ask"), questions))
    assert [r["question"] for r in results] == questions
    assert all(r["citations"] or r["related"] for r in results)


def test_gbk_upload_is_indexed_and_cited(live):
    svc, _, client = live
    saved = svc.add_report("青松县2019.txt", QINGSONG.encode("gbk"))
    assert saved == "青松县2019.txt"
    wait_for(lambda: saved in indexed_files(svc) and svc.progress.stage == "idle", what="the upload's index")
    result = client.predict("青松县2019年新建塑胶跑道多少条?", api_name="/ask")
    assert "12" in result["answer"]
    assert result["citations"][0]["file"] == saved
    assert "塑胶跑道12条" in result["citations"][0]["text"]


# -- the functions behind the page ------------------------------------------------------------------
def test_chat_streams_links_and_sources(service):
    steps = list(chat_turn(service, "石泉县2011年招聘了多少教师?", [], None))
    assert len(steps) >= 2  # the lead line, then the cited lines
    chat, panel, state, box = steps[-1]
    assert box == "" and [m["role"] for m in chat] == ["user", "assistant"]
    assert '<a href="#qa-src-1-1" class="qa-cite"' in chat[-1]["content"]
    assert 'id="qa-src-1-1"' in panel and "<mark>" in panel
    assert "shiquan_2011.txt" in panel and "paragraph 3" in panel and "石泉县" in panel
    assert "全县中小学组织师生参加疏散逃生演练" in panel  # the paragraph before, in context
    assert state["questions"] == ["石泉县2011年招聘了多少教师?"]
    assert all(len(s[0][-1]["content"]) <= len(steps[-1][0][-1]["content"]) for s in steps)


def test_followup_passes_the_earlier_questions(service, monkeypatch):
    seen = []
    real_ask = service.ask

    def spy(question, history=None, filters=None, **kw):
        seen.append(list(history or []))
        return real_ask(question, history, filters, **kw)

    monkeypatch.setattr(service, "ask", spy)
    chat, _, state, _ = list(chat_turn(service, "石泉县2011年招聘了多少教师?", [], None))[-1]
    chat, panel, state, _ = list(chat_turn(service, "那安全方面呢?", chat, state))[-1]
    assert seen == [[], ["石泉县2011年招聘了多少教师?"]]
    assert len(chat) == 4 and 'id="qa-turn-2"' in panel
    assert 'href="#qa-src-2-' in chat[-1]["content"] or "Related passages" in chat[-1]["content"]
    assert "<h4>Q2: 那安全方面呢?</h4>" in panel
    assert "searched as: 石泉县 2011年 那安全方面呢?" in panel  # read against the question before it
    assert panel.index('id="qa-turn-2"') < panel.index('id="qa-turn-1"')  # newest first


@pytest.mark.parametrize("question, message", [("", "empty"), ("   \n ", "empty"), ("问" * 1001, "too long"),
                                               ("?!?", "no words")])
def test_bad_questions_answered_in_chat(service, question, message):
    steps = list(chat_turn(service, question, [], None))
    chat = steps[-1][0]
    assert chat[-1]["role"] == "assistant" and message in chat[-1]["content"]
    assert len(chat[0]["content"]) < 400  # a huge question is not echoed whole


def test_not_ready_yet(tiny_corpus, tmp_path, fake_embedder):
    svc = Service(Settings(corpus=tiny_corpus, index=tmp_path / "index"), embedder=fake_embedder)
    assert "Starting" in status_line(svc)
    chat = list(chat_turn(svc, "石泉县2011年招聘了多少教师?", [], None))[-1][0]
    assert "not loaded yet" in chat[-1]["content"]
    svc.start()
    assert "3** reports" in status_line(svc)


def test_decline_shows_related_passages(service):
    chat, panel, _, _ = list(chat_turn(service, "火星探测器的发射窗口是哪一天?", [], None))[-1]
    assert "Related passages" in chat[-1]["content"]
    assert "qa-related" in panel and "<li>" in panel and "¶" in panel


def test_filters_and_choices(service):
    years, places, docs = filter_choices(reports_safe(service))
    assert ("2011", "2011") in years and ("石泉县", "石泉县") in places and docs[0] == ("all reports", "")
    assert filters_from("2011", "石泉县", "").years == (2011,)
    assert not filters_from("", "", "")
    chat = list(chat_turn(service, "安全隐患", [], None, year="", place="汉川市"))[-1][0]
    assert "qa-cite" in chat[-1]["content"]


def test_report_text_is_escaped():
    evil = "<script>alert(1)</script> 招聘教师26名 <img src=x onerror=alert(2)>"
    doc = Document("d1", "a<b>.txt", "<b>标题</b>", 2011, ("石泉县",))
    chunk = Chunk("c1", "d1", "a<b>.txt", 1, ("<i>节</i>",), (0, len(evil)), evil, evil)
    text = "报告中写道：\n- “<script>x</script> *26* [1] [9]"
    answer = Answer("q<script>", text, (Citation(1, chunk, doc, evil),), (Hit(chunk, 1.0),))
    md = answer_markdown(answer.text, [1], turn=1)
    assert "<script>" not in md and "&lt;script&gt;" in md and r"\*26\*" in md and r"\[9\]" in md
    panel = sources_panel([turn_html(answer, 1, None)])
    assert "<script>" not in panel and "<img" not in panel and "<b>标题" not in panel and "<i>" not in panel
    assert "<mark>&lt;script&gt;" in panel
    declined = turn_html(Answer("q", "no", (), (Hit(chunk, 1.0),), True), 2, None)
    assert "<script>" not in declined and "&lt;img" in declined


def test_the_applied_filter_shows_in_the_sources_panel():
    doc = Document("d1", "a.txt", "标题", 2011, ("石泉县",))
    chunk = Chunk("c1", "d1", "a.txt", 1, (), (0, 4), "招聘教师", "招聘教师")
    notes = ("filter: only reports about 石泉县; year 2011 ranked first (not a cut)", "other note")
    html = turn_html(Answer("q", "招聘教师 [1]", (Citation(1, chunk, doc, "招聘教师"),), (), False, notes), 1, None)
    assert "only reports about 石泉县" in html and "other note" not in html
    from qa.search.filters import Filters

    for script in ("zh", "zh-hant"):  # the note in the question's script shows there too
        note = Filters(years=(2011,), places=("石泉县",)).note(script)
        html = turn_html(Answer("q", "招聘教师 [1]", (Citation(1, chunk, doc, "招聘教师"),), (), False,
                                (note, "other note")), 1, None)
        assert note in html and "other note" not in html


# -- reports ----------------------------------------------------------------------------------------
def test_path_trick_names_stay_in_the_corpus(service, tmp_path):
    corpus = service.settings.corpus.resolve()
    for name in ["../../evil.txt", "..\\..\\evil2.txt", "/etc/evil3.txt", ".hidden.txt", "a/../../b.txt"]:
        saved = service.add_report(name, f"测试报告 {name}\n石泉县2011年。".encode())
        assert "/" not in saved and "\\" not in saved and not saved.startswith(".")
        assert (corpus / saved).is_file()
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/evil3.txt").exists()
    src = tmp_path / "up"
    src.mkdir()
    (src / "..evil.md").write_text("# 报告\n石泉县", encoding="utf-8")
    assert "Added evil.md" in upload_reports(service, [str(src / "..evil.md")])


def test_unsupported_and_oversize_uploads_refused(service, tmp_path):
    with pytest.raises(UploadError, match="unsupported type"):
        service.add_report("virus.exe", b"MZ....")
    with pytest.raises(UploadError, match="limit"):
        service.add_report("big.txt", b"x" * (MAX_UPLOAD_BYTES + 1))
    exe, big, empty = tmp_path / "run.exe", tmp_path / "huge.txt", tmp_path / "empty.txt"
    exe.write_bytes(b"MZ")
    with open(big, "wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: no 20 MB written
    empty.write_bytes(b"")
    msg = upload_reports(service, [str(exe), str(big), str(empty)])
    assert msg.count("Refused") == 3 and "unsupported type" in msg and "limit" in msg and "empty" in msg
    assert not any(p.name in {"run.exe", "huge.txt", "empty.txt"} for p in service.settings.corpus.iterdir())


def test_row_click_picks_the_file():
    from types import SimpleNamespace

    import pandas as pd

    from qa.web.html import REPORT_HEADERS
    from qa.web.page import _selected_file

    table = pd.DataFrame([["t", 2011, "石泉县", "a.txt", "", 3], ["u", "", "", "b.txt", "", 2]],
                         columns=REPORT_HEADERS)
    assert _selected_file(table, SimpleNamespace(index=[1, 0], row_value=None)) == "b.txt"
    assert _selected_file(table, SimpleNamespace(index=[0, 2], row_value=["t", 2011, "", "a.txt", "", 3])) == "a.txt"


def test_remove_and_watch(service):
    corpus = service.settings.corpus
    msg = remove_report(service, "leling_plan.txt")
    assert "Removed" in msg and (corpus / ".removed" / "leling_plan.txt").is_file()
    wait_for(lambda: "leling_plan.txt" not in indexed_files(service), what="the removal")
    assert "Not removed" in remove_report(service, "../pyproject.toml")
    assert "Choose" in remove_report(service, None)
    service.watch()
    (corpus / "dropped.txt").write_text(QINGSONG, encoding="utf-8")  # a report dropped in on disk
    wait_for(lambda: "dropped.txt" in indexed_files(service), what="the watcher to index a dropped file")


def test_an_update_swaps_in_the_index_it_built_without_reading_it_back(service, monkeypatch):
    import qa.store.index

    before = service.answerer
    service.update()  # nothing changed: the same answerer (and its caches) stays
    assert service.answerer is before

    def no_reload(*a, **k):
        raise AssertionError("the service read the whole index back from disk")

    monkeypatch.setattr(qa.store.index.Index, "load", no_reload)
    (service.settings.corpus / "dropped.txt").write_text(QINGSONG, encoding="utf-8")
    service.update()
    assert "dropped.txt" in indexed_files(service) and service.answerer is not before
    hits = service.answerer.retriever.search("青松县塑胶跑道", k=3).hits
    assert hits[0].chunk.source == "dropped.txt"
