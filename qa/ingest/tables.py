"""Tables in report text: found, given their headers and caption, and turned into one record per row.

Every format reaches this module as text. Word, HTML and PDF tables arrive as lines of cells joined by tabs
(``formats`` writes them so); a plain-text table is laid out with tabs, runs of spaces or ``|`` pipes.
``find_tables`` finds the blocks of such lines that form a table, reads the header row(s) and the caption
line above, and gives each body row with its span in the text. ``row_text`` is what a row's record says,
``cell_quotes`` what an answer may quote of it: one cell with its row and column.

>>> text = "表1 各校基本情况\\n学校\\t在校生(人)\\t教师(人)\\n东风小学\\t820\\t41\\n西湖中学\\t1310\\t77"
>>> table = find_tables(text)[0]
>>> table.caption, table.headers
('表1 各校基本情况', ('学校', '在校生(人)', '教师(人)'))
>>> row_text(table.headers, table.rows[0].cells)
'东风小学 · 在校生(人): 820 · 教师(人): 41'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from unicodedata import east_asian_width

from qa.textnorm import strip_pinyin
from qa.types import Chunk, TableRow


@dataclass(frozen=True)
class TableParams:
    """What makes a block of lines a table (not fitted: these bound what a cell and a caption look like)."""

    max_cell_chars: int = 40  # a longer cell is prose: the line is not a table row
    min_rows_tabbed: int = 2  # header + one row, for tab- or pipe-separated lines
    min_rows_spaced: int = 3  # header + two rows, for cells laid out with runs of spaces
    max_caption_chars: int = 50
    short_share: float = 0.8  # share of an HTML table's cells that must be short for it to be data
    max_layout_cell: int = 200  # a cell this long is page layout, not data
    max_keys: int = 2  # columns that name a row (学校, 类别), before the figures


PARAMS = TableParams()
SEP = " · "  # between a row's label and its cells in a record
_SPACED_SEP_RE = re.compile(r"[ \u3000\t]{2,}|[\u3000\t]")
_CELL_WS_RE = re.compile(r"\s+")
_RULE_RE = re.compile(r"^[\s|:：+\-=—─━_.·]+$")  # a ruler line: |---|---|, -----, ====
_FIGURE_RE = re.compile(r"[-+−]?\d[\d,，.]*\s*[%‰％]?")
_YEAR_RE = re.compile(r"(?:19|20)\d\d年?(?:度)?")
_TERMINAL = "。！？!?；;：:"


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    span: tuple[int, int]  # the row's line in the text


@dataclass(frozen=True)
class Table:
    """A table found in a text: its caption (or ""), column headers, body rows, and the span it covers
    (caption line included)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    span: tuple[int, int]
    keys: tuple[int, ...] = (0,)  # the columns that name a row (see ``key_columns``)
    head: int = 0  # where the table starts without its caption line (its header row)


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    cells: tuple[tuple[int, str], ...]  # (display column where the cell starts, cell text)
    exact: bool  # cells split at single tabs or pipes: their order is their column


def find_tables(text: str, params: TableParams = PARAMS) -> list[Table]:
    """The tables of ``text``, in order.

    >>> [t.headers for t in find_tables("学校    人数\\n一小    30\\n二小    45\\n全县共有两所学校。")]
    [('学校', '人数')]
    """
    lines = _lines(text)
    rules = {k for k, raw in enumerate(text.split("\n")) if _RULE_RE.match(raw) and "-" in raw}
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and (j in rules or lines[j] is not None and _adjacent(lines, i, j)):
            j += 1
        block = [ln for ln in lines[i:j] if ln is not None]
        table = _table(text, block, params) if block else None
        if table is not None:
            tables.append(table)
        i = max(j, i + 1)
    return tables


