"""The page in its users' language: English, Simplified and Traditional Chinese.

The language comes from the browser (its ``Accept-Language``, which follows the browser's language setting)
unless the page's switch picks one. Labels, the status line and the page's own messages are translated here;
answers follow the question's language and script on their own (``qa.answer.wording``).

>>> pick_language("zh-TW,zh;q=0.9,en;q=0.8"), pick_language("zh-CN"), pick_language("fr-FR,en;q=0.5")
('zh-TW', 'zh-CN', 'en')
>>> t("ask", "zh-TW")
'提問'
"""

from __future__ import annotations

import re

LANGS = ("en", "zh-CN", "zh-TW")
AUTO = "auto"
SWITCH_CHOICES = [("Auto · 自动 · 自動", AUTO), ("English", "en"), ("简体中文", "zh-CN"),
                  ("繁體中文", "zh-TW")]
_TRADITIONAL_REGIONS = ("tw", "hk", "mo", "hant")

# key -> (English, Simplified, Traditional)
TEXTS: dict[str, tuple[str, str, str]] = {
    "title": ("## report-qa · questions about the work reports\nAsk in English, 简体 or 繁體中文. Every claim cites "
              "**[n]** the paragraph it came from: click it to read the paragraph.",
              "## report-qa · 工作报告问答\n可用英文、简体或繁体中文提问。每一处说法都标有出处 **[n]**，"
              "点击即可阅读原段落。",
              "## report-qa · 工作報告問答\n可用英文、簡體或繁體中文提問。每一處說法都標有出處 **[n]**，"
              "點擊即可閱讀原段落。"),
    "tab_chat": ("Chat", "问答", "問答"),
    "tab_reports": ("Reports", "报告", "報告"),
    "chat_placeholder": ("Ask a question about the reports below.", "请就下面的报告提问。", "請就下面的報告提問。"),
    "question_placeholder": ("Your question …", "您的问题……", "您的問題……"),
    "ask": ("Ask", "提问", "提問"),
    "filters": ("Filters", "筛选", "篩選"),
    "year": ("Year", "年份", "年份"),
    "place": ("Place", "地区", "地區"),
    "report": ("Report", "报告", "報告"),
    "any_year": ("any year", "不限年份", "不限年份"),
    "any_place": ("any place", "不限地区", "不限地區"),
    "all_reports": ("all reports", "全部报告", "全部報告"),
    "new_conversation": ("New conversation", "新对话", "新對話"),
    "language": ("Language", "语言", "語言"),
    "reports_table": ("Indexed reports (click a row to pick its file)", "已索引的报告（点击一行选中其文件）",
                      "已索引的報告（點擊一列選取其檔案）"),
    "upload": ("Add reports: {types} (at most {mb} MB each)", "添加报告：{types}（每个不超过 {mb} MB）",
               "新增報告：{types}（每個不超過 {mb} MB）"),
    "remove_file": ("Report file to remove", "要移除的报告文件", "要移除的報告檔案"),
    "remove": ("Remove (moved to corpus/.removed/)", "移除（移到 corpus/.removed/）", "移除（移到 corpus/.removed/）"),
    "reindex": ("Update the index now", "立即更新索引", "立即更新索引"),
    "examples": ("Examples", "示例", "範例"),
    # status line
    "starting": ("**Starting:** loading the model and the index …", "**正在启动：** 正在加载模型和索引……",
                 "**正在啟動：** 正在載入模型和索引……"),
    "building": ("**Building the index:** {progress} (questions are answered once the reports are read)",
                 "**正在建立索引：** {progress}（读完报告即可回答问题）",
                 "**正在建立索引：** {progress}（讀完報告即可回答問題）"),
    "problem": ("**Index problem:** {message}", "**索引出错：** {message}", "**索引出錯：** {message}"),
    "size": ("**{docs}** reports, **{chunks}** paragraphs indexed", "已索引 **{docs}** 份报告、**{chunks}** 个段落",
             "已索引 **{docs}** 份報告、**{chunks}** 個段落"),
    "keywords_only": ("**keyword search only** while the vectors are built: {progress}",
                      "向量建立期间**仅按关键词检索**：{progress}", "向量建立期間**僅按關鍵詞檢索**：{progress}"),
    "updating": ("**updating:** {progress} (answers come from the current index meanwhile)",
                 "**正在更新：** {progress}（其间由当前索引回答）", "**正在更新：** {progress}（其間由目前索引回答）"),
    "failed": ("**{message}** (the index before it keeps serving)", "**{message}**（之前的索引继续提供服务）",
               "**{message}**（之前的索引繼續提供服務）"),
    "up_to_date": ("up to date", "已是最新", "已是最新"),
    "last_update": (" (last update: {message})", "（上次更新：{message}）", "（上次更新：{message}）"),
    "eta": (", about {time} left", "，约剩 {time}", "，約剩 {time}"),
    "seconds": ("{n} s", "{n} 秒", "{n} 秒"),
    "minutes": ("{m} min {s} s", "{m} 分 {s} 秒", "{m} 分 {s} 秒"),
    "stage_reading": ("reading", "读取报告", "讀取報告"),
    "stage_embedding": ("embedding", "计算向量", "計算向量"),
    "stage_writing": ("writing", "写入索引", "寫入索引"),
}

