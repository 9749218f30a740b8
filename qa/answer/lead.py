"""Leads for English askers: the figure, its unit and what it counts in English, with place and year.

Everything a lead states comes from the cited sentence: the figure, the unit after it (``units_zh_en.tsv``),
the noun that says what is counted (the word right after the unit or right before the figure, glossed by
CC-CEDICT: ``glosses_zh_en.tsv``), a year; the place is one the sentence names, else the cited report's. A lead
that cannot be built that way is not given, and the quote stands alone.

>>> figure_lead("2015年新建教室12间", analyze("How many rooms were built?"), None, 1)
'12 classrooms (2015) [1]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from qa.answer.counted import plural_noun
from qa.answer.evidence import clause_spans
from qa.answer.figures import Unit, expected_unit, unit_table
from qa.answer.nouns import ends_in_noun, noun_class, plural  # noqa: F401 - plural: a part of this module's API
from qa.numbers import NUMBER_RE, english_amount, mixed_number, mixed_spans, numbers_in, scaled
from qa.search import lexicon
from qa.search.filters import place_core
from qa.search.lexicon import glosses
from qa.search.question import QuestionInfo, analyze  # noqa: F401 - analyze: the doctest
from qa.textnorm import normalize
from qa.types import Document

_TOTAL = re.compile(r"\b(total|in all|altogether|overall|combined|all together|sum)\b|"
                    r"总共|总数|总计|總共|總數|總計|合计|合計|一共|共计|共計|累计|累計", re.I)
_PART_EN = re.compile(r",?\s+(?:and|but)\s+(?=(?:how|what|which|who|when|where|whom)\b)", re.I)
_PART_ZH = re.compile(r"[,，;；]\s*(?:并且|并|以及|还|又|同时|另外)?|(?:以及|和|与|與|及|跟|还有|還有)(?=多少|几|幾)")
_QWORD_ZH = re.compile(r"多少|几|幾|哪|什么|甚麼|什麼|何|怎样|怎么|如何|是否")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?=年)")
_SHORT_YEAR = re.compile(r"(?<![\d.])0\d(?=年)")  # "07年": 2007 (no span of years is written with a 0)
_THIS_YEAR = re.compile(r"今年|本年|本學年|本学年")  # the year the report is written in
# administrative levels in English, as official translations write them. Autonomous areas and the special
# administrative regions are left in glyphs: their English names are not the pinyin of the Chinese (Ningxia Hui,
# Hong Kong)
LEVELS = (("省", "Province"), ("市", "City"), ("县", "County"), ("区", "District"), ("州", "Prefecture"),
          ("旗", "Banner"), ("镇", "Town"), ("乡", "Township"))
_NOT_PINYIN = re.compile(r"自治|特别行政区|特別行政區")
# General Chinese function words that stand between a counted noun and its figure ("教师共26名", "达到95%").
_BETWEEN = re.compile(r"(共计|合计|总计|累计|达到|超过|共|计|达|约|为|有|了|近|逾|超|的|是|[:：,，\s])+$")
MAX_HEADWORD = 6  # characters of the longest headword looked up
_POWERS = {"thousand": 3, "ten thousand": 4, "hundred million": 8}  # the multipliers of units_zh_en.tsv's glosses
_AFTER_FIGURE = re.compile(r"\d[千万亿]?$")
QUANTITY_WORDS = ("number", "amount", "total", "quantity", "sum", "figure", "rate of", "proportion")
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
    >>> question_parts("有多少所小学和几个班级？")
    ['有多少所小学', '几个班级？']
    """
    if _PART_EN.search(question):
        parts = [p.strip() for p in _PART_EN.split(question, maxsplit=1)]
    else:
        parts = [p.strip() for p in _PART_ZH.split(question) if p.strip()]
        asking = [p for p in parts if _QWORD_ZH.search(p)]
        if len(asking) != 2 or len(parts) != 2:
            return [question]
    return parts if all(len(p) >= 4 for p in parts) else [question]


@dataclass(frozen=True)
class Figure:
    """A figure of a sentence with its unit, and the counted noun (Chinese, English gloss) when found."""

    figure: str
    unit: Unit
    noun_zh: str = ""
    noun_en: str = ""
    asked: bool = False  # noun_en is the asker's own words for noun_zh (``asked_noun``)


PERCENT = Unit("%", "", "measure")  # a figure that carries its own per cent sign ("98.5%")


def units() -> tuple[tuple[str, str], ...]:
    """(Chinese unit, English gloss), longest unit first (万元 before 元)."""
    return tuple((u.zh, u.english) for u in unit_table())