def row_text(headers: Sequence[str], cells: Sequence[str], keys: Sequence[int] = (0,)) -> str:
    """A row as a record: its label (the first key column), then ``header: value`` for each other filled
    cell; a sequence-number column before the keys is left out.

    >>> row_text(("学校", "教师(人)", "备注"), ("东风小学", "41", ""))
    '东风小学 · 教师(人): 41'
    >>> row_text(("序号", "学校", "教师(人)"), ("1", "东风小学", "41"), keys=(1,))
    '东风小学 · 教师(人): 41'
    """
    first = keys[0] if keys else 0
    return _record(headers, cells, range(first, len(cells)))


def _record(headers: Sequence[str], cells: Sequence[str], columns: Sequence[int]) -> str:
    """The first column's cell, then ``header: value`` for the other columns' filled cells."""
    parts = [cells[columns[0]]] if columns and columns[0] < len(cells) and cells[columns[0]] else []
    for k in columns[1:]:
        value, header = cells[k], headers[k] if k < len(headers) else ""
        if value:
            parts.append(f"{header}: {value}" if header else value)
    return SEP.join(parts)


@dataclass(frozen=True)
class Record:
    """A body row as a chunk's content: its text, its line's span, the group rows above it (a row of one
    value across the table, such as "一、小学"), and its ``TableRow``."""

    text: str
    span: tuple[int, int]
    groups: tuple[str, ...]
    row: TableRow


def records(table: Table) -> list[Record]:
    """The table's body rows as records; a row holding a single value (once or repeated across merged
    cells) is not a record but a group label for the rows below it.

    >>> t = find_tables("学段\\t学校\\t教师(人)\\n小学\\t小学\\t小学\\n小学\\t东风小学\\t41")[0]
    >>> [(r.text, r.groups) for r in records(t)]
    [('小学 · 学校: 东风小学 · 教师(人): 41', ('小学',))]
    """
    out: list[Record] = []
    group = ""
    for n, row in enumerate(table.rows, 1):
        values = {c for c in row.cells if c}
        if len(values) == 1:
            group = values.pop()
            continue
        if not values:
            continue
        out.append(Record(row_text(table.headers, row.cells, table.keys), row.span, (group,) if group else (),
                          TableRow(table.caption, table.headers, row.cells, n, table.keys)))
    return out


def quoted_cells(row: TableRow) -> list[tuple[int, str]]:
    """Each filled cell of a table row that an answer may quote, with its column: the row's label, its other
    key cells, then the cell with its header.

    >>> row = TableRow("", ("学校", "类别", "教师(人)"), ("东风小学", "完小", "41"), 1, (0, 1))
    >>> quoted_cells(row)
    [(1, '东风小学 · 类别: 完小'), (2, '东风小学 · 类别: 完小 · 教师(人): 41')]
    """
    keys = row.keys or (0,)
    out = []
    for k, value in enumerate(row.cells):
        if k <= keys[0] or not value:
            continue
        shown = [j for j in keys if j < k] + [k]
        out.append((k, _record(row.headers, row.cells, shown)))
    return out


def cell_quotes(chunk: Chunk) -> list[str]:
    """What an answer may quote of a table-row chunk: each filled cell with its row and column.

    >>> row = TableRow("", ("学校", "在校生(人)", "教师(人)"), ("东风小学", "820", "41"), 1)
    >>> cell_quotes(Chunk("c", "d", "s", 1, (), (0, 0), "", "", table=row))
    ['东风小学 · 在校生(人): 820', '东风小学 · 教师(人): 41']
    """
    return [quote for _, quote in quoted_cells(chunk.table)] if chunk.table is not None else []


def cell_text(raw: str) -> str:
    """A cell as shown: pinyin annotations out, whitespace folded to single spaces."""
    return _CELL_WS_RE.sub(" ", strip_pinyin(raw)).strip()


