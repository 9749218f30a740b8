"""Body text that looks like chrome line by line, found by its layout: a table (flattened or plain text), a
record's header fields, a list numbered in sequence, a heading numbered as official documents number them
(一、, （二）). The chrome classifier (``qa.ingest.chrome``) leaves these lines alone: short lines, numbers and
"key: value" are what it learned chrome looks like.

>>> structured(["项目", "数量", "规章", "0", "规范性文件", "12", "全县共有中小学56所，在校学生36184人。"])
[True, True, True, True, True, True, False]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WS_RE = re.compile(r"\s+")


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
# A heading numbered the way official documents number their parts: 一、 （二） — web pages do not number chrome so.
_HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）])")
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


def numbered_items(texts: Sequence[str], shape: Structure = STRUCTURE) -> list[bool]:
    """Lines in a list numbered in sequence ("1.", "2.", "3."), save the headings numbered as official documents
    number their parts (一、, （二）): a report's list, or a site's numbered notice."""
    return [n and not _HEADING_RE.match(t) for n, t in zip(_numbered_runs(texts, shape.numbered), texts, strict=True)]


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
