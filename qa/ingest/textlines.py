"""What the chrome rules read of a line: its key forms, and whether it is prose, a report's title or a body
sentence (shared by ``qa.ingest.clean``, ``qa.ingest.chrome_rules`` and ``qa.ingest.chrome_page``)."""

from __future__ import annotations

import re

from qa.ingest.structure import TITLE_WORDS_RE
from qa.textnorm import CLAUSE_ENDS, CLOSERS, FULL_STOPS, SENTENCE_ENDS, halfwidth, strip_pinyin, to_simplified

CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK}]")
LATIN_RE = re.compile(r"[A-Za-z]")
WS_RE = re.compile(r"\s+")
CLOSING = SENTENCE_ENDS + "：:…" + CLOSERS  # what may end a line that is not cut mid-sentence
_SENTENCE_PUNCT_RE = re.compile(f"[{SENTENCE_ENDS}，,]")
_NUM = "一二三四五六七八九十百"
ENUM_RE = re.compile(rf"^(?:[{_NUM}]+[、.．]|[（(][{_NUM}\d]+[)）]|\d{{1,2}}[、.．](?!\d)|"
                     rf"[①-⑳⑴-⒇⒈-⒛]|第[{_NUM}\d]+[部章节])")


def is_prose(text: str) -> bool:
    """Body text that chrome rules never drop: over 60 CJK characters, with sentence punctuation."""
    return len(CJK_RE.findall(text)) > 60 and _SENTENCE_PUNCT_RE.search(text) is not None


def is_title_like(text: str) -> bool:
    """A short line without sentence-final punctuation that names a report ("…工作总结", "…计划")."""
    k = key(text)
    return (4 <= len(k) <= 60 and k[-1] not in SENTENCE_ENDS + CLAUSE_ENDS and not ENUM_RE.match(k)
            and len(CJK_RE.findall(k)) >= 4 and TITLE_WORDS_RE.search(rule_key(text)) is not None)


def body_sentence(text: str) -> bool:
    """Prose, or a line of 20 characters or more that ends a sentence: the report's text has begun."""
    return is_prose(text) or (len(text) >= 20 and text.rstrip(CLOSERS)[-1:] in FULL_STOPS)


def key(text: str) -> str:
    """The line without pinyin and whitespace."""
    return WS_RE.sub("", strip_pinyin(text))


def rule_key(text: str) -> str:
    """The line as the rules read it: Simplified, half width, pinyin out, whitespace runs as one space."""
    return WS_RE.sub(" ", halfwidth(to_simplified(strip_pinyin(text)))).strip()
