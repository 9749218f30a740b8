"""Keyword search: BM25 (bm25s) over jieba ``lcut_for_search`` tokens of the normalized text.

>>> kw = KeywordIndex.build(["钟山县教育局2011年上半年工作总结", "南昌市教育经费"])  # doctest: +SKIP
>>> kw.search("钟山县", k=1)  # doctest: +SKIP
(array([0]), array([0.9...], dtype=float32))
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.textnorm import normalize

# Function words and question words that say nothing about which paragraph answers.
STOPWORDS = frozenset(
    "的 了 和 与 及 或 在 是 有 为 对 把 被 等 也 都 就 这 那 这个 那个 其 之 于 以 并 而 中 上 下 个 份 所 "
    "多少 几 几个 哪 哪些 哪个 哪里 哪两所 什么 怎么 怎样 如何 是否 吗 呢 啊 吧 一共 总共 分别 具体 目前 现在 "
    "里 时 后 前 这一 一年 今年 年 月 日 我 我们 你 他 它 她 请问 请 问 了解 告诉".split()
)
_PUNCT_RE = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Search tokens of a text: normalized, split by jieba (search mode), stopwords and punctuation out."""
    norm = text if normalized else normalize(text)
    out = []
    for tok in _jieba().lcut_for_search(norm.lower()):
        tok = tok.strip()
        if not tok or tok in STOPWORDS or _PUNCT_RE.match(tok):
            continue
        out.append(tok)
    return out


class KeywordIndex:
    """BM25 over a list of texts; positions in the list are the ids."""

    def __init__(self, bm25, size: int):
        self.bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], *, normalized: bool = False,
              tokens: Sequence[list[str]] | None = None) -> KeywordIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import

        toks = list(tokens) if tokens is not None else [tokenize(t, normalized=normalized) for t in texts]
        size = len(toks)
        # bm25s cannot index an empty document list or an empty vocabulary; a placeholder token keeps
        # the shapes right and matches no query token.
        toks = [t or ["\u0000"] for t in toks] or [["\u0000"]]
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index(toks, show_progress=False, leave_progress=False)
        return cls(bm25, size)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False, mmap=False)
        return cls(bm25, size)

    def scores(self, query: str, *, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every text for ``query`` (float32, length ``size``); masked-out texts score 0."""
        toks = [t for t in tokenize(query) if t in self.bm25.vocab_dict]
        if not toks or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        s = np.asarray(self.bm25.get_scores(toks), dtype=np.float32)[: self.size]
        if mask is not None:
            s = np.where(mask, s, 0.0).astype(np.float32)
        return s

    def search(self, query: str, k: int = 10, *, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ids and scores (ids of texts with a positive score only)."""
        s = self.scores(query, mask=mask)
        if not len(s):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(s))
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        top = top[s[top] > 0]
        return top.astype(np.int64), s[top]