def is_data_table(rows: Sequence[Sequence[str]], params: TableParams = PARAMS) -> bool:
    """Rows (of an HTML or Word table) that hold data, not page layout: two rows and two columns or more,
    and most cells short."""
    cells = [c for row in rows for c in row]
    if len(rows) < params.min_rows_tabbed or max((len(r) for r in rows), default=0) < 2 or not cells:
        return False
    short = sum(len(c) <= params.max_cell_chars for c in cells)
    return short >= params.short_share * len(cells) and max(len(c) for c in cells) <= params.max_layout_cell


def tabbed(rows: Sequence[Sequence[str]]) -> str:
    """Rows as the lines ``find_tables`` reads: cells joined by tabs, one row a line."""
    return "\n".join("\t".join(cell_text(c) for c in row) for row in rows if any(c.strip() for c in row))


# -- lines and blocks -------------------------------------------------------------------------------
def _lines(text: str) -> list[_Line | None]:
    """Every line of ``text``: its cells if it may be a table row, else None."""
    out: list[_Line | None] = []
    pos = 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        out.append(_row_line(raw, start))
    return out


def _row_line(raw: str, start: int) -> _Line | None:
    body = raw.strip()
    if not body or _RULE_RE.match(body):
        return None
    lead = len(raw) - len(raw.lstrip())
    if body.startswith("|") and body.endswith("|") and body.count("|") >= 3:
        cells = [cell_text(c) for c in body[1:-1].split("|")]
        found, exact = [(k, c) for k, c in enumerate(cells)], True
    elif "\t" in body and not _SPACED_SEP_RE.search(body.replace("\t", "\x00")):
        found, exact = [(k, cell_text(c)) for k, c in enumerate(body.split("\t"))], True
    else:
        expanded = raw.expandtabs(8)
        found, a = [], 0
        for m in [*_SPACED_SEP_RE.finditer(expanded), None]:
            b = m.start() if m else len(expanded)
            if expanded[a:b].strip():
                found.append((_width(expanded[:a]), cell_text(expanded[a:b])))
            a = m.end() if m else a
        exact = False
    if sum(bool(c) for _, c in found) < 2 or any(len(c) > PARAMS.max_cell_chars for _, c in found):
        return None
    end = start + lead + len(body)
    return _Line(start + lead, end, body, tuple(found), exact)


def _adjacent(lines: list[_Line | None], i: int, j: int) -> bool:
    """Line ``j`` continues the block that starts at line ``i`` (or after its ruler lines): same kind of
    separator."""
    first = next((ln for ln in lines[i:j] if ln is not None), None)
    return first is None or lines[j].exact == first.exact  # type: ignore[union-attr]


def _table(text: str, block: list[_Line], params: TableParams) -> Table | None:
    exact = block[0].exact
    if len(block) < (params.min_rows_tabbed if exact else params.min_rows_spaced):
        return None
    grid = [[c for _, c in line.cells] for line in block] if exact else _aligned(block)
    if grid is None:
        return None
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    n_head = _header_rows(grid)
    if n_head >= len(grid):
        return None
    headers = tuple(_join_headers(grid[:n_head], width)) if n_head else ("",) * width
    named = [h for h in headers if h]
    if sum(":" in h or "：" in h for h in named) * 2 >= max(1, len(named)):
        return None  # "联系人：王明    电话：…": a form of labelled values, not a table
    rows = tuple(Row(tuple(cells), (line.start, line.end))
                 for cells, line in zip(grid[n_head:], block[n_head:], strict=True))
    caption, start = _caption(text, block[0].start, params)
    return Table(caption, headers, rows, (start, block[-1].end), key_columns(grid[n_head:], params), block[0].start)


