"""A small bar chart of one measure across reports or years, drawn from an answer's cited figures.

When an answer quotes the same kind of figure (a count of 名, 项, 所, 人次, ...) from two or more reports or
years, the Sources panel shows it as bars. Every value is a number the cited sentence states
(``qa.numbers.numbers_in``), and every bar links to its citation, like the ``[n]`` in the answer.
The chart is inline SVG: no plotting library, nothing fetched.

>>> from qa.types import Chunk, Citation, Document
>>> def cite(n, place, year, sentence):
...     d = Document(f"d{n}", f"{n}.txt", f"{place}{year}年工作总结", year, (place,))
...     c = Chunk(f"c{n}", d.doc_id, d.source, 1, (), (0, len(sentence)), sentence, sentence)
...     return Citation(n, c, d, sentence)
>>> bars = chart_bars((cite(1, "甲县", 2011, "招聘教师26名"), cite(2, "乙县", 2012, "招聘教师40名")))
>>> [(b.n, b.label, b.value, b.unit) for b in bars]
[(1, '甲县', 26.0, '名'), (2, '乙县', 40.0, '名')]
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qa.numbers import numbers_in
from qa.textnorm import normalize
from qa.types import Answer, Citation


@dataclass(frozen=True)
class ChartStyle:
    """Sizes of the drawing, in SVG units."""

    width: int = 380
    label_width: int = 96  # labels wider than this are cut with "…"
    min_value_width: int = 78  # the values' column widens to the widest value
    max_value_width: int = 150
    bar_height: int = 20
    gap: int = 8
    font_size: int = 12
    pad: int = 6  # between a label and its bar, a bar and its value
    min_bars: int = 2
    max_bars: int = 12


STYLE = ChartStyle()
# A figure and what it counts: digits, an optional 万/亿, and the counter character(s) right after it.
# 多/余 ("300多处") say the figure is a lower bound; it is still the figure the report gives.
_FIGURE_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(多|余)?(万|亿)?(人次|[^\d\s\W_a-zA-Z]|%)")
_NOT_A_MEASURE = set("年月日号时届期第")
_YEAR_RE = re.compile(r"(?<!\d)(19\d\d|20\d\d)\s*年")


@dataclass(frozen=True)
class Bar:
    n: int  # the citation it comes from
    label: str
    value: float
    shown: str  # the figure as the report writes it (digits, 多, 万 and the counter)
    unit: str


def _figures(sentence: str) -> list[tuple[float, str, str]]:
    """(value, unit, as written) for each counted figure in a sentence that ``numbers_in`` also reads."""
    norm = normalize(sentence).replace(",", "")
    stated = set(numbers_in(sentence))
    out = []
    for m in _FIGURE_RE.finditer(norm):
        digits, approx, scale, counter = m.groups()
        if counter in _NOT_A_MEASURE or digits not in stated:
            continue
        out.append((float(digits), (scale or "") + counter, digits + (approx or "") + (scale or "") + counter))
    return out


def _year(c: Citation) -> str | None:
    m = _YEAR_RE.search(normalize(c.sentence or c.chunk.text))
    return m[1] if m else None


def _labels(cites: Sequence[Citation]) -> list[str]:
    """What tells the bars apart: the reports' places, else the years the sentences name, else the titles."""
    places = [c.document.places[0] if c.document.places else "" for c in cites]
    if all(places) and len(set(places)) == len(places):
        return places
    years = [_year(c) for c in cites]
    if all(years) and len(set(years)) == len(years):
        return [f"{y}年" for y in years]
    return [f"[{c.n}] {c.document.title}" for c in cites]


# a quote line of an answer: "- label“quote” [n]" (the label is optional)
_QUOTE_RE = re.compile(r"“(.+?)”\s*\[(\d{1,3})\]")


def quoted_texts(answer_text: str) -> dict[int, str]:
    """What the answer quotes of each citation, by its number (several quotes of one citation joined).

    >>> quoted_texts('The reports say, by report:\\n- 甲县: “招聘教师26名” [1]\\n- “投入5万元” [2]')
    {1: '招聘教师26名', 2: '投入5万元'}
    """
    out: dict[int, list[str]] = {}
    for m in _QUOTE_RE.finditer(answer_text):
        out.setdefault(int(m[2]), []).append(m[1])
    return {n: "；".join(parts) for n, parts in out.items()}


