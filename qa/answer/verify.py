"""Answer-time checks: every number in an answer occurs in a paragraph it cites; every ``[n]`` is a source.

A line that fails is dropped; an answer left with no supported line is declined by the caller.

>>> unsupported_numbers("新建图书室12间 [1]", {1: "新建图书室12间,其中8间已投入使用"})
[]
>>> unsupported_numbers("Funds: 1.2 million yuan, 8 million people [1]", {1: "投入120万元"})  # 120万 is 1.2 million
['8000000']
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa.answer.wording import place_label
from qa.numbers import numbers_in, read_english_amounts, scaled_numbers_in
from qa.types import Answer, Citation

MARKER_RE = re.compile(r"\[(\d{1,3})\]")


def unsupported_numbers(line: str, sources: dict[int, str]) -> list[str]:
    """Numbers of ``line`` (citation markers aside) found in none of the paragraphs it cites.

    A line with no marker is checked against all the sources. A figure written with a multiplier (120万) is known
    by its value too, and an English amount ("1.2 million") is read as its value.
    """
    cited = [int(n) for n in MARKER_RE.findall(line)]
    pool = [sources[n] for n in cited if n in sources] if cited else list(sources.values())
    known = {x for text in pool for x in (*numbers_in(text), *scaled_numbers_in(text))}
    return [x for x in numbers_in(read_english_amounts(MARKER_RE.sub(" ", line))) if x not in known]


def bad_markers(line: str, sources: dict[int, str]) -> list[int]:
    return [int(n) for n in MARKER_RE.findall(line) if int(n) not in sources]


def cited_text(c: Citation) -> str:
    """What a citation vouches for: its paragraph, and the report's title and label as an answer names it
    (a compilation's part "篇十三" reads as 13, and is no unsupported figure)."""
    return "\n".join([c.chunk.text, c.document.title, place_label(c.document, "zh")])


def verify(answer: Answer) -> Answer | None:
    """The answer with failing lines removed, or ``None`` when no cited line survives."""
    sources = {c.n: cited_text(c) for c in answer.citations}
    kept, dropped = [], 0
    for line in answer.text.split("\n"):
        if unsupported_numbers(line, sources) or bad_markers(line, sources):
            dropped += 1
            continue
        kept.append(line)
    if not any(MARKER_RE.search(line) for line in kept):
        return None
    used = {int(n) for line in kept for n in MARKER_RE.findall(line)}
    notes = answer.notes + ((f"{dropped} line(s) removed: a number or citation was not supported",)
                            if dropped else ())
    return replace(answer, text="\n".join(kept), citations=tuple(c for c in answer.citations if c.n in used),
                   notes=notes)
