"""Figures in text: Arabic digits and Chinese numerals, read the same way everywhere.

The number check (``qa.answer.verify``), question analysis and the readers of years and part numbers use
these functions, so a figure means the same thing wherever it is compared.

>>> numbers_in("招聘教师1,200名,培训五十人次,2011年")
['1200', '2011', '50']
>>> [m.group(0) for m in NUMBER_RE.finditer("连续十二年获奖,建成两座场馆,三年级,百年大计,二〇一一年")]
['十二', '两', '二〇一一']
>>> chinese_number("二十三"), chinese_number("廿五"), numbers_in("卅二所学校各派廿四名教师")
(23, 25, ['32', '24'])
>>> [m.group(0) for m in NUMBER_RE.finditer("受惠学生六千四百多名,新建三十余所,五多")], counts_in("新建三十余所")
(['六千四百', '三十'], {'30'})
"""

from __future__ import annotations

import re

from qa.textnorm import normalize

# A real figure: Arabic digits (not a masked "**" or "20xx"), or Chinese numerals before a counter word, or before
# 多/余 and a counter word ("about N": 六千四百多名, 三十余所, as 200余名 is read in digits). Before
# 年 and the measure words of the second line, a lone 一/百/千/万 is a word (一年来, 百年大计, 千家万户), a grade no
# span of years (三年级); a year written digit by digit (二〇一一年) is read whole, and date readers skip it.
NUMBER_RE = re.compile(r"(?<![\d.])\d+(?:[.,:：]\d+)*%?(?![\dxX*])"
                       r"|[一二三四五六七八九十廿卅卌百千万两]+(?=[多余]?[个所名项次人天所亿万元%])"
                       r"|(?:[〇零一二三四五六七八九十廿卅卌百千万两]{2,}|[二三四五六七八九十廿卅卌两])"
                       r"(?=年(?![级度])|[位户场台套件座亩吨条家])")
ARABIC_RE = re.compile(r"(?<![\d.])\d+(?:[.:]\d+)*(?![\d.xX*])")
CN_DIGITS = "零一二三四五六七八九"
_DIGIT_VALUE = {c: i for i, c in enumerate(CN_DIGITS)} | {"〇": 0, "两": 2}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000}
_LARGE_VALUE = {"万": 10_000, "亿": 100_000_000}
# Chinese numerals read as figures: two or more numeral characters (五十, 二〇一一), or one before a
# counter word (五名, 三所). A lone 一 is a word, not a figure: 统一, 一是, and "一项"/"一个" (an item, one of).
_CN_FIGURE_RE = re.compile(r"[零〇一二三四五六七八九十廿卅卌百千万亿两]{2,}"
                           r"|[二三四五六七八九十廿卅卌两](?=[多余]?[个所名项次人位天年元%])")
# the contracted tens of general usage, common in Hong Kong and Macau print: 廿五 (25), 卅五 (35), 卌 (40)
_TENS = str.maketrans({"廿": "二十", "卅": "三十", "卌": "四十"})
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def chinese_number(s: str) -> int:
    """``"十四"`` -> 14, ``"二十"`` -> 20, ``"三千零五"`` -> 3005, ``"二〇一一"`` -> 2011, ``"3"`` -> 3."""
    if s.isdigit():
        return int(s)
    s = s.translate(_TENS)
    if s and all(ch in _DIGIT_VALUE for ch in s):  # digit by digit: 二〇一一
        return int("".join(str(_DIGIT_VALUE[ch]) for ch in s))
    total, section, current = 0, 0, 0
    for ch in s:
        if ch in _DIGIT_VALUE:
            current = _DIGIT_VALUE[ch]
        elif ch in _UNIT_VALUE:
            section += (current or 1) * _UNIT_VALUE[ch]
            current = 0
        elif ch in _LARGE_VALUE:
            total += (section + current or 1) * _LARGE_VALUE[ch]
            section, current = 0, 0
    return total + section + current


# A figure written in Arabic digit groups between Chinese magnitudes, as Taiwan and Hong Kong print large
# numbers: 3万6,217 (36217), 1亿4千万 (140000000), 47万5千 (475000). A magnitude must be followed by another group
# of digits: 3000万 and 1.4亿 are one figure with a multiplier after it, read as written.
MIXED_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[十百千万亿]+(?:\d+(?:\.\d+)?[十百千万亿]*)+(?![\d.])")
_MIXED_PART_RE = re.compile(r"(\d+(?:\.\d+)?)([十百千万亿]*)")
_MIXED_SPACED_RE = re.compile(MIXED_RE.pattern.replace(r"\d+", r"\d+(?:,\d{3})*"))  # before separators go


def mixed_number(s: str) -> str:
    """The value of a figure of ``MIXED_RE`` (normalized, no thousands separators), as an Arabic string.

    >>> mixed_number("3万6217"), mixed_number("1亿4千万"), mixed_number("47万5千"), mixed_number("8亿8233万")
    ('36217', '140000000', '475000', '882330000')
    """
    total, section = 0.0, 0.0
    for digits, mags in _MIXED_PART_RE.findall(s):
        current = float(digits)
        for ch in mags:
            if ch in _UNIT_VALUE:
                section += current * _UNIT_VALUE[ch]
                current = 0.0
            else:
                total += (section + current) * _LARGE_VALUE[ch]
                section, current = 0.0, 0.0
        section += current
    value = total + section
    return str(int(value)) if value == int(value) else f"{value:g}"


