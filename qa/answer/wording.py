"""The fixed phrases of answers, in English, Simplified and Traditional Chinese."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from qa.search.filters import Filters, filter_note
from qa.textnorm import to_traditional
from qa.types import Document

PHRASES = {
    "direct": ("The reports say:", "报告中写道："),
    "list": ("The reports describe the following:", "报告中提到以下几方面："),
    "differ": ("The reports give different figures, by report:", "各报告给出的数字不同，按报告列出："),
    "by_report": ("The reports say, by report:", "各报告中写道："),
    "no_single": ("The reports give no single figure for this; the figures they do give are:",
                  "报告中没有给出这一项的单一总数，相关的数字有："),
    "decline": ("The reports do not give this. The closest passages are listed below as related reading.",
                "报告中没有提供这方面的信息。以下是最接近的段落，供参考。"),
    "uncovered": ("The reports do not cover {place}: no report is about it or names it. The closest passages are "
                  "listed below as related reading.",
                  "这些报告没有涉及{place}：没有哪份报告写到这个地方。以下是最接近的段落，供参考。"),
    "uncovered_year": ("The reports do not cover {year}: no report is from that year or names it. The closest "
                       "passages are listed below as related reading.",
                       "这些报告没有涉及{year}：没有哪份报告属于这一年或写到这一年。以下是最接近的段落，供参考。"),
    "outside_year": ("The passages that speak to this come from reports that do not cover {year}: none is from "
                     "that year or names it. The closest passages are listed below as related reading.",
                     "与此相关的段落所在的报告都不涉及{year}：没有哪份属于这一年或写到这一年。以下是最接近的段落，供参考。"),
    "outside_place": ("The passages that speak to this come from reports that do not name {place}. The closest "
                      "passages are listed below as related reading.",
                      "与此相关的段落所在的报告都没有写到{place}。以下是最接近的段落，供参考。"),
    "masked": ("The reports do not give this figure: where they speak of it, the number is masked (“{mask}”). "
               "The closest passages are listed below.",
               "报告中没有给出这个数字：相关段落中该数字被隐去（“{mask}”）。以下是最接近的段落，供参考。"),
    "llm_fallback": ("The language model's answer could not be used ({why}); this answer is composed from the "
                     "passages.", "语言模型的回答未被采用（{why}），以下回答直接摘自报告。"),
}


def text(key: str, lang: str) -> str:
    en, zh = PHRASES[key]
    if lang == "en":
        return en
    return to_traditional(zh) if lang == "zh-hant" else zh


def years_label(years: tuple[int, ...], lang: str) -> str:
    """The years a decline names: ``2011 and 2012`` in English, ``2011年、2012年`` in Chinese.

    >>> years_label((2011, 2012), "en"), years_label((2011,), "zh-hant")
    ('2011 and 2012', '2011年')
    """
    if lang == "en":
        head = ", ".join(map(str, years[:-1]))
        return f"{head} and {years[-1]}" if head else str(years[-1])
    return "、".join(f"{y}年" for y in years)


def place_label(doc: Document, lang: str) -> str:
    """A number-free label for a report in an answer: its place, else its title (digits removed)."""
    if doc.places:
        name = doc.places[0] + (f" ({_part_word(doc.part, lang)})" if doc.part else "")
    else:
        name = "".join(ch for ch in doc.title if not ch.isdigit())[:24]
    name = to_traditional(name) if lang == "zh-hant" else name
    return f"{name}: " if lang == "en" else f"{name}："


def _part_word(part: int, lang: str) -> str:
    # Spelled out so that the label adds no digits an answer check would have to trace.
    numerals = "一二三四五六七八九十"
    zh = numerals[part - 1] if part <= 10 else "十" + numerals[part - 11] if part < 20 else str(part)
    return f"篇{zh}"


# How the note that the place filter was set aside begins, in each script: read off ``filter_note("outside")``
# itself, up to the bracket that names the filter, so the two cannot drift apart.
_OUTSIDE_PREFIXES = tuple(dict.fromkeys(re.split(r"\s*[(（]", filter_note("outside", Filters(), script))[0]
                                        for script in ("en", "zh", "zh-hant")))


def kept_notes(notes: Iterable[str], cited: Iterable[Document], asked: Collection[str]) -> tuple[str, ...]:
    """An answer's notes, less the one saying the place filter was set aside (``filter_note("outside")``) when
    every report the answer cites is about a place the question names: the answer comes from within the filter.

    >>> note = filter_note("outside", Filters(places=("青松县",)))
    >>> kept_notes([note], [Document("d", "d.txt", "t", places=("青松县",))], ("青松县",))
    ()
    >>> kept_notes([note], [Document("d", "d.txt", "t", places=("河西县",))], ("青松县",)) == (note,)
    True
    """
    cited = list(cited)
    inside = bool(cited) and all(set(d.places) & set(asked) for d in cited)
    return tuple(n for n in notes if not (inside and n.startswith(_OUTSIDE_PREFIXES)))
