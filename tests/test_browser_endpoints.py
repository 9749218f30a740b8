"""In headless Chromium: answers from the first seconds of a fresh index, the figures chart, the page in
Traditional Chinese. Screenshots go to tests/output/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from servers import serve

from qa.models.embed import FakeEmbedder

OUT = Path(__file__).resolve().parent / "output"
DATA = Path(__file__).resolve().parent / "data"

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")]

QUESTION = "石泉县2011年招聘了多少教师?"
REPORTS = {  # one measure (teachers recruited) in three counties' reports of three years
    "qingsong_2019.txt": "青松县教育局2019年工作总结\n\n一、教师队伍\n2019年，青松县通过公开招聘补充教师32名，"
                         "全部分配到乡村学校任教。\n\n二、办学条件\n新建塑胶跑道12条。\n",
    "baihe_2020.txt": "白河县教育局2020年工作总结\n\n一、教师队伍\n2020年，白河县通过公开招聘补充教师58名，"
                      "其中特岗教师20名。\n\n二、安全工作\n排查安全隐患31项。\n",
    "shimen_2021.txt": "石门县教育局2021年工作总结\n\n一、教师队伍\n2021年，石门县通过公开招聘补充教师45名。"
                       "\n\n二、教育投入\n投入经费3200万元。\n",
}


class SlowEmbedder(FakeEmbedder):
    """The fake embedder at the pace of a real model on a busy machine: ``seconds`` per paragraph."""

    def __init__(self, seconds: float):
        super().__init__(dim=64)
        self.seconds = seconds

    def embed(self, texts, kind, progress=None):
        if kind != "passage":
            return super().embed(texts, kind, progress)
        rows = []
        for text in texts:
            time.sleep(self.seconds)
            rows.append(super().embed([text], kind))
            if progress:
                progress(1)
        return np.vstack(rows) if rows else super().embed(texts, kind)


def _ask(page, question: str, turn: int) -> str:
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_selector(f"#qa-sources #qa-turn-{turn}", timeout=60_000)
    page.wait_for_timeout(400)
    return page.locator("#qa-chat").inner_text()


def _browser(chromium, **context):
    """A fresh context (no state from other tests) and its page; the caller closes the context."""
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000}, **context)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    return ctx, page


def test_fresh_index_answers_from_keywords_and_status_advances(chromium, tmp_path):
    OUT.mkdir(exist_ok=True)
    shutil.copytree(DATA / "tiny", tmp_path / "corpus")
    context, page = _browser(chromium)
    slow = SlowEmbedder(1.2)
    service, app, url = serve(tmp_path / "corpus", tmp_path / "index", slow, start=False)
    try:
        page.goto(url)  # the page is open when the first build starts (a busy machine loads it slowly)
        page.wait_for_selector("#qa-question textarea")
        from qa.web.page import start_service

        started = time.time()
        start_service(service, echo=False)
        page.wait_for_timeout(1000)
        asked_after = time.time() - started
        chat = _ask(page, QUESTION, 1)
        assert asked_after < 5, asked_after  # asked in the build's first seconds ...
        assert service.current_index().keyword_only  # ... and answered before the vectors were made
        assert "keywords only" in chat or "仅按关键词检索" in chat  # the answer says how it searched
        assert page.locator('#qa-chat a.qa-cite[href="#qa-src-1-1"]').count() == 1
        assert "37" in page.locator("#qa-src-1-1 mark").inner_text()
        page.screenshot(path=OUT / "endpoints-1-keyword-answer.png", full_page=True)
        seen = []
        while time.time() - started < 90:
            text = page.locator("#qa-status").inner_text()
            if not seen or text != seen[-1]:
                seen.append(text)
            if "up to date" in text:
                break
            progress = [s for s in seen if "embedding" in s]
            if len(progress) >= 2 and any("left" in s for s in progress):
                slow.seconds = 0.0  # seen what is asserted below: the rest of the build need not take ~20 s
            page.wait_for_timeout(300)
        progress = [s for s in seen if "embedding" in s]
        assert len(progress) >= 2, seen  # it advanced on screen, without a reload
        assert any("left" in s for s in progress), seen  # with the time left
        assert "up to date" in seen[-1], seen
        chat = _ask(page, "石泉县排查安全隐患多少项?", 2)
        assert chat.count("仅按关键词检索") <= 1  # the second answer comes from the full search
        assert not service.current_index().keyword_only
    finally:
        context.close()
        app.close()
        service.stop()


def test_figures_chart_links_to_citations(chromium, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in REPORTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    service, app, url = serve(corpus, tmp_path / "index", FakeEmbedder(dim=64))
    context, page = _browser(chromium)
    try:
        page.goto(url)
        page.wait_for_selector("#qa-question textarea")
        _ask(page, "各县通过公开招聘补充了多少教师?", 1)
        chart = page.locator("#qa-sources figure.qa-chart")
        assert chart.count() == 1
        bars = chart.locator("a.qa-bar")
        assert bars.count() >= 2
        chart.screenshot(path=OUT / "endpoints-2-chart.png")
        page.screenshot(path=OUT / "endpoints-2-chart-page.png", full_page=True)
        for i in range(bars.count()):  # each bar shows a figure its citation states
            n = bars.nth(i).get_attribute("data-n")
            shown = bars.nth(i).locator("text").last.inner_html().split(" ")[0]
            assert shown.rstrip("名") in page.locator(f"#qa-src-1-{n} mark").text_content()
        page.evaluate("() => document.querySelectorAll('#qa-sources details').forEach(d => d.open = false)")
        bars.last.click()
        n = bars.last.get_attribute("data-n")
        page.wait_for_function(f"() => document.getElementById('qa-src-1-{n}').open === true")
    finally:
        context.close()
        app.close()
        service.stop()


def test_page_in_traditional_chinese(chromium, tmp_path):
    shutil.copytree(DATA / "tiny", tmp_path / "corpus")
    service, app, url = serve(tmp_path / "corpus", tmp_path / "index", FakeEmbedder(dim=64))
    context, page = _browser(chromium, locale="zh-TW")
    try:
        page.goto(url)
        page.wait_for_selector("#qa-question textarea")
        page.wait_for_function("() => document.querySelector('#qa-ask').innerText.includes('提問')")
        page.get_by_role("tab", name="報告").wait_for(timeout=15_000)  # the tabs update after the button
        assert page.get_by_role("tab", name="報告").count() == 1
        assert page.locator("#qa-question textarea").get_attribute("placeholder") == "您的問題……"
        page.wait_for_function("() => document.querySelector('#qa-status').innerText.includes('已索引')")
        assert "份報告" in page.locator("#qa-status").inner_text()
        _ask(page, "漢川查出多少安全隱患?", 1)
        assert "出處" in page.locator("#qa-sources").inner_text()
        page.screenshot(path=OUT / "endpoints-3-zh-tw.png", full_page=True)
        page.locator("#qa-lang input").click()  # the switch: English
        page.get_by_role("option", name="English").click()
        page.wait_for_function("() => document.querySelector('#qa-ask').innerText.includes('Ask')")
        page.get_by_role("tab", name="Reports").wait_for(timeout=15_000)  # the tabs update after the button
        assert page.get_by_role("tab", name="Reports").count() == 1
    finally:
        context.close()
        app.close()
        service.stop()
