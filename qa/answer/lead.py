"""Leads for English askers: the figure, its unit in English, and the report's place and the year.

Everything a lead states comes from the cited sentence (the figure, its unit, a year) or from the report it
cites (the place): a lead that cannot be built that way is not given, and the quote stands alone.

>>> figure_lead("2015年新建图书室12间", analyze("How many rooms were built?"), None, 1)
'12 rooms (2015) [1]'
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from qa.numbers import NUMBER_RE
from qa.search.question import QuestionInfo, analyze  # noqa: F401 - analyze: the doctest
from qa.textnorm import normalize
from qa.types import Document

_TOTAL = re.compile(r"\b(total|in all|altogether|overall|combined|all together|sum)\b|"
                    r"总共|总数|总计|總共|總數|總計|合计|合計|一共|共计|共計|累计|累計", re.I)
_PART_EN = re.compile(r",?\s+(?:and|but)\s+(?=(?:how|what|which|who|when|where|whom)\b)", re.I)
_PART_ZH = re.compile(r"[,，;；]\s*(?:并且|并|以及|还|又|同时|另外)?|(?:以及|和|与|與|及|跟|还有|還有)(?=多少|几|幾)")
_QWORD_ZH = re.compile(r"多少|几|幾|哪|什么|甚麼|什麼|何|怎样|怎么|如何|是否")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?=年)")


def asks_total(question: str) -> bool:
    """Whether the question asks for a total ("in total", "一共"): only then is "no single figure" a fair lead.

    >>> asks_total("How many rooms were built in total?"), asks_total("How many rooms are there?")
    (True, False)
    """
    return bool(_TOTAL.search(question))


def question_parts(question: str) -> list[str]:
    """The questions a two-part question asks, each whole; one element for a simple question.

    >>> question_parts("How much was invested, and how many places did it create?")
    ['How much was invested', 'how many places did it create?']
    >>> question_parts("投入了多少资金，新增了多少个学位？")
    ['投入了多少资金', '新增了多少个学位？']
    >>> question_parts("有多少所小学和多少名教师？")
    ['有多少所小学', '多少名教师？']
    """
    if _PART_EN.search(question):
        parts = [p.strip() for p in _PART_EN.split(question, maxsplit=1)]
    else:
        parts = [p.strip() for p in _PART_ZH.split(question) if p.strip()]
        asking = [p for p in parts if _QWORD_ZH.search(p)]
        if len(asking) != 2 or len(parts) != 2:
            return [question]
    return parts if all(len(p) >= 4 for p in parts) else [question]


@lru_cache(maxsize=1)
def units() -> tuple[tuple[str, str], ...]:
    """(Chinese unit, English gloss), longest unit first (万元 before 元)."""
    text = resources.files("qa").joinpath("data/units_zh_en.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(sorted(((r[0], r[1]) for r in rows if len(r) >= 2), key=lambda r: -len(r[0])))


def figure_with_unit(text: str, q: QuestionInfo) -> tuple[str, str] | None:
    """The first figure of ``text`` that the question does not state and that a known unit follows."""
    norm = normalize(text)
    for m in NUMBER_RE.finditer(norm):
        figure = m.group(0)
        if figure in q.numbers or _YEAR.match(norm, m.start()):
            continue
        after = norm[m.end():].lstrip()
        for unit, gloss in units():
            if after.startswith(unit):
                return figure, gloss
    return None


def figure_lead(quote: str, q: QuestionInfo, doc: Document | None, n: int) -> str | None:
    """"12 rooms (河东县, 2015) [1]", or ``None`` when the quote holds no figure with a known unit."""
    got = figure_with_unit(quote, q)
    if got is None:
        return None
    figure, gloss = got
    where = []
    if doc is not None and doc.places:
        where.append(doc.places[0])
    year = _YEAR.search(normalize(quote))
    if year:
        where.append(year.group(1))
    return f"{figure} {gloss}" + (f" ({', '.join(where)})" if where else "") + f" [{n}]"


def shorten(quote: str, limit: int) -> str:
    """The quote cut at a clause break before ``limit`` characters (never inside a figure)."""
    quote = quote.strip().rstrip("，,、；;：:")
    if len(quote) <= limit:
        return quote
    cut = quote[:limit]
    for p in ("，", ",", "、", "；"):
        i = cut.rfind(p)
        if i > limit // 2:
            return cut[:i] + "…"
    while cut and cut[-1].isdigit():  # never cut a figure in two
        cut = cut[:-1]
    return cut + "…"
