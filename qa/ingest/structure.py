"""Body text that looks like chrome line by line, found by its layout: a table (flattened or plain text), a
record's header fields, a list numbered in sequence, a heading numbered as official documents number them
(一、, （二）). The chrome classifier (``qa.ingest.chrome``) leaves these lines alone (``shielded``, with whole
sentences, the report's title, the issuer it holds signing off and a date written as reports write one): short
lines, numbers and "key: value" are what it learned chrome looks like.

>>> structured(["项目", "数量", "规章", "0", "规范性文件", "12", "全县共有中小学56所，在校学生36184人。"])
[True, True, True, True, True, True, False]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.chrome import furniture, furniture_words
from qa.textnorm import FULL_STOPS, strip_pinyin

_WS_RE = re.compile(r"\s+")
_LATIN_RE = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Structure:
    """Shapes of body text that look like chrome line by line: a flattened table (a run of short cells,
    many of them bare numbers), a plain-text table (rows of cells apart by tabs or wide spaces), a record's
    header fields (a run of "日期: …", "地点: …" lines) and a list numbered in sequence. Set by hand from
    the shapes of the labelled pages and unit tests; bench/chrome.py measures the whole."""

    cell: int = 20  # a table cell or a field line is at most this long
    table_run: int = 6  # lines in a run of short cells
    numbers: float = 0.3  # share of bare numbers among them
    fields: int = 3  # consecutive "key: value" lines
    numbered: int = 3  # consecutive lines numbered in sequence ("(1)", "(2)", "(3)")
    rows: int = 2  # consecutive lines of cells apart by tabs or wide spaces (a plain-text table)
    key: int = 4  # characters of a field's key


STRUCTURE = Structure()
_CELL_SEP_RE = re.compile(r"[ \u3000\t]{2,}|[\u3000\t]")
_NUMBER_CELL_RE = re.compile(r"^[-+]?\d[\d.,%‰]*$")
_FIELD_RE = re.compile(rf"^[\u3400-\u9fff]{{1,{STRUCTURE.key}}}\s*[:：]\s*\S")
# A heading numbered the way official documents number their parts: 一、 （二） — web pages do not number chrome so;
# and the part heading of a compilation of reports: 篇一, 【篇二】 standing alone or before the part's title, or
# after it ("…工作总结【篇1】", "…工作计划 篇1", "…工作计划篇一"; a count is no part: "…总结7篇", "…(精选5篇)").
_PART = r"篇[一二三四五六七八九十\d]{1,3}"
_HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）]"
                         rf"|【?{_PART}】?\s*$|【{_PART}】|{_PART}\s*[:：])"
                         rf"|^[^。！？!?]{{2,40}}?(?:【{_PART}】|[（(]{_PART}[)）]|\s*(?<![\d一二三四五六七八九十]){_PART})\s*$")
# What names a report: its kind (a summary, a plan, a report...).
TITLE_WORDS_RE = re.compile("总结|计划|报告|汇报|要点|述职|规划|方案|讲话|发言|材料|综述|通报|通知|意见|汇编|记录|纪要")
# What an issuer's name ends with: an office, a school, a government (general Chinese administrative nouns).
_ISSUER_RE = re.compile("(?:局|厅|委|委员会|政府|办公室|办|学校|小学|中学|学院|大学|中心|园|部|处|科|室)$")
# A line that is only a date (or a field of one: 时间：2011年3月15日) written as reports date themselves
# (2021年12月30日, 二〇二一年十二月), not as
# sites stamp pages (2021-12-30 10:20; "发布时间：" lines go by the metadata rule).
_Y, _M = "(?:\\d{4}|[〇零一二三四五六七八九]{4})", "(?:\\d{1,2}|[一二三四五六七八九十]{1,3})"
_SIGNED_DATE_RE = re.compile(f"^(?:[\u4e00-\u9fff]{{1,4}}[:：])?{_Y}年{_M}月(?:{_M}[日号])?$")
_CN_DIGITS = {c: i + 1 for i, c in enumerate("一二三四五六七八九十")}
_N = r"(\d{1,2}|[一二三四五六七八九十])"
_MARK_RE = re.compile(rf"^\s*(?:([（(])\s*{_N}\s*[)）]|{_N}\s*([、.．]))")


def _mark(text: str) -> tuple[str, int] | None:
    """A line's list mark as (style, number): "(2)…" -> ("(d", 2), "三、…" -> ("、c", 3)."""
    m = _MARK_RE.match(text)
    if not m:
        return None
    number = m.group(2) or m.group(3)
    style = ("(" if m.group(1) else m.group(4).replace("．", ".")) + ("d" if number.isdigit() else "c")
    return style, int(number) if number.isdigit() else _CN_DIGITS[number]


def _numbered_runs(texts: Sequence[str], least: int) -> list[bool]:
    """Lines in runs of ``least`` or more consecutive lines numbered 1, 2, 3… in one style."""
    out = [False] * len(texts)
    marks = [_mark(t) for t in texts]
    i = 0
    while i < len(texts):
        j = i + 1
        while (j < len(texts) and marks[i] and marks[j] and marks[j][0] == marks[i][0]
               and marks[j][1] == marks[j - 1][1] + 1):
            j += 1
        if marks[i] and j - i >= least:
            out[i:j] = [True] * (j - i)
        i = j
    return out


