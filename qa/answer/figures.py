"""Figures and what they count: the new figures of a text, the units and measure words that follow them, and the
kind of measure a question asks in ("多少所", "how many doctors", "how much was spent").

>>> from qa.search.question import analyze
>>> q = analyze("青松市有多少所小学?")
>>> has_new_figure("小学27所", q), another_measure("小学980人", q)
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from qa.answer.counted import FUNCTION_WORDS, counted_kind
from qa.answer.units import UNIT_KIND as _UNIT_KIND
from qa.answer.units import Unit, is_people, unit_table  # noqa: F401 - Unit: read from here too
from qa.numbers import NUMBER_RE
from qa.search import lexicon
from qa.search.filters import detect_years
from qa.search.question import QuestionInfo, asks_change, asks_sum
from qa.search.years import question_years
from qa.textnorm import normalize

# the opening of a numbered item in Chinese prose: 一是, （二）, 3、, 4., ⑤, 第六，
ITEM_START = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}是|[（(【\[]?[一二三四五六七八九十\d]{1,3}[)）\]】]|"
                        r"\d{1,3}[、.．](?!\d)|[\u2460-\u2473]|第[一二三四五六七八九十]{1,3}[，,、是])")


def has_new_figure(text: str, q: QuestionInfo, *, strict: bool = False) -> bool:
    """Whether ``text`` states a figure other than those the question itself names; ``strict``: a date's parts
    (a year ``2023年``, a month ``9月``, a day ``28日``; "9个月" and "3年" still count), the number of a
    list item ("1.", "（二）"), what follows a mask (the 万 of "x万元"), a document's number and a number in a
    short quoted name are no figure.

    >>> q = QuestionInfo("How much was spent?", "how much was spent?", "en", "numeric", ())
    >>> has_new_figure("9月28日移交", q), has_new_figure("9月28日移交", q, strict=True)
    (True, False)
    >>> has_new_figure("1.推动2023年建设", q, strict=True), has_new_figure("2023年投入3年", q, strict=True)
    (False, True)
    >>> [has_new_figure(t, q, strict=True) for t in ("07年开工", "历时10年", "二〇一一年开工", "连续十二年获奖")]
    [False, True, False, True]
    >>> has_new_figure("落实三年行动计划", q, strict=True), has_new_figure("三年内建成", q, strict=True)
    (False, True)
    >>> has_new_figure("城关一中 · 教师(人): 156", q, strict=True)  # a figure that ends the text
    True
    >>> has_new_figure("2018年度教育投入x万元", q), has_new_figure("2018年度教育投入x万元", q, strict=True)
    (True, False)
    >>> has_new_figure("依据中发〔2018〕4号", q), has_new_figure("依据中发〔2018〕4号", q, strict=True)  # a reference
    (True, False)
    >>> has_new_figure("落实“1+7”文件", q, strict=True), has_new_figure("落实“1+7”文件14条", q, strict=True)
    (False, True)
    >>> has_new_figure("议程:(3)表彰先进", q, strict=True), has_new_figure("议程:表彰先进(3人)", q, strict=True)
    (False, True)
    >>> has_new_figure("为每一个学生提供适合的教育", q, strict=True), has_new_figure("新建三所学校", q, strict=True)
    (False, True)
    """
    return next(new_figures(normalize(text), q, strict=strict), None) is not None


def new_figures(norm: str, q: QuestionInfo, *, strict: bool = False) -> Iterator[re.Match]:
    """The figures of normalized text ``norm`` that ``has_new_figure`` counts."""
    item = ITEM_START.match(norm) if strict else None
    refs = [m.span(g) for r, g in ((DOC_NUMBER_RE, 0), (_ITEM_MARK_RE, 1), (_QUOTED_NAME_RE, 0), (_YEAR_SPAN_RE, 0))
            for m in r.finditer(norm)] if strict else []
    for m in NUMBER_RE.finditer(norm):
        after = norm[m.end():m.end() + 1]
        digits = m.group(0).isdigit()
        if strict and ((item and m.end() <= item.end()) or (digits and after and (
                after in "月日" or (after == "年" and _YEAR_RE.fullmatch(m.group(0)))))
                or (after == "年" and not digits and (_CN_YEAR_RE.fullmatch(m.group(0))
                                                      or _names_a_thing(norm[m.end() + 1:m.end() + 7])))
                or (m.start() and norm[m.start() - 1] in MASK_MARKS)  # "x万元": the 万 of a masked sum
                or any(a <= m.start() and m.end() <= b for a, b in refs)
                or m.group(0) == "一"):  # a lone 一 is a word (每一个, 一批), as ``qa.numbers`` reads it
            continue
        if m.group(0) not in q.numbers and not (digits and after in "年月日" and m.group(0) in q.norm):
            yield m


_YEAR_RE = re.compile(r"(?:19|20)\d\d|0\d")  # 2007 and its short form "07年" (no span of years starts with 0)
_YEAR_SPAN_RE = re.compile(r"(?:19|20)\d\d\s*[/-]\s*(?:19|20)?\d\d\s*(?:学年|年度|年)")  # 2017/18学年: a date
_CN_YEAR_RE = re.compile(r"[〇零一二三四五六七八九]{4}")  # 二〇一一 (年): a year written digit by digit
# a short quoted name with a number in it: a programme or slogan ("“1+7”文件", "“十三五”规划", "“三个100%”")
_QUOTED_NAME_RE = re.compile(r"[“\"「『][^“”\"「」『』]{1,10}[”\"」』]")
# the number of a list item inside a sentence ("会议内容:(2)表彰先进"): a bracketed number after a stop or a colon
_ITEM_MARK_RE = re.compile(r"(?:^|(?<=[:：;；,，、。]))\s*([（(][一二三四五六七八九十\d]{1,2}[)）])")
MASK_MARKS = frozenset("xX×*")  # a copy masks a figure with these ("x万元", "**次")
# an official document's number, issuer code + 〔year〕 + serial + 号 (GB/T 9704 发文字号: "教基〔2020〕1号"; copies
# write the brackets as [] or 【】 too): a reference, not a figure that answers
DOC_NUMBER_RE = re.compile(r"[〔\[【]\s*(?:19|20)\d\d\s*[〕\]】]\s*第?\s*\d{1,4}\s*号")


# Units that say what a figure counts, by the kind of thing asked about.
_MONEY = ("钱", "经费", "资金", "投入", "投资", "元", "费", "补助", "补贴", "助学金", "贷款", "预算", "支出", "开支",
          "耗资", "花销", "拨款")
_MONEY_ENDS = ("费", "资金", "金额", "款")  # 学杂费, 专项资金, 拨款: sums of money
_SHARE_WORDS = ("比例", "比率", "%", "比", "百分比", "占比", "比重", "百分点")
_SHARE_ASKED_ZH = re.compile("几成|百分之几|百分之多少")  # "what share", asked in tenths or per cent
_UNITS = {"people": ("人", "名", "人次", "位"), "money": ("元", "万元", "亿元", "万", "亿"),
          "schools": ("所", "个", "座", "校"), "times": ("次", "场", "期", "批", "项"), "share": ("%", "：", ":")}


def expected_unit(q: QuestionInfo) -> str | None:
    """The kind of figure a question asks for: a sum of money when what it counts is one (``q.measure``, the words
    after 多少: "减免了多少学杂费" asks for money though it names 学生), else read in all its concepts.

    >>> from qa.search.question import analyze
    >>> expected_unit(analyze("给建档立卡的学生减免了多少学杂费?")), expected_unit(analyze("有多少学生获得资助?"))
    ('money', 'people')
    >>> [expected_unit(analyze(q)) for q in ("How much was put in?", "What was the primary aim?", "How many staff?")]
    ['money', None, 'people']
    """
    ends = _MONEY_ENDS if q.lang != "en" else ()  # not of dictionary senses ("payment": 付款, in "payment rate")
    if any(t in _MONEY or t.endswith(ends) for g in q.measure for t in g):
        return "money"
    terms = [t for g in (q.focus or q.terms) for t in g]
    if any(t in _MONEY for t in terms) or (q.lang == "en" and (asks_sum(q.text) or _sum_after_how_much(q.text))):
        return "money"
    if any(t in _SHARE_WORDS for t in terms) or (q.lang != "en" and _SHARE_ASKED_ZH.search(q.norm)):
        return "share"
    if q.lang == "en":  # what "how many" counts, else a word's first sense ("primary": 初生, newborn, is another)
        counted = counted_kind(q.text)
        people = counted == "people" or counted is None and any(g and is_people(g[0]) for g in (q.focus or q.terms))
    else:
        people = any(is_people(t) for t in terms)
    if people:
        return "people"
    if any(t in ("次", "几次", "培训", "讲座", "活动") for t in terms) and q.kind == "numeric":
        return "times"
    return None


def _sum_after_how_much(question: str) -> bool:
    """The words right after an English "how much" name a sum of money ("how much public money", "how much funding"):
    a dictionary sense of one of them is a word for money (``_MONEY``, or one with 钱: "money" is 金钱, 钱财).
    Read before retrieval narrows the senses to the corpus's words.

    >>> _sum_after_how_much("How much dibao money went out?"), _sum_after_how_much("How much land was sown?")
    (True, False)
    """
    m = re.search(r"\bhow much\s+((?:[a-z\-]+\s+){0,3}[a-z\-]+)", question, re.I)
    words = []
    for w in (m.group(1).lower().split() if m else []):
        if w in FUNCTION_WORDS:
            break
        words.append(w)
    return any(e.zh in _MONEY or "钱" in e.zh for w in words for e in lexicon.candidates(w)[:6])


# the measure word a Chinese question asks in, right after its question word ("多少所", "几名", "多少万元"); 个 counts
# anything and says nothing. Units of people (人, 名, 位, 人次) are one kind, and so are sums of money.
_MEASURE_WORDS = "万元|亿元|元|人次|人|名|位|所|座|次|场|期|批|项"
_ASKED_UNIT_RE = re.compile(f"(?:多少|几)({_MEASURE_WORDS})")
_MEASURE_RE = re.compile(_MEASURE_WORDS)
_ASKED_MONEY_RE = re.compile(r"(?:多少|几)块?钱")


@lru_cache(maxsize=4096)
def _names_a_thing(after: str) -> bool:
    """The words after "N年" name a thing that the span of years describes (三年行动计划, 十二年义务教育: a plan, a
    schooling), not what happened over them (连续十二年蝉联, 三年内): jieba's first word is a noun or verbal noun of two
    or more characters (not a person's name)."""
    import jieba.posseg as pseg

    words = pseg.lcut(after)
    return bool(words) and len(words[0].word) >= 2 and words[0].flag in ("n", "nz", "l", "vn")


def asked_kind(q: QuestionInfo) -> str | None:
    """The kind of measure word the question's figure comes in: the one a Chinese question names after its
    question word ("多少所": 所; "几名": people; "多少钱": money); for an English question, the kind of what
    "how many" counts (``counted_kind``), or money for a question about a sum of money. ``None`` when unsaid or
    unknown (what "how many items" counts takes any measure word).

    >>> from qa.search.question import analyze
    >>> asked_kind(analyze("青松市有多少名医生?")), asked_kind(analyze("青松市有多少小学?"))
    ('people', None)
    >>> [asked_kind(analyze(f"What {w} of teachers?")) for w in ("number", "share", "rise in the number")]
    ['people', None, None]
    """
    asked = _ASKED_UNIT_RE.search(q.norm)
    if asked is not None:
        return _UNIT_KIND.get(asked.group(1), asked.group(1))
    if q.lang != "en":
        return "money" if _ASKED_MONEY_RE.search(q.norm) else None  # 多少钱: a sum of money
    if not re.search(r"\bhow many\b", q.text, re.I):
        if expected_unit(q) == "money":
            return "money"  # "how much was spent": a sum of money
        # "what number of doctors" counts as "how many doctors" does, unless a share or a change is asked
        number_of = re.search(r"\bnumber of\b", q.text, re.I) and expected_unit(q) != "share"
        return counted_kind(q.text) if number_of and not asks_change(q.text) else None
    return counted_kind(q.text)


def another_measure(text: str, q: QuestionInfo) -> bool:
    """A question whose measure is known (``asked_kind``: "有多少所小学?", "how many doctors") and ``text`` whose
    every figure is followed by a measure word of another kind ("小学980人": people, not schools): those figures
    count something else.

    >>> from qa.search.question import analyze
    >>> q = analyze("青松市有多少所小学?")
    >>> another_measure("其中,小学980人,初中860人", q), another_measure("小学27所,教职工2410人", q)
    (True, False)
    >>> another_measure("小学980人", analyze("青松市有多少小学?")), another_measure("共1万余人", q)  # unsaid, unknown
    (False, False)
    >>> years = analyze("How many years running has it won?")
    >>> another_measure("创成花园学校5个", years), another_measure("创成花园学校5个", analyze("How many schools?"))
    (True, False)
    >>> another_measure("参赛率100%", years), another_measure("参赛率100%，获奖16人", analyze("How many doctors?"))
    (True, False)
    >>> another_measure("编列 3亿4,500万元", analyze("How many doctors?")), another_measure("预算97.8亿", q)  # sums
    (True, True)
    >>> spent = analyze("How much was spent on school buses?")
    >>> another_measure("购置校车20辆", spent), another_measure("购置校车20辆,投入1.2亿", spent)
    (True, False)
    >>> area = analyze("How many square metres?")
    >>> another_measure("连续12年获奖", years), another_measure("新增用地16.05万平方米", area)
    (False, False)
    """
    kind = asked_kind(q)
    if kind is None:
        return False
    norm = normalize(text)
    kinds = []
    for m in new_figures(norm, q, strict=True):
        if m.group(0).endswith("%"):
            kinds.append("%")  # a share: never a count, a sum or a span of years
            continue
        if _CONTINUED_RE.match(norm, m.end()):
            continue  # "8亿8,233万元": the figure goes on, and its unit comes at its end
        if kind == "money" or kind in _measures():  # a sum is said with its currency ("3亿元")
            k = _measure_after(norm, m.end())
            kinds.append(k if kind == "money" or k != "other" else None)
            continue
        unit = _MEASURE_RE.match(norm, m.end())
        if unit is None and norm.startswith("亿", m.end()):
            kinds.append("money")  # a bare "97.86亿" is a sum: a count that large names what it counts
            continue
        # else a unit of the table that is no general measure word (年, 户, 平方米; not 个, which counts anything)
        zh = unit.group(0) if unit else next((u.zh for u in unit_table() if u.kind != "thing" and u.zh not in "万亿"
                                              and norm.startswith(u.zh, m.end())), None)
        kinds.append(_UNIT_KIND.get(zh, zh) if zh else None)
    return bool(kinds) and all(k is not None and k != kind for k in kinds)


def _measure_after(norm: str, end: int) -> str | None:
    """The kind of the unit after a figure ending at ``end`` in a question about a measure: a sum of money is
    said with its currency ("3亿元", "500万美元"), so a figure followed by none counts something else ("20辆",
    "14条": "other"); for other measures (areas, lengths, years) and a bare multiplied figure ("投入1.2亿,"),
    the unit of ``qa/data/units_zh_en.tsv`` that follows, if any (``None``: unknown)."""
    rest = norm[end:].lstrip()
    multiplied = rest.startswith(("万", "亿", "千", "百"))
    rest = rest[1:] if multiplied else rest
    if _CURRENCY_RE.match(rest):
        return "money"
    unit = _MEASURE_RE.match(rest) or next((u for u in unit_table() if rest.startswith(u.zh)), None)
    if unit is None:
        return None if multiplied else "other"
    zh = unit.group(0) if isinstance(unit, re.Match) else unit.zh
    return _UNIT_KIND.get(zh, zh) if zh not in ("万", "亿") else None


# a currency after a figure: 元 and the common currencies' names (general vocabulary)
_CURRENCY_RE = re.compile(r"(?:美|欧|日|港|澳|韩)?[元圆]|(?:新)?台币|人民币|英镑|卢布")  # 圆: 日圓 after t2s
_CONTINUED_RE = re.compile(r"[万亿]\s*\d")


@lru_cache(maxsize=1)
def _measures() -> frozenset[str]:
    """The kinds of the units of ``qa/data/units_zh_en.tsv`` that measure rather than count (money, 年, 平方米...)."""
    return frozenset(_UNIT_KIND.get(u.zh, u.zh) for u in unit_table() if u.kind == "measure") - {"people"}


def masks_answer(mask: re.Match[str], q: QuestionInfo) -> bool:
    """A masked figure (a ``MASKED_RE`` match in a normalized sentence) that may be the question's answer: in
    the measure word the question asks in, if it says (not "xx亿元" for "how many kindergartens"), and of the
    year it asks about, if both name years (not a "2018年度" sentence for a question about 2013).

    >>> from qa.search.question import analyze
    >>> q = analyze("How much does the 2013 report say was spent?")
    >>> [masks_answer(MASKED_RE.search(t), q) for t in ("2018年度投入x万元", "2013年投入x万元", "投入x万元")]
    [False, True, True]
    >>> masks_answer(MASKED_RE.search("投入**亿元"), analyze("How many kindergartens were built?"))
    False
    """
    kind = asked_kind(q)
    if kind is not None and mask.group(2) != "个" and _UNIT_KIND.get(mask.group(2), mask.group(2)) != kind:
        return False
    asked = set(detect_years(q.text))  # generous: "the 2013 report" names a year
    said = set(question_years(mask.string))
    return not (asked and said and not asked & said)


def gives_figure(text: str, q: QuestionInfo) -> bool:
    """``text`` states a figure the question may ask for: a new one (strict), not only figures of another
    measure word than the question asks in ("how many doctors" and "小学6所").

    >>> from qa.search.question import analyze
    >>> q = analyze("青松市有多少所小学?")
    >>> gives_figure("小学27所", q), gives_figure("小学980人", q), gives_figure("文件(青发〔2018〕4号)", q)
    (True, False, False)
    """
    return has_new_figure(text, q, strict=True) and not another_measure(text, q)


# a figure a copy masks: "**次", "xx人", "某项", or one letter x standing alone before the unit ("投入x万元");
# a lone x after a figure or a Latin letter is something else ("3×4", "Max")
MASKED_RE = re.compile(r"(\*{2,}|[xX×]{2,}|(?<![0-9A-Za-z.])[xX×]|某)\s*"
                       r"(次|人次|人|名|所|项|个|元|万元|亿元|天|场|期|批)")
