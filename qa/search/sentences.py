"""A passage's best sentence for a question: the sentence vectors an index stores at index time, read for the
dense side's score (``Retriever.dense_scores``) and for the re-ranking of the fused head (``fusion.by_sentences``).
"""

from __future__ import annotations

import numpy as np

from qa.ingest.quotes import answers_nothing, quotable


def best_sentences(index, ids: np.ndarray, qvec: np.ndarray, cosines: np.ndarray | None = None) -> np.ndarray | None:
    """Each passage's best cosine between ``qvec`` and one of its sentences that may answer: 0.0 when none may
    (a title line, an announcement), the passage's own cosine (``cosines``, else read) when it has no quotable
    sentence. ``None`` when the store holds no sentence vectors (a Milvus store; an index without them)."""
    lookup = getattr(index, "sentence_vectors", None)
    if lookup is None or not len(ids):
        return None if lookup is None else np.zeros(0)
    out = np.zeros(len(ids))
    bare = []  # passages without quotable sentences
    for j, position in enumerate(ids):
        vecs = lookup(int(position))
        if vecs is None:
            return None
        if not len(vecs):
            bare.append(j)
            continue
        content = content_rows(index, int(position), len(vecs))
        out[j] = float(np.max(vecs[content] @ qvec)) if content else 0.0
    if bare:
        out[bare] = index.cosine(np.asarray(ids)[bare], qvec) if cosines is None else np.asarray(cosines)[bare]
    return out


def content_rows(index, position: int, count: int) -> list[int]:
    """The rows of a passage's sentence vectors that may answer (``qa.ingest.quotes.answers_nothing``): the
    report's title written as a line of its text, or a sentence announcing what follows, matches a question's
    description of the report ("the district's 2019 half-year summary") better than the sentence that answers
    it."""
    chunk = index.chunks[position]
    doc = index.documents.get(chunk.doc_id)
    sents = quotable(chunk)
    if len(sents) != count:  # vectors made under another split: read them all
        return list(range(count))
    title = doc.title if doc else ""
    return [i for i, s in enumerate(sents) if not answers_nothing(s, title, chunk, i)]
