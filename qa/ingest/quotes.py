"""The sentences of a paragraph that an answer may quote: the units the answer step scores.

One function, used both when the index is built (each quotable sentence gets a vector, stored beside its
paragraph's) and when a question is answered (the candidates), so the two always agree.

>>> from qa.types import Chunk
>>> c = Chunk("c", "d", "s", 1, ("一、安全",), (0, 20), "一、安全\\n排查隐患49项。整改完成45项!", "")
>>> quotable(c)
['排查隐患49项。', '整改完成45项!']
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.ingest.split import heading_level
from qa.ingest.tables import cell_quotes
from qa.numbers import NUMBER_RE
from qa.textnorm import normalize, sentence_spans
from qa.types import Chunk

INLINE_HEADING_CHARS = 30  # a short line that reads as a heading ("(三)工作開展情況。") is not quoted
INLINE_HEADING_LEVEL = 2
SHORTEST_SENTENCE = 2  # characters


def quotable(chunk: Chunk) -> list[str]:
    """The chunk's sentences worth quoting: not its heading line; a sentence that ends in a colon
    goes with the one after it. A table row's units are its cells, each with its row and column."""
    if chunk.table is not None:
        return cell_quotes(chunk)
    body = chunk.text
    head = chunk.heading[-1] if chunk.heading else ""
    if head and body.startswith(head + "\n"):
        body = body[len(head) + 1:]
    out: list[str] = []
    carry = ""
    for a, b in sentence_spans(body):
        if b - a < SHORTEST_SENTENCE:
            continue
        sent = body[a:b]
        if not carry and len(sent) <= INLINE_HEADING_CHARS and \
                (heading_level(sent) or INLINE_HEADING_LEVEL + 1) <= INLINE_HEADING_LEVEL:
            continue
        text = carry + sent
        if text.rstrip().endswith((":", "：")):
            carry = text
            continue
        carry = ""
        out.append(text)
    if carry:
        out.append(carry)
    return out


def sentence_texts(chunk: Chunk) -> list[str]:
    """What the model reads for each quotable sentence (normalized), in ``quotable`` order."""
    return [normalize(s) for s in quotable(chunk)]


TITLE_SLACK = 16  # characters a title line may have beyond twice the title's: figures, spaces, punctuation
CLAUSE_MARKS = frozenset("，,。．！!？?；;：:、")


def names_the_report(sentence: str, title: str, chunk: Chunk, position: int) -> bool:
    """Whether a quotable sentence is the report's own title written as a line of its text: the same letters
    as the title (figures, spaces and punctuation aside: a title may have lost its year), or, when the report
    has no title of its own (a web copy named after its file), the first line of its first paragraph with no
    clause mark in it. It names the report; it answers nothing (an answer quoting it repeats the question's
    words back).

    >>> c = Chunk("c", "d", "s", 1, (), (0, 30), "区教体局2020年工作计划\\n新增学位4950个。", "")
    >>> names_the_report("区教体局2020年工作计划", "区教体局年工作计划", c, 0)
    True
    >>> names_the_report("新增学位4950个。", "区教体局年工作计划", c, 1)
    False
    >>> names_the_report("南投縣永康國小106年度執行成果", "ntct_1", c, 0)
    True
    >>> names_the_report("全县共有小学84所", "ntct_1", c, 1)
    False
    """
    title_key = _letters(title)  # memoized: every candidate of a report asks for the same title
    if title_key:
        # the letters are read (normalized: slow) only of a line about as long as the title; a sentence
        # more than twice as long holds more than the title's letters and a year
        return (len(title_key) >= 4 and len(sentence) <= 2 * len(title) + TITLE_SLACK
                and _may_hold(sentence, len(title_key)) and _letters(sentence) == title_key)
    return (chunk.ordinal == 1 and position == 0 and not CLAUSE_MARKS.intersection(sentence.strip())
            and len(_letters(sentence)) >= 4)


def _may_hold(sentence: str, count: int) -> bool:
    """Whether ``sentence`` may have ``count`` letters once normalized, by a count of its raw letters (the
    script conversion keeps their number; only full-width Latin letters become ASCII ones)."""
    raw = sum(1 for ch in sentence if ch.isalpha() and not ch.isascii())
    return raw == count or (raw > count and any("\uff21" <= ch <= "\uff5a" for ch in sentence))


@lru_cache(maxsize=1024)
def _letters(text: str) -> str:
    """The Chinese letters of ``text`` (normalized), without figures, Latin letters, spaces or punctuation."""
    return "".join(ch for ch in normalize(text) if ch.isalpha() and not ch.isascii())


def announces(sentence: str) -> bool:
    """Whether a quotable sentence only announces what follows ("现将一年来的工作总结如下："): ``quotable``
    joins such a sentence to the next one, so one that still ends in a colon closes its paragraph, and what
    it announces is not in it. One that states a figure on the way says something itself.

    >>> announces("现将过去一年的安全工作总结如下:"), announces("全年组织消防演练12次。")
    (True, False)
    >>> announces("自3月21日起,对全区17所学校进行了为期八天的检查,现将检查情况总结如下:")
    False
    """
    return sentence.rstrip().endswith((":", "：")) and NUMBER_RE.search(sentence) is None


# the characters of a date or a figure written in Chinese: they say when or how many, not of what
_DATE_OR_FIGURE = frozenset("年月日〇零一二三四五六七八九十百千万亿两")
_FEWEST_WORD_CHARS = 3  # a statement names at least a two-character word and one more (小学27所, 招生300人)


def says_too_little(sentence: str) -> bool:
    """A fragment that names almost nothing: fewer than three Chinese characters besides those of dates and
    figures, no Latin word and no number of four or more digits (a label and its value, "电话:8691639", may be
    what is asked). Noisy copies leave such pieces where a character was lost ("1.家?", "20xx年,我們?");
    quoted as an answer, they say nothing of what was asked.

    >>> says_too_little("1.家?"), says_too_little("20xx年,我們?"), says_too_little("4月中旬")
    (True, True, True)
    >>> says_too_little("小学27所。"), says_too_little("电话:8691639"), says_too_little("Budget: 2,000 dollars")
    (False, False, False)
    """
    letters = 0
    for ch in sentence:  # on every sentence a passage is scored by: stop at the third word character
        if ch.isalpha() and not ch.isascii() and ch not in _DATE_OR_FIGURE:
            letters += 1
            if letters >= _FEWEST_WORD_CHARS:
                return False
    if any(set(w.lower()) != {"x"} for w in re.findall(r"[A-Za-z]{3,}", sentence)):  # a word, not a mask (20xx)
        return False
    return not re.search(r"\d{4,}", normalize(sentence))


def answers_nothing(sentence: str, title: str, chunk: Chunk, position: int) -> bool:
    """A quotable sentence that no question is answered by: the report's title as a line of its text, an
    announcement of what follows, or a fragment that says too little."""
    return announces(sentence) or says_too_little(sentence) or names_the_report(sentence, title, chunk, position)
