"""What the web chat shows, as text: the answer with clickable ``[n]`` footnotes, the sources panel, the
related passages of a declined question, the reports table and the index status line.

Everything that comes from a report is untrusted text: it is HTML-escaped here (and Markdown-escaped where
the chat renders Markdown) before it reaches the page.

>>> answer_markdown("The reports say:\\n- “招聘教师26名” [1]", {1}, turn=3)
'The reports say:\\n- “招聘教师26名” <a href="#qa-src-3-1" class="qa-cite" data-n="1">[1]</a>'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from qa.ingest.tables import quoted_cells
from qa.search.filters import FILTER_NOTE_PREFIXES
from qa.store.index import Index
from qa.types import Answer, Chunk, Citation, Document, Hit, TableRow

CITE_RE = re.compile(r"\[(\d{1,3})\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")
RELATED_CHARS = 400

# Installed once per page (Blocks.load js): the footnote click handler and the page's own styles.
PAGE_JS = r"""
() => {
  if (window.__qaCites) return;
  window.__qaCites = true;
  const style = document.createElement('style');
  style.textContent = %s;
  document.head.appendChild(style);
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.qa-cite');
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const id = (a.getAttribute('href') || '').replace(/^#/, '');
    const box = document.getElementById(id);
    if (!box) return;
    box.open = true;
    box.scrollIntoView({behavior: 'smooth', block: 'center'});
    box.classList.remove('qa-flash');
    void box.offsetWidth;
    box.classList.add('qa-flash');
  }, true);
}
"""

PAGE_CSS = """
a.qa-cite { font-weight: 600; text-decoration: none; color: var(--color-accent, #2563eb);
  cursor: pointer; white-space: nowrap; }
a.qa-cite:hover { text-decoration: underline; }
#qa-sources .qa-sources-title { margin: 0 0 0.5em 0; font-size: 1.05em; }
#qa-sources .qa-empty { color: var(--body-text-color-subdued, #666); }
#qa-sources .qa-turn { margin: 0 0 1em 0; }
#qa-sources .qa-turn h4 { margin: 0.2em 0 0.4em 0; font-size: 0.95em; }
#qa-sources details.qa-src { border: 1px solid var(--border-color-primary, #ddd); border-radius: 6px;
  padding: 0.3em 0.6em; margin: 0.35em 0; }
