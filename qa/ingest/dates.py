"""Years in the calendars Chinese reports use, and the years a report covers.

Reads the search form of the text (Simplified, half width): ``2011年``, ``二〇一一年``, ``2010-2011学年``,
Republic-of-China years (``民国97年``, ``97学年度``, ``100年度``: +1911). Masked years (``20xx``,
``201*``, ``二〇××``) and publish dates (``2019-02-27``) are no year.

>>> [m.year for m in years_in("民国97年及98学年度、二〇一一年与2012年；20xx年不算")]
[2008, 2009, 2011, 2012]
>>> [(m.year, m.school) for m in years_in("2013/14学年、二〇一五/二〇一六学年、二〇一七学年")]
[(2013, False), (2014, False), (2015, False), (2016, False), (2017, True)]
>>> covered_years("教育局2020年工作总结和2021年工作计划", "")
Coverage(year=2020, years=(2020, 2021))
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from qa.numbers import chinese_number

ROC_OFFSET = 1911  # 民国1年 = 1912


@dataclass(frozen=True)
class YearParams:
    """Where a report's own years are read, and which years count."""

    first: int = 1950
    last: int = 2099
    opening_chars: int = 300  # "the report's first lines": where its year is looked for when the title has none
    body_min_count: int = 2  # a year the body names this often is one the report covers
    max_years: int = 6
    past_years: int = 10  # "过去五年": at most this many years back from the report's own


PARAMS = YearParams()


@dataclass(frozen=True)
class YearMention:
    year: int
    start: int
    end: int
    calendar: str  # "western", "chinese", "roc"
    school: bool = False  # a school year (学年): it runs on into the next calendar year


@dataclass(frozen=True)
class Coverage:
    """The year a report is about (delivered or reviewed), and all the years it covers, in order."""

    year: int | None
    years: tuple[int, ...]


_CN = "〇零一二三四五六七八九"
_MASK = r"[*＊xX×_?？]"
_WS_RE = re.compile(r"\s+")
# 2011年, 2011学年, 2011-2012学年度, 2013/14学年 (a range's second year may be written short): a western year
# before 年 (dates 2019-02-27 have no 年).
_RANGE = r"\s*[-—–~至到/]\s*"
_WESTERN_RE = re.compile(rf"(?<![\d.]){_MASK}*(?P<y>(?:19|20)\d\d)(?!\d|{_MASK})"
                         rf"(?P<range>{_RANGE}(?P<y2>(?:19|20)\d\d|\d\d)(?!\d))?\s*(?=年|学年)")
# 二〇一一年, 二〇一一学年, 二〇一三/二〇一四学年 (normalized text: a typed zero is already 〇, ``chinese_zeros``)
_CHINESE_RE = re.compile(rf"(?<![{_CN}])(?P<y>[{_CN}]{{4}})(?![{_CN}]|{_MASK})"
                         rf"(?P<range>{_RANGE}(?P<y2>[{_CN}]{{4}})(?![{_CN}]))?\s*(?P<school>学)?年")
# 民国97年 / 中华民国九十七年; 97学年度, 97学年, 100年度 (two or three digits: an ROC year by form)
_ROC_RE = re.compile(rf"民国\s*(?P<y>\d{{1,3}}|[{_CN}十百]{{1,4}})\s*年"
                     rf"|(?<![\d.]){_MASK}?(?P<s>\d{{2,3}})(?!\d)\s*(?:[-—–、/]\s*\d{{2,3}}\s*)?(?:学年|年度)")
_ROC_RANGE = (1, 150)


def years_in(text: str) -> list[YearMention]:
    """Every year ``text`` names, in order, in any calendar; masked years are skipped."""
    key = _WS_RE.sub("", text) if " " in text else text
    found: list[YearMention] = []
    taken: set[int] = set()
    for m in _WESTERN_RE.finditer(key):
        if _masked(key, m.start("y"), m.end("y")):
            continue
        school = key.startswith("学年", m.end()) and not m.group("y2")
        y = int(m.group("y"))
        found.append(YearMention(y, m.start(), m.end(), "western", school))
        y2 = _second_year(y, m.group("y2"))
        if y2:
            found.append(YearMention(y2, m.start("y2"), m.end(), "western"))
        taken.update(range(m.start(), m.end()))
    for m in _CHINESE_RE.finditer(key):
        school = bool(m.group("school")) and not m.group("y2")
        found.append(YearMention(chinese_number(m.group("y")), m.start(), m.end(), "chinese", school))
        if m.group("y2"):
            found.append(YearMention(chinese_number(m.group("y2")), m.start("y2"), m.end(), "chinese"))
    for m in _ROC_RE.finditer(key):
        if m.start() in taken:
            continue
        n = chinese_number(m.group("y") or m.group("s"))
        if _ROC_RANGE[0] <= n <= _ROC_RANGE[1] and not _masked(key, m.start(), m.end()):
            found.append(YearMention(n + ROC_OFFSET, m.start(), m.end(), "roc", "学年" in m.group()))
    ok = [y for y in found if PARAMS.first <= y.year <= PARAMS.last]
    return sorted(ok, key=lambda y: (y.start, y.year))