def _noun(zh: str) -> str:
    """The gloss of ``zh`` if it names a thing that can be counted (not "number of ...", "amount"), and jieba
    reads ``zh`` as a noun (逐渐 "gradually" is glossed, but it is an adverb)."""
    en = glosses().get(zh, "")
    return "" if not en or en.startswith(QUANTITY_WORDS) or not _is_noun(zh) else en


@lru_cache(maxsize=4096)
def _is_noun(zh: str) -> bool:
    """One word that jieba's part-of-speech tags call a noun (n, nr, ns, nt, nz, vn, ...)."""
    import jieba.posseg as pseg

    words = pseg.lcut(zh)
    return len(words) == 1 and (words[0].flag.startswith("n") or words[0].flag == "vn")


# the units a figure of each expected kind may carry (``qa.answer.figures.expected_unit``): a lead that would
# state students in yuan says nothing
_FITS = {"people": lambda u: u.kind == "people" or u.zh in ("人次", "万人次"),
         "money": lambda u: "yuan" in u.english or u.zh in ("万", "亿"),
         "share": lambda u: u is PERCENT or u.english == "per cent"}


def fits_question(f: Figure, q: QuestionInfo) -> bool:
    """Whether the figure's unit can be what the question asks for (any unit when the question says nothing)."""
    kind = expected_unit(q)
    return kind not in _FITS or _FITS[kind](f.unit)


def counted_noun(before: str, after: str) -> tuple[str, str]:
    """(headword, gloss) of what a figure counts: the word just after its unit ("26名教师"), else the word just
    before the figure ("补充教师26名"), skipping words like 共/达 that stand between; ("", "") if none, or if
    the word after the unit is followed by another noun (its head, which the dictionary may not hold)."""
    for n in range(min(MAX_HEADWORD, len(after)), 1, -1):
        if _noun(after[:n]):
            if any(_noun(after[n:n + k]) for k in range(2, MAX_HEADWORD + 1)):
                return "", ""  # a noun that modifies the next ("医疗队员": medical team members), head unknown
            return after[:n], _noun(after[:n])
    before = _BETWEEN.sub("", before)
    for n in range(min(MAX_HEADWORD, len(before)), 1, -1):
        if _noun(before[-n:]):
            if _AFTER_FIGURE.search(before[:-n]):
                break  # the unit of the figure before ("1.5万人次,526万元"): it counts that one, not this
            return before[-n:], _noun(before[-n:])
    return "", ""


def figures(text: str, q: QuestionInfo) -> list[Figure]:
    """The figures of ``text`` that the question does not state and that a known unit follows, in order. A figure
    printed in digit groups between magnitudes is read whole and said in digits ("1萬5,347人": 15,347 people).

    >>> [(f.figure, f.unit.zh) for f in figures("國小新生1萬5,347人,經費1億4千萬元", analyze("How many?"))]
    [('15,347', '人'), ('140,000,000', '元')]
    """
    norm = normalize(text)
    known = set(numbers_in(text))  # what the answer's number check finds in the sentence
    mixed = mixed_spans(norm)
    found = [(a, b, _grouped(norm[a:b])) for a, b in mixed]
    found += [(m.start(), m.end(), m.group(0)) for m in NUMBER_RE.finditer(norm)
              if not any(a <= m.start() < b for a, b in mixed)]
    out = []
    for start, end, figure in sorted(found):
        if figure.replace(",", "") in q.numbers or _YEAR.match(norm, start) or _SHORT_YEAR.match(norm, start) \
                or not figure[0].isascii() or not set(numbers_in(figure)) <= known:
            continue  # a figure in Chinese numerals ("三所"), or one the number check reads otherwise, is left
            # to the quote
        after = norm[end:].lstrip()
        unit = PERCENT if figure.endswith("%") else next((u for u in unit_table() if after.startswith(u.zh)), None)
        if unit is not None:
            rest = after if unit is PERCENT else after[len(unit.zh):]
            zh, en = counted_noun(norm[max(0, start - 2 * MAX_HEADWORD):start], rest)
            out.append(Figure(figure, unit, zh, en))
    return out


def _grouped(written: str) -> str:
    """A figure of digit groups between magnitudes in digits, thousands separated ("3万6,217" -> "36,217")."""
    value = mixed_number(written.replace(",", ""))
    return f"{int(value):,}" if value.isdigit() else value


def figure_with_unit(text: str, q: QuestionInfo) -> tuple[str, str] | None:
    """The first figure of ``text`` that the question does not state and that a known unit follows."""
    got = figures(text, q)
    return (got[0].figure, got[0].unit.english) if got else None