#qa-sources details.qa-src > summary { cursor: pointer; }
#qa-sources .qa-meta { font-size: 0.85em; color: var(--body-text-color-subdued, #666); margin: 0.3em 0; }
#qa-sources .qa-para { margin: 0.4em 0; line-height: 1.6; white-space: pre-wrap; }
#qa-sources .qa-context { color: var(--body-text-color-subdued, #777); font-size: 0.9em; }
#qa-sources .qa-cited { border-left: 3px solid var(--color-accent, #2563eb); padding-left: 0.5em; }
#qa-sources mark { background: #fde68a; color: inherit; padding: 0 1px; }
#qa-sources details.qa-flash { animation: qa-flash 1.6s ease-out; }
@keyframes qa-flash { from { background: #fef3c7; } to { background: transparent; } }
#qa-sources ol.qa-related li { margin: 0.4em 0; }
#qa-sources table.qa-table { border-collapse: collapse; margin: 0.4em 0; font-size: 0.9em; }
#qa-sources table.qa-table th, #qa-sources table.qa-table td { border: 1px solid var(--border-color-primary, #ddd);
  padding: 0.15em 0.5em; }
#qa-sources table.qa-table tr.qa-cited-row { background: rgba(37, 99, 235, 0.08); }
#qa-status { font-size: 0.9em; }
#qa-sources figure.qa-chart { margin: 0.3em 0 0.8em 0; }
#qa-sources figure.qa-chart svg { max-width: 100%; height: auto; }
#qa-sources figure.qa-chart rect { fill: var(--color-accent, #2563eb); opacity: 0.85; }
#qa-sources figure.qa-chart a { text-decoration: none; cursor: pointer; }
#qa-sources figure.qa-chart a:hover rect { opacity: 1; }
#qa-sources figure.qa-chart text { fill: var(--body-text-color, #222); }
#qa-sources figure.qa-chart figcaption { font-size: 0.8em; color: var(--body-text-color-subdued, #666); }
"""


def page_js() -> str:
    """The ``js=`` of the page's load event (styles included, so a plain ``launch()`` gets them)."""
    import json

    return PAGE_JS % json.dumps(PAGE_CSS)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def md_escape(text: str) -> str:
    """Text safe inside the chat's Markdown: HTML-escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_line(line: str, cited: set[int], turn: int) -> str:
    """One answer line: a leading ``- `` bullet kept, the rest escaped, known ``[n]`` linked."""
    bullet = ""
    if line.startswith("- "):
        bullet, line = "- ", line[2:]
    out, pos = [], 0
    for m in CITE_RE.finditer(line):
        out.append(md_escape(line[pos:m.start()]))
        n = int(m.group(1))
        if n in cited:
            out.append(f'<a href="#{source_id(turn, n)}" class="qa-cite" data-n="{n}">[{n}]</a>')
        else:
            out.append(md_escape(m.group(0)))
        pos = m.end()
    out.append(md_escape(line[pos:]))
    return bullet + _MD_LINE_START.sub(r"\1\\\2", "".join(out), count=1)


FILTER_NOTES = FILTER_NOTE_PREFIXES  # shown in the Sources panel too, in every language


def source_id(turn: int, n: int) -> str:
    return f"qa-src-{turn}-{n}"


def answer_markdown(text: str, cited: Iterable[int], turn: int) -> str:
    """The answer for the chat: escaped, each ``[n]`` of a listed source a link to its source block."""
    known = set(cited)
    return "\n".join(md_line(line, known, turn) for line in text.split("\n"))


def answer_lines(answer: Answer, turn: int) -> list[str]:
    """The answer as Markdown lines (streamed one by one), notes last."""
    lines = answer_markdown(answer.text, (c.n for c in answer.citations), turn).split("\n")
    lines += [f"*({md_escape(note)})*" for note in answer.notes]
    if answer.abstained and answer.related:
        lines.append("*Related passages are listed beside the chat.*")
    return lines


def neighbours(index: Index | None, chunk: Chunk) -> tuple[Chunk | None, Chunk | None]:
    """The paragraphs before and after ``chunk`` in its document (``None`` at either end)."""
    if index is None:
        return None, None
    rows = index.chunks_at(index.chunks_of(chunk.doc_id))  # one fetch for a store that reads them on demand
    for k, row in enumerate(rows):
        if row.chunk_id == chunk.chunk_id:
            return (rows[k - 1] if k > 0 else None), (rows[k + 1] if k + 1 < len(rows) else None)
    return None, None


def marked_html(text: str, sentence: str) -> str:
    """The paragraph, escaped, with the cited sentence in ``<mark>``."""
    i = text.find(sentence) if sentence else -1
    if i < 0:
        return esc(text)
    return esc(text[:i]) + "<mark>" + esc(sentence) + "</mark>" + esc(text[i + len(sentence):])


def doc_meta(doc: Document | None, chunk: Chunk) -> str:
    parts = []
    if doc is not None:
        if doc.year:
            parts.append(f"year {doc.year}")
        if doc.places:
            parts.append("place " + "、".join(doc.places))
        if doc.part:
            parts.append(f"part {doc.part}")
    parts.append("section " + (" › ".join(chunk.heading) or "–"))
    parts.append(f"paragraph {chunk.ordinal}")
    parts.append(f"file {chunk.source}")
    return " · ".join(esc(p) for p in parts)


def _label(other: Chunk, cited: Chunk, where: str) -> str:
    """``¶7``; a piece of the cited paragraph itself (long ones are split) says so."""
    return f"¶{other.ordinal} ({where} part)" if other.ordinal == cited.ordinal else f"¶{other.ordinal}"


def table_html(c: Citation, index: Index | None) -> str:
    """The table a cited row belongs to (its rows in the index, or the row alone), the row and the quoted
    cell marked."""
    row = c.chunk.table or TableRow("", (), (), 0)
    rows = [c.chunk]
    if index is not None:
        rows = index.chunks_at(index.chunks_of(c.chunk.doc_id))
        rows = [ch for ch in rows if ch.table is not None and ch.ordinal == c.chunk.ordinal] or [c.chunk]
    marked = next((k for k, quote in quoted_cells(row) if quote == c.sentence), None)
    head = "".join(f"<th>{esc(h)}</th>" for h in row.headers)
    body = []
    for ch in rows:
        cells = ch.table.cells if ch.table is not None else ()
        cited = ch.chunk_id == c.chunk.chunk_id
        tds = "".join(f"<td>{'<mark>' + esc(v) + '</mark>' if cited and k == marked else esc(v)}</td>"
                      for k, v in enumerate(cells))
        attr = ' class="qa-cited-row"' if cited else ""
        body.append(f"<tr{attr}>{tds}</tr>")
    caption = f"<caption>{esc(row.caption)}</caption>" if row.caption else ""
    return (f'<table class="qa-table">{caption}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def citation_html(c: Citation, turn: int, index: Index | None, *, open_: bool = False) -> str:
    if c.chunk.table is not None:
        return (f'<details class="qa-src" id="{source_id(turn, c.n)}"{" open" if open_ else ""}>'
                f"<summary><b>[{c.n}]</b> {esc(c.document.title)}</summary>"
                f'<div class="qa-meta">{doc_meta(c.document, c.chunk)} · table row {c.chunk.table.row}</div>'
                f"{table_html(c, index)}</details>")
    before, after = neighbours(index, c.chunk)
    ctx = '<p class="qa-para qa-context">'
    body = []
    if before is not None:
        body.append(f"{ctx}{_label(before, c.chunk, 'earlier')} {esc(before.text)}</p>")
    body.append(f'<p class="qa-para qa-cited">¶{c.chunk.ordinal} {marked_html(c.chunk.text, c.sentence)}</p>')
    if after is not None:
        body.append(f"{ctx}{_label(after, c.chunk, 'later')} {esc(after.text)}</p>")
    return (f'<details class="qa-src" id="{source_id(turn, c.n)}"{" open" if open_ else ""}>'
            f"<summary><b>[{c.n}]</b> {esc(c.document.title)}</summary>"
            f'<div class="qa-meta">{doc_meta(c.document, c.chunk)}</div>{"".join(body)}</details>')


def related_html(hits: Iterable[Hit], documents: dict[str, Document]) -> str:
    items = []
    for h in hits:
        doc = documents.get(h.chunk.doc_id)
        text = h.chunk.text if len(h.chunk.text) <= RELATED_CHARS else h.chunk.text[:RELATED_CHARS] + "…"
        title = esc(doc.title) + " · " if doc is not None else ""
        items.append(f'<li><div class="qa-meta">{title}{esc(h.chunk.source)} · ¶{h.chunk.ordinal}'
                     f'{" · " + esc(" › ".join(h.chunk.heading)) if h.chunk.heading else ""}</div>'
                     f'<div class="qa-para">{esc(text)}</div></li>')
    return f'<ol class="qa-related">{"".join(items)}</ol>' if items else "<p>(no related passages)</p>"


def _clip(text: str, n: int = 120) -> str:
    return esc(text if len(text) <= n else text[:n] + "…")


def turn_html(answer: Answer, turn: int, index: Index | None, asked: str | None = None) -> str:
    """One answer's block of the sources panel: its sources, or the related passages of a decline.

    ``asked`` is the question as typed; when a follow-up was read with the conversation's context, the
    question searched for is shown under it.
    """
    head = f'<div class="qa-turn" id="qa-turn-{turn}"><h4>Q{turn}: {_clip(asked or answer.question)}</h4>'
    if asked and asked != answer.question:
        head += f'<div class="qa-meta">searched as: {_clip(answer.question)}</div>'
    head += "".join(f'<div class="qa-meta">{esc(n)}</div>' for n in answer.notes if n.startswith(FILTER_NOTES))
    if answer.citations:
        from qa.web.chart import chart_html

        blocks = [citation_html(c, turn, index, open_=(i == 0)) for i, c in enumerate(answer.citations)]
        return head + chart_html(answer, turn) + "".join(blocks) + "</div>"
    if answer.abstained:
        docs = index.documents if index is not None else {}
        return head + "<p><b>No answer in the reports.</b> Related passages:</p>" + \
            related_html(answer.related, docs) + "</div>"
    return head + "<p>(no sources)</p></div>"


def sources_panel(turns: list[str]) -> str:
    """The whole panel: the latest answer's block first."""
    head = '<h3 class="qa-sources-title">Sources</h3>'
    if not turns:
        return (head + '<p class="qa-empty">Ask a question: the paragraphs an answer cites appear here. '
                "Click a footnote such as [1] to jump to its paragraph.</p>")
    return head + "".join(reversed(turns))


def report_rows(reports: list[dict]) -> list[list]:
    return [[r["title"], r["year"] or "", "、".join(r["places"]), r["file"], r["part"] or "", r["paragraphs"]]
            for r in reports]


REPORT_HEADERS = ["title", "year", "places", "file", "part", "paragraphs"]
