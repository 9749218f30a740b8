"""The sentences of a paragraph that an answer may quote: the units the answer step scores.

One function, used both when the index is built (each quotable sentence gets a vector, stored beside its
paragraph's) and when a question is answered (the candidates), so the two always agree.

>>> from qa.types import Chunk
>>> c = Chunk("c", "d", "s", 1, ("一、安全",), (0, 20), "一、安全\\n排查隐患49项。整改完成45项!", "")
>>> quotable(c)
['排查隐患49项。', '整改完成45项!']
"""

from __future__ import annotations

from qa.ingest.split import heading_level
from qa.ingest.tables import cell_quotes
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
