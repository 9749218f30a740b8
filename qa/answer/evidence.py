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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qa.answer.figures import (  # noqa: F401 - ITEM_START, has_new_figure, MASKED_RE: read from here too
    _MEASURE_WORDS,
    _UNITS,
    ITEM_START,
    MASKED_RE,
    another_measure,
    expected_unit,
    gives_figure,
    has_new_figure,
    new_figures,
    unit_table,
)
from qa.numbers import NUMBER_RE, counts_in
from qa.search import lexicon
from qa.search.question import QuestionInfo
from qa.textnorm import SENTENCE_ENDS, normalize, sentence_spans

# Clauses break at commas (not at colons or 、: "8.5:1" and "小学、初中" stay whole), but not at a comma that groups a
# figure's digits in thousands ("2,510校次", "4萬4,611人次").
_CLAUSE_RE = re.compile(f"(?:[^，,{SENTENCE_ENDS}]|(?<=\\d),(?=\\d{{3}}(?!\\d)))+[，,{SENTENCE_ENDS}]?")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the chunk's display text
    end: int


def sentences(text: str) -> list[Sentence]:
    """Split a paragraph at sentence ends (。！？；!? and line breaks), keeping offsets."""
    return [Sentence(text[a:b], a, b) for a, b in sentence_spans(text) if b - a >= 2]


def clauses(sentence: str) -> list[str]:
    """
    >>> clauses("补助计2,510校次、13萬8,596人次,计4億224萬元。")
    ['补助计2,510校次、13萬8,596人次,', '计4億224萬元。']
    """
    return [c for c in (m.group(0).strip() for m in _CLAUSE_RE.finditer(sentence)) if c]


def clause_spans(sentence: str) -> list[tuple[int, int]]:
    """Where each clause of ``sentence`` starts and ends (``clauses``, by offset; a clause keeps its spaces)."""
    return [(m.start(), m.end()) for m in _CLAUSE_RE.finditer(sentence) if m.group(0).strip()]


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
    the most of the question's concepts (for a figure question, first one that gives a figure), marked "…"
    where it was cut; ``None`` when the sentence fits, or when its opening run holds as much as any other (the
    caller then cuts it from the start).

    >>> from qa.search.question import analyze
    >>> long = "围绕年度目标开展工作，加强统筹协调，提升保障水平，压实工作责任，成功处置36起事件。"
    >>> quote_window(long, analyze("How many were dealt with?"), TermWeights(9, len), 20)
    '…压实工作责任，成功处置36起事件。'
    >>> rate = "成功处置36起学校安全事件，加强统筹协调，各项工作稳步推进，合格率升至95%。"
    >>> quote_window(rate, analyze("What share of schools passed the safety check?"), TermWeights(9, len), 20)
    '…各项工作稳步推进，合格率升至95%。'
    """
    text = sentence.strip()
    if len(text) <= limit:
        return None
    spans = clause_spans(text)
    share = q.kind == "numeric" and asks_share(q)  # then a window with a percentage first
    best: tuple[tuple[bool, bool, float], int, int, int] | None = None
    for i, (start, _) in enumerate(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - start <= limit:
            j += 1
        if spans[j][1] - start > limit:
            continue  # one clause longer than the limit: no window starts here
        window = text[start:spans[j][1]]
        # a figure question's window holds a figure it may ask for, when one does
        score = (q.kind == "numeric" and gives_figure(window, q), share and percentages(window, q),
                 concept_coverage(normalize(window), q, weights))
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
    >>> q = analyze("全年成功创建了多少所市级平安校园?")
    >>> best_clause("全年成功创建“市级交通平安校园”2所,市级平安校园8所。", q, weights)
    '市级平安校园8所。'
    >>> halls = "已投入9亿元新建12校礼堂,再投入7亿元为15校建礼堂。"
    >>> best_clause(halls, analyze("How much for the 15 schools?"), weights)
    '再投入7亿元为15校建礼堂。'
    >>> best_clause("新建校舍12所,投资3000万元,达标率升至95%。", analyze("What share met the standard?"), weights)
    '达标率升至95%。'
    >>> best_clause("实施7个项目,投入资金2350万元,4个项目完工。", analyze("How much went into the seven?"), weights)
    '实施7个项目,投入资金2350万元,'
    """
    cands = [c for c in clauses(sentence) if has_new_figure(c, q, strict=True)]
    if not cands:
        return sentence
    # a share is answered by a percentage: its clauses alone, when the sentence has one
    shares = [c for c in cands if percentages(c, q)] if asks_share(q) else []
    cands = shares or cands
    # first the clause whose figure follows the very words the question counts ("市级平安校园8所" for
    # "多少所市级平安校园", not "市级交通平安校园2所", which holds all its concepts and one more); then the clause
    # whose figure comes in the unit the question asks in ("多少平方米": "校舍面积10.2万平方米"); then the clause
    # not only of another measure than asked ("how much": "投入资金2350万元", not "4个项目"); then the clause
    # holding a number the question itself names, a year aside ("for another 25 schools": "…为25校…"); then the
    # question's concepts; equal scores: the clause whose figure follows an asked word most closely ("小学32所"
    # before "中小学校56所")
    named = _counted_words(q)
    given = {n for n in counts_in(q.text) if not _YEAR_NUMBER.fullmatch(n)}
    unit = asked_unit(q)
    scored = [(bool(named) and named.search(normalize(c)) is not None,
               bool(unit) and unit_follows(c, q, unit),
               not another_measure(c, q),
               bool(given & counts_in(c)),
               concept_coverage(normalize(c), q, weights) + figure_fit(c, q) + 0.5 * _measure_follows(c, q),
               -_figure_gap(c, q), -i, c)
              for i, c in enumerate(cands)]
    best = max(scored)
    if best[4] == 0 and not best[3] and not best[1] and not shares:
        return sentence
    # A clause that only says "其中33项已整改" leans on the one before it: keep the pair together.
    clause = best[-1]
    all_cl = clauses(sentence)
    j = all_cl.index(clause)
    if j > 0 and (clause.startswith(("其中", "共", "比", "占", "同比", "较")) or (
            given & counts_in(all_cl[j - 1]) and not given & counts_in(clause))):
        return all_cl[j - 1] + clause  # ... and one after the clause naming the question's own count ("启动8个项目,")
    if j + 2 < len(all_cl) and _BARE_WHEREOF.fullmatch(all_cl[j + 1]):  # never end on a bare "其中,": add the part
        return clause + all_cl[j + 1] + all_cl[j + 2]
    if j + 1 < len(all_cl) and all_cl[j + 1].startswith(("其中", "比上年", "同比", "较", "占")):
        return clause + all_cl[j + 1]
    return clause