# Fixed phrases of the page's messages and Sources panel (made in qa.web.actions and qa.web.html), translated
# where they are shown. tests/test_i18n.py checks each still occurs in the module that makes it.
PHRASES: dict[str, tuple[str, str]] = {
    "**Cannot ask this:**": ("**无法提问：**", "**無法提問：**"),
    "**Not ready yet:**": ("**尚未就绪：**", "**尚未就緒：**"),
    "**Something went wrong**": ("**出了点问题**", "**出了點問題**"),
    "please try again.": ("请再试一次。", "請再試一次。"),
    "*Related passages are listed beside the chat.*": ("*相关段落列在对话旁边。*", "*相關段落列在對話旁邊。*"),
    '<h3 class="qa-sources-title">Sources</h3>': ('<h3 class="qa-sources-title">出处</h3>',
                                                 '<h3 class="qa-sources-title">出處</h3>'),
    "Ask a question: the paragraphs an answer cites appear here. Click a footnote such as [1] to jump to its "
    "paragraph.": ("提问后，答案引用的段落会显示在这里。点击 [1] 这样的脚注即可跳到该段落。",
                   "提問後，答案引用的段落會顯示在這裡。點擊 [1] 這樣的註腳即可跳到該段落。"),
    "<b>No answer in the reports.</b> Related passages:": ("<b>报告中没有答案。</b>相关段落：",
                                                           "<b>報告中沒有答案。</b>相關段落："),
    "(no related passages)": ("（没有相关段落）", "（沒有相關段落）"),
    "(no sources)": ("（没有出处）", "（沒有出處）"),
    "searched as:": ("检索为：", "檢索為："),
    "**Added ": ("**已添加 ", "**已新增 "),
    "it is being indexed (see the status line).": ("正在建立索引（见状态栏）。", "正在建立索引（見狀態列）。"),
    "**Refused:**": ("**已拒绝：**", "**已拒絕：**"),
    "**Not removed:**": ("**未移除：**", "**未移除：**"),
    "**Removed ": ("**已移除 ", "**已移除 "),
    "from the index (kept as": ("（已移出索引，保存为", "（已移出索引，保存為"),
    "Choose a report file to remove.": ("请选择要移除的报告文件。", "請選擇要移除的報告檔案。"),
    "Updating the index in the background …": ("正在后台更新索引……", "正在背景更新索引……"),
    "figures as cited": ("所引数字", "所引數字"),
}
# The labels of a cited paragraph's details line ("year 2011 · place 昭平县 · section … · paragraph 3 · file …").
META_WORDS = {"year": ("年份", "年份"), "place": ("地区", "地區"), "part": ("篇", "篇"), "section": ("章节", "章節"),
              "paragraph": ("段", "段"), "file": ("文件", "檔案")}
# The first line of an update's summary (qa.store.update.UpdateReport.summary), as the status line shows it.
_SUMMARY_RE = re.compile(r"(\d+) paragraphs indexed in ([\d.]+) s \((\d+) embedded, (\d+) reused\)")
_SUMMARY = ("{0} 个段落，用时 {1} 秒（新算向量 {2}，沿用 {3}）", "{0} 個段落，用時 {1} 秒（新算向量 {2}，沿用 {3}）")
_META_RE = re.compile(r'(<div class="qa-meta">|(?<= · ))(year|place|part|section|paragraph|file) ')


