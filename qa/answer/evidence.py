"""Picking the sentences, and within them the clauses, that answer a question.

Sentences are scored by the key concepts of the question they contain (weighted by how rare each concept
is in the corpus) and by how well the retriever ranked their paragraph. For a figure question, the clause
holding both a key concept and a number is the answer ("新建图书室12间,购置图书3000册" answers
"how many rooms" with the rooms' clause).

>>> [s.text for s in sentences("一是加强培训。二是开展演练!")]
['一是加强培训。', '二是开展演练!']
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qa.numbers import NUMBER_RE
from qa.search.question import QuestionInfo
from qa.textnorm import SENTENCE_ENDS, normalize, sentence_spans

# Clauses break at commas (not at colons or 、: "8.5:1" and "小学、初中" stay whole).
_CLAUSE_RE = re.compile(f"[^，,{SENTENCE_ENDS}]+[，,{SENTENCE_ENDS}]?")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the chunk's display text
    end: int


def sentences(text: str) -> list[Sentence]:
    """Split a paragraph at sentence ends (。！？；!? and line breaks), keeping offsets."""
    return [Sentence(text[a:b], a, b) for a, b in sentence_spans(text) if b - a >= 2]


# the opening of a numbered item in Chinese prose: 一是, （二）, 3、, 4., ⑤, 第六，
ITEM_START = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}是|[（(【\[]?[一二三四五六七八九十\d]{1,3}[)）\]】]|"
                        r"\d{1,2}[、.．](?!\d)|[\u2460-\u2473]|第[一二三四五六七八九十]{1,3}[，,、是])")


def clauses(sentence: str) -> list[str]:
    return [c for c in (m.group(0).strip() for m in _CLAUSE_RE.finditer(sentence)) if c]



def has_new_figure(text: str, q: QuestionInfo, *, strict: bool = False) -> bool:
    """Whether ``text`` states a figure other than those the question itself names; ``strict``: a date's parts
    (a year ``2023年``, a month ``9月``, a day ``28日``; "9个月" and "3年" still count) and the number of a
    list item that opens the text ("1.", "（二）") and what follows a mask (the 万 of "x万元") are no figure.

    >>> q = QuestionInfo("How much was spent?", "how much was spent?", "en", "numeric", ())
    >>> has_new_figure("9月28日移交", q), has_new_figure("9月28日移交", q, strict=True)
    (True, False)
    >>> has_new_figure("1.推动2023年建设", q, strict=True), has_new_figure("2023年投入3年", q, strict=True)
    (False, True)
    >>> has_new_figure("城关一中 · 教师(人): 156", q, strict=True)  # a figure that ends the text
    True
    >>> has_new_figure("2018年度教育投入x万元", q), has_new_figure("2018年度教育投入x万元", q, strict=True)
    (True, False)
    >>> has_new_figure("依据中发〔2018〕4号", q), has_new_figure("依据中发〔2018〕4号", q, strict=True)  # a reference
    (True, False)
    >>> has_new_figure("为每一个学生提供适合的教育", q, strict=True), has_new_figure("新建三所学校", q, strict=True)
    (False, True)
    """
    return next(new_figures(normalize(text), q, strict=strict), None) is not None


def new_figures(norm: str, q: QuestionInfo, *, strict: bool = False) -> Iterator[re.Match]:
    """The figures of normalized text ``norm`` that ``has_new_figure`` counts."""
    item = ITEM_START.match(norm) if strict else None
    refs = [m.span() for m in DOC_NUMBER_RE.finditer(norm)] if strict else []
    for m in NUMBER_RE.finditer(norm):
        after = norm[m.end():m.end() + 1]
        digits = m.group(0).isdigit()
        if strict and ((item and m.end() <= item.end()) or (digits and after and (
                after in "月日" or (after == "年" and _YEAR_RE.fullmatch(m.group(0)))))
                or (m.start() and norm[m.start() - 1] in MASK_MARKS)  # "x万元": the 万 of a masked sum
                or any(a <= m.start() and m.end() <= b for a, b in refs)
                or m.group(0) == "一"):  # a lone 一 is a word (每一个, 一批), as ``qa.numbers`` reads it
            continue
        if m.group(0) not in q.numbers and not (digits and after in "年月日" and m.group(0) in q.norm):
            yield m


_YEAR_RE = re.compile(r"(?:19|20)\d\d")
MASK_MARKS = frozenset("xX×*")  # a copy masks a figure with these ("x万元", "**次")
# an official document's number, issuer code + 〔year〕 + serial + 号 (GB/T 9704 发文字号: "教基〔2020〕1号"; copies
# write the brackets as [] or 【】 too): a reference, not a figure that answers
DOC_NUMBER_RE = re.compile(r"[〔\[【]\s*(?:19|20)\d\d\s*[〕\]】]\s*第?\s*\d{1,4}\s*号")



class TermWeights:
    """Inverse document frequency of terms over the index's keyword tokens."""

    def __init__(self, n: int, df: Callable[[str], int]):
        self.n = max(1, n)
        self._df = df
        self._cache: dict[str, int] = {}

    @classmethod
    def from_tokens(cls, token_lists: list[list[str]]) -> TermWeights:
        counts: Counter[str] = Counter()
        for toks in token_lists:
            counts.update(set(toks))
        return cls(len(token_lists), lambda t: counts.get(t, 0))

    def df(self, term: str) -> int:
        if term not in self._cache:
            self._cache[term] = self._df(term)
        return self._cache[term]

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def group_weight(self, group: tuple[str, ...]) -> float:
        """A concept weighs what its main word weighs: a Chinese compound its own weight (在校学生, not 学生),
        an English word its first translation's (not a rarely printed alternative, whose high weight would
        let that word outweigh the rest of the question). An unseen main word: its commonest alternative.
        """
        if self.df(group[0]) > 0:
            return self.idf(group[0])
        seen = [t for t in group if self.df(t) > 0]
        return min((self.idf(t) for t in seen), default=self.idf(group[0]))


