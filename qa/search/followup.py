"""Follow-up questions: "and in 2011?", "那安全方面呢?" are read against the question before them.

>>> contextualize("and in 2011?", ["How many teachers were recruited in 2020?"], places=[])
'How many teachers were recruited in 2011?'
>>> contextualize("那安全方面呢?", ["青松县2019年新建了几所学校?"], places=["青松县"])
'青松县 2019年 那安全方面呢?'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.search.filters import detect_places, detect_years
from qa.store.keyword import tokenize

_FOLLOW_EN = re.compile(r"^\s*(and|what about|how about|also|then|same for|and what about)\b", re.I)
_FOLLOW_ZH = re.compile(r"^\s*(那|那么|还有|另外|而|再)|呢\s*[?？]?\s*$")
_FILLER = {"and", "what", "about", "how", "in", "the", "for", "then", "also", "same", "那", "那么", "呢", "还有",
           "方面", "另外", "year", "是", "的", "of", "?"}


def is_followup(question: str) -> bool:
    q = question.strip()
    return bool(_FOLLOW_EN.search(q) or _FOLLOW_ZH.search(q)) or len(tokenize(q)) <= 1


def contextualize(question: str, history: Sequence[str], places: Sequence[str]) -> str:
    """The question to search for, given the user's earlier questions (oldest first)."""
    if not history or not is_followup(question):
        return question
    prev = history[-1]
    years, prev_years = detect_years(question), detect_years(prev)
    content = [t for t in tokenize(question) if t not in _FILLER and not t.isdigit()]
    if not content or all(t.isascii() for t in content) and not re.search(r"[\u4e00-\u9fff]", question) \
            and len(content) <= 1:
        # Nothing new but a year or a place: ask the previous question again with those swapped in.
        out = prev
        if years and prev_years:
            out = re.sub(str(prev_years[0]), str(years[0]), out)
        elif years:
            out = f"{out.rstrip('?？ ')} in {years[0]}?"
        return out
    # A new topic: carry the place and year the conversation was about.
    carried = [p for p in detect_places(prev, places) if p not in detect_places(question, places)]
    if prev_years and not years:
        carried.append(f"{prev_years[0]}年")
    return " ".join([*carried, question]) if carried else question
