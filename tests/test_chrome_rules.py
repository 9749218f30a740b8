"""General chrome rules and guards added for pages of unseen sites (issue #13), and the optional context pass.

Made-up lines in the shapes the labelled pages show; no site's phrase is matched.
"""

from __future__ import annotations

import math

import pytest
from chrome_text import BODY, BODY2, TITLE, kept  # noqa: E402

from qa.ingest.chrome import FEATURES, ChromeModel, load_model
from qa.ingest.chrome_context import CONTEXT_FEATURES, Logistic, context_rows
from qa.ingest.clean import _chrome_rule, clean
from qa.ingest.structure import shielded, structured


def test_the_opener_that_leads_into_an_editors_preface_on_its_line_goes_with_it():
    opener = "总结是对过去一段时间工作的回顾和分析，它能帮助我们看清得失，让我们认真写一份总结吧。"
    preface = "下面是小编为大家收集的教育局工作总结，供大家参考。"
    cleaned = clean("\n".join([TITLE, opener + preface, BODY, BODY2]))
    assert [line.text for line in cleaned.lines] == [TITLE, BODY, BODY2]
    assert cleaned.why[:2] == ("editor's opener", "editor's preface")


def test_what_follows_a_preface_on_its_line_and_a_title_leading_into_it_stay():
    preface = "下面是小编为大家收集的教育局工作总结，供大家参考。"
    assert kept("\n".join([TITLE + preface, BODY])) == [TITLE, BODY]
    assert kept("\n".join([TITLE, preface + BODY, BODY2])) == [TITLE, BODY, BODY2]


def test_a_preface_in_the_sites_own_words_is_found():
    for line in ["前言：本站为你精心整理了教育局工作汇报范文，希望能为你的创作提供参考，欢迎咨询。",
                 "你还在为工作总结苦恼吗？栏目小编花时间特意编辑了教育局工作总结，供有需要的朋友参考借鉴。"]:
        assert kept("\n".join([TITLE, line, BODY])) == [TITLE, BODY]


def test_a_viewers_file_name_goes_but_an_attachment_line_stays():
    assert _chrome_rule("某县教育局2021年工作总结.docx") == "file name"
    assert _chrome_rule("《某县教育局2021年工作总结.docx》由会员分享，可在线阅读，更多相关文档请搜索。") == "file name"
    assert _chrome_rule("本文（某县教育局工作总结 24页.doc）为本站会员主动上传。") == "file name"
    assert _chrome_rule("附件：关于印发实施方案的通知.doc") is None
    assert _chrome_rule(BODY) is None


def test_a_menu_of_links_goes_but_a_plain_text_table_row_stays():
    assert _chrome_rule("欢迎来到范文网！ 工作总结 工作计划 心得体会 述职报告 演讲稿 申请书") == "menu"
    assert _chrome_rule("首页 新闻中心 政务公开 办事服务 互动交流 专题专栏") == "menu"
    assert _chrome_rule("学校  在校生  教师  培训人次  经费  面积") is None  # cells two spaces apart
    assert _chrome_rule("加强 管理 提高 质量") is None  # too few to be a menu


@pytest.mark.parametrize("line", ["------------------", "]", "•", "★★★"])
def test_a_line_without_letters_or_digits_is_markup(line):
    assert _chrome_rule(line) == "markup"


@pytest.mark.parametrize("line", ["。", "……", "| --- | --- |", "3", "• 20"])
def test_punctuation_closing_a_sentence_a_table_bar_and_numbers_are_not_markup(line):
    assert _chrome_rule(line) != "markup"


def test_a_compilations_part_headings_are_shielded():
    assert structured(["【篇一】", "篇二", "篇3", "篇一 教育局工作总结"]) == [True, True, True, False]