def _second_year(first: int, written: str | None) -> int | None:
    """The second year of a range: four digits as written, two in the first's century ("2013/14": 2014), and
    only a later year."""
    if not written:
        return None
    year = int(written) if len(written) == 4 else first // 100 * 100 + int(written)
    return year if year > first else None


_YEAR_IN_TEXT_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def named_years(norm: str) -> frozenset[int]:
    """The years a paragraph (normalized) names in four digits or a calendar (二〇一一年, 民国97年, 97学年度):
    what retrieval's year signal reads, kept per paragraph by a store.

    >>> sorted(named_years("2019年与民国97年"))
    [2008, 2019]
    """
    return frozenset({int(y) for y in _YEAR_IN_TEXT_RE.findall(norm)} | {y.year for y in years_in(norm)})


def first_year(text: str) -> int | None:
    """The first year ``text`` names, or None."""
    found = years_in(text)
    return found[0].year if found else None


def covered_years(title: str, body: str, params: YearParams = PARAMS) -> Coverage:
    """The year a report is about (first year of its title, else of its opening) and the years it covers:
    those its title and opening name, and those its body names ``body_min_count`` times or more, up to
    ``max_years``, the report's own year first.

    >>> covered_years("两基工作总结", "201*年两基工作总结。发布时间:2019-02-27")
    Coverage(year=None, years=())
    """
    head = [z for y in years_in(title) for z in _span(y)]
    opening = [z for y in years_in(body[: params.opening_chars]) for z in _span(y)]
    year = (head or opening or [None])[0]
    counts = Counter(y.year for y in years_in(body))
    frequent = [y for y, c in counts.most_common() if c >= params.body_min_count]
    near, past = relative_years(year, body, params)
    years = list(dict.fromkeys([*head, *opening, *near, *frequent, *past]))[: params.max_years]
    return Coverage(year, tuple(sorted(years)))


_LAST_YEAR_RE = re.compile("去年|上年|上一年|过去一年|過去一年|上一年度")
_NEXT_YEAR_RE = re.compile("明年|下一年|下年度")  # Traditional forms are the same
_PAST_YEARS_RE = re.compile(rf"(?:过去|過去|近)(?P<n>[{_CN}十两兩\d]{{1,2}})年"
                            rf"|(?<![{_CN}十\d])(?P<m>[{_CN}十两兩\d]{{1,2}})年[来來]")


def relative_years(year: int | None, body: str, params: YearParams = PARAMS) -> tuple[list[int], list[int]]:
    """Years a report delivered in ``year`` names relative to it: the year before (去年, 上年) and after
    (明年) when the body says so ``body_min_count`` times, and the span of "过去五年" / "五年来" (a work
    report delivered in N reviews N-1 and the years before it).

    >>> relative_years(2018, "去年利润增长23.5%。比去年增加5500亿元。过去五年，经济实力跃上新台阶。")
    ([2017], [2017, 2016, 2015, 2014, 2013])
    """
    if year is None:
        return [], []
    near = [year + d for d, pattern in ((-1, _LAST_YEAR_RE), (1, _NEXT_YEAR_RE))
            if len(pattern.findall(body)) >= params.body_min_count]
    spans = [chinese_number(m.group("n") or m.group("m")) for m in _PAST_YEARS_RE.finditer(body)]
    n = max((k for k in spans if 1 < k <= params.past_years), default=0)
    return near, list(range(year - 1, year - n - 1, -1))  # nearest first: the years kept are the recent ones


def _span(y: YearMention) -> tuple[int, ...]:
    """The calendar years a mention covers: a school year runs into the next."""
    return (y.year, y.year + 1) if y.school else (y.year,)


def _masked(key: str, a: int, b: int) -> bool:
    """A year run into a mask: 201*, 20xx-style placeholders next to the digits."""
    before = key[a - 1 : a]
    after = key[b : b + 1]
    return bool(re.match(_MASK, before) or re.match(_MASK, after))