def pick_language(accept_language: str | None) -> str:
    """The page language for a browser's ``Accept-Language``: its first Chinese or English preference."""
    for item in (accept_language or "").split(","):
        tag = item.split(";")[0].strip().lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh-TW" if any(part in _TRADITIONAL_REGIONS for part in tag.split("-")[1:]) else "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def resolve(choice: str | None, accept_language: str | None) -> str:
    """The switch's choice, or (on "auto") the browser's language."""
    return choice if choice in LANGS else pick_language(accept_language)


def t(key: str, lang: str, **kw) -> str:
    """The text ``key`` in ``lang`` (``en``, ``zh-CN``, ``zh-TW``), formatted with ``kw``."""
    text = TEXTS[key][LANGS.index(lang) if lang in LANGS else 0]
    return text.format(**kw) if kw else text


def localize(text: str, lang: str) -> str:
    """The page's own English phrases in ``text`` (a chat message or the Sources panel) in ``lang``.

    Report text is left as it is: only the fixed phrases the page adds are replaced.

    >>> localize('<div class="qa-meta">year 2011 · file a.txt</div>', "zh-CN")
    '<div class="qa-meta">年份 2011 · 文件 a.txt</div>'
    """
    if lang not in ("zh-CN", "zh-TW") or not text:
        return text
    col = 0 if lang == "zh-CN" else 1
    for en, zh in PHRASES.items():
        if en in text:
            text = text.replace(en, zh[col])
    text = _SUMMARY_RE.sub(lambda m: _SUMMARY[col].format(*m.groups()), text)
    return _META_RE.sub(lambda m: m.group(1) + META_WORDS[m.group(2)][col] + " ", text)


def localized_choices(choices: tuple[list, list, list], lang: str) -> tuple[list, list, list]:
    """The filter dropdowns' choices (``qa.web.actions.filter_choices``) with their "any" entry in ``lang``."""
    keys = ("any_year", "any_place", "all_reports")
    return tuple([(t(k, lang), "") if v == "" else (label, v) for label, v in c]
                 for k, c in zip(keys, choices, strict=True))


def duration(seconds: float, lang: str) -> str:
    """``75`` -> ``1 min 15 s`` (rounded up to 5 s above a minute)."""
    s = max(1, round(seconds))
    if s < 60:
        return t("seconds", lang, n=s)
    s = -(-s // 5) * 5
    return t("minutes", lang, m=s // 60, s=s % 60)


def progress_text(stage: str, done: int, total: int, eta: float | None, lang: str) -> str:
    """``embedding: 128/449, about 1 min 10 s left`` in ``lang``."""
    name = t(f"stage_{stage}", lang) if f"stage_{stage}" in TEXTS else stage
    out = f"{name}: {done}/{total}" if total else name
    return out + (t("eta", lang, time=duration(eta, lang)) if eta is not None else "")


def status_line(service, lang: str = "en") -> str:
    """The status line in ``lang``: reports indexed, keyword-only search while vectors are made, progress
    with the time left, or what went wrong. The page's timer calls it every second or so."""
    from qa.web.html import md_escape

    index, p = service.current_index(), service.progress
    progress = progress_text(p.stage, p.done, p.total, p.eta(), lang)
    if index is None:
        if p.stage != "idle":
            return t("building", lang, progress=progress)
        if p.message:
            return t("problem", lang, message=md_escape(p.message))
        return t("starting", lang)
    size = t("size", lang, docs=len(index.documents), chunks=len(index.chunks))
    if index.keyword_only:
        return f"{size} · " + t("keywords_only", lang, progress=progress if p.stage != "idle" else "…")
    if p.stage != "idle":
        return f"{size} · " + t("updating", lang, progress=progress)
    if "failed" in p.message:
        return f"{size} · " + t("failed", lang, message=md_escape(p.message))
    last = t("last_update", lang, message=localize(md_escape(p.message), lang)) if p.message else ""
    return f"{size} · " + t("up_to_date", lang) + last