def test_sentences_that_name_one_furniture_word_are_the_reports():
    lines = ["组织开展了防溺水专题教育活动。全年举办讲座12场。",  # "专题" inside an ordinary word
             "组织开展了防溺水专题教育活动，参加师生12000人次。",  # a sentence of clauses
             "本站仅提供交流平台，本站不对下载内容负责。",  # several furniture words: judged
             "3：文件的所有权益归上传用户所有。"]  # one plain clause naming furniture: judged, as before
    assert shielded(lines, [True] * 4, [False] * 4) == [True, True, False, False]


def test_the_shipped_model_has_no_context_pass_and_keeps_its_threshold_high():
    model = load_model()
    assert model.context is None and model.threshold >= 0.85
    assert "fit_chrome.py" in model.provenance["command"]


def _context_model(weight: float) -> ChromeModel:
    base = load_model()
    n = len(CONTEXT_FEATURES)
    coef = tuple(weight if f == "previous" else 0.0 for f in CONTEXT_FEATURES)
    return ChromeModel(base.features, base.mean, base.scale, base.coef, base.intercept, base.threshold, {},
                       Logistic(CONTEXT_FEATURES, (0.0,) * n, (1.0,) * n, coef, 0.0))


def test_context_rows_read_the_neighbours_and_the_prose():
    rows = context_rows([0.9, 0.1, 0.8, 0.2], rule=[False, False, False, True], prose=[False, True, False, False])
    col = {name: [r[i] for r in rows] for i, name in enumerate(CONTEXT_FEATURES)}
    assert col["previous"] == [0.5, 0.9, 0.0, 0.8]  # prose counts as 0 for its neighbours, the edge as 0.5
    assert col["next"] == [0.0, 0.8, 1.0, 0.5]  # a line a rule drops counts as 1
    assert col["before_prose"] == [1.0, 0.0, 0.0, 0.0] and col["after_prose"] == [0.0, 0.0, 1.0, 1.0]
    assert col["chrome_above_in_tail"] == [0.0, 0.0, 0.0, 0.8]  # the tail: what stands between the body and it
    assert col["first_logit"][0] > 0 > col["first_logit"][3]


def test_a_context_pass_survives_a_round_trip_and_is_what_is_judged():
    model = _context_model(4.0)
    again = ChromeModel.from_dict(model.to_dict())
    assert again == model
    rows = [[0.0] * len(FEATURES) for _ in range(3)]
    rows[0][FEATURES.index("rule")] = 1.0  # the first line is one a rule drops
    p = model.chrome_probability(rows)
    # the second pass reads the previous line only: a dropped line (1) before line 1, the page's edge (0.5) before 0
    assert p[1] == pytest.approx(1 / (1 + math.exp(-4.0))) and p[0] == pytest.approx(1 / (1 + math.exp(-2.0)))
    with pytest.raises(ValueError):
        Logistic.from_dict(model.context.to_dict() | {"features": ["other"]})


def test_a_line_that_is_only_an_elision_mark_goes_and_a_cut_sentence_stays():
    from qa.ingest.clean import clean

    text = ("县教育局2020年工作总结\n一、工作成效\n1.党的建设全面加强。授予二星党支部…………\n…………\n"
            "2.教育投入不断增加,共完成投资6.1亿元。\n......\n")
    cleaned = clean(text)
    kept = [line.text for line in cleaned.lines]
    assert "…………" not in kept and "......" not in kept
    assert "1.党的建设全面加强。授予二星党支部…………" in kept
    assert "elision mark" in cleaned.why


def test_a_sites_browser_notice_goes_but_a_report_sentence_with_a_resolution_stays():
    assert _chrome_rule("（推荐使用1280×1024分辨率，IE9.0以上浏览器浏览）") == "browser notice"
    assert _chrome_rule("为获得最佳效果请使用Firefox 60以上版本浏览器") == "browser notice"
    assert _chrome_rule("全县新购交互式显示屏分辨率为3840×2160的设备56台。") is None
    assert _chrome_rule("浏览器") is None