def structured(texts: Sequence[str], shape: Structure = STRUCTURE) -> list[bool]:
    """Which lines belong to a table (flattened or plain text), a block of header fields or a numbered list, or are a
    numbered heading.

    >>> structured(["主 席:趙振國", "時 間:上午10:00", "地 點:會議室", "報告事項如下"])
    [True, True, True, False]
    """
    out = [bool(_HEADING_RE.match(t)) or n for t, n in zip(texts, _numbered_runs(texts, shape.numbered), strict=True)]
    cells = _runs(texts, lambda t: len(t) <= shape.cell, shape.table_run,
                  lambda run: sum(bool(_NUMBER_CELL_RE.match(t)) for t in run) >= shape.numbers * len(run))
    rows = _runs(texts, lambda t: len(_CELL_SEP_RE.split(t.strip())) >= 2, shape.rows,
                 lambda run: sum(any(_NUMBER_CELL_RE.match(c) for c in _CELL_SEP_RE.split(t.strip())) for t in run)
                 >= shape.numbers * len(run))
    fields = _runs(texts, lambda t: len(t) <= 3 * shape.cell and _FIELD_RE.match(_WS_RE.sub("", t)) is not None,
                   shape.fields, lambda run: True)
    return [any(flags) for flags in zip(out, cells, rows, fields, strict=True)]


def _runs(texts: Sequence[str], member, least: int, accept) -> list[bool]:
    """Lines in maximal runs of ``member`` lines, ``least`` or more long, that ``accept`` takes."""
    out = [False] * len(texts)
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and member(texts[j]):
            j += 1
        if j - i >= least and accept(texts[i:j]):
            out[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return out


def shielded(texts: Sequence[str], keep: Sequence[bool], titles: Sequence[bool]) -> list[bool]:
    """Lines the chrome classifier leaves alone: ``qa.ingest.structure``'s tables, fields, numbered lists
    and headings, whole sentences of the report (``_plain_sentence``),
    the report's own title (the first title-like line the rules keep, without Latin letters: a viewer's
    file name carries its extension), the issuer it holds signing off, and a date line as reports write one."""
    out = [s or _plain_sentence(t) or _addressee(t) or headline(t) or _key(t).startswith(_OFFICIAL_FIELDS)
           for s, t in zip(structured(texts), texts, strict=True)]
    first = next((i for i in [i for i, k in enumerate(keep) if k][:8] if titles[i]), None)
    if first is not None and not _LATIN_RE.search(texts[first]):
        out[first] = True
        out = [s or _signs_off(t, texts[first]) for s, t in zip(out, texts, strict=True)]
    return [s or _SIGNED_DATE_RE.match(_key(t)) is not None for s, t in zip(out, texts, strict=True)]


def _signs_off(text: str, title: str) -> bool:
    """A line the title holds and that names an issuer (a bureau, a school signing off at the end of its report;
    a site's category label such as "工作总结" names none): the report's own, however often its other reports
    in the folder repeat it."""
    key, title_key = _key(text), _key(title)
    return (GUARD.issuer <= len(key) < len(title_key) and key in title_key
            and _ISSUER_RE.search(key) is not None and TITLE_WORDS_RE.search(key) is None)


@dataclass(frozen=True)
class Guard:
    """Lines of the report the chrome classifier never judges, besides ``qa.ingest.structure``'s layouts."""

    issuer: int = 4  # characters of the shortest issuer line held in the title (青松县教育局)


GUARD = Guard()


# Whom a speech or a report addresses, on a line of its own ("各位代表：", "主任、副主任、各位委员:", "同志们："): the
# label rules count it as body; the nouns are the usual audiences of Chinese reports and speeches.
_ADDRESSEE_RE = re.compile(r"^[\u4e00-\u9fff、，, ]{0,24}"
                           r"(?:代表|委员|同志|领导|老师|同学|来宾|嘉宾|朋友|家长|同仁|同事)们?[:：]$")
# What a headline is made of: Chinese words, with the masks reports use for names (XX, **, ×) and years in digits.
_MASK_RE = re.compile(r"[Xx×*＊]+|\d+(?=年)")
_HEADLINE_NOISE_RE = re.compile(r"[|/_>»›<【】\[\]\-–:：.。!！?？]|\d+\s*[页頁]$")


# The fields an official document closes with: its attachments and whom it goes to (the label rules: an attachment
# line is body).
_OFFICIAL_FIELDS = ("附件", "抄送", "主送")


def _addressee(text: str) -> bool:
    return len(text) <= 30 and _ADDRESSEE_RE.match(_key(text)) is not None


def headline(text: str) -> bool:
    """A headline: a line of 10 to 40 Chinese characters (masks and years aside) with no furniture word, no
    separator, badge or closing punctuation: a report's or a news article's own heading (a site's name or label
    is shorter, a related-article list names no one line alone)."""
    key = _key(text)
    if not 10 <= len(key) <= 40 or _HEADLINE_NOISE_RE.search(key) or furniture(text):
        return False
    rest = _MASK_RE.sub("", key)
    return len(rest) >= 8 and len(_CJK_RE.findall(rest)) >= 0.9 * len(rest)


_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _plain_sentence(text: str) -> bool:
    """A whole sentence of the report: it ends a sentence and names no page furniture (no site, download,
    account or sharing word, no address); or a sentence of clauses, or several sentences, that name one such
    word at most (a word inside an ordinary one: "专题教育", "普遍关注")."""
    if text[-1:] not in FULL_STOPS:
        return False
    return not furniture(text) or (furniture_words(text) <= 1 and (_CLAUSE_RE.search(text) is not None or
                                                                  len(_FULL_STOP_RE.findall(text)) >= 2))


_FULL_STOP_RE = re.compile(f"[{FULL_STOPS}]")
_CLAUSE_RE = re.compile("[，,；;]")


def _key(text: str) -> str:
    return _WS_RE.sub("", strip_pinyin(text))