def concept_coverage(text_norm: str, q: QuestionInfo, weights: TermWeights,
                     skip: frozenset[str] = frozenset()) -> float:
    """Share (by weight) of the question's concepts that ``text_norm`` contains."""
    total = got = 0.0
    for group in q.terms:
        if any(t in skip for t in group) or all(len(t) < 2 and not t.isdigit() for t in group):
            continue
        w = weights.group_weight(group) * (2.0 if group in q.focus else 1.0)
        total += w
        got += w * group_credit(text_norm, group)
    return got / total if total else 0.0


def group_credit(text_norm: str, group: tuple[str, ...]) -> float:
    """1 when the text has the concept's full term (or a synonym), 0.6 for only a part of it, else 0."""
    if group[0] in text_norm:
        return 1.0
    best = 0.0
    for alt in group[1:]:
        if alt in text_norm:
            best = max(best, 0.6 if alt in group[0] else 1.0)
    return best


# Units that say what a figure counts, by the kind of thing asked about.
_PEOPLE = ("教师", "老师", "学生", "毕业生", "儿童", "幼儿", "干部", "校长", "职工", "人员", "家长", "学员", "人次",
           "志愿者", "党员", "少先队员", "人才", "专家")
_MONEY = ("钱", "经费", "资金", "投入", "投资", "元", "费", "补助", "补贴", "助学金", "贷款", "预算")
_UNITS = {"people": ("人", "名", "人次", "位"), "money": ("元", "万元", "亿元", "万", "亿"),
          "schools": ("所", "个", "座", "校"), "times": ("次", "场", "期", "批", "项"), "share": ("%", "：", ":")}


def expected_unit(q: QuestionInfo) -> str | None:
    terms = [t for g in (q.focus or q.terms) for t in g]
    if any(t in _MONEY for t in terms):
        return "money"
    if any(t in ("比例", "比率", "%", "比") for t in terms):
        return "share"
    if any(t in _PEOPLE or t.endswith(("生", "师")) for t in terms):
        return "people"
    if any(t in ("次", "几次", "培训", "讲座", "活动") for t in terms) and q.kind == "numeric":
        return "times"
    return None


# the measure word a Chinese question asks in, right after its question word ("多少所", "几名", "多少万元"); 个 counts
# anything and says nothing. Units of people (人, 名, 位, 人次) are one kind, and so are sums of money.
_MEASURE_WORDS = "万元|亿元|元|人次|人|名|位|所|座|次|场|期|批|项"
_ASKED_UNIT_RE = re.compile(f"(?:多少|几)({_MEASURE_WORDS})")
_MEASURE_RE = re.compile(_MEASURE_WORDS)
_UNIT_KIND = {"人次": "people", "人": "people", "名": "people", "位": "people", "万元": "money", "亿元": "money",
              "元": "money", "座": "所"}


def another_measure(text: str, q: QuestionInfo) -> bool:
    """A question that names its measure word ("有多少所小学?") and ``text`` whose every figure is followed by a
    measure word of another kind ("小学980人": people, not schools): those figures count something else.

    >>> from qa.search.question import analyze
    >>> q = analyze("青松市有多少所小学?")
    >>> another_measure("其中,小学980人,初中860人", q), another_measure("小学27所,教职工2410人", q)
    (True, False)
    >>> another_measure("小学980人", analyze("青松市有多少小学?")), another_measure("共1万余人", q)  # unsaid, unknown
    (False, False)
    """
    asked = _ASKED_UNIT_RE.search(q.norm)
    if asked is None:
        return False
    kind = _UNIT_KIND.get(asked.group(1), asked.group(1))
    norm = normalize(text)
    kinds = []
    for m in new_figures(norm, q, strict=True):
        unit = _MEASURE_RE.match(norm, m.end())
        kinds.append(_UNIT_KIND.get(unit.group(0), unit.group(0)) if unit else None)
    return bool(kinds) and all(k is not None and k != kind for k in kinds)


# a figure a copy masks: "**次", "xx人", "某项", or one letter x standing alone before the unit ("投入x万元");
# a lone x after a figure or a Latin letter is something else ("3×4", "Max")
MASKED_RE = re.compile(r"(\*{2,}|[xX×]{2,}|(?<![0-9A-Za-z.])[xX×]|某)\s*"
                       r"(次|人次|人|名|所|项|个|元|万元|亿元|天|场|期|批)")