_BARE_WHEREOF = re.compile(r"其中\s*[，,：:]?")
_YEAR_NUMBER = re.compile(r"(?:19|20)\d\d")
_COUNTED_RE = re.compile(f"(?:多少|几)(?:{_MEASURE_WORDS}|个)?([^，,。？?！!；;：:]+)")


def _counted_words(q: QuestionInfo) -> re.Pattern[str] | None:
    """For a Chinese figure question: the words after its question word ("多少所市级平安校园?"), at least four
    characters, right before a figure (a closing quote between), as a pattern; ``None`` for other questions.

    >>> from qa.search.question import analyze
    >>> _counted_words(analyze("创建了多少所市级平安校园?")).search("市级平安校园8所") is not None
    True
    >>> _counted_words(analyze("青松市有多少名医生?")) is None
    True
    >>> counted = _counted_words(analyze("全市共有几所非高等教育学校?"))
    >>> counted.search("非高等教育学校(正规及回归教育)共有76所") is not None
    True
    """
    m = _COUNTED_RE.search(q.norm) if q.lang != "en" else None
    if m is None or len(m.group(1).strip()) < 4:
        return None
    return re.compile(re.escape(m.group(1).strip()) + r"[”’\"'」』]?\s*" + _BETWEEN + "(?:" + NUMBER_RE.pattern + ")")


# between the counted words and their figure: a short bracketed qualifier and a verb of amount
# ("非高等教育学校(正规及回归教育)共有76所")
_BETWEEN = r"(?:[(（][^()（）]{1,20}[)）])?\s*(?:共有|共计|合计|总计|共|有|为|达到|达)?\s*"