def numbers_in(text: str) -> list[str]:
    """The figures a text states, as Arabic strings: half width, thousands separators removed, Chinese
    numerals (五十 -> 50) read as the number they write, and a figure of digit groups between magnitudes read
    whole (3萬6,217 -> 36217, never 3 and 6217).

    >>> numbers_in("國小學生1萬5,347人,經費1億4千萬元,另3000万元")
    ['15347', '140000000', '3000']
    """
    norm = normalize(text).replace("，", ",")
    norm = _THOUSANDS_RE.sub("", norm)
    found = [mixed_number(m.group(0)) for m in MIXED_RE.finditer(norm)]
    norm = MIXED_RE.sub(" ", norm)
    found += ARABIC_RE.findall(norm)
    found += [str(chinese_number(m.group(0))) for m in _CN_FIGURE_RE.finditer(norm)]
    return found


def mixed_spans(norm: str) -> list[tuple[int, int]]:
    """Where ``norm`` (normalized) writes a figure of ``MIXED_RE``, thousands separators allowed inside.

    >>> mixed_spans("共3万6,217人,另5人")
    [(1, 8)]
    """
    return [m.span() for m in _MIXED_SPACED_RE.finditer(norm)]


# the counter words after which a Chinese numeral counts something (三所, 五名), not a span of years (学前三年)
_COUNTERS = "个所名项次人天亿万元%位户场台套件座亩吨条家"

# English number words (general grammar). "one" is left out: "one of", "which one" count nothing.
_EN_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                        "fourteen fifteen sixteen seventeen eighteen nineteen".split()) if i >= 2}
_EN_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
            if i >= 2}
_EN_NUMBER_RE = re.compile(rf"\b(?:({'|'.join(_EN_TENS)})(?:[- ]({'|'.join(list(_EN_SMALL)[:8])}|one))?|"
                           rf"({'|'.join(_EN_SMALL)}))\b", re.I)


def english_numbers(text: str) -> list[str]:
    """The numbers English text writes in words, as Arabic strings ("seven projects", "twenty-five schools").

    >>> english_numbers("Seven of its twenty-five schools, one of them new, and 40 more")
    ['7', '25']
    """
    out = []
    for m in _EN_NUMBER_RE.finditer(text):
        tens, unit, small = (g.lower() if g else g for g in m.groups())
        out.append(str(_EN_SMALL[small] if small else _EN_TENS[tens] + (_EN_SMALL.get(unit, 1) if unit else 0)))
    return out


def counts_in(text: str) -> set[str]:
    """The counts a text states, in digits as written; Chinese numerals only before a counter and not after 第
    (第二个十年, 学前三年 and a lone 一 are words, not counts); English number words ("seven projects").

    >>> sorted(counts_in("第二个十年计划涵盖19个项目,学前三年,新建三所学校"))
    ['19', '3']
    """
    norm, out = normalize(text), set(english_numbers(text))
    for m in NUMBER_RE.finditer(norm):
        n, after = m.group(0), norm[m.end():m.end() + 2].lstrip("多余")[:1]  # 三十余所: 所 counts
        if n[0].isdigit():
            out.add(n)
        elif after and after in _COUNTERS and n != "一" and not norm[:m.start()].endswith("第"):
            out.add(str(chinese_number(n)))
    return out


# A figure in Arabic digits times the multiplier written after it (3000万, 1.2亿, 5千): the value the two write
# together. Mixed figures (3万6,217) are read whole by ``numbers_in`` already.
_MULTIPLIER = {"千": 3, "万": 4, "亿": 8}
_SCALED_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)([千万亿])(?!\d)")


def scaled(figure: str, power: int) -> str:
    """``figure`` (digits, thousands separators allowed) times 10**power, exactly, as plain digits.

    >>> scaled("1897.41525", 4), scaled("1,200", 4), scaled("1.8", 8)
    ('18974152.5', '12000000', '180000000')
    """
    from decimal import Decimal

    value = Decimal(figure.replace(",", "")).scaleb(power)
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled_numbers_in(text: str) -> list[str]:
    """The values of the figures of ``text`` written with a multiplier after them, as plain digits.

    >>> scaled_numbers_in("投入资金3000万元,新增学位1.5万个,共3万6,217人")
    ['30000000', '15000']
    """
    norm = _THOUSANDS_RE.sub("", normalize(text).replace("，", ","))
    norm = MIXED_RE.sub(" ", norm)
    return [scaled(m.group(1), _MULTIPLIER[m.group(2)]) for m in _SCALED_RE.finditer(norm)]


_EN_POWERS = {"thousand": 3, "million": 6, "billion": 9}
_EN_AMOUNT_RE = re.compile(r"(?<![\d.,])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(thousand|million|billion)\b", re.I)


def english_amount(value: str) -> str:
    """A value (plain digits) as English writes an amount, exactly: thousands separated below a million, then
    millions or billions with as many decimals as the value has.

    >>> english_amount("108000"), english_amount("50000000"), english_amount("1800000000"), english_amount("18974152.5")
    ('108,000', '50 million', '1.8 billion', '18.9741525 million')
    """
    from decimal import Decimal

    v = Decimal(value)
    for word, power in (("billion", 9), ("million", 6)):
        if v >= Decimal(10) ** power:
            return f"{scaled(value, -power)} {word}"
    whole, _, frac = value.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def read_english_amounts(text: str) -> str:
    """English amounts ("1.8 billion", "50 million") written out in digits, for the number check.

    >>> read_english_amounts("Funds: 1.8 billion yuan, 2 million people, 5 thousand")
    'Funds: 1800000000 yuan, 2000000 people, 5000'
    >>> numbers_in(read_english_amounts("2350 million yuan, 1,200 Million"))  # never read as 2350 and 1200
    ['2350000000', '1200000000']
    """
    return _EN_AMOUNT_RE.sub(lambda m: scaled(m.group(1), _EN_POWERS[m.group(2).lower()]), text)
