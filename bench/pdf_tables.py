"""Tables in PDFs: rows and cells recovered, and time per page, for pypdf's plain text, report-qa's reading
of text positions (``qa.ingest.pdf_tables``) and, when it is importable, pdfplumber.

The PDFs are generated (reportlab, the test extra): ruled and unruled tables in Chinese and English, one
with empty cells, a wide one, a page of prose with no table (any table found there is a false one), and a
table and prose drawn glyph by glyph on a grid, as some generators write them.
A table counts as recovered when its body rows come out exactly, every cell in its column.

    .venv/bin/python bench/pdf_tables.py
    .venv/bin/python bench/pdf_tables.py --repeats 3 --no-append
"""

from __future__ import annotations

import argparse
import io
import sys
import time

from benchlib import ROOT, append_section, md_table, median

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import table_corpus  # noqa: E402

from qa.ingest.pdf_tables import page_text  # noqa: E402
from qa.ingest.tables import find_tables  # noqa: E402


def cases() -> list[tuple[str, bytes, list[list[str]]]]:
    wide = [["乡镇", "小学(所)", "初中(所)", "学生(人)", "教师(人)", "投入(万元)"]]
    wide += [[f"第{i}片区", str(i + 2), str(i % 3 + 1), str(900 + 37 * i), str(60 + 3 * i), f"{12.5 + i}"]
             for i in range(1, 11)]
    english = [["School", "Pupils", "Teachers"], ["Riverside Middle", "1204", "88"], ["Hill Primary", "356", "21"],
               ["Lake School", "712", "47"]]
    empty = [r[:] for r in table_corpus.TXT_ROWS]
    empty[2][2] = ""
    out = [("ruled, zh", table_corpus.pdf_report(table_corpus.PDF_ROWS), table_corpus.PDF_ROWS),
           ("unruled, zh", table_corpus.pdf_report(table_corpus.DOCX_ROWS, grid=False), table_corpus.DOCX_ROWS),
           ("unruled, en", table_corpus.pdf_report(english, grid=False), english),
           ("ruled, empty cell", table_corpus.pdf_report(empty), empty),
           ("ruled, 6x10", table_corpus.pdf_report(wide), wide),
           ("prose, no table", table_corpus.pdf_report(None), []),
           ("glyph by glyph, table", table_corpus.glyph_pdf(_placed(table_corpus.DOCX_ROWS)), table_corpus.DOCX_ROWS),
           ("glyph by glyph, prose", table_corpus.glyph_pdf([[(72, line)] for line in PROSE]), [])]
    return out


PROSE = ["今年全县教育系统认真贯彻落实上级部署，", "围绕办好人民满意的教育这一目标，扎实",
         "推进各项工作，取得了明显成效。全年共", "投入资金三千二百万元，新建校舍十二栋。"]


def _placed(rows: list[list[str]]) -> list[list[tuple[float, str]]]:
    return [[(72 + 110 * k, cell) for k, cell in enumerate(row)] for row in rows]


def ours(raw: bytes) -> list[list[tuple[str, ...]]]:
    from pypdf import PdfReader

    text = "\n".join(page_text(p) for p in PdfReader(io.BytesIO(raw)).pages)
    return [[r.cells for r in t.rows] for t in find_tables(text)]


def plain(raw: bytes) -> list[list[tuple[str, ...]]]:
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(raw)).pages)
    return [[r.cells for r in t.rows] for t in find_tables(text)]


def plumber(strategy: str):
    def run(raw: bytes) -> list[list[tuple[str, ...]]]:
        import pdfplumber

        settings = {"vertical_strategy": strategy, "horizontal_strategy": strategy}
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            found = [t for p in pdf.pages for t in p.extract_tables(settings)]
        return [[tuple((c or "").strip() for c in row) for row in t[1:]] for t in found]
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    methods = {"pypdf plain text": plain, "report-qa (text positions)": ours}
    try:
        import pdfplumber  # noqa: F401

        methods |= {"pdfplumber, lines": plumber("lines"), "pdfplumber, text": plumber("text")}
    except ImportError:
        pass
    rows = []
    for name, raw, expected in cases():
        body = [tuple(r) for r in expected[1:]]
        for method, fn in methods.items():
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                found = fn(raw)
                times.append(time.perf_counter() - t)
            ok = (body in found) if body else not found
            extra = len(found) - (1 if body in found else 0)
            rows.append([name, method, "yes" if ok else "no", extra, f"{1000 * median(times):.1f}"])
    table = md_table(["PDF", "method", "rows exact (no table: none found)", "other tables found", "ms/page"], rows)
    print(table)
    if not args.no_append:
        note = (f"{args.repeats} runs each, median time. pdfplumber "
                f"{'was' if len(methods) > 2 else 'was not'} importable (it is not a dependency of report-qa).")
        append_section("PDF tables: rows recovered and time per page", f"{note}\n\n{table}")


if __name__ == "__main__":
    main()