def describe(f: Figure) -> str | None:
    """"26 teachers", "Teachers: 3000 attendances (person-times)", "12 rooms"; ``None`` when what is counted is
    not known ("8个" with no noun, a bare "3万" with none).

    >>> describe(figures("粉刷墙壁3万方米", analyze("How much wall was painted?"))[0]) is None
    True
    """
    if f.unit is PERCENT:  # a share says nothing of what it is a share of: the noun must say it
        return f"{f.noun_en[:1].upper()}{f.noun_en[1:]}: {f.figure}" if _said_noun(f) else None
    figure, base = f.figure, f.unit.english
    if f.unit.english.startswith("× "):  # "× ten thousand people": the multiplier, then what is counted;
        words = f.unit.english[2:].split()  # said as the amount the two make ("56.5万元": 565,000 yuan)
        size = 2 if words[:2] in (["ten", "thousand"], ["hundred", "million"]) else 1
        figure = english_amount(scaled(f.figure, _POWERS[" ".join(words[:size])]))
        base = " ".join(words[size:])
    # a figure follows the place or kind of what it counts as often as a word for it ("幼儿园258人": 258 people of
    # the kindergartens, not 258 kindergartens; "农村5所": 5 schools in the countryside): it is said to count the
    # noun only when the noun is of a class its measure word counts (units_zh_en.tsv), and a gloss that is no
    # English noun (民办: "privately operated") counts nothing
    noun = _said_noun(f)
    noun = noun if not f.unit.counts or noun_class(noun) in f.unit.counts else ""
    if f.unit.kind in ("people", "count", "thing") and noun:
        return f"{figure} {plural(noun, figure)}"
    if f.unit.kind == "thing" or not (base or noun):  # "3 × ten thousand" of nothing named says nothing
        return None
    said = f"{figure} {base}".rstrip()
    return f"{noun[:1].upper()}{noun[1:]}: {said}" if noun else said


def _said_noun(f: Figure) -> str:
    """What the figure counts, in English: the asker's words, or a gloss that ends in an English noun."""
    return f.noun_en if f.asked or ends_in_noun(f.noun_en) else ""


def english_place(place: str, question: str = "") -> str:
    """``钟山县`` -> ``钟山县 Zhongshan County``: the name in pinyin with its level, after the original glyphs
    (pinyin of a name can be misread, the glyphs cannot). A place with no administrative suffix stays as written.
    When the question writes the name in another romanization (Taiwan's Wade-Giles: "Hsinchu" for 新竹), the
    lead writes it as the asker did.

    >>> english_place("河西县"), english_place("宁夏回族自治区"), english_place("香港")
    ('河西县 Hexi County', '宁夏回族自治区', '香港')
    >>> english_place("新竹县", "How many schools does Hsinchu County have?"), english_place("新竹县")
    ('新竹县 Hsinchu County', '新竹县 Xinzhu County')
    """
    from qa.ingest.pinyin import romanize

    if _NOT_PINYIN.search(place):
        return place
    for suffix, level in LEVELS:
        core = place[: -len(suffix)]
        if place.endswith(suffix) and len(core) >= 2:
            return f"{place} {asked_spelling(core, question) or romanize(core).capitalize()} {level}"
    return place


_LATIN_RUN = re.compile(r"[A-Za-z]+(?:[-' ][A-Za-z]+){0,3}")


def asked_spelling(core: str, question: str) -> str | None:
    """How ``question`` writes the place name ``core`` in Latin letters (pinyin or Wade-Giles, as
    ``qa.ingest.pinyin.romanizations`` reads them), with the asker's capitals and hyphens; None when it does not.

    >>> asked_spelling("高雄", "Teachers in Kao-hsiung city?"), asked_spelling("高雄", "Teachers in Taipei?")
    ('Kao-hsiung', None)
    """
    from qa.ingest.pinyin import romanizations

    forms = set(romanizations(core))
    for m in _LATIN_RUN.finditer(question):
        words = re.split(r"([-' ])", m.group(0))
        for i in range(0, len(words), 2):  # every run of whole words, first word at i
            for j in range(i, len(words), 2):
                text = "".join(words[i:j + 1])
                if re.sub(r"[-' ]", "", text).lower() in forms:
                    return text[:1].upper() + text[1:]
    return None


