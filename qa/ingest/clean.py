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
    line_features,
    load_model,
)
from qa.ingest.structure import TITLE_WORDS_RE, shielded
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
_BUTTONS = _words("分享 收藏 打印 关闭 举报 评论 点赞 顶 踩 返回 更多 返回列表 返回首页 全文")
_URL_LABELS = _words("链接地址 原文链接 本文链接 本文地址 原文地址 文章地址 网址 链接 地址 url 出处 来源")
_DISCLAIMERS = _words(r"""免责声明 版权声明 版权所有 如有侵权 侵权请 版权归 本文仅限 ^友情提示
                      转载.{0,20}(?:请|须|务必)(?:保留|注明) (?:仅供|只供)(?:您|大家)?(?:学习|参考)
                      互联网用户整理 网友(?:整理|上传|投稿) 本站(?:整理|收集|不拥有)
                      未经(?:许可|授权).{0,6}转载 请联系(?:我们|本站)""")
# A document's file name as a viewer shows it: the whole line (with a page-count badge; an attachment line of the
# report names its file too, so "附件" stays), or quoted by the site.
_FILE = r"[^《》()\n]{2,80}?\.(?:docx?|pdf|pptx?|xlsx?|wps|txt)"
_FILE_NAME_RE = re.compile(rf"^(?!附件)《?{_FILE}》?(?:\s*\d+\s*页)?$|[《(]{_FILE}(?:\s*\d+\s*页)?[》)]", re.I)
_MENU_RE = re.compile(rf"(?:^|\s)[{_CJK}]{{2,6}}(?: [{_CJK}]{{2,6}}){{5,}}$")  # six or more links one space apart
_PLACES_WORDS = _words("当前 您的 你的 您现在的 你现在的 所在 现在 当前所在")
_NO_CJK = r"[^\u3400-\u9fff]*"
# Rules for a whole line, read in Simplified half-width form; each names what it removes.
_RULE_PATTERNS = (
    ("breadcrumb", rf"^{_PLACES_WORDS}?位置\s*[:：>]|^(?:网站|网页)?首页\s*[>»›/→]"
                   r"|(?:\s*[>»›→]\s*[^>»›→]{1,20}){2,}$"),
    ("welcome", r"^(?:欢迎(?:光临|访问|来到|进入|浏览|您)|welcome\b).{0,40}$"),
    ("metadata", rf"(?:^|[\s|｜丨/·•,，;；【\[]){_META_KEYS}\s*[:：]"
                 rf"|(?:^|\s)(?:时间|日期)\s*[:：]\s*{_DATE}|^\W*{_DATE}{_CLOCK}\W*$"),
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
_PREFACE_RE = re.compile(
    rf"(?:{_LEAD}{_NOT_END}{{0,12}}?(?:为|為|给|給)(?:大家|您|你)|(?:{_LEAD})?小[编編])"
    rf"{_NOT_END}{{0,10}}?(?:整理|收集|搜集|编辑|編輯|准备|準備|带来|帶來|分享|推荐|推薦|精选|精選){_NOT_END}{{0,120}}{_END}"
    rf"(?:{_NOT_END}{{0,4}}(?:供大家|希望|欢迎|歡迎|仅供|僅供){_NOT_END}{{0,40}}{_END})?")


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
    why: list[str | None] = [_chrome_rule(line.text) for line in lines]
    keep = [w is None for w in why]
    _keep_table_cells(lines, keep)
    why = [None if k else w for k, w in zip(keep, why, strict=True)]
    by_model, chance = _model_keep(lines, keep, model or load_model(), corpus)
    _stage(keep, why, lambda k: _drop_related_lists(lines, k), "related-articles list")
    _stage(keep, why, lambda k: _drop_label_lists(lines, k), "link list")
    # a viewer's file name counts as the title the rules found: a heading under it is not the site's title
    shown = [i for i, k in enumerate(keep) if k or why[i] == "file name"][:8]
    by_rules = next((i for i in shown if is_title_like(lines[i].text)), None)
    for i, k in enumerate(by_model):
        if keep[i] and not k:
            keep[i], why[i] = False, f"classifier ({chance[i]:.2f})"
    kept = [i for i, k in enumerate(keep) if k]
    title = next((i for i in kept[:8] if is_title_like(lines[i].text)), None)
    if title is not None:
        for i in kept:
            line = lines[i].text
            # what stands above the title the rules found is the site's; above a later one, it may be body
            if (i < title and title == by_rules and len(line) <= 40 and not is_prose(line)
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


def _model_keep(lines: list[Line], keep: list[bool], model: ChromeModel, corpus: Boilerplate | None,
                ) -> tuple[list[bool], list[float]]:
    """What the chrome classifier keeps, given what the rules keep. It was fitted on Chinese pages: a file
    written mostly in Latin letters is left to the rules."""
    out = list(keep)
    texts = [line.text for line in lines]
    joined = "".join(texts)
    if len(_CJK_RE.findall(joined)) < len(_LATIN_RE.findall(joined)):
        return out, [0.0] * len(lines)
    titles = [is_title_like(t) for t in texts]
    title = next((t for t, like in zip(texts[:8], titles, strict=False) if like), None)
    rows = line_features(texts, rules=[not k for k in keep], titles=titles, title=title, corpus=corpus)
    shield = shielded(texts, keep, titles)
    for i, chrome in enumerate(model.chrome(rows, [is_prose(t) for t in texts])):
        if chrome and not shield[i] and not (i and out[i - 1] and _cut_mid_sentence(texts[i - 1])):
            out[i] = False
    return out, model.chrome_probability(rows)


def _cut_mid_sentence(text: str) -> bool:
    """A long line of prose that stops mid-sentence: the next line carries on its sentence."""
    return len(text) > _WRAPPED_MIN and text[-1] not in _CLOSING and _CJK_RE.match(text[-1]) is not None


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
    if _MENU_RE.search(text):  # read as written: a table's cells stand two spaces or a tab apart
        return "menu"
    if is_prose(text):
        return None
    for name, pattern in _RULES:
        if pattern.search(key):
            return name
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
