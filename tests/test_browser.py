"""End to end in headless Chromium (Debian's, never a downloaded one): ask, click a footnote, upload a report.

The app runs on the fake embedder over the tiny corpus (fast); screenshots go to tests/output/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from servers import serve

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")]

OUT = Path(__file__).resolve().parent / "output"
DATA = Path(__file__).resolve().parent / "data"
NEW_REPORT = ("青松县教育局2019年工作总结\n\n一、办学条件\n"
              "2019年，青松县新建塑胶跑道12条，改造学校食堂5所。\n\n"
              "二、教师队伍\n全县组织教师培训800人次。\n")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from qa.models.embed import FakeEmbedder

    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(DATA / "tiny", root / "corpus")
    service, app, url = serve(root / "corpus", root / "index", FakeEmbedder(dim=64))
    yield url, root
    app.close()
    service.stop()


@pytest.fixture
def page(chromium, app_url):
    OUT.mkdir(exist_ok=True)
    outside: list[str] = []
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})  # fresh: no state from other tests
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.on("request", lambda r: outside.append(r.url)
          if not r.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")) else None)
    pg.goto(app_url[0])
    pg.wait_for_selector("#qa-question textarea")
    yield pg
    context.close()
    assert not outside, f"the page fetched from outside this machine: {outside}"


def ask(page, question: str) -> None:
    n = page.locator("#qa-chat .message-row, #qa-chat [data-testid='bot']").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_function(
        """([n, q]) => {
             const box = document.querySelector('#qa-chat');
             return box && box.innerText.includes(q.slice(0, 6)) &&
                    document.querySelector('#qa-sources').innerText.includes(q.slice(0, 6));
           }""", arg=[n, question], timeout=60_000)
    page.wait_for_timeout(500)  # the last streamed lines


def open_citation(page, turn: int, n: int = 1) -> None:
    """Close every source, click footnote [n] of answer ``turn``; its paragraph must open and show."""
    page.evaluate("() => document.querySelectorAll('#qa-sources details').forEach(d => d.open = false)")
    link = page.locator(f'#qa-chat a.qa-cite[href="#qa-src-{turn}-{n}"]').last
    link.click()
    box = page.locator(f"#qa-src-{turn}-{n}")
    page.wait_for_function(f"() => document.getElementById('qa-src-{turn}-{n}').open === true")
    page.wait_for_timeout(700)  # the smooth scroll
    assert box.locator("mark").count() == 1
    assert box.locator("mark").is_visible()
    assert box.locator(".qa-meta").inner_text().strip()


def test_ask_click_citation_upload(page, app_url):
    _, root = app_url
    # 1. The English motivating question: an answer with a citation, or a decline with related passages.
    ask(page, "How many schools were rebuilt in 2021?")
    page.screenshot(path=OUT / "browser-1-english.png", full_page=True)
    if page.locator('#qa-chat a.qa-cite[href^="#qa-src-1-"]').count():
        open_citation(page, 1)
    else:
        assert page.locator("#qa-sources #qa-turn-1 ol.qa-related li").count() >= 1
    # 2. A question the tiny corpus answers: the footnote opens the paragraph with the sentence marked.
    ask(page, "石泉县2011年招聘了多少教师?")
    assert page.locator('#qa-chat a.qa-cite[href="#qa-src-2-1"]').count() == 1
    open_citation(page, 2)
    cited = page.locator("#qa-src-2-1")
    assert "37" in cited.locator("mark").inner_text()
    assert "shiquan_2011.txt" in cited.inner_text()
    assert cited.locator(".qa-context").count() >= 1  # the paragraph before it, in context
    page.screenshot(path=OUT / "browser-2-citation.png")

    # 3. Upload a GBK-encoded report through the page; once indexed, a question only it answers is cited.
    upload = root / "uploads" / "青松县2019年教育工作总结.txt"
    upload.parent.mkdir(exist_ok=True)
    upload.write_bytes(NEW_REPORT.encode("gbk"))
    page.get_by_role("tab", name="Reports").click()
    page.set_input_files("#qa-upload input[type=file]", str(upload))
    page.wait_for_function("() => document.querySelector('#qa-upload-msg').innerText.includes('Added')")
    page.wait_for_function("() => document.querySelector('#qa-reports').innerText.includes('青松县')",
                           timeout=90_000)
    assert (root / "corpus" / upload.name).read_bytes() == upload.read_bytes()
    page.screenshot(path=OUT / "browser-3-reports.png", full_page=True)
    page.get_by_role("tab", name="Chat").click()
    ask(page, "青松县2019年新建塑胶跑道多少条?")
    open_citation(page, 3)
    cited = page.locator("#qa-src-3-1")
    assert "塑胶跑道12条" in cited.inner_text()
    assert upload.name in cited.inner_text()
    page.screenshot(path=OUT / "browser-4-uploaded.png")

    # 4. Remove a report through the page: pick its row, press Remove; it leaves the table, kept on disk.
    page.get_by_role("tab", name="Reports").click()
    page.locator("#qa-reports").get_by_text("leling_plan.txt").first.click()
    page.wait_for_function("() => document.querySelector('#qa-remove-file input').value === 'leling_plan.txt'")
    page.get_by_role("button", name="Remove (moved to corpus/.removed/)").click()
    page.wait_for_function("() => document.querySelector('#qa-remove-msg').innerText.includes('Removed')")
    page.wait_for_function("() => !document.querySelector('#qa-reports').innerText.includes('leling_plan')",
                           timeout=90_000)
    assert (root / "corpus" / ".removed" / "leling_plan.txt").is_file()
    page.screenshot(path=OUT / "browser-5-removed.png", full_page=True)


def test_bad_question_shown_in_chat(page):
    page.fill("#qa-question textarea", "x" * 1200)
    page.click("#qa-ask")
    page.wait_for_function("() => document.querySelector('#qa-chat').innerText.includes('too long')")
    page.screenshot(path=OUT / "browser-6-too-long.png")
    time.sleep(0.2)
    assert page.locator("#qa-ask").is_enabled()


def test_script_in_a_question_is_shown_as_text(page):
    """A question holding markup is shown as the characters typed: no script runs, no element is made."""
    page.evaluate("() => { window.__qa_ran = 0; }")
    hostile = '石泉县<script>window.__qa_ran = 1</script><img src=x onerror="window.__qa_ran = 2"> 安全隐患'
    page.fill("#qa-question textarea", hostile)
    page.click("#qa-ask")
    page.wait_for_function("() => document.querySelector('#qa-chat').innerText.includes('<script>')")
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.__qa_ran") == 0
    assert page.locator("#qa-chat script, #qa-chat img[src='x'], #qa-sources script").count() == 0
    assert "window.__qa_ran = 1</script>" in page.locator("#qa-chat").inner_text()
    page.screenshot(path=OUT / "browser-7-script-as-text.png")
