"""A cleaned report text into documents (one per part of a compilation) and paragraph chunks.

A paragraph (a line of the cleaned text) is the unit. A long one is cut at sentence ends into pieces
of at most ``MAX_CHARS``; short lines (headings such as "一、稳步推进党建工作", or a fragment) join the
paragraph that follows. Each chunk's ``text`` is ``display(text[span[0]:span[1]])``, except a table row's
(``chunk.table`` set), whose text is the row as a record with its headers (``qa.ingest.tables``) and whose
span is the row's line; its heading path ends with the table's caption.

>>> from qa.ingest.clean import clean
>>> body = "我局坚持“围绕教育抓党建，抓好党建促发展”的思路，全县新建党支部12个，发展党员36名。"
>>> text = "昭平县教育局2011年工作总结\\n一、党建工作\\n" + body
>>> docs, chunks, dropped = split_documents(text, clean(text), source="a.txt", fallback_title="a")
>>> docs[0].title, docs[0].year, docs[0].places
('昭平县教育局2011年工作总结', 2011, ('昭平县',))
>>> chunks[0].heading, chunks[0].text == "昭平县教育局2011年工作总结\\n一、党建工作\\n" + body
(('一、党建工作',), True)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

from qa.ingest.clean import Cleaned, Line, drop_repeats
from qa.ingest.gazetteer import credit_places, file_places
from qa.ingest.meta import MAX_PLACES, Places, find_year, find_years, governing_places, issuer_places, read_places
from qa.ingest.tables import Table, find_tables, records
from qa.numbers import chinese_number
from qa.textnorm import CLOSERS, SENTENCE_END_RE, SENTENCE_ENDS, match_key, normalize, strip_pinyin
from qa.types import Chunk, Document, TableRow

MAX_CHARS = 300  # a chunk's display length; e5 reads 512 tokens
MIN_CHARS = 60  # a shorter tail piece goes back into the piece before it
SHORT_LINE = 40  # a line this short joins the paragraph that follows
MIN_FRAGMENT = 20  # a paragraph shorter than this (a lone numeral, half an item) joins its neighbour
PUBLISHER_LINES = 8  # the first chrome lines of a file, where a site names its publisher

_WS_RE = re.compile(r"[^\S\n]+")
# A watermark a site inserts into the body text: "[網-http://()找文章,到網]", "【来源:www.x.com】"
_INLINE_CHROME_RE = re.compile(r"[\[【][^\[\]【】\n]{0,30}(?:https?://|www\.)[^\[\]【】\n]{0,60}[\]】]")
# A site's blurb before a compilation's parts speaks to the reader.
_BLURB_RE = re.compile("请大家阅读|欢迎(?:大家)?阅读|供大家参考|供您参考|仅供参考|小编"
                       "|希望(?:对|能)(?:大家|你|您)|为大家(?:整理|收集|精选|准备|带来)")
_CJK_OR_LETTER_RE = re.compile(r"[^\W\d_]")
_NUM = "一二三四五六七八九十百零〇两"
_PART_END_RE = re.compile(rf"^(?P<pre>.{{0,50}}?)[\s:：—\-]*"
                          rf"(?P<marker>篇(?P<a>[{_NUM}]+)|第(?P<b>[{_NUM}\d]+)篇)$")
_PART_START_RE = re.compile(rf"^(?P<marker>第(?P<b>[{_NUM}\d]+)篇)(?:[\s:：、.．—\-]+(?P<pre>.{{1,50}}))?$")
_LEVELS = tuple(re.compile(p) for p in (
    rf"^(?:[{_NUM}]+[、.．]|第[{_NUM}\d]+(?:部分|章))",
    rf"^(?:[（(][{_NUM}]+[)）]|第[{_NUM}\d]+节)",
    r"^\d{1,2}[、.．](?!\d)",
    r"^(?:[（(]\d{1,2}[)）]|[①-⑳⑴-⒇⒈-⒛])",
))

# A clause end, but not a thousands separator (3,000元) or a clock (10:30) inside a number.
_CLAUSE_END_RE = re.compile(r"[，、：]|(?<!\d)[,:]|[,:](?!\d)")
_CLAUSE_RE = re.compile(r"[，,、：:。；;]")  # an unnumbered line holding these is prose, not a heading
_CLOSED = SENTENCE_ENDS + "：:…" + CLOSERS


def display(raw: str) -> str:
    """What a reader sees of ``raw``: pinyin annotations and bracketed URL watermarks out, each line
    stripped and its runs of spaces folded to one, blank lines dropped, lines joined by ``\\n``.

    >>> display("  總結(jié)：２０２０年\\n\\n   學校[網-http://()找文章]  工作 ")
    '總結：２０２０年\\n學校 工作'
    """
    text = _INLINE_CHROME_RE.sub("", strip_pinyin(raw))
    lines = (_WS_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class Dropped(str):
    """A block of text dropped here, as a string, with ``why`` it went."""

    why: str

    def __new__(cls, text: str, why: str) -> Dropped:
        out = super().__new__(cls, text)
        out.why = why
        return out


def split_documents(text: str, cleaned: Cleaned, *, source: str, fallback_title: str,
                    ) -> tuple[tuple[Document, ...], tuple[Chunk, ...], tuple[Dropped, ...]]:
    """Documents and chunks of one file's ``text``, given its cleaned lines; also what was dropped here
    (repeats, watermarks, a compilation's blurb), each with why.

    ``source`` is the file's path relative to the corpus root; ``fallback_title`` names a report
    without a title line (the file stem). The text before the first part of a compilation is dropped
    when it addresses the reader ("请大家阅读这些总结范文"), else it is a document with ``part`` None.
    """
    lines = list(cleaned.lines)
    parts = find_parts(lines)
    dropped: list[Dropped] = []
    title = (display(lines[cleaned.title].text).lstrip("# ") if cleaned.title is not None
             else cleaned.file_title or fallback_title)
    groups = [(lines, cleaned.title, title, None)]
    if parts:
        starts = [i for i, _, _ in parts] + [len(lines)]
        intro = lines[: starts[0]]
        groups = [(lines[a:b], 0, name, n) for (a, n, name), b in zip(parts, starts[1:], strict=True)]
        if any(_BLURB_RE.search(match_key(line.text)) for line in intro):
            dropped += [Dropped(line.text, "compilation's blurb to the reader") for line in intro]
        elif intro:
            in_intro = cleaned.title is not None and cleaned.title < starts[0]
            groups.insert(0, (intro, cleaned.title if in_intro else None, title, None))
    documents: list[Document] = []
    chunks: list[Chunk] = []
    used: set[str] = set()
    # a site names its publisher in its header lines ("XX县人民政府门户网站"), which cleaning drops as chrome
    publisher = publisher_places([normalize(line) for line in cleaned.dropped[:PUBLISHER_LINES]])
    found = find_tables(text)
    for doc_lines, title_index, doc_title, part in groups:
        title_line = doc_lines[title_index] if title_index is not None and doc_lines else None
        kept, repeats = drop_repeats(doc_lines)
        dropped += [Dropped(t, "repeats a longer stretch of the report") for t in repeats]
        dropped += [Dropped(m.group(), "inline watermark") for line in kept
                    for m in _INLINE_CHROME_RE.finditer(strip_pinyin(line.text))]
        if not kept:
            continue
        doc_id = _hash(f"{source}\x1f{part}")
        kept, doc_tables = _take_tables(kept, found, title_line)
        doc_chunks = _chunks(text, kept, title_line, doc_id=doc_id, source=source, part=part, used=used,
                             tables=doc_tables)
        if not doc_chunks:
            continue
        body, title_key = "\n".join(c.norm for c in doc_chunks), normalize(doc_title)  # metadata reads these
        places, year = read_places(title_key, body, publisher=publisher), find_year(title_key, body)
        if not places.about and (named := file_places(source)):  # the text names no place of its own
            places = Places(named, tuple(dict.fromkeys((*places.mentions, *named)))[:MAX_PLACES])
        years = tuple(sorted({*find_years(title_key, body), *([year] if year else [])}))
        documents.append(Document(doc_id=doc_id, source=source, title=doc_title, year=year, years=years,
                                  places=places.about, mentions=places.mentions, part=part,
                                  span=(kept[0].start, kept[-1].end)))
        chunks += doc_chunks
    return tuple(documents), tuple(chunks), tuple(dropped)


def publisher_places(lines: Sequence[str]) -> tuple[str, ...]:
    """The places a site's header lines name as an issuer: at a line's head ("沅陵县人民政府门户网站"), as a
    government anywhere in it (a photo credit "（图片来源／新竹县政府）"), or as the local outlet the page credits
    ("来源:砀山新闻网").

    >>> publisher_places(["沅陵县人民政府门户网站", "2025-12-15 县长重视教育（图片来源/新竹县政府）", "首页"])
    ('沅陵县', '新竹县')
    >>> publisher_places(["2019-08-23 10:51 来源:砀山新闻网-今日砀山 作者:记者"])
    ('砀山县',)
    """
    out: list[str] = []
    for line in lines:
        out += issuer_places(line) or list(governing_places(re.sub(r"\s+", "", line))) or list(credit_places(line))
    return tuple(out)


def find_parts(lines: Sequence[Line]) -> list[tuple[int, int, str]]:
    """The parts of a compilation: ``(line index, part number, title)`` for title lines ending in
    篇 + numeral ("…总结篇三") or holding 第X篇, numbered in sequence from one; [] if fewer than two.

    >>> find_parts([Line(0, 9, "安全工作总结篇一"), Line(10, 20, "正文。"), Line(21, 30, "安全工作总结篇二")])
    [(0, 1, '安全工作总结 篇一'), (2, 2, '安全工作总结 篇二')]
    """
    found: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        shown = display(line.text)
        if not shown or len(shown) > 60 or shown[-1] in SENTENCE_ENDS:
            continue
        m = _PART_END_RE.match(shown) or _PART_START_RE.match(shown)
        if m and chinese_number(m.groupdict().get("a") or m.group("b")) == len(found) + 1:
            pre = (m.group("pre") or "").strip(" :：—-")
            found.append((i, len(found) + 1, f"{pre} {m.group('marker')}".strip()))
    return found if len(found) >= 2 else []



def heading_level(text: str) -> int | None:
    """1 for 一、/第X部分/第X章, 2 for （一）, 3 for 1、/1., 4 for （1）/①/⑴; None when not numbered."""
    text = text.lstrip("#").strip()
    return next((n for n, pattern in enumerate(_LEVELS, 1) if pattern.match(text)), None)


def _is_heading(text: str) -> bool:
    """A short line that heads what follows: numbered, or without sentence-final punctuation."""
    return len(text) <= SHORT_LINE and (heading_level(text) is not None or text[-1] not in SENTENCE_ENDS)


def _heading_text(text: str) -> str:
    """A heading as the path shows it: the line up to its first sentence end, or its first clause."""
    shown = display(text).lstrip("#").strip()
    start = next((m.end() for m in (p.match(shown) for p in _LEVELS) if m), 0)
    m = SENTENCE_END_RE.search(shown, start)
    if m and m.start() <= SHORT_LINE:
        shown = shown[: m.start()]
    elif len(shown) > SHORT_LINE:
        m = _CLAUSE_END_RE.search(shown, start)
        shown = shown[: m.start()] if m and m.start() <= SHORT_LINE else shown[:30] + "…"
    return shown.rstrip("。.：:；;，,")


def _units(text: str, lines: Sequence[Line]) -> list[list[Line]]:
    """Group lines into paragraphs: short lines join the paragraph after them, a line cut mid-sentence
    joins the next; nothing joins across dropped text."""
    units: list[list[Line]] = []
    pending: list[Line] = []
    prev: Line | None = None
    for line in lines:
        adjacent = prev is not None and not text[prev.end:line.start].strip()
        if pending and not adjacent:
            units.append(pending)
            pending = []
        if (adjacent and not pending and units and units[-1][-1] is prev and prev.text[-1] not in _CLOSED
                and heading_level(line.text) is None and len(prev.text) > SHORT_LINE):
            units[-1].append(line)  # the previous paragraph was cut mid-sentence
        elif len(line.text) <= SHORT_LINE:
            if _is_heading(line.text) and any(not _is_heading(p.text) for p in pending):
                units.append(pending)
                pending = []
            pending.append(line)
            if sum(len(p.text) for p in pending) > MAX_CHARS // 2:
                units.append(pending)
                pending = []
        else:
            units.append([*pending, line])
            pending = []
        prev = line
    if pending:
        units.append(pending)
    return _merge_fragments(text, units)


def _merge_fragments(text: str, units: list[list[Line]]) -> list[list[Line]]:
    """A paragraph under ``MIN_FRAGMENT`` characters joins the one before it (the one after when it is
    first), when no dropped text stands between them."""
    out: list[list[Line]] = []
    for unit in units:
        size = sum(len(line.text) for line in unit)
        if out and size < MIN_FRAGMENT and not text[out[-1][-1].end:unit[0].start].strip():
            out[-1] = out[-1] + unit
        else:
            out.append(unit)
    if len(out) > 1 and sum(len(line.text) for line in out[0]) < MIN_FRAGMENT \
            and not text[out[0][-1].end:out[1][0].start].strip():
        out[1:2] = [out[0] + out[1]]
        out.pop(0)
    return out


def _pieces(text: str, unit: list[Line]) -> list[tuple[int, int]]:
    """Spans of a paragraph cut at sentence ends into pieces of at most ``MAX_CHARS`` shown characters."""
    segments: list[tuple[int, int]] = []
    for line in unit:
        cuts = [m.end() for m in SENTENCE_END_RE.finditer(line.text)]
        a = 0
        for b in [*cuts, len(line.text)]:
            segments.extend(_fit(line, a, b))
            a = b
    pieces: list[list[tuple[int, int]]] = []
    size = 0
    for a, b in segments:
        n = len(display(text[a:b]))
        if pieces and size + n + 1 <= MAX_CHARS:
            pieces[-1].append((a, b))
            size += n + 1
        else:
            pieces.append([(a, b)])
            size = n
    if len(pieces) > 1 and size < MIN_CHARS:
        tail = pieces.pop()
        pieces[-1] += tail
    if len(pieces) > 1 and sum(len(display(text[a:b])) for a, b in pieces[0]) < MIN_FRAGMENT:
        pieces[1] = pieces[0] + pieces[1]  # a heading or fragment before a long sentence stays with it
        pieces.pop(0)
    return [(piece[0][0], piece[-1][1]) for piece in pieces]


def _fit(line: Line, a: int, b: int) -> list[tuple[int, int]]:
    """The sentence ``line.text[a:b]`` as absolute spans, cut at commas (or hard) if it is too long."""
    while a < b and line.text[a].isspace():
        a += 1
    if a >= b:
        return []
    if b - a <= MAX_CHARS:
        return [(line.start + a, line.start + b)]
    window = line.text[a : a + MAX_CHARS]
    cut = max((m.end() for m in _CLAUSE_END_RE.finditer(window)), default=0)
    if cut <= MAX_CHARS // 3:  # no comma late enough: cut hard, but not inside an annotation "(jié)"
        opening = max(window.rfind("(", MAX_CHARS - 10), window.rfind("（", MAX_CHARS - 10))
        closed = ")" in window[opening:] or "）" in window[opening:]
        cut = opening if opening > 0 and not closed else MAX_CHARS
    return [(line.start + a, line.start + a + cut), *_fit(line, a + cut, b)]


def _take_tables(lines: list[Line], found: Sequence[Table], title_line: Line | None,
                 ) -> tuple[list[Line], list[Table]]:
    """The tables most of whose rows survived cleaning in ``lines``, and ``lines`` without the lines inside
    them (a numbered heading or the title above a table is kept as such, not taken as its caption)."""
    tables = []
    for table in found:
        inside = sum(any(line.start < row.span[1] and row.span[0] < line.end for line in lines)
                     for row in table.rows)
        if 2 * inside < len(table.rows):
            continue
        if table.caption and (heading_level(table.caption) is not None
                              or (title_line is not None and title_line.start >= table.span[0])):
            table = replace(table, caption="", span=(table.head, table.span[1]))
        tables.append(table)
    rest = [line for line in lines if not any(t.span[0] <= line.start and line.end <= t.span[1] for t in tables)]
    return rest, tables


def _flow(text: str, lines: Sequence[Line], tables: Sequence[Table]) -> list[tuple[list[Line], bool] | Table]:
    """Paragraphs (with whether a table follows right after) and tables, in the order of the text."""
    out: list[tuple[list[Line], bool] | Table] = []
    queue = sorted(tables, key=lambda t: t.span[0])
    segment: list[Line] = []
    for line in [*lines, None]:
        while queue and (line is None or queue[0].span[0] <= line.start):
            units = _units(text, segment)
            out += [(u, k == len(units) - 1) for k, u in enumerate(units)]
            out.append(queue.pop(0))
            segment = []
        if line is not None:
            segment.append(line)
    out += [(u, False) for u in _units(text, segment)]
    return out


def _unit_path(unit: list[Line], path: dict[int, tuple[str, bool]], title_line: Line | None,
               ) -> tuple[dict[int, tuple[str, bool]], tuple[str, ...]]:
    """The heading path after a paragraph's heading lines, and the paragraph's own heading path."""
    snapshot = None
    levels_seen: set[int] = set()
    for line in unit:
        level = heading_level(line.text)
        heading = _is_heading(line.text)
        if level is None and (not heading or line is title_line or _CLAUSE_RE.search(line.text)):
            if not heading and snapshot is None:
                snapshot = dict(path)
            continue
        numbered = level is not None
        if level is None:  # an unnumbered heading nests under the numbered ones
            deepest = max(path, default=0)
            level = deepest if deepest and not path[deepest][1] else deepest + 1
        if snapshot is None and any(seen >= level for seen in levels_seen):
            snapshot = dict(path)  # a sibling follows: the paragraph is the first item's
        path = {k: v for k, v in path.items() if k < level}
        path[level] = (_heading_text(line.text), numbered)
        levels_seen.add(level)
        if not heading and snapshot is None:
            snapshot = dict(path)
    return path, tuple(v for _, (v, _) in sorted((path if snapshot is None else snapshot).items()))


def _chunks(text: str, lines: Sequence[Line], title_line: Line | None, *, doc_id: str, source: str,
            part: int | None, used: set[str], tables: Sequence[Table] = ()) -> list[Chunk]:
    chunks: list[Chunk] = []
    path: dict[int, tuple[str, bool]] = {}  # level -> (heading, numbered)
    ordinal = 0

    def emit(shown: str, span: tuple[int, int], heading: tuple[str, ...], table: TableRow | None = None):
        chunk_id = _hash(f"{source}\x1f{part}\x1f{shown}")
        n = 1
        while chunk_id in used:  # the same text twice in one file
            chunk_id, n = _hash(f"{source}\x1f{part}\x1f{shown}\x1f{n}"), n + 1
        used.add(chunk_id)
        chunks.append(Chunk(chunk_id=chunk_id, doc_id=doc_id, source=source, ordinal=ordinal, heading=heading,
                            span=span, text=shown, norm=normalize(shown), table=table))

    for item in _flow(text, lines, tables):
        if isinstance(item, Table):  # one record per row, the rows sharing the table's paragraph number
            heading = tuple(v for _, (v, _) in sorted(path.items())) + ((item.caption,) if item.caption else ())
            rows = records(item)
            ordinal += bool(rows)
            for r in rows:
                emit(r.text, r.span, heading + r.groups, r.row)
            continue
        unit, table_next = item
        if len(unit) == 1 and unit[0] is title_line:
            continue  # the title alone: it is the document's title, not a paragraph
        path, heading_path = _unit_path(unit, path, title_line)
        if table_next and all(line is title_line or (heading_level(line.text) is not None
                                                     and len(line.text) <= SHORT_LINE) for line in unit):
            continue  # the title or a numbered heading right above a table: the table's rows carry it
        emitted = False
        for a, b in _pieces(text, unit):
            shown = display(text[a:b])
            if not _CJK_OR_LETTER_RE.search(shown):
                continue
            if not emitted:
                ordinal += 1
                emitted = True
            emit(shown, (a, b), heading_path)
    return chunks


def _hash(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]
