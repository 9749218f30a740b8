"""Tables in a PDF page's text layer, read from where the text stands on the page.

pypdf's text has no tables: a table drawn cell by cell comes out one cell a line, and its rows are lost.
Here the page's text pieces are read with their positions. Pieces on one baseline, separated by a gap
wider than about half a character (or starting where other lines' cells start), are cells; two or more
consecutive lines of two or more cells, whose cells start at the same few horizontal positions, are a
table. The page's text is pypdf's own, except that each table row is one line of cells joined by tabs
(what ``qa.ingest.tables.find_tables`` reads).

Measured by bench/pdf_tables.py on generated PDFs (ruled and unruled tables in Chinese and English, an
empty cell, a 6x10 table, text drawn glyph by glyph, pages of prose): every body row exact and no table
found in prose, for 0-13 ms a page over pypdf's plain extraction. pdfplumber (not a dependency) found only
the ruled tables, its text strategy cut prose into columns, it took 2-4x as long per page and would add
about 60 MB of packages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median
from unicodedata import east_asian_width

from qa.ingest.tables import tabbed


@dataclass(frozen=True)
class PdfTableParams:
    """Tolerances, in units of the font size."""

    same_line: float = 0.4  # baselines closer than this are one line
    cell_gap: float = 0.6  # a wider gap between two pieces separates cells
    same_column: float = 1.5  # cells starting closer than this are in one column


PARAMS = PdfTableParams()
_BLANKS_RE = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class _Piece:
    index: int  # position in pypdf's output order
    text: str
    x: float
    y: float
    size: float

    @property
    def right(self) -> float:
        return self.x + self.size * sum(1.0 if east_asian_width(ch) in "WF" else 0.5 for ch in self.text.strip())


def page_text(page, params: PdfTableParams = PARAMS) -> str:
    """pypdf's text of ``page``, with each table row on one line, its cells joined by tabs."""
    pieces: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):  # pypdf's visitor signature
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        size = abs(font_size * (tm[3] or 1) * (cm[3] or 1)) or 1.0
        pieces.append((text, x, y, size))

    plain = page.extract_text(visitor_text=visit) or ""
    if "".join(p[0] for p in pieces) != plain:  # pypdf changed its output after the visits: keep its text
        return plain
    found = [_Piece(i, t, x, y, s) for i, (t, x, y, s) in enumerate(pieces) if t.strip()]
    rows = _table_rows(_lines(found, params), params)
    if not rows:
        return plain
    first = {row[0][0].index: row for row in rows}
    skip = {p.index for row in rows for cell in row for p in cell}
    out: list[str] = []
    for i, (text, *_rest) in enumerate(pieces):
        if i in first:
            cells = ["".join(p.text.strip() for p in cell) for cell in first[i]]
            out.append("\n" + tabbed([cells]) + "\n")
        elif i not in skip:
            out.append(text)
    return _BLANKS_RE.sub("\n", "".join(out))


def _lines(pieces: list[_Piece], params: PdfTableParams) -> list[list[_Piece]]:
    """Pieces grouped by baseline (in reading order), each line sorted left to right."""
    lines: list[list[_Piece]] = []
    for p in pieces:
        if lines and abs(lines[-1][0].y - p.y) <= params.same_line * p.size:
            lines[-1].append(p)
        else:
            lines.append([p])
    return [sorted(line, key=lambda p: p.x) for line in lines]


def _split_cells(line: list[_Piece], params: PdfTableParams, starts: frozenset[int] = frozenset(),
                 tol: float = 1.0) -> list[list[_Piece]]:
    """A line's pieces as cells: a piece starts a cell after a gap, or where cells of other lines start."""
    cells: list[list[_Piece]] = []
    if any("\n" in p.text.strip() for p in line):
        return [line]  # a piece spanning lines: not a row of cells
    for p in line:
        aligned = bool(starts) and any(round(p.x / tol) + d in starts for d in (-1, 0, 1))
        if cells and p.x - cells[-1][-1].right <= params.cell_gap * p.size and not aligned:
            cells[-1].append(p)
        else:
            cells.append([p])
    return cells


def _shared_starts(rows: list[list[list[_Piece]]], tol: float) -> frozenset[int]:
    """Where cells (after the first) start in two or more lines, as positions rounded to ``tol``."""
    counts: Counter[int] = Counter()
    for cells in rows:
        counts.update({round(cell[0].x / tol) for cell in cells[1:]})
    return frozenset(b for b in counts if counts[b] + counts.get(b - 1, 0) + counts.get(b + 1, 0) >= 2)


def _table_rows(lines: list[list[_Piece]], params: PdfTableParams) -> list[list[list[_Piece]]]:
    """The table rows among the lines, each as cells (padded with empty cells where a column is empty).

    Cells are first cut at gaps; a line already cut in two or more is then also cut where other lines'
    cells start (a gap the width estimate missed). A line of one cell stays whole, so text set glyph by
    glyph on a grid never falls apart into columns."""
    out: list[list[list[_Piece]]] = []
    by_gap = [_split_cells(line, params) for line in lines]
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(by_gap[j]) >= 2:
            j += 1
        if j - i >= 2:
            tol = params.same_line * median(p.size for line in lines[i:j] for p in line)
            starts = _shared_starts(by_gap[i:j], tol)
            split = [_split_cells(line, params, starts, tol) for line in lines[i:j]]
            out += _columns(split, params) or []
        i = max(j, i + 1)
    return out


def _columns(block: list[list[list[_Piece]]], params: PdfTableParams) -> list[list[list[_Piece]]] | None:
    """The block's rows with each cell in the column (of its widest row) it starts under; None when cells
    do not line up."""
    widest = max(block, key=len)
    starts = [cell[0].x for cell in widest]
    out = []
    for row in block:
        placed: list[list[_Piece]] = [[] for _ in starts]
        for cell in row:
            k = min(range(len(starts)), key=lambda k: abs(starts[k] - cell[0].x))
            right_aligned = abs(_right(widest[k]) - _right(cell)) <= params.same_column * cell[0].size
            if placed[k] or not (abs(starts[k] - cell[0].x) <= params.same_column * cell[0].size or right_aligned):
                return None
            placed[k] = cell
        out.append(placed)
    return out


def _right(cell: list[_Piece]) -> float:
    return max(p.right for p in cell)
