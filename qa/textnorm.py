"""Text normalization for matching: pinyin annotations out, Traditional -> Simplified, full width -> half.

What users see keeps the original glyphs; only search and matching read the normalized form.

>>> normalize("總結(jié)：２０２０年  學(xué)校")
'总结:2020年 学校'
"""

from __future__ import annotations

import re
from functools import lru_cache

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A parenthesis (ASCII or full width) that holds only lowercase pinyin letters, at least one of them toned:
# the annotations one site inserts after characters, as in 總結(jié).
PINYIN_RE = re.compile(rf"[(（](?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,8}}[)）]")
_WS_RE = re.compile(r"\s+")

# Sentences, the one definition every stage uses (cutting paragraphs, joining wrapped lines, quoting).
FULL_STOPS = "。！？!?"  # what ends a sentence for good
SENTENCE_ENDS = FULL_STOPS + "；;"  # what ends a sentence or a sentence-like item of a list
CLOSERS = "”’」』)）》】\""  # closing quotes and brackets that stay with the sentence before them
CLAUSE_ENDS = "，,、：:"
SENTENCE_END_RE = re.compile(f"[{SENTENCE_ENDS}]+[{re.escape(CLOSERS)}]*")
_SENTENCE_RE = re.compile(f"[^{SENTENCE_ENDS}\n]+[{SENTENCE_ENDS}]*[{re.escape(CLOSERS)}]?")
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def strip_pinyin(text: str) -> str:
    """Remove inserted pinyin annotations: ``總結(jié)`` -> ``總結``."""
    return PINYIN_RE.sub("", text)


NORMALIZE_MEMO = 65536  # texts whose normalized form is kept (a paragraph or a sentence each)


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented; imported on first use

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified (OpenCC t2s); other text passes through."""
    if not text or not _has_cjk(text):
        return text
    return _t2s().convert(text)


@lru_cache(maxsize=1)
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Convert Simplified Chinese to Traditional (OpenCC s2t)."""
    if not text or not _has_cjk(text):
        return text
    return _s2t().convert(text)


def halfwidth(text: str) -> str:
    """Full-width ASCII forms and the ideographic space to their half-width equivalents."""
    return text.translate(_FULLWIDTH)


# Written Cantonese (Hong Kong and Macau questions: "有幾多人受惠?") -> the Mandarin words the reports write: question
# and function words (幾多 "how many", 邊個 "which", 點樣 "how"; 喺 "at", 嘅 "of", 咗 perfective, 冇 "have not", 啲
# "some", 唔 "not") and two common words (舊年 "last year", 細路 "children"). Provenance: general written Cantonese,
# typed from general knowledge of the language, in both scripts; none from the gold questions or the shipped
# reports. Words Mandarin writes too (係 of 關係, 同, 點) are left alone.
_CANTONESE = {"幾多": "多少", "几多": "多少", "幾耐": "多久", "几耐": "多久", "邊個": "哪個", "边个": "哪个",
              "邊度": "哪裡", "边度": "哪里", "邊間": "哪間", "边间": "哪间", "點樣": "怎樣", "点样": "怎样",
              "乜嘢": "甚麼", "咩": "甚麼", "係咪": "是否", "系咪": "是否", "唔係": "不是", "唔系": "不是",
              "佢哋": "他們", "佢们": "他们", "喺": "在", "嘅": "的", "咗": "了", "冇": "沒有", "啲": "些", "唔": "不",
              "攞": "拿", "睇": "看", "畀": "給", "嗰": "那", "舊年": "去年", "旧年": "去年", "細路": "兒童",
              "细路": "儿童"}
_CANTONESE_RE = re.compile("|".join(sorted(map(re.escape, _CANTONESE), key=len, reverse=True)))


def mandarin_reading(question: str) -> str:
    """A question written in Cantonese with its question and function words in Mandarin, the language of the
    reports (the rest, and the script, as asked).

    >>> mandarin_reading("2023年喺廣東讀書嘅學生有幾多人?"), mandarin_reading("关系到多少学校?")
    ('2023年在廣東讀書的學生有多少人?', '关系到多少学校?')
    """
    return _CANTONESE_RE.sub(lambda m: _CANTONESE[m.group(0)], question)


@lru_cache(maxsize=NORMALIZE_MEMO)
def normalize(text: str) -> str:
    """The search form of a text: pinyin out, t2s, half width, whitespace folded to single spaces, and the
    zero of a year in Chinese numerals written as 〇 however it was typed (``chinese_zeros``).

    Memoized: answering a question normalizes the same candidate sentences and paragraphs again and again,
    and the t2s conversion (pure Python) was about a third of ``ask`` (bench/README.md, "Query latency")."""
    return chinese_zeros(_WS_RE.sub(" ", halfwidth(to_simplified(strip_pinyin(text)))).strip())


# A year in Chinese numerals whose zero was typed as another character: the circle ○ (U+25CB, what input methods
# offer for 〇), a Latin O or o, or the digit 0 (二○一三年, 二O一三, 二0一三). Four characters, the first 一 or 二,
# the rest numerals, one of them such a zero; nothing alphanumeric on either side (a word, a code, 2010).
_TYPED_ZERO_RE = re.compile(r"(?<![0-9A-Za-z〇零一二三四五六七八九十○])[一二][〇零一二三四五六七八九○Oo0]{3}"
                            r"(?![0-9A-Za-z〇零一二三四五六七八九十○])")
_TYPED_ZEROS = str.maketrans({"○": "〇", "O": "〇", "o": "〇", "0": "〇"})


def chinese_zeros(text: str) -> str:
    """``text`` with the typed zeros of its four-character Chinese-numeral years written 〇.

    >>> chinese_zeros("二○一三年、二O一四/二o一五学年、二0二0年、二○○○年; 二〇一一年; Room 2010, 一O一号, OOO")
    '二〇一三年、二〇一四/二〇一五学年、二〇二〇年、二〇〇〇年; 二〇一一年; Room 2010, 一O一号, OOO'
    """
    if not any(z in text for z in "○Oo0"):
        return text
    return _TYPED_ZERO_RE.sub(_zeros_of, text)


def _zeros_of(m: re.Match[str]) -> str:
    run = m.group(0)
    return run.translate(_TYPED_ZEROS) if any(c in "○Oo0" for c in run) else run


def match_key(text: str) -> str:
    """The form used by the evaluation's substring tests: pinyin out, t2s, all whitespace deleted."""
    return _WS_RE.sub("", to_simplified(strip_pinyin(text)))


_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among the letters and ideographs of ``text`` (0.0 for none)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return len(_CJK_RE.findall(text)) / letters


def script_of(text: str) -> str:
    """``'en'``, ``'zh'`` (Simplified) or ``'zh-hant'`` (Traditional), judged from the text itself.

    A text is Traditional when OpenCC t2s changes any of its characters.
    """
    if cjk_ratio(text) < 0.3:
        return "en"
    return "zh-hant" if to_simplified(text) != text else "zh"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``: cut at sentence ends (。！？；!?, a closing quote
    staying with its sentence) and at line breaks; surrounding white space left out.

    >>> [("一是加强培训。二是开展演练!")[a:b] for a, b in sentence_spans("一是加强培训。二是开展演练!")]
    ['一是加强培训。', '二是开展演练!']
    """
    out = []
    for m in _SENTENCE_RE.finditer(text):
        s = m.group(0)
        a = m.start() + len(s) - len(s.lstrip())
        b = m.end() - (len(s) - len(s.rstrip()))
        if b > a:
            out.append((a, b))
    return out