def chart_bars(citations: Sequence[Citation], quoted: dict[int, str] | None = None) -> list[Bar]:
    """The bars of a chart for these citations: one measure (the counter most of them share), one figure per
    citation, from two or more reports or years; ``[]`` when the citations do not compare one measure. With
    ``quoted`` (what the answer quotes of each citation, ``quoted_texts``), a citation's figures are those of
    its quote: a sentence often states other measures than the one the answer quotes it for (3182人 and
    505.3万元), and the chart must not compare those."""
    quoted = quoted or {}
    found = [(c, _figures(quoted.get(c.n) or c.sentence or c.chunk.text)) for c in citations]
    units = Counter(u for _, figs in found for u in {u for _, u, _ in figs})
    if not units:
        return []
    unit, count = units.most_common(1)[0]
    if count < STYLE.min_bars:
        return []
    chosen = [(c, next(f for f in figs if f[1] == unit)) for c, figs in found if any(f[1] == unit for f in figs)]
    chosen = chosen[:STYLE.max_bars]
    cites = [c for c, _ in chosen]
    if len({c.document.doc_id for c in cites}) < STYLE.min_bars and len({_year(c) for c in cites}) < STYLE.min_bars:
        return []  # several figures of one report and one year: not a comparison
    return [Bar(c.n, label, value, shown, unit)
            for (c, (value, _, shown)), label in zip(chosen, _labels(cites), strict=True)]


def text_width(text: str, size: float = STYLE.font_size) -> float:
    """A generous estimate of the drawn width of ``text``: a full-width (CJK) character is ``size`` wide,
    any other about 0.62 of it (the widest digits and Latin letters of common sans-serif faces).

    >>> text_width("26名"), text_width("[1]")
    (26.88, 22.32)
    """
    import unicodedata

    return round(sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.62 * size for ch in text), 2)


def clip_to(text: str, width: float) -> str:
    """``text`` cut with "…" so that it fits ``width``.

    >>> clip_to("甲县教育局二〇一一年工作总结", 60)
    '甲县教育…'
    """
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def chart_svg(bars: Sequence[Bar], turn: int, caption: str = "figures as cited") -> str:
    """The bars as inline SVG; each bar (and its label) links to ``#qa-src-<turn>-<n>``."""
    s = STYLE
    top = max(b.value for b in bars) or 1.0
    values = [clip_to(f"{b.shown} [{b.n}]", s.max_value_width) for b in bars]
    value_width = max(s.min_value_width, max(text_width(v) for v in values) + s.pad)
    span = s.width - s.label_width - value_width
    height = len(bars) * (s.bar_height + s.gap) + s.gap
    rows = []
    for i, (b, value) in enumerate(zip(bars, values, strict=True)):
        y = s.gap + i * (s.bar_height + s.gap)
        w = max(2.0, span * b.value / top)
        mid = y + s.bar_height * 0.7
        esc = html.escape
        rows.append(
            f'<a href="#qa-src-{turn}-{b.n}" class="qa-cite qa-bar" data-n="{b.n}">'
            f"<title>[{b.n}] {esc(b.label)}: {esc(b.shown)}</title>"
            f'<text x="{s.label_width - s.pad}" y="{mid:.1f}" text-anchor="end" font-size="{s.font_size}">'
            f"{esc(clip_to(b.label, s.label_width - s.pad))}</text>"
            f'<rect x="{s.label_width}" y="{y}" width="{w:.1f}" height="{s.bar_height}" rx="3"></rect>'
            f'<text x="{s.label_width + w + s.pad:.1f}" y="{mid:.1f}" font-size="{s.font_size}">'
            f"{esc(value)}</text></a>")
    return (f'<figure class="qa-chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" width="{s.width}" '
            f'height="{height}" viewBox="0 0 {s.width} {height}">{"".join(rows)}</svg>'
            f"<figcaption>{html.escape(caption)} ({html.escape(bars[0].unit)})</figcaption></figure>")


def chart_html(answer: Answer, turn: int) -> str:
    """The chart block of an answer in the Sources panel, or ``""`` when it compares no figures."""
    if answer.abstained or len(answer.citations) < STYLE.min_bars:
        return ""
    bars = chart_bars(answer.citations, quoted_texts(answer.text))
    return chart_svg(bars, turn) if bars else ""