def asked_unit(q: QuestionInfo) -> str | None:
    """The unit a Chinese figure question asks in, right after its question word (``qa/data/units_zh_en.tsv``, a
    multiplier aside: "多少万元" asks in 万元, "多少平方米" in 平方米); ``None`` for an English question or none said.

    >>> from qa.search.question import analyze
    >>> [asked_unit(analyze(q)) for q in ("改造了多少平方米校舍?", "有多少学生?", "投入多少亿元?")]
    ['平方米', None, '亿元']
    """
    if q.lang == "en":
        return None
    for m in re.finditer("(?:多少|几)", q.norm):
        unit = next((u.zh for u in unit_table() if q.norm.startswith(u.zh, m.end())), None)
        if unit is not None:
            return unit
    return None


def unit_follows(clause: str, q: QuestionInfo, unit: str) -> bool:
    """Whether a figure of ``clause`` the question does not name comes in ``unit`` (the longest unit written right
    after it, a multiplier 万/亿 and 余/多 allowed between: "10.2万平方米" comes in 平方米, "14529人次" not in 人)."""
    norm = normalize(clause)
    for m in new_figures(norm, q, strict=True):
        after = norm[m.end():m.end() + 8].lstrip()
        if not after.startswith(unit):
            after = after.lstrip("余多").lstrip("万亿").lstrip("余多")
        written = next((u.zh for u in unit_table() if after.startswith(u.zh)), None)
        if written == unit:
            return True
    return False


def _measure_follows(clause: str, q: QuestionInfo) -> bool:
    """Whether a figure of ``clause`` the question does not name is followed, after at most two characters (a
    measure word, 约), by a word of what the question counts (``QuestionInfo.measure``, two characters or more):
    "额外提供约9000张病床" for "提供多少张病床?". Chinese writes the counted noun after the figure as often as before.

    >>> from qa.search.question import analyze
    >>> q = analyze("新建了多少间教室?")
    >>> _measure_follows("新建1200间教室,", q), _measure_follows("建成项目19个,", q)
    (True, False)
    """
    words = [t for g in q.measure for t in g if len(t) >= 2]
    norm = normalize(clause)
    return any(norm[m.end():m.end() + 2 + len(t)].find(t) >= 0 for m in NUMBER_RE.finditer(norm)
               if m.group(0) not in q.numbers for t in words)


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


def figure_first(q: QuestionInfo, cands: list, pool: int) -> list:
    """An English figure question leads with the best of the first ``pool`` candidates (``Candidate``s) that
    states a figure; one asking for a share (``asks_share``), with the best that states a percentage, if any.
    Its concepts reach the reports through dictionary senses, so coverage often ranks a sentence without any
    figure first (web-copy development set: English answer_hit 22 -> 23 of 39; XQuAD en->zh 0..299 and dev
    unchanged). Chinese questions keep the scorer's order: there it lost answers (DRCD, XQuAD-zh 0..99)."""
    first = next((c for c in cands[:pool] if gives_figure(c.quote, q)), None)
    if first is not None and asks_share(q):
        first = next((c for c in cands[:pool] if percentages(c.quote, q)), first)
    if first is None or first is cands[0]:
        return cands
    return [first, *(c for c in cands if c is not first)]


# Chinese words of a share (general vocabulary): an English question whose words the dictionary reads as one
# of them asks for a percentage
SHARE_ZH = frozenset(("比例", "比率", "比重", "百分比", "百分率", "百分数", "份额"))


@lru_cache(maxsize=4096)
def _asks_share_en(question: str) -> bool:
    if re.search(r"\bhow many\b", question, re.I):
        return False  # a count, whatever rate it names
    words = re.findall(r"[a-z]+", question.lower())
    return any(e.zh in SHARE_ZH for w in words for e in lexicon.candidates(w)[:6])


def asks_share(q: QuestionInfo) -> bool:
    """The question asks for a share: its words are read as a share word (``SHARE_ZH``: "what share of ...",
    "what percentage", "enrolment rate"), or it names one.

    >>> from qa.search.question import analyze
    >>> asks_share(analyze("What share of schools passed?")), asks_share(analyze("How many schools passed?"))
    (True, False)
    >>> asks_share(analyze("How many schools have a pass rate above the average?"))
    False
    """
    if q.lang == "en":
        return _asks_share_en(q.text)
    return expected_unit(q) == "share"


def percentages(text: str, q: QuestionInfo) -> bool:
    return any(m.group(0).endswith("%") for m in new_figures(normalize(text), q, strict=True))
