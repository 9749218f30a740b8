"""How an answer is shown: plain text for the terminal, JSON for programs, Markdown for the web chat."""

from __future__ import annotations

import re

from qa.ingest.tables import SEP
from qa.types import Answer, Citation, Hit


def section(c: Citation) -> str:
    return " > ".join(c.chunk.heading)


def citation_json(c: Citation) -> dict:
    """A citation for programs; a table row's also carries its table (caption, headers, cells, row)."""
    out = {"n": c.n, "document": c.document.doc_id, "title": c.document.title, "year": c.document.year,
            "places": list(c.document.places), "part": c.document.part, "section": section(c),
            "paragraph": c.chunk.ordinal, "file": c.chunk.source, "span": list(c.chunk.span),
            "text": c.chunk.text, "sentence": c.sentence, "chunk_id": c.chunk.chunk_id}
    if c.chunk.table is not None:
        out["table"] = {"caption": c.chunk.table.caption, "headers": list(c.chunk.table.headers),
                        "cells": list(c.chunk.table.cells), "row": c.chunk.table.row}
    return out


def hit_json(h: Hit) -> dict:
    return {"chunk_id": h.chunk.chunk_id, "file": h.chunk.source, "paragraph": h.chunk.ordinal,
            "section": " > ".join(h.chunk.heading), "score": round(h.score, 4), "text": h.chunk.text}


def to_json(a: Answer) -> dict:
    return {"question": a.question, "answer": a.text, "abstained": a.abstained,
            "citations": [citation_json(c) for c in a.citations],
            "related": [hit_json(h) for h in a.related], "notes": list(a.notes)}


def marked(c: Citation, left: str = "»", right: str = "«") -> str:
    """The cited paragraph with the cited sentence marked (of a table row, the quoted cell).

    >>> from qa.types import Chunk, Document, TableRow
    >>> row = TableRow("", ("学校", "学生", "教师"), ("东风小学", "820", "41"), 1)
    >>> chunk = Chunk("c", "d", "a.docx", 1, (), (0, 0), "东风小学 · 学生: 820 · 教师: 41", "", table=row)
    >>> marked(Citation(1, chunk, Document("d", "a.docx", "报告"), "东风小学 · 教师: 41"))
    '东风小学 · 学生: 820 · »教师: 41«'
    """
    text, sentence = c.chunk.text, c.sentence
    i = text.find(sentence) if sentence else -1
    if i < 0 and c.chunk.table is not None and SEP in sentence:
        sentence = sentence.rsplit(SEP, 1)[1]
        m = re.search(re.escape(SEP + sentence) + f"(?={re.escape(SEP)}|$)", text)
        i = m.start() + len(SEP) if m else -1
    if i < 0:
        return text
    return text[:i] + left + sentence + right + text[i + len(sentence):]


def source_line(c: Citation) -> str:
    d = c.document
    meta = [x for x in (str(d.year) if d.year else "", "、".join(d.places)) if x]
    where = " > ".join(c.chunk.heading) or "-"
    return (f"[{c.n}] {d.title}{' (' + ', '.join(meta) + ')' if meta else ''} · {where} · ¶{c.chunk.ordinal} · "
            f"{c.chunk.source}")


def render_text(a: Answer) -> str:
    out = [a.text]
    for note in a.notes:
        out.append(f"(note: {note})")
    if a.citations:
        out.append("\nSources:")
        for c in a.citations:
            out.append(source_line(c))
            out.append("    " + marked(c))
    if a.abstained and a.related:
        out.append("\nRelated passages:")
        for i, h in enumerate(a.related, 1):
            out.append(f"  {i}. {h.chunk.source} ¶{h.chunk.ordinal}: {h.chunk.text[:160]}")
    return "\n".join(out)
