"""Web chrome out of a report's text, by general rules over its lines.

Site headers, breadcrumbs, publish-date lines, share and download widgets, ratings, disclaimers,
URL lines, "related articles" lists and the editor's preface go; so do repeated titles and, per
document (``drop_repeats``), repeated paragraphs and truncated excerpts of the text. A long paragraph
of prose is never dropped by a chrome rule, only by the repeat rules.

>>> kept = clean("当前位置:首页 > 工作总结\\n教育局工作总结\\n推荐度:\\n全县共有中小学56所。")
>>> [line.text for line in kept.lines]
['教育局工作总结', '全县共有中小学56所。']
>>> kept.dropped
('当前位置:首页 > 工作总结', '推荐度:')
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.chrome import (
    Boilerplate,
    ChromeModel,
    file_shapes,
    furniture,
    line_features,
    load_model,
    shape,
)
from qa.ingest.structure import TITLE_WORDS_RE, headline, shielded
from qa.textnorm import CLAUSE_ENDS, CLOSERS, FULL_STOPS, SENTENCE_ENDS, halfwidth, strip_pinyin, to_simplified


@dataclass(frozen=True)
class Line:
    """A kept stretch of the text, usually a whole line without its surrounding whitespace."""

    start: int
    end: int
    text: str  # == source[start:end]


@dataclass(frozen=True)
class Cleaned:
    """The outcome of ``clean``: the lines kept, the chrome dropped, and where the title is."""

    lines: tuple[Line, ...]  # what is kept, in order
    dropped: tuple[str, ...]  # what went, in order
    title: int | None  # index in ``lines`` of the report's title line, if one was found
    why: tuple[str, ...] = ()  # for each of ``dropped``, the rule or reason that dropped it


_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_CHARS = _CJK
_CJK_RE = re.compile(f"[{_CJK}]")
_WS_RE = re.compile(r"\s+")
_SENTENCE_PUNCT_RE = re.compile(f"[{SENTENCE_ENDS}，,]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_CLOSING = SENTENCE_ENDS + "：:…" + CLOSERS
_WRAPPED_MIN = 20  # a line this long that stops mid-sentence was wrapped (PDFs and records wrap at ~30)
_NUM = "一二三四五六七八九十百"
_ENUM_RE = re.compile(rf"^(?:[{_NUM}]+[、.．]|[（(][{_NUM}\d]+[)）]|\d{{1,2}}[、.．](?!\d)|"
                      rf"[①-⑳⑴-⒇⒈-⒛]|第[{_NUM}\d]+[部章节])")


def _any(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


def _words(text: str) -> str:
    return _any(*text.split())


_META_KEYS = _words(r"""(?:发布|更新|发表|上传|录入|创建|修改)(?:时间|日期)
                    来源 作者 编辑 责任编辑 编者 出处 字号 字体 网站 移动端 手机版
                    浏览 浏览次数 浏览量 阅读次数 阅读量 点击 点击数 点击量 查看 查看次数
                    查看人数 人气 访问量 投稿 文章来源 信息来源 发布者 发布人 栏目 所属栏目 分类 标签""")
_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_CLOCK = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
_WIDGETS = _words(r"""点击下载 下载文档 下载本文 文档为\s*\w{2,5}\s*格式 展开更多 展开全文
                  阅读全文 查看全文 加载更多 返回顶部 分享到 一键分享 扫一扫 二维码 打印本页
                  关闭窗口 收藏本页 加入收藏 设为首页 字体\s*[:：]?\s*大\s*中\s*小
                  ^(?:上一篇|下一篇|上一页|下一页)""")
# 侵权投诉 (a button of a document site's widget column) is named by the label rules; 投诉举报 is its usual variant.
_BUTTONS = _words("分享 收藏 打印 关闭 举报 评论 点赞 顶 踩 返回 更多 返回列表 返回首页 全文 侵权投诉 投诉举报")
_URL_LABELS = _words("链接地址 原文链接 本文链接 本文地址 原文地址 文章地址 网址 链接 地址 url 出处 来源")
# Where the words come from: the label rules of tests/data/web_pages/README.md name 免责声明, 版权说明, 申明敬告,
# 郑重声明 and the uploaders' notices of document sites; the others are the notices' usual wording on any site (a site
# speaking of itself as 本站/本网, of its users' uploads, of the rights it holds).
_DISCLAIMERS = _words(r"""免责声明 版权声明 版权说明 申明敬告 郑重声明 版权所有 如有侵权 侵权请 版权归
                      本文仅限 ^友情提示
                      转载.{0,20}(?:请|须|务必)(?:保留|注明) (?:仅供|只供)(?:您|大家)?(?:学习|参考)
                      互联网用户整理 网友(?:整理|上传|投稿) 本站(?:整理|收集|不拥有) 本(?:站|网)不(?:保证|承担)
                      凡本(?:站|网)(?:注明|所载|刊载) (?:文档|作品|资料)由(?:用户|会员|网友)(?:提供|上传)
                      由用户(?:提供|上传)并?(?:上传|发布) 未经(?:许可|授权).{0,6}转载 请联系(?:我们|本站)""")
# A site's contact line (the label rules: "site phone numbers and hotlines"): its customer service or QQ, or the
# hotline of a news site for tips, submissions, adverts (新闻/投稿/报料/广告热线: the usual names on any news site;
# 新闻热线 is also on one labelled page). A report's own hotlines (举报, 心理, 服务热线) and a notice's 联系电话 are not
# matched.
_CONTACT_RE = re.compile(r"(?:(?:新闻|投稿|报料|爆料|广告|商务)热线|客服(?:电话|热线)?|QQ|qq)\s*[:：]?\s*"
                         r"(?:\d{3,4}-\d{7,8}|1[3-9]\d{9}|(?<=[Qq:：])\s*\d{5,11})")
# A document viewer's words around the document: the labels of its panels and its reading widgets (the label rules:
# 资源描述, 文档简介, 文档介绍, 已阅读5页…继续免费阅读), and the notice it prints under a shared file (由会员分享,
# 请在…上搜索: general viewer wording).
_VIEWER_LABEL_RE = re.compile(r"^(?:文档|资源|资料)(?:简介|描述|介绍|预览|详情)\W*$")
_VIEWER_NOTICE_RE = re.compile(r"由会员分享|请在\S{2,20}上搜索|已阅读\d+页|继续免费阅读")
# A page thumbnail of a viewer: "<file name>_第3页" (the label rules: `…_第1页`).
_THUMBNAIL_RE = re.compile(r"[_＿]\s*第\s*\d+\s*页$")
# A reporter's or editor's credit in brackets: two or more names apart, or a role and a name ("(记者 张三)").
# Without a role, a name of three characters among them (two-character words in brackets are as often subjects).
_NAME = f"[{_CJK_CHARS}]{{2,3}}"
_BYLINE_RE = re.compile(rf"^[(（]\s*(?:(?:记者|通讯员|撰稿|供稿|摄影|编辑|文|图)\s*[:：]?\s*{_NAME}"
                        rf"|(?=[^)）]*?(?<![{_CJK_CHARS}])[{_CJK_CHARS}]{{3}}(?![{_CJK_CHARS}])){_NAME}(?:\s+{_NAME})+)"
                        r"\s*[)）]$")
# A category path without a breadcrumb's arrows: kinds of report apart by "/" ("工作总结/工作汇报"; a table's header
# "学校名称/学生人数" names no kind).
_KIND = f"[{_CJK_CHARS}]{{0,6}}(?:总结|计划|报告|汇报|体会|方案|范文|讲话|致辞|材料)[{_CJK_CHARS}]{{0,4}}"
_CATEGORY_PATH_RE = re.compile(f"^{_KIND}(?:\\s*/\\s*{_KIND})+$")
# A document's file name as a viewer shows it: the whole line (with a page-count badge; an attachment line of the
# report names its file too, so "附件" stays), or quoted by the site.
_EXT = r"\.(?:docx?|pdf|pptx?|xlsx?|wps|txt)"
_FILE = rf"[^《》()\n]{{2,80}}?{_EXT}"
_FILE_IN_QUOTES = rf"[^《》\n]{{2,80}}?{_EXT}"  # a file name may hold brackets: "…工作思路(20240111).docx"
_FILE_NAME_RE = re.compile(rf"^(?!附件)《?{_FILE_IN_QUOTES}》?(?:\s*VIP)?(?:\s*\d+\s*页)?$"
                           rf"|《{_FILE_IN_QUOTES}(?:\s*\d+\s*页)?》"
                           rf"|[(（]{_FILE}(?:\s*\d+\s*页)?[)）]", re.I)
_MENU_RE = re.compile(rf"(?:^|\s)[{_CJK}]{{2,6}}(?: [{_CJK}]{{2,6}}){{5,}}$")  # six or more links one space apart
_PLACES_WORDS = _words("当前 您的 你的 您现在的 你现在的 所在 现在 当前所在")
_NO_CJK = r"[^\u3400-\u9fff]*"
# Rules for a whole line, read in Simplified half-width form; each names what it removes.
_RULE_PATTERNS = (
    ("breadcrumb", rf"^{_PLACES_WORDS}?位置\s*[:：>]|^(?:网站|网页)?首页\s*[>»›/→]"
                   r"|(?:\s*[>»›→]\s*[^>»›→]{1,20}){2,}$"),
    ("welcome", r"^(?:欢迎(?:光临|访问|来到|进入|浏览|您)|welcome\b).{0,40}$"),
    ("metadata", rf"(?:^|[\s|｜丨/·•,，;；【\[]){_META_KEYS}\s*[:：]"
                 rf"|(?:^|\s)(?:时间|日期)\s*[:：]\s*{_DATE}|^\W*{_DATE}{_CLOCK}\W*$"
                 # a machine date stamp with a category label beside it ("2021-03-25 工作总结")
                 rf"|^\W*{_DATE}{_CLOCK}\s+[{_CJK}]{{1,6}}\W*$|^\W*[{_CJK}]{{1,6}}\s+{_DATE}{_CLOCK}\W*$"),
    ("widget", rf"{_WIDGETS}|^{_BUTTONS}\W*$"),
    ("rating", r"^(?:推荐度|推荐指数|评分|星级|好评度|热度|难度)\s*[:：]?[\s★☆\d.%分/]*$"),
    ("url", rf"^(?:{_URL_LABELS}\s*[:：]\s*)?(?:https?://|www\.)\S+$"),
    ("disclaimer", _DISCLAIMERS),
    ("code", rf"^{_NO_CJK}(?:[A-Za-z_$][\w$.]*\s*\([^)]*\)\s*;|[{{}}]|=>|\bvar\s|\bfunction\b)"
             rf"{_NO_CJK}$"),
    ("markup", r"^(?![\s。！？!?；;，,、…”’」』)》]+$)[^\w|]+$"),  # no letter, digit or cell bar: a rule line, a "]"
    ("page number", r"^[-—–\s]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d{1,4}|\d+\s*/\s*\d+"
                    r"|page\s+\d+(?:\s+of\s+\d+)?)[-—–\s]*$"),
)
_RULES = tuple((name, re.compile(pattern, re.I)) for name, pattern in _RULE_PATTERNS)
_RELATED_RE = re.compile("^" + _words(r"""相关(?:文章|阅读|推荐|链接|资料|范文|内容)
                                     推荐(?:访问|阅读|文章|内容) 热门(?:关注|文章|推荐|阅读)
                                     热点文章 猜你喜欢 [你您]可能(?:感兴趣|还喜欢) (?:延伸|扩展|拓展)阅读
                                     精彩推荐 最新(?:文章|推荐) 更多相关 为你推荐 大家都在看 编辑推荐"""))
# An editor's preface, in either script: "下面是小编为大家整理的…，供大家参考。"
_END = f"[{FULL_STOPS}]"
_NOT_END = f"[^{FULL_STOPS}\\n]"
_LEAD = "(?:下面|以下|本文|本站|本网|本網)(?:是|为|為|就是)?"
# Or a pointer to the samples below that speaks to the reader of what they gain: "看看以下的计划实施案例，或许能为你制定
# 计划提供一些有益的思路。" (the label rules' generic openers lead into such a sentence when no editor is named).
_SAMPLES = "(?:范文|範文|范例|範例|案例|例文|样本|樣本|模板|范本|範本)"
_POINTER = (rf"(?:看看|看一看|参考|參考|阅读|閱讀)?(?:以下|下面)(?:的|这些|這些|几篇|幾篇)?{_NOT_END}{{0,8}}?{_SAMPLES}"
            rf"{_NOT_END}{{0,40}}?(?:你|您|大家){_NOT_END}{{0,40}}?(?:思路|参考|參考|借鉴|借鑒|帮助|幫助|启发|啟發|灵感|靈感)"
            rf"{_NOT_END}{{0,20}}{_END}")
_PREFACE_RE = re.compile(
    rf"(?:{_LEAD}{_NOT_END}{{0,12}}?(?:为|為|给|給)(?:大家|您|你)|(?:{_LEAD})?小[编編])"
    rf"{_NOT_END}{{0,10}}?(?:整理|收集|搜集|编辑|編輯|准备|準備|带来|帶來|分享|推荐|推薦|精选|精選){_NOT_END}{{0,120}}{_END}"
    rf"(?:{_NOT_END}{{0,4}}(?:供大家|希望|欢迎|歡迎|仅供|僅供){_NOT_END}{{0,40}}{_END})?|{_POINTER}")


def clean(text: str, *, model: ChromeModel | None = None, corpus: Boilerplate | None = None) -> Cleaned:
    """Drop the chrome lines of ``text``; find the title line among the first lines that remain.

    A line goes when a general rule names it, or when the chrome classifier (``qa.ingest.chrome``,
    ``model`` or the shipped one) gives it a chrome probability over its threshold; prose never goes.
    ``corpus`` counts line shapes over the files read with this one (boilerplate repeats across a site's
    pages); only the counts of this text's own ``file_shapes`` are read, so the cleaning changes only when
    ``corpus.signature(file_shapes(text))`` does. ``Cleaned.why`` gives the reason for each dropped block.
    """
    corpus = corpus.restricted(file_shapes(text)) if corpus is not None else None
    lines, prefaces = _trim_prefaces(split_lines(text))
    why = rule_reasons([line.text for line in lines])
    keep = [w is None for w in why]
    by_model, chance, shield = _model_keep(lines, keep, model or load_model(), corpus)
    _stage(keep, why, lambda k: _drop_related_lists(lines, k), "related-articles list")
    _stage(keep, why, lambda k: _drop_label_lists(lines, k), "link list")
    # a viewer's file name counts as the title the rules found: a heading under it is not the site's title
    shown = [i for i, k in enumerate(keep) if k or why[i] == "file name"][:8]
    by_rules = next((i for i in shown if is_title_like(lines[i].text)), None)
    for i, k in enumerate(by_model):
        if keep[i] and not k:
            keep[i], why[i] = False, f"classifier ({chance[i]:.2f})"
    _stage(keep, why, lambda k: _drop_lead_excerpts(lines, k), "excerpt of the text below")
    _stage(keep, why, lambda k: _drop_widget_runs(lines, k, shield), "widget among widgets")
    _stage(keep, why, lambda k: _drop_footer(lines, k, shield), "footer after the body")
    _stage(keep, why, lambda k: _drop_tail_titles(lines, k, shield), "other articles' titles after the body")
    if corpus is not None:
        _stage(keep, why, lambda k: _drop_site_template(lines, k, shield, corpus), "site template")
    kept = [i for i, k in enumerate(keep) if k]
    title = next((i for i in kept[:8] if is_title_like(lines[i].text)), None)
    if title is not None:
        first_prose = next((i for i in kept if _body_sentence(lines[i].text)), len(lines))
        for i in kept:
            line = lines[i].text
            # what stands above the title the rules found, at the top of the page, is the site's; above a later
            # title, or below the report's first paragraph, it may be body
            if (i < title and title == by_rules and i < first_prose and len(line) <= 40 and not is_prose(line)
                    and line[-1] not in SENTENCE_ENDS):
                keep[i], why[i] = False, "site name or slogan above the title"
            elif i > title and _key(line) == _key(lines[title].text):
                keep[i], why[i] = False, "repeated title"
    dropped_at = list(prefaces)
    dropped_at += [(line.start, line.text, why[i] or "chrome") for i, line in enumerate(lines) if not keep[i]]
    dropped_at.sort(key=lambda d: d[0])
    out = [line for line, k in zip(lines, keep, strict=True) if k]
    title_out = None if title is None or not keep[title] else sum(keep[:title])
    return Cleaned(tuple(out), tuple(t for _, t, _ in dropped_at), title_out, tuple(w for _, _, w in dropped_at))


def _stage(keep: list[bool], why: list[str | None], drop, reason: str) -> None:
    """Run ``drop(keep)`` and name ``reason`` for each line it drops."""
    before = list(keep)
    drop(keep)
    for i, (a, b) in enumerate(zip(before, keep, strict=True)):
        if a and not b:
            why[i] = reason


def _keep_table_cells(lines: list[Line], keep: list[bool], short: int = 12) -> None:
    """A lone number between short lines is a flattened table's cell, not a page number."""
    for i, line in enumerate(lines):
        if not keep[i] and line.text.isdigit():
            around = [lines[j].text for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if around and all(len(t) <= short for t in around):
                keep[i] = True


def rule_reasons(texts: Sequence[str]) -> list[str | None]:
    """For each line of a file, the general rule that drops it (None: kept): the rules for a line
    (``_chrome_rule``), a lone number among short lines kept as a table's cell, and a title the page repeats
    with a site's decoration (``_decorated_titles``)."""
    why: list[str | None] = [_chrome_rule(t) for t in texts]
    keep = [w is None for w in why]
    _keep_table_cells([Line(0, len(t), t) for t in texts], keep)
    why = [None if k else w for k, w in zip(keep, why, strict=True)]
    for i in _decorated_titles(texts, keep):
        why[i] = "decorated title"
    return why


def _model_keep(lines: list[Line], keep: list[bool], model: ChromeModel, corpus: Boilerplate | None,
                ) -> tuple[list[bool], list[float], list[bool]]:
    """What the chrome classifier keeps, given what the rules keep, its probabilities, and the lines it never
    judges (``shielded``). It was fitted on Chinese pages: a file written mostly in Latin letters is left to the
    rules."""
    out = list(keep)
    texts = [line.text for line in lines]
    joined = "".join(texts)
    titles = [is_title_like(t) for t in texts]
    shield = shielded(texts, keep, titles)
    if len(_CJK_RE.findall(joined)) < len(_LATIN_RE.findall(joined)):
        return out, [0.0] * len(lines), [True] * len(lines)
    title = next((t for t, like in zip(texts[:8], titles, strict=False) if like), None)
    rows = line_features(texts, rules=[not k for k in keep], titles=titles, title=title, corpus=corpus)
    for i, chrome in enumerate(model.chrome(rows, [is_prose(t) for t in texts])):
        if chrome and not shield[i] and not (i and out[i - 1] and _wrapped(texts[i - 1])):
            out[i] = False
    return out, model.chrome_probability(rows), shield


def _body_sentence(text: str) -> bool:
    """Prose, or a line of 20 characters or more that ends a sentence: the report's text has begun."""
    return is_prose(text) or (len(text) >= 20 and text.rstrip(CLOSERS)[-1:] in FULL_STOPS)


def _cut_mid_sentence(text: str) -> bool:
    """A long line of prose that stops mid-sentence: the next line carries on its sentence."""
    return len(text) > _WRAPPED_MIN and text[-1] not in _CLOSING and _CJK_RE.match(text[-1]) is not None


def _wrapped(text: str) -> bool:
    """A line the next one carries on: cut mid-sentence, and not a title (a heading without a clause mark: the
    line under a page's title is not its continuation)."""
    return _cut_mid_sentence(text) and (_CLAUSE_MARK_RE.search(text) is not None or not is_title_like(text))


_CLAUSE_MARK_RE = re.compile("[，,、；;：:]")


def split_lines(text: str) -> list[Line]:
    """The non-blank lines of ``text`` with their spans, surrounding whitespace excluded."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            start = pos + raw.index(stripped[0])
            lines.append(Line(start, start + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def is_prose(text: str) -> bool:
    """Body text that chrome rules never drop: over 60 CJK characters, with sentence punctuation."""
    return len(_CJK_RE.findall(text)) > 60 and _SENTENCE_PUNCT_RE.search(text) is not None


def is_title_like(text: str) -> bool:
    """A short line without sentence-final punctuation that names a report ("…工作总结", "…计划")."""
    key = _key(text)
    return (4 <= len(key) <= 60 and key[-1] not in SENTENCE_ENDS + CLAUSE_ENDS and not _ENUM_RE.match(key)
            and len(_CJK_RE.findall(key)) >= 4 and TITLE_WORDS_RE.search(_rule_key(text)) is not None)


def drop_repeats(lines: Sequence[Line], *, min_excerpt: int = 30, min_stretch: int = 50,
                 ) -> tuple[list[Line], list[str]]:
    """Within one document, drop text that repeats a longer stretch of it: a run of lines that repeat
    earlier lines (whitespace ignored) when the run holds ``min_stretch`` characters, and an excerpt of
    the rest of the text (``min_excerpt`` or more) copied from the start of a line on across the next,
    such as a page's opening run together again at its end.
    A single similar or repeated short line (a list item, "加强安全教育。") always stays.

    >>> body = ["一、基本情况", "全县共有中小学56所，在校学生36184人，专任教师2000人。",
    ...         "二、主要做法", "一、基本情况全县共有中小学56所，在校学生36184人，专任教师"]
    >>> kept, dropped = drop_repeats([Line(0, len(t), t) for t in body])
    >>> dropped
    ['一、基本情况全县共有中小学56所，在校学生36184人，专任教师']
    """
    keys = [_WS_RE.sub("", strip_pinyin(line.text)) for line in lines]
    keep = [True] * len(lines)
    seen: set[str] = set()
    repeated = []
    for key in keys:
        repeated.append(key in seen)
        seen.add(key)
    i = 0
    while i < len(keys):  # runs of repeated lines
        j = i
        while j < len(keys) and repeated[j]:
            j += 1
        if j > i and sum(len(k) for k in keys[i:j]) >= min_stretch:
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)
    candidates = [i for i, key in enumerate(keys) if keep[i] and len(key) >= min_excerpt]
    if sum(map(len, keys)) > 300_000:  # a huge document: excerpts of a page sit at its head or tail
        candidates = candidates[:20] + candidates[-20:]
    stream, offsets = _stream(keys, keep)
    for i in sorted(set(candidates), key=lambda i: -len(keys[i])):
        key, own = keys[i], offsets[i]
        starts = sorted({offsets[j] for j, k in enumerate(keep) if k and j != i} | {len(stream)})
        pos = stream.find(key)  # an excerpt copies the text from the start of a line on, across the next
        while pos != -1 and (abs(pos - own) < len(key) or pos not in starts
                             or pos + len(key) <= _next_start(starts, pos)):
            pos = stream.find(key, pos + 1)
        if pos != -1:
            keep[i] = False
            stream, offsets = _stream(keys, keep)
    kept = [line for line, k in zip(lines, keep, strict=True) if k]
    return kept, [line.text for line, k in zip(lines, keep, strict=True) if not k]


def _next_start(starts: list[int], pos: int) -> int:
    """The first line start after ``pos`` in the stream (its end if none)."""
    return next((s for s in starts if s > pos), starts[-1])


def _stream(keys: list[str], keep: list[bool]) -> tuple[str, list[int]]:
    offsets, pos = [], 0
    for key, k in zip(keys, keep, strict=True):
        offsets.append(pos)
        pos += len(key) if k else 0
    return "".join(key for key, k in zip(keys, keep, strict=True) if k), offsets


def _chrome_rule(text: str) -> str | None:
    """The name of the chrome rule ``text`` (a whole line) falls under, or None for body text."""
    if len(text) > 300:
        return None
    key = _rule_key(text)
    if _FILE_NAME_RE.search(key):  # a viewer names its file, also in a sentence ("《….docx》由会员分享")
        return "file name"
    if _VIEWER_NOTICE_RE.search(key) and _CJK_RE.search(key):  # a viewer's notice under the file, also long
        return "viewer notice"
    if _MENU_RE.search(text):  # read as written: a table's cells stand two spaces or a tab apart
        return "menu"
    if is_prose(text):
        return None
    for name, pattern in _RULES:
        if pattern.search(key):
            return name
    if _THUMBNAIL_RE.search(key):
        return "page thumbnail"
    if _VIEWER_LABEL_RE.match(key):
        return "viewer label"
    if len(key) <= 60 and not any(c in key for c in FULL_STOPS) and _CONTACT_RE.search(key):
        return "contact"
    if _BYLINE_RE.match(key):
        return "byline"
    if _CATEGORY_PATH_RE.match(key):
        return "category path"
    return None


def _trim_prefaces(lines: list[Line]) -> tuple[list[Line], list[tuple[int, str, str]]]:
    """Cut the editor's preface ("下面是小编为大家整理的…，供大家参考。") out of the lines that hold it, with
    what leads into it on its line when the preface ends the line: the site's opener ("总结是…书面材料，…
    让我们写一份总结吧。") or label ("前言：", "摘要：本站"), or an excerpt of the body the site repeats there.
    A title that leads into it stays."""
    out: list[Line] = []
    dropped: list[tuple[int, str, str]] = []
    for line in lines:
        pos = 0
        for m in _PREFACE_RE.finditer(line.text):
            lead = _piece(line, pos, m.start())
            title = bool(lead) and is_title_like(lead[0].text) and not any(c in lead[0].text for c in FULL_STOPS)
            if lead and not line.text[m.end():].strip() and not title:
                dropped.append((lead[0].start, lead[0].text, "editor's opener"))
            else:
                out.extend(lead)
            dropped.append((line.start + m.start(), m.group(0), "editor's preface"))
            pos = m.end()
        out.extend(_piece(line, pos, len(line.text)))
    return out, dropped


def _piece(line: Line, a: int, b: int) -> list[Line]:
    text = line.text[a:b]
    stripped = text.strip()
    if not stripped:
        return []
    a += text.index(stripped[0])
    return [Line(line.start + a, line.start + a + len(stripped), stripped)]


def _link_like(text: str) -> bool:
    return len(text) <= 60 and not is_prose(text) and not any(ch in text for ch in FULL_STOPS)


def _drop_related_lists(lines: list[Line], keep: list[bool]) -> None:
    """A "related articles" heading and the short link-like lines after it.

    A single short line followed by prose is kept: it titles appended text, not a list of links.
    """
    kept = [i for i, k in enumerate(keep) if k]
    n = 0
    while n < len(kept):
        i = kept[n]
        if len(lines[i].text) > 40 or not _RELATED_RE.match(_rule_key(lines[i].text)):
            n += 1
            continue
        keep[i] = False
        end = n + 1
        while end < len(kept) and _link_like(lines[kept[end]].text):
            end += 1
        if end - n - 1 >= 2 or end == len(kept):
            for j in kept[n + 1:end]:
                keep[j] = False
        n = end


def _drop_label_lists(lines: list[Line], keep: list[bool]) -> None:
    """Link lists without a heading: titles alternating with a category label that recurs ("教育新闻")."""
    kept = [i for i, k in enumerate(keep) if k]
    counts = Counter(_key(lines[i].text) for i in kept if len(lines[i].text) <= 12)
    labels = {key for key, c in counts.items()
              if c >= 3 and not _SENTENCE_PUNCT_RE.search(key) and not _ENUM_RE.match(key)}
    if not labels:
        return
    n = 0
    while n < len(kept):
        end = n
        while end < len(kept) and _link_like(lines[kept[end]].text):
            end += 1
        run = kept[n:end]
        marks = [_key(lines[i].text) in labels for i in run]
        alternating = not any(a and b for a, b in zip(marks, marks[1:], strict=False))
        if len(run) >= 4 and sum(marks) >= 2 and alternating:
            for j in run:
                keep[j] = False
        n = max(end, n + 1)


def _key(text: str) -> str:
    return _WS_RE.sub("", strip_pinyin(text))


def _rule_key(text: str) -> str:
    return _WS_RE.sub(" ", halfwidth(to_simplified(strip_pinyin(text)))).strip()


# A site's decoration of a title it also prints plain: a page-count badge ("… 9页"), a word count ("…1500字通用。"),
# an SEO tag in brackets ("…【精选推荐】"), a site name after an ASCII dash, underscore or bar, as a page's <title>
# carries it ("…-某某网"; a subtitle's "——" is the report's). Where the words come from: 页/字 badges, 精选 推荐 通用
# are the label rules' examples; the other tag words are the usual promotion words of essay sites (none is taken from
# a labelled page's text).
_SEO_WORDS = "(?:精选|精選|推荐|推薦|精品|热门|熱門|最新|优秀|優秀|通用|必备|必備|范文|範文|大全|合集|完整版|原创|原創)"
_DECORATION_RE = re.compile(rf"(?:\d+页|\d+字{_SEO_WORDS}?[。.]?|【{_SEO_WORDS}+】)$")
_SEO_TAG_HEAD_RE = re.compile(rf"^【{_SEO_WORDS}+】")
# a site's name after the title: a dash, underscore or bar between Chinese words ("大会-某某网"; "2-18", "SINOSAT-1"
# are not), and up to 20 characters without a clause or sentence mark after it
_SITE_SUFFIX_RE = re.compile(rf"(?<=[{_CJK}])\s*(?:[-_|｜]\s*)+(?=[{_CJK}])(?=[^，,、；;。！？!?]{{1,20}}$)")


def _decorated_titles(texts: Sequence[str], keep: Sequence[bool], similar: float = 0.8) -> list[int]:
    """Lines that print another short line of the page (a title) with a site's decoration: what is left without
    the decoration is that line, or shares ``similar`` of its character pairs with it (a tag on a title whose year
    the site rewrote). The plain line stays; a title printed twice, plain, is the report's."""
    keys = [_WS_RE.sub("", _rule_key(t)) for t in texts]
    plain = [i for i, k in enumerate(keys) if keep[i] and 6 <= len(k) <= 60 and not any(c in k for c in FULL_STOPS)
             and not _DECORATION_RE.search(k) and not _SEO_TAG_HEAD_RE.match(k)]
    out = []
    for i, key in enumerate(keys):
        # a title: no sentence or clause mark but in the decoration ("…1500字通用。")
        if not keep[i] or len(key) > 80 or _CLAUSE_OR_STOP_RE.search(_DECORATION_RE.sub("", key)):
            continue
        bases = []
        stripped = _SEO_TAG_HEAD_RE.sub("", _DECORATION_RE.sub("", key))
        if stripped != key:
            bases.append(stripped)
        bases += [texts[i][:m.start()] for m in _SITE_SUFFIX_RE.finditer(texts[i]) if m.start() > 0]
        for base in bases:
            base = _WS_RE.sub("", _rule_key(base))
            if len(base) >= 6 and any(j != i and keys[j] != key and _same_title(base, keys[j], similar)
                                      for j in plain):
                out.append(i)
                break
    return out


_CLAUSE_OR_STOP_RE = re.compile(f"[，,、；;{FULL_STOPS}]")


def _same_title(base: str, other: str, similar: float) -> bool:
    if base == other:
        return True
    a, b = _pairs(base), _pairs(other)
    return bool(a) and bool(b) and len(a & b) >= similar * max(len(a), len(b))


def _pairs(key: str) -> set[str]:
    chars = "".join(_CJK_RE.findall(key))
    return {chars[j:j + 2] for j in range(len(chars) - 1)}


_ELLIPSIS_RE = re.compile(r"(?:\.{3,}|…+|。{3,})$")
_BULLETS_RE = re.compile(r"[\s•·▪●◦‣]+")


def _drop_lead_excerpts(lines: list[Line], keep: list[bool], least: int = 20) -> None:
    """A site's lead excerpt: a line cut short (mid-sentence, or with "…") whose text the page then gives whole
    from the start of a later line on, across the next line or as part of a longer one. Nothing is lost: the
    text stays where it is whole. A title that opens a longer line stays (it is cut nowhere)."""
    keys = [_BULLETS_RE.sub("", _rule_key(line.text)) for line in lines]
    for i, key in enumerate(keys):
        if not keep[i]:
            continue
        ellipsis = _ELLIPSIS_RE.search(key)
        base = key[:ellipsis.start()] if ellipsis else key
        if len(base) < least or not (ellipsis or (base[-1] not in _CLOSING and not is_title_like(lines[i].text))):
            continue
        later = [j for j in range(i + 1, len(lines)) if keep[j]]
        stream = "".join(keys[j] for j in later)
        pos = 0
        for j in later:
            if stream.startswith(base, pos) and (len(base) < len(keys[j]) or len(base) > len(keys[j])):
                keep[i] = False
                break
            pos += len(keys[j])


# Pictographs and dingbats (✅ 💎 📧 🔔): one sign of furniture in a page's footer (a report may bullet with ★).
_PICTOGRAPH_RE = re.compile("[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")


def _small(text: str) -> bool:
    """A widget's word or counter: four characters at most, or no letter at all ("999+", "• 20")."""
    key = _BULLETS_RE.sub("", _rule_key(text))
    return len(key) <= 4 or not (_CJK_RE.search(key) or _LATIN_RE.search(key))


def _drop_widget_runs(lines: list[Line], keep: list[bool], shield: Sequence[bool], most: int = 3) -> None:
    """A run of up to ``most`` widget words or counters (``_small``) between dropped lines: the rest of a widget
    column whose other items went ("VIP专免", "999+", "22KB"...). Lines of a table or a list (``shield``) stay."""
    i = 0
    while i < len(lines):
        if not keep[i] or not _small(lines[i].text) or shield[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and keep[j] and _small(lines[j].text) and not shield[j]:
            j += 1
        if 0 < i and j < len(lines) and not keep[i - 1] and not keep[j] and j - i <= most:
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)


def _drop_footer(lines: list[Line], keep: list[bool], shield: Sequence[bool], short: int = 20) -> None:
    """After the body's last sentence and a dropped line: short labels of the page's footer that carry a sign of
    furniture (a pictograph, a closing colon before a link, Latin letters, a furniture word), such as a
    subscription box's "✅立即支持订阅:". A signature or a date under the report names none of these, and its
    attachment and distribution lines ("附件：", "抄送：") are shielded."""
    last = max((i for i, line in enumerate(lines) if keep[i] and len(line.text) >= 20
                and any(c in line.text for c in FULL_STOPS)), default=None)
    if last is None:
        return
    fenced = False
    for i in range(last + 1, len(lines)):
        if not keep[i]:
            fenced = True
            continue
        text = lines[i].text
        key = _rule_key(text)
        if (fenced and not shield[i] and len(key) <= short and not any(c in key for c in FULL_STOPS)
                and (_PICTOGRAPH_RE.search(text) or key[-1] in ":：" or _LATIN_RE.search(key) or furniture(key))):
            keep[i] = False


@dataclass(frozen=True)
class Template:
    """A site's template line by repetition across the files of a folder (jusText's and boilerpipe's signal)."""

    files: int = 3  # the line's shape is in this many files or more (two reports of one bureau share lines)
    longest: int = 30  # characters


TEMPLATE = Template()


def _drop_site_template(lines: list[Line], keep: list[bool], shield: Sequence[bool], corpus: Boilerplate,
                        template: Template = TEMPLATE) -> None:
    """A short line outside the body (above the first paragraph of prose or below the last) whose shape is in
    ``template.files`` files of the folder or more: a site's header or sign-off. Sentences, the report's title
    and signature, headings and anything title-like (a report kind its bureau's titles share) stay."""
    prose = [i for i, line in enumerate(lines) if keep[i] and _body_sentence(line.text)]
    if not prose:
        return
    for i, line in enumerate(lines):
        text = line.text
        if (keep[i] and not shield[i] and (i < prose[0] or i > prose[-1]) and len(text) <= template.longest
                and not any(c in text for c in FULL_STOPS) and not is_title_like(text)
                and corpus.files_with(shape(text)) >= template.files):
            keep[i] = False


def _drop_tail_titles(lines: list[Line], keep: list[bool], shield: Sequence[bool], least: int = 3) -> None:
    """A block of other articles' titles after the body ends, without a "related articles" heading: ``least`` or
    more consecutive lines after the body's last sentence that each read as a headline (8 to 40 characters, no
    sentence mark), up to the end of the page or a dropped line. A signature, a date, attachment lines and numbered
    items are shielded and break the block; a lone headline there stays."""
    last = max((i for i, line in enumerate(lines) if keep[i] and _body_sentence(line.text)), default=None)
    if last is None:
        return

    def titled(i: int) -> bool:
        key = _WS_RE.sub("", _rule_key(lines[i].text))
        return (keep[i] and (not shield[i] or headline(lines[i].text)) and 8 <= len(key) <= 40
                and not _CLAUSE_OR_STOP_RE.search(key) and len(_CJK_RE.findall(key)) >= 0.6 * len(key))

    i = last + 1
    while i < len(lines):
        j = i
        while j < len(lines) and titled(j):
            j += 1
        if j - i >= least and (j == len(lines) or not keep[j]):
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)
