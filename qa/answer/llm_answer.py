"""The optional language-model answer: written from the numbered paragraphs, then checked like any other.

A failed check, a timeout or an unreachable endpoint gives ``(None, reason)`` and the caller falls back
to the extractive answer, saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from qa.answer import wording
from qa.answer.llm import LLMError, build_messages, is_no_answer
from qa.answer.verify import MARKER_RE, verify
from qa.search.question import QuestionInfo
from qa.search.retrieve import SearchResult
from qa.types import Answer, Citation

log = logging.getLogger(__name__)
LLM_PASSAGES = 5


def llm_answer(answerer, q: QuestionInfo, res: SearchResult,
               on_piece: Callable[[str], None] | None = None) -> tuple[Answer | None, str]:
    """The model's answer, checked (or None and why not). With ``on_piece`` the reply is streamed: it is
    called with the reply so far as each piece arrives (a draft: the answer returned is the checked one)."""
    docs = answerer.retriever.index.documents
    hits = res.hits[:LLM_PASSAGES]
    passages = []
    for n, h in enumerate(hits, 1):
        d = docs[h.chunk.doc_id]
        header = " · ".join(x for x in (d.title, " > ".join(h.chunk.heading), f"¶{h.chunk.ordinal}") if x)
        passages.append((n, header, h.chunk.text))
    try:
        messages = build_messages(q.text, q.lang, passages)
        if on_piece is None:
            reply = answerer.llm.chat(messages).strip()
        else:
            parts: list[str] = []
            for piece in answerer.llm.chat_stream(messages):
                parts.append(piece)
                on_piece("".join(parts))
            reply = "".join(parts).strip()
    except LLMError as e:
        log.warning("language model failed: %s", e)
        return None, wording.text("llm_fallback", q.lang).format(why=str(e))
    if is_no_answer(reply):
        return Answer(q.text, wording.text("decline", q.lang), (), res.hits[:5], True, res.notes), ""
    cited = sorted({int(n) for n in MARKER_RE.findall(reply)})
    if not cited:
        return None, wording.text("llm_fallback", q.lang).format(why="no citations")
    citations = tuple(Citation(n, hits[n - 1].chunk, docs[hits[n - 1].chunk.doc_id], "")
                      for n in cited if 1 <= n <= len(hits))
    draft = Answer(q.text, reply, citations, res.hits[:5], False, res.notes + ("written by a language model",))
    checked = verify(draft)
    if checked is None or checked.notes != draft.notes:
        return None, wording.text("llm_fallback", q.lang).format(why="a number or citation it gave is not in "
                                                                      "the cited paragraphs")
    return checked, ""
