"""Document formats to plain text: HTML main text, Word paragraphs, the PDF text layer.

>>> html_to_text("<header>欢迎光临</header><p>一、基本情况</p>")
'一、基本情况'
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from unicodedata import east_asian_width

from qa.errors import MAX_UNPACKED_BYTES, UnreadableFile
from qa.ingest import tables
from qa.textnorm import CLOSERS, SENTENCE_ENDS

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "canvas", "button", "select", "textarea", "object", "embed", "head", "title", "meta")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_BLOCK_TAGS = {"address", "article", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption", "figure",
               "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table",
               "tbody", "thead", "tfoot", "tr", "ul", "caption", "details", "summary", "br"}
_WS_RE = re.compile(r"[ \t\f\v\r\n\u00a0\u3000]+")
_LINE_WS_RE = re.compile(r"[ \f\v\r\u00a0\u3000]+")  # tabs stay: they separate a table row's cells


# a block-level tag as a web page's source writes it: what a text file pasted from a page's source holds
_MARKUP_BLOCK_RE = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote)"
                              r"(?:\s[^<>]{0,400})?/?>", re.I)


def text_with_markup(text: str) -> str:
    """A text file whose lines hold a web page's markup (its source pasted in: ``<p class="x">...</p>``) with
    each line that starts with a block tag read as HTML, one block a line; other lines (a Markdown table row
    with a ``<br>`` in a cell among them), and files without any block tag, are kept as they are.

    >>> text_with_markup('标题\\n<p class="a">  一、概况</p> <p>共有<b>5</b>所。</p>\\n2 < 3\\n| 学校 | 5<br>所 |')
    '标题\\n一、概况\\n共有5所。\\n2 < 3\\n| 学校 | 5<br>所 |'
    """
    if not _MARKUP_BLOCK_RE.search(text):
        return text

    def marked(line: str) -> bool:
        return bool(_MARKUP_BLOCK_RE.match(line.lstrip()))

    out = []  # each run of lines with markup is parsed once (a whole page's source may be thousands of lines)
    for marked_run, run in itertools.groupby(text.split("\n"), key=marked):
        lines = list(run)
        out.extend([html_to_text("\n".join(lines))] if marked_run else lines)
    return "\n".join(out)


def html_to_text(markup: str) -> str:
    """The main text of an HTML page, one block element (paragraph, heading, list item, row) a line.

    Scripts, styles, navigation, headers, footers and asides are left out; when a ``<main>`` or
    ``<article>`` holds most of the page's text, only that is read.

    >>> html_to_text("<nav>首页</nav><p>一、基本情况</p><p>全县共有<b>56</b>所学校。</p>")
    '一、基本情况\\n全县共有56所学校。'
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_hidden):
        tag.decompose()
    root = soup.body or soup
    mains = sorted(soup.find_all(["main", "article"]), key=lambda t: len(t.get_text(strip=True)))
    if mains and len(mains[-1].get_text(strip=True)) >= 0.5 * len(root.get_text(strip=True)):
        root = mains[-1]
    out: list[str] = []
    stack: list = [root]
    while stack:  # iterative: deeply nested pages must not hit the recursion limit
        node = stack.pop()
        if isinstance(node, str):
            if type(node) is NavigableString:  # not a comment, doctype or CDATA
                out.append(_WS_RE.sub(" ", node))
            elif type(node) is str:  # a separator pushed below
                out.append(node)
            continue
        if node.name == "table" and not node.find("table"):
            rows = tables.html_rows(node)
            if tables.is_data_table(rows):  # a data table: one row a line, cells joined by tabs
                caption = node.find("caption")
                out.append("\n" + (tables.cell_text(caption.get_text(" ")) + "\n" if caption else "")
                           + tables.tabbed(rows) + "\n")
                continue
        sep = "\n" if node.name in _BLOCK_TAGS else " " if node.name in ("td", "th") else ""
        out.append(sep)
        stack.append(sep)
        stack.extend(reversed(node.contents))
    lines = (_LINE_WS_RE.sub(" ", line).strip(" ") for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line.strip())


def _is_hidden(tag) -> bool:
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return (tag.get("role") in _DROP_ROLES or tag.has_attr("hidden") or tag.get("aria-hidden") == "true"
            or "display:none" in style)


def docx_text(raw: bytes) -> str:
    """The paragraphs of a Word .docx file in order, a table row a line (cells joined by tabs)."""
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            unpacked = sum(info.file_size for info in z.infolist() if info.filename.endswith(".xml"))
        if unpacked > MAX_UNPACKED_BYTES:
            raise UnreadableFile(f"document too large when unpacked ({unpacked:,} bytes)")
        document = docx.Document(io.BytesIO(raw))
        lines = []
        for block in document.iter_inner_content():
            if isinstance(block, Table) and tables.is_data_table(full := _docx_rows(block)):
                lines.append(tables.tabbed(full))  # every cell, merged ones repeated: columns line up
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = []
                    for cell in row.cells:  # a merged cell repeats: keep it once
                        if not cells or cell.text != cells[-1]:
                            cells.append(cell.text)
                    lines.append("\t".join(c.replace("\n", " ") for c in cells))
            else:
                lines.append(block.text)
        return "\n".join(lines)
    except UnreadableFile:
        raise
    except Exception as e:  # zipfile.BadZipFile, KeyError, lxml errors, docx's own
        raise UnreadableFile(f"not a valid .docx file ({type(e).__name__}: {e})") from e


def _docx_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def pdf_text(raw: bytes) -> str:
    """The text layer of a PDF, each page reflowed into paragraphs (see ``reflow``)."""
    from pypdf import PdfReader

    from qa.ingest.pdf_tables import page_text

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("encrypted PDF (needs a password)")
        pages = [page_text(page) for page in reader.pages]
    except UnreadableFile:
        raise
    except Exception as e:
        raise UnreadableFile(f"not a valid .pdf file ({type(e).__name__}: {e})") from e
    return "\n".join(reflow(page) for page in pages)


_TERMINAL = SENTENCE_ENDS + "：:" + CLOSERS  # a visual line ending in these does not continue
_ENUM_START_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|"
                            r"\d{1,2}[、.．]|[①-⑳⑴-⒇]|第[一二三四五六七八九十\d]+[章节部篇])")


def reflow(page: str) -> str:
    """Join the visual lines of a PDF page back into paragraphs.

    A line that fills the width and does not end a sentence continues on the next line, unless that
    line starts a numbered item.

    >>> reflow("今年全县共有中小学校56所，其中小学\\n32所。\\n一、主要做法")
    '今年全县共有中小学校56所，其中小学32所。\\n一、主要做法'
    """
    lines = [line.strip() for line in page.split("\n")]
    full = 0.8 * max((_width(line) for line in lines), default=0)  # the page's width
    if not full:
        return ""
    out: list[str] = []
    last = 0  # the width of the previous visual line
    for line in lines:
        if not line:
            continue
        prev = out[-1] if out else ""
        if prev and last >= full and prev[-1] not in _TERMINAL and not _ENUM_START_RE.match(line) \
                and "\t" not in prev + line:  # a table row stands alone
            sep = "" if _is_cjk(prev[-1]) or _is_cjk(line[0]) else " "
            out[-1] = prev + sep + line
        else:
            out.append(line)
        last = _width(line)
    return "\n".join(out)


def _width(line: str) -> int:
    """Printed width: an ideograph or full-width form counts two, a Latin letter or digit one."""
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in line)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