def figure_lead(quote: str, q: QuestionInfo, doc: Document | None, n: int, passage: str = "") -> str | None:
    """"26 teachers (河东县 Hedong County, 2015) [1]", or ``None`` when the quote holds no figure whose unit, and
    what it counts, can be said in English, or several figures of what the question names. A figure whose
    counted noun the question names comes first. The place is one the quote names, else the report's, unless the
    cited ``passage`` (normalized) names other places of the report and not that one: then none (a page's place
    read from its site's lines is not the place its article speaks of).

    >>> figure_lead("招聘护士26名", analyze("How many nurses did the hospital hire?"), None, 1)
    '26 nurses [1]'
    >>> figure_lead("招聘专科护士4人、社区护士6名", analyze("How many nurses did the hospital hire?"), None, 1) is None
    True
    >>> figure_lead("招聘護士1萬5,347人", analyze("How many nurses did the hospital hire?"), None, 1)
    '15,347 nurses [1]'
    """
    found = [replace(f, noun_en=asked or f.noun_en, asked=bool(asked)) for f in figures(quote, q)
             if fits_question(f, q) for asked in [asked_noun(q.text, f.noun_zh)]]
    asked = {t for g in (*q.measure, *q.focus) for t in g}
    found.sort(key=lambda f: not (f.noun_zh and f.noun_zh in asked))
    if len({f.figure for f in found}) > 1 and not (found[0].noun_zh and found[0].noun_zh in asked):
        return None  # several figures, none of them of what the question names: the quote says it better
    if len({f.figure for f in found if f.noun_zh and f.noun_zh in asked}) > 1:
        return None  # several of what the question names (nurses of two kinds): one of them is no answer
    said = next((d for d in map(describe, found) if d), None)
    if said is None:
        return None
    norm = normalize(quote)
    where = []
    places = list(doc.places) if doc is not None else []
    named = [p for p in places if normalize(p) in norm]
    if not named and places and _speaks_of_others(passage, places, doc.mentions):
        places = []
    if named or places:
        where.append(english_place((named or places)[0], q.text))
    year = _YEAR.search(norm)
    if year:
        where.append(year.group(1))
    elif doc is not None and doc.year and _THIS_YEAR.search(norm):  # "this year" in a report of one year
        where.append(str(doc.year))
    return said + (f" ({', '.join(where)})" if where else "") + f" [{n}]"


@lru_cache(maxsize=4096)
def asked_noun(question: str, zh: str) -> str:
    """The asker's own words for the counted noun ``zh``: the longest run of at most three words of the question
    (after "how many" or "number of", when it says so) that ends in a plural noun and that the dictionary reads as
    ``zh`` ("new students" for 新生, whose first sense is "new"; "school places" for 学位, "academic degree");
    "" when none does.

    >>> asked_noun("How many new students did the school take?", "新生"), asked_noun("How many were new?", "新生")
    ('new students', '')
    """
    if not zh:
        return ""
    m = re.search(r"\bhow many\b|\bnumber of\b", question, re.I)
    words = re.findall(r"[a-z][a-z'\-]*", question[m.end() if m else 0:].lower())
    runs = [words[i:i + n] for n in (3, 2, 1) for i in range(len(words) - n + 1)]
    return next((" ".join(r) for r in runs if plural_noun(r[-1])
                 and zh in [e.zh for e in lexicon.candidates(" ".join(r))][:6]), "")


def _speaks_of_others(passage: str, places: list[str], mentions: tuple[str, ...]) -> bool:
    """Whether ``passage`` names some of ``mentions`` and none of ``places`` (in full or without the suffix).

    >>> _speaks_of_others("兴建台中市21校礼堂", ["云林县"], ("台中市", "云林县"))
    True
    >>> _speaks_of_others("我县新建学校3所", ["河东县"], ("河东县", "山西"))
    False
    """
    def named(p: str) -> bool:
        return any(form in passage for form in {normalize(p), normalize(place_core(p))} if len(form) >= 2)

    return bool(passage) and not any(named(p) for p in places) and any(named(m) for m in mentions if m not in places)


def in_context(quote: str, sentence: str, limit: int) -> str:
    """A clause quoted from ``sentence`` with the clause before it and the clause after it, "…" where the sentence
    goes on, when that fits in ``limit`` characters (else the clause alone). A figure's clause alone drops what
    tells its figure from its neighbours' (7 of 8 done, 1 left), and the asker cannot see which one was asked for.

    >>> in_context("完成7所,", "全市学校8所,完成7所,余下1所正在推进,另有新建2所。", 40)
    '全市学校8所,完成7所,余下1所正在推进…'
    >>> short = "全市学校8所,完成7所,余下1所。"
    >>> in_context("完成7所,", short, 40), in_context("完成7所,", short, 12)
    ('全市学校8所,完成7所,余下1所。', '完成7所,')
    """
    start, core = sentence.find(quote.strip()), quote.strip()
    if start < 0 or core == sentence.strip():
        return quote
    spans = clause_spans(sentence)
    first = next((k for k, (_, b) in enumerate(spans) if b > start), None)
    if first is None:
        return quote
    last = next((k for k, (_, b) in enumerate(spans) if b >= start + len(core)), len(spans) - 1)
    a, b = spans[max(0, first - 1)][0], spans[min(len(spans) - 1, last + 1)][1]
    text = sentence[a:b].strip()
    cut = b < len(sentence.rstrip())
    text = ("…" if a > 0 else "") + (text.rstrip("，,、；;：:") + "…" if cut else text)
    return text if len(text) <= limit else quote


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