def key_columns(body: Sequence[Sequence[str]], params: TableParams = PARAMS) -> tuple[int, ...]:
    """The columns that name a row: the leading columns without figures (at most ``max_keys``), after a
    first column of sequence numbers (1, 2, 3 ...; a 合计-style row aside), if any.

    >>> key_columns([["1", "东风小学", "完小", "41"], ["2", "西湖中学", "初中", "77"]])
    (1, 2)
    """
    width = max((len(r) for r in body), default=0)
    column = [r[0] if r else "" for r in body]
    numbered = [c for c in column if c.isdigit()]
    first = 1 if (width > 2 and len(numbered) * 3 >= len(column) * 2
                  and numbered == [str(n) for n in range(int(numbered[0]), int(numbered[0]) + len(numbered))]) else 0
    keys = [first]
    for k in range(first + 1, min(width, first + params.max_keys)):
        if any(_is_figure(r[k]) for r in body if k < len(r)) or k == width - 1:
            break
        keys.append(k)
    return tuple(keys)


def _aligned(block: list[_Line]) -> list[list[str]] | None:
    """Cells laid out with spaces, put in the columns of the block's widest line by where they start."""
    widest = max(block, key=lambda ln: len(ln.cells))
    starts = [s for s, _ in widest.cells]
    if len(starts) < 2 or sum(len(ln.cells) == len(starts) for ln in block) < 2:
        return None
    grid = []
    for line in block:
        row = [""] * len(starts)
        for s, c in line.cells:
            k = min(range(len(starts)), key=lambda k: abs(starts[k] - s))
            if row[k]:
                return None  # two cells in one column: not a table laid out in columns
            row[k] = c
        grid.append(row)
    return grid


def _is_figure(cell: str) -> bool:
    return bool(_FIGURE_RE.fullmatch(cell))


def _header_rows(grid: list[list[str]]) -> int:
    """How many leading rows are headers: the first row unless it holds figures like the rows below (years
    as column headings aside), and the rows after it without a figure while rows below have figures (a
    row of one value repeated is a group of rows, not a header)."""
    figures = [sum(_is_figure(c) for c in row) for row in grid]
    first_years = all(_YEAR_RE.fullmatch(c) for c in grid[0][1:] if _is_figure(c) or _YEAR_RE.fullmatch(c))
    if figures[0] and figures[0] >= max(figures[1:], default=0) and not first_years:
        return 0
    n = 1
    while n < len(grid) - 1 and figures[n] == 0 and any(figures[n + 1:]) and len(set(grid[n]) - {""}) >= 2:
        n += 1
    return n


def _join_headers(rows: list[list[str]], width: int) -> list[str]:
    out = []
    for k in range(width):
        parts: list[str] = []
        for row in rows:
            if row[k] and row[k] not in parts:
                parts.append(row[k])
        out.append(" ".join(parts))
    return out


def _caption(text: str, start: int, params: TableParams) -> tuple[str, int]:
    """The line just above a table when it reads as its caption (short, not ending a sentence), and where
    the table with its caption starts."""
    before = text[:start].rstrip()
    line_start = before.rfind("\n") + 1
    line = before[line_start:].strip()
    if not line or len(line) > params.max_caption_chars or line[-1] in _TERMINAL or "\t" in line:
        return "", start
    return cell_text(line), line_start + (len(before[line_start:]) - len(before[line_start:].lstrip()))


def _width(s: str) -> int:
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in s)


def html_rows(table) -> list[list[str]]:
    """The cells of an HTML ``<table>`` (a BeautifulSoup tag) row by row, a cell spanning columns or rows
    repeated in each (so columns line up); the caption, if any, is not a row."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) -> text of a cell spanning down into it
    for r, tr in enumerate(table.find_all("tr")):
        row: list[str] = []
        for td in tr.find_all(["td", "th"], recursive=False):
            while (r, len(row)) in pending:
                row.append(pending.pop((r, len(row))))
            text = cell_text(td.get_text(" "))
            down, across = _span(td.get("rowspan")), _span(td.get("colspan"))
            for _ in range(across):
                for k in range(1, down):
                    pending[(r + k, len(row))] = text
                row.append(text)
        while (r, len(row)) in pending:
            row.append(pending.pop((r, len(row))))
        grid.append(row)
    return grid


def _span(value) -> int:
    try:
        return max(1, min(int(str(value)), 50))
    except ValueError:
        return 1