def given_above(masked, cands: list, q: QuestionInfo) -> bool:
    """Whether a candidate ranked above ``masked`` (``cands`` best first) states a figure of its own, unmasked:
    an answer the reports give, so the mask, lower down, is no reason to decline."""
    for c in itertools.takewhile(lambda c: c is not masked, cands):
        if has_new_figure(c.quote, q, strict=True) and not MASKED_RE.search(normalize(c.sentence)):
            return True
    return False


def figure_fit(text: str, q: QuestionInfo) -> float:
    """How well a figure in ``text`` fits the question: its unit, and a focus term just before it."""
    norm = normalize(text)
    unit = expected_unit(q)
    focus = [t for g in q.focus for t in g if len(t) >= 2]
    best = 0.0
    for m in NUMBER_RE.finditer(norm):
        if m.group(0) in q.numbers:
            continue
        after = norm[m.end():m.end() + 3]
        fit = 0.5 if unit and any(after.startswith(u) for u in _UNITS[unit]) else 0.0
        if unit == "share" and "%" in m.group(0):
            fit = 0.5
        before = norm[max(0, m.start() - 10):m.start()]
        if any(t in before for t in focus):
            fit += 0.5
        best = max(best, fit)
    return best


def quote_window(sentence: str, q: QuestionInfo, weights: TermWeights, limit: int) -> str | None:
    """For a sentence too long to quote whole: the run of its clauses, at most ``limit`` characters, that holds
    the most of the question's concepts, marked "…" where it was cut; ``None`` when the sentence fits, or when
    its opening run holds as much as any other (the caller then cuts it from the start)."""
    text = sentence.strip()
    if len(text) <= limit:
        return None
    spans = [(m.start(), m.end()) for m in _CLAUSE_RE.finditer(text) if m.group(0).strip()]
    best: tuple[float, int, int, int] | None = None
    for i, (start, _) in enumerate(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - start <= limit:
            j += 1
        if spans[j][1] - start > limit:
            continue  # one clause longer than the limit: no window starts here
        score = concept_coverage(normalize(text[start:spans[j][1]]), q, weights)
        if best is None or score > best[0]:
            best = (score, i, start, spans[j][1])
    if best is None or best[1] == 0:
        return None
    _, _, start, end = best
    window = text[start:end].strip().rstrip("，,、；;：:")
    return "…" + window + ("…" if end < len(text) else "")


def best_clause(sentence: str, q: QuestionInfo, weights: TermWeights) -> str:
    """For a figure question: the clause with a figure that best matches the question's concepts.

    >>> from qa.search.question import analyze
    >>> weights = TermWeights(9, len)
    >>> best_clause("现有在岗教职工2410人,其中,小学980人,初中860人。", analyze("有多少在岗教职工?"), weights)
    '现有在岗教职工2410人,其中,小学980人,'
    """
    cands = [c for c in clauses(sentence) if has_new_figure(c, q)]
    if not cands:
        return sentence
    # equal scores: the clause whose figure follows an asked word most closely ("小学32所" before "中小学校56所")
    scored = [(concept_coverage(normalize(c), q, weights) + figure_fit(c, q), -_figure_gap(c, q), -i, c)
              for i, c in enumerate(cands)]
    best = max(scored)
    if best[0] == 0:
        return sentence
    # A clause that only says "其中33项已整改" leans on the one before it: keep the pair together.
    clause = best[-1]
    all_cl = clauses(sentence)
    j = all_cl.index(clause)
    if clause.startswith(("其中", "共", "比", "占", "同比", "较")) and j > 0:
        return all_cl[j - 1] + clause
    if j + 2 < len(all_cl) and _BARE_WHEREOF.fullmatch(all_cl[j + 1]):  # never end on a bare "其中,": add the part
        return clause + all_cl[j + 1] + all_cl[j + 2]
    if j + 1 < len(all_cl) and all_cl[j + 1].startswith(("其中", "比上年", "同比", "较", "占")):
        return clause + all_cl[j + 1]
    return clause


_BARE_WHEREOF = re.compile(r"其中\s*[，,：:]?")


def _figure_gap(clause: str, q: QuestionInfo) -> int:
    """How many characters stand between the end of an asked word and the next figure in ``clause`` (the
    fewest over its figures; a large number when no asked word comes before a figure).

    >>> from qa.search.question import analyze
    >>> q = analyze("当阳市有多少所小学?")
    >>> _figure_gap("全市现有中小学校56所,", q), _figure_gap("小学32所,", q), _figure_gap("初中14所", q)
    (1, 0, 99)
    """
    norm = normalize(clause)
    words = [t for g in (q.focus or q.terms) for t in g if len(t) >= 2]
    gap = 99
    for m in NUMBER_RE.finditer(norm):
        if m.group(0) in q.numbers:
            continue
        before = norm[:m.start()]
        for w in words:
            at = before.rfind(w)
            if at >= 0:
                gap = min(gap, len(before) - at - len(w))
    return gap
