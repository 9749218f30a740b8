"""A file's text made whole before cleaning: viewer page markers out, hard-wrapped lines joined, page
headers that interrupt a sentence out, one-block files cut at the report's own numbering.

Document viewers print each page as a line starting "1、", "2、" … wherever the page breaks, even inside a
word; PDFs and records wrap a sentence every ~30 characters and repeat a page header or number between
its halves. Each of these would split a sentence (and a figure from its quote). The result is the text the
rest of the pipeline reads: chunk spans index into it.

>>> unwrap("一、概况\\n投入资金3,000万元，新建校\\n舍12所，改善了办学条件，培训\\n教师6000人次，质量稳步提升\\n。").text
'一、概况\\n投入资金3,000万元，新建校舍12所，改善了办学条件，培训教师6000人次，质量稳步提升。'
>>> unwrap("1、今年全市新建学校5所，培\\n2、训教师3000人次，成效显著。").text
'今年全市新建学校5所，培训教师3000人次，成效显著。'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class UnwrapParams:
    wrap_share: float = 0.8  # a line at least this share of the file's wrap width that stops mid-sentence wraps
    min_wrap: int = 15  # ... and at least this long
    min_wrapped: int = 3  # a file is hard-wrapped when this many lines, and this share of its lines, wrap
    wrapped_lines: float = 0.3
    header_repeats: int = 3  # a short line repeated this often is a running page header
    header_chars: int = 30
    block_chars: int = 400  # a line this long is cut at the report's own numbering
    min_markers: int = 2  # viewer markers "1、2、…" in sequence, at least this many of them cutting a sentence
    min_figure_lines: int = 3  # a file whose figures stand on lines of their own inside sentences this often
    broken_chars: int = 60  # a paragraph this long that stops inside a word continues in the next block ...
    broken_clause: int = 30  # ... when that one is Chinese text whose first clause ends within this many characters


PARAMS = UnwrapParams()


@dataclass(frozen=True)
class Unwrapped:
    text: str
    removed: tuple[str, ...]  # viewer markers and page headers taken out


_CJK = "\u3400-\u9fff"
_ENDS = "。！？!?；;：:…"  # a line ending in one of these ends its sentence
_COLUMNS_RE = re.compile(r"\S(?:\t|\s{2,})\S")
_MARKER_RE = re.compile(r"^(\s*)(\d{1,3})、")
_PAGE_RE = re.compile(r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d{1,4})\s*$")
_NUM = "一二三四五六七八九十"
_HEADING_RE = re.compile(rf"^\s*(?:[{_NUM}]+[、.．]|[（(][{_NUM}\d]+[)）]|\d{{1,2}}[、.．](?!\d)"
                         rf"|[①-⑳⑴-⒇]|第[{_NUM}\d]+[部章节篇条])")
_INLINE_HEADING_RE = re.compile(rf"(?<=[。；;！？!?])\s*(?=[{_NUM}]{{1,3}}、|[（(][{_NUM}]{{1,3}}[)）]|[①-⑳])")


def unwrap(text: str, params: UnwrapParams = PARAMS) -> Unwrapped:
    """``text`` with its lines made whole (see the module docstring)."""
    lines = text.split("\n")
    removed: list[str] = []
    lines = _undo_viewer_markers(lines, removed, params)
    wrapped = _wrap_width(lines, params)
    lines = _drop_interrupting_headers(lines, removed, params, running=wrapped is not None)
    lines = _join_figure_lines(lines, params)
    if wrapped is not None:
        lines = _join_wrapped(lines, wrapped, params)
    lines = _join_broken(lines, params)
    lines = [part for line in lines for part in _cut_block(line, params)]
    return Unwrapped("\n".join(lines), tuple(removed))


def _open(line: str) -> bool:
    """The line stops mid-sentence: it ends in a letter, digit, comma or quote, not a sentence end. A row of
    a plain-text table (cells apart by runs of spaces or tabs) never does."""
    s = line.rstrip()
    if not s or _COLUMNS_RE.search(s) or s[-1] in _ENDS:
        return False
    return s[-1].isalnum() or s[-1] in "，,、“”‘’「」『』《》()（）"


def _undo_viewer_markers(lines: list[str], removed: list[str], params: UnwrapParams) -> list[str]:
    """Markers numbered 1, 2, 3 … at line starts, most of them after a line that stops mid-sentence."""
    seq: list[int] = []
    for i, line in enumerate(lines):
        m = _MARKER_RE.match(line)
        if m and int(m.group(2)) == len(seq) + 1:
            seq.append(i)
    if len(seq) < params.min_markers:
        return lines
    cutting = sum(1 for i in seq[1:] if _open(_previous(lines, i)))
    if cutting < max(params.min_markers - 1, (len(seq) - 1) // 2 + 1):
        return lines
    out = list(lines)
    for i in seq:
        m = _MARKER_RE.match(out[i])
        removed.append(m.group(0).strip())
        out[i] = out[i][m.end():]
    return _join_after(out, set(seq[1:]))


def _previous(lines: list[str], i: int) -> str:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return lines[j] if j >= 0 else ""


def _join_after(lines: list[str], starts: set[int]) -> list[str]:
    """Each line in ``starts`` joined to the line before it when that one stops mid-sentence."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in starts and out and _open(out[-1]):
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
    return out


def _glue(a: str, b: str) -> str:
    a, b = a.rstrip(), b.lstrip()
    latin = a[-1:].isascii() and a[-1:].isalpha() and b[:1].isascii() and b[:1].isalpha()
    return a + (" " if latin else "") + b


