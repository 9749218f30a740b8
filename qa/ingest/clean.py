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

from qa.ingest.chrome import Boilerplate, ChromeModel, file_shapes, line_features, load_model
from qa.ingest.chrome_page import (
    decorated_titles,
    drop_footer,
    drop_lead_excerpts,
    drop_site_template,
    drop_tail_titles,
    drop_widget_runs,
)
from qa.ingest.chrome_rules import RELATED_RE, is_elision
from qa.ingest.chrome_rules import chrome_rule as _chrome_rule
from qa.ingest.structure import shielded
from qa.ingest.textlines import (
    CJK_RE,
    CLOSING,
    ENUM_RE,
    LATIN_RE,
    WS_RE,
    body_sentence,
    is_prose,
    is_title_like,
)
from qa.ingest.textlines import key as _key
from qa.ingest.textlines import rule_key as _rule_key
from qa.textnorm import FULL_STOPS, SENTENCE_ENDS, strip_pinyin

__all__ = ["Cleaned", "Line", "clean", "drop_repeats", "is_prose", "is_title_like", "rule_reasons", "split_lines"]


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
    # with no title line: the title a document viewer's file name gives ("….docx" without its extension)
    file_title: str | None = None


_SENTENCE_PUNCT_RE = re.compile(f"[{SENTENCE_ENDS}，,]")
_WRAPPED_MIN = 20  # a line this long that stops mid-sentence was wrapped (PDFs and records wrap at ~30)


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
    texts = [line.text for line in lines]
    _stage(keep, why, lambda k: drop_lead_excerpts(texts, k), "excerpt of the text below")
    _stage(keep, why, lambda k: drop_widget_runs(texts, k, shield), "widget among widgets")
    _stage(keep, why, lambda k: drop_footer(texts, k, shield), "footer after the body")
    _stage(keep, why, lambda k: drop_tail_titles(texts, k, shield), "other articles' titles after the body")
    if corpus is not None:
        _stage(keep, why, lambda k: drop_site_template(texts, k, shield, corpus), "site template")
    # after the classifier and the page rules, so that the lines around a mark are judged as before it was read
    _stage(keep, why, lambda k: _drop_elisions(texts, k), "elision mark")
    kept = [i for i, k in enumerate(keep) if k]
    title = next((i for i in kept[:8] if is_title_like(lines[i].text)), None)
    if title is not None:
        first_prose = next((i for i in kept if body_sentence(lines[i].text)), len(lines))
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
    # no title line: a viewer's file name at the top of the page (its title line, or a thumbnail's label)
    file_title = None if title_out is not None else next(
        (t for t in (viewer_title(line.text) for line in lines[:8]) if t), None)
    return Cleaned(tuple(out), tuple(t for _, t, _ in dropped_at), title_out, tuple(w for _, _, w in dropped_at),
                   file_title)


_VIEWER_FILE_RE = re.compile(r"^(?P<name>[^《》\n]{4,80}?)\.(?:docx?|pdf|pptx?|wps|txt)(?=$|[^a-z0-9])")


def viewer_title(line: str) -> str | None:
    """The title a viewer's file-name line gives: the name before its extension, when it reads as a title.

    >>> viewer_title("柳溪县教育局2022年工作总结.docx 12页"), viewer_title("下载本文档.docx")
    ('柳溪县教育局2022年工作总结', None)
    >>> viewer_title("柳溪县2019年教育工作总结.doc_第2页"), viewer_title("柳溪县教育工作计划.docVIP")
    ('柳溪县2019年教育工作总结', '柳溪县教育工作计划')
    """
    m = _VIEWER_FILE_RE.match(line.strip())
    name = m.group("name").strip() if m else ""
    return name if name and is_title_like(name) else None


def _drop_elisions(texts: Sequence[str], keep: list[bool]) -> None:
    """Drop the lines that are only an elision mark ("…………"): they hold no word of the report."""
    for i, text in enumerate(texts):
        if keep[i] and is_elision(text):
            keep[i] = False


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
    for i in decorated_titles(texts, keep):
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
    if len(CJK_RE.findall(joined)) < len(LATIN_RE.findall(joined)):
        return out, [0.0] * len(lines), [True] * len(lines)
    title = next((t for t, like in zip(texts[:8], titles, strict=False) if like), None)
    rows = line_features(texts, rules=[not k for k in keep], titles=titles, title=title, corpus=corpus)
    for i, chrome in enumerate(model.chrome(rows, [is_prose(t) for t in texts])):
        if chrome and not shield[i] and not (i and out[i - 1] and _wrapped(texts[i - 1])):
            out[i] = False
    return out, model.chrome_probability(rows), shield


def _cut_mid_sentence(text: str) -> bool:
    """A long line of prose that stops mid-sentence: the next line carries on its sentence."""
    return len(text) > _WRAPPED_MIN and text[-1] not in CLOSING and CJK_RE.match(text[-1]) is not None


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
    keys = [WS_RE.sub("", strip_pinyin(line.text)) for line in lines]
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
        if len(lines[i].text) > 40 or not RELATED_RE.match(_rule_key(lines[i].text)):
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
              if c >= 3 and not _SENTENCE_PUNCT_RE.search(key) and not ENUM_RE.match(key)}
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
