"""The page's three languages: the choice, the texts, the fixed phrases it translates."""

from __future__ import annotations

import ast
import inspect

import pytest

from qa.web import actions, html
from qa.web.i18n import LANGS, PHRASES, TEXTS, duration, localize, pick_language, progress_text, resolve, t


@pytest.mark.parametrize("header, lang", [
    ("zh-TW,zh;q=0.9", "zh-TW"), ("zh-HK", "zh-TW"), ("zh-Hant-TW", "zh-TW"), ("zh-CN,en", "zh-CN"),
    ("zh", "zh-CN"), ("en-US,zh-TW;q=0.5", "en"), ("de-DE,zh-TW;q=0.5", "zh-TW"), ("", "en"), (None, "en")])
def test_browser_language(header, lang):
    assert pick_language(header) == lang


def test_switch_wins_over_the_browser():
    assert resolve("en", "zh-TW") == "en" and resolve("auto", "zh-TW") == "zh-TW"


def test_every_text_in_three_languages():
    for key, texts in TEXTS.items():
        assert len(texts) == len(LANGS) and all(texts), key
        en, zh, hant = texts
        if any("\u4e00" <= ch <= "\u9fff" for ch in zh) and key != "remove":
            assert en != zh
    assert t("upload", "zh-TW", types=".txt", mb=20) == "新增報告：.txt（每個不超過 20 MB）"


def test_phrases_still_made_by_the_page():
    """Each translated phrase still occurs where the page makes it (a renamed phrase would go untranslated)."""
    from qa.web import chart, page

    strings = [node.value for mod in (actions, html, chart, page)
               for node in ast.walk(ast.parse(inspect.getsource(mod)))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    missing = [p for p in PHRASES if not any(p in s for s in strings)]
    assert not missing, missing


def test_localize_leaves_report_text_alone():
    panel = html.sources_panel([])
    assert "出處" in localize(panel, "zh-TW") and localize(panel, "en") == panel
    report = "year 2011 the file was read"  # report text outside the page's meta line stays
    assert localize(report, "zh-CN") == report


def test_progress_and_duration():
    assert progress_text("embedding", 128, 449, 75, "en") == "embedding: 128/449, about 1 min 15 s left"
    assert progress_text("embedding", 1, 2, None, "zh-CN") == "计算向量: 1/2"
    assert duration(3.2, "zh-TW") == "3 秒"