def _drop_interrupting_headers(lines: list[str], removed: list[str], params: UnwrapParams, *, running: bool,
                               ) -> list[str]:
    """A page number, or in a hard-wrapped file a running header (a short line repeated), between the
    halves of a sentence."""
    counts = Counter(line.strip() for line in lines if line.strip())
    out: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        header = s and s[-1] not in _ENDS and (
            _PAGE_RE.match(s) or (running and counts[s] >= params.header_repeats and len(s) <= params.header_chars))
        nxt = next((t for t in lines[i + 1:] if t.strip()), "")
        prev = next((t for t in reversed(out) if t.strip()), "")
        if header and _open(prev) and len(prev.strip()) >= params.min_wrap and nxt and not _HEADING_RE.match(nxt):
            removed.append(s)
            while out and not out[-1].strip():
                out.pop()
            continue
        out.append(line)
    return out


_FIGURE_LINE_RE = re.compile(r"^\s*\d[\d.,]*\s*$")


def _inside_sentence(lines: list[str], i: int) -> bool:
    """Line ``i`` is a bare figure between a line that stops mid-sentence and a Chinese line (its unit and what
    it counts), no blank line between."""
    return (0 < i < len(lines) - 1 and _FIGURE_LINE_RE.match(lines[i]) is not None and _open(lines[i - 1])
            and "\u3400" <= lines[i + 1].lstrip()[:1] <= "\u9fff")


def _join_figure_lines(lines: list[str], params: UnwrapParams) -> list[str]:
    """A page converted from a PDF puts each figure on a line of its own ("…为", "1464", "名大学生办理了…"): where a
    file does so at least ``min_figure_lines`` times, each such figure is joined to the lines around it. A lone
    page number sits between two halves of a sentence too, but seldom before a unit this often in one file.

    >>> lines = ["人次。为", "1464", "名大学生办理了贷款,总额", "982.3", "万元。", "全县", "316", "所学校"]
    >>> _join_figure_lines(lines, PARAMS)
    ['人次。为1464名大学生办理了贷款,总额982.3万元。', '全县316所学校']
    >>> _join_figure_lines(["人次。为", "1464", "名大学生办理了贷款。"], PARAMS)
    ['人次。为', '1464', '名大学生办理了贷款。']
    """
    starts = [i for i in range(len(lines)) if _inside_sentence(lines, i)]
    if len(starts) < params.min_figure_lines:
        return lines
    glue = set(starts) | {i + 1 for i in starts}
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in glue and out:
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
    return out


def _wrap_width(lines: list[str], params: UnwrapParams) -> float | None:
    """The width a hard-wrapped file wraps at, or None when it is not hard-wrapped (too few of its lines
    fill the width and stop mid-sentence)."""
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    if not lengths:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    full = [line for line in lines if len(line.strip()) >= max(params.min_wrap, params.wrap_share * width)
            and _open(line)]
    if len(full) < params.min_wrapped or len(full) < params.wrapped_lines * len(lengths):
        return None
    return float(width)


def _join_wrapped(lines: list[str], width: float, params: UnwrapParams) -> list[str]:
    """Lines wrapped at ``width``: one that fills it and stops mid-sentence joins the next, unless that
    starts a numbered heading."""
    out: list[str] = []
    joinable = False
    for line in lines:
        s = line.strip()
        if joinable and s and not _HEADING_RE.match(line):
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
        last = out[-1].strip()
        joinable = bool(s) and _open(last) and len(s) >= max(params.min_wrap, params.wrap_share * width)
    return out


def _join_broken(lines: list[str], params: UnwrapParams) -> list[str]:
    """A paragraph cut in two by a blank line: a long block that stops after a character or digit (no heading
    ends so, and no finished sentence), and a next block that goes on in Chinese and ends its first clause soon
    ("…共收到稿件560" + "篇,其中100篇获奖。"). A page's other lines (a title, a link, a widget) have no clause to
    end, so they are never pulled into the body.

    >>> _join_broken(["在全县学生中开展了征文活动，" * 5 + "共收到稿件560", "", "篇,其中100篇获奖。"], PARAMS)[-1][-19:]
    '共收到稿件560篇,其中100篇获奖。'
    >>> len(_join_broken(["在全县学生中开展了征文活动，" * 5 + "共收到稿件560", "", "相关文章"], PARAMS))
    3
    """
    out: list[str] = []
    for line in lines:
        prev = next((i for i in range(len(out) - 1, -1, -1) if out[i].strip()), None)
        s = line.strip()
        if prev is not None and prev < len(out) - 1 and s and _continues(out[prev], s, params):
            out[prev] = _glue(out[prev], s)
            del out[prev + 1:]
        else:
            out.append(line)
    return out


def _continues(a: str, b: str, params: UnwrapParams) -> bool:
    a = a.rstrip()
    if len(a.strip()) < params.broken_chars or not (a[-1].isdigit() or "\u3400" <= a[-1] <= "\u9fff"):
        return False
    if not ("\u3400" <= b[0] <= "\u9fff") or _HEADING_RE.match(b) or _COLUMNS_RE.search(b):
        return False
    clause = re.search(r"[，,。；;！？!?]", b)
    return clause is not None and clause.start() <= params.broken_clause


def _cut_block(line: str, params: UnwrapParams) -> list[str]:
    """A very long line (a file without line breaks) cut before the report's own numbered headings."""
    if len(line) < params.block_chars:
        return [line]
    cuts = [m.start() for m in _INLINE_HEADING_RE.finditer(line)]
    if not cuts:
        return [line]
    bounds = [0, *cuts, len(line)]
    return [line[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if line[a:b].strip()]
