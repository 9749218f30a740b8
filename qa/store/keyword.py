"""Keyword search: BM25 over jieba ``lcut_for_search`` tokens of the normalized text.

>>> kw = KeywordIndex.build(["青松县教育局2011年上半年工作总结", "南昌市教育经费"])  # doctest: +SKIP
>>> kw.search("昭平县", k=1)  # doctest: +SKIP
(array([0]), array([0.9...], dtype=float32))
"""

from __future__ import annotations

import json
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
    "多少 几 几个 哪 哪些 哪个 哪里 什么 怎么 怎样 如何 是否 吗 呢 啊 吧 一共 总共 分别 具体 目前 现在 "
    "里 时 后 前 这一 一年 今年 年 月 日 我 我们 你 他 它 她 请问 请 问 了解 告诉".split()
)
_PUNCT_RE = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _tags() -> dict[str, str]:
    """jieba's dictionary words -> their part-of-speech tag (read once, when first needed)."""
    _jieba()
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


_COMMON_NOUN = ("n", "vn", "nt")  # jieba's tags of common nouns (nt: an organization's kind, 党组织)


def common_noun(token: str) -> bool:
    """Whether jieba's dictionary holds ``token`` as a common noun: not a numeral + measure word (一种), a proper
    name (克拉拉), a verb, or a token jieba's HMM made up."""
    return _tags().get(token) in _COMMON_NOUN


@lru_cache(maxsize=1)
def _nouns_by_head() -> dict[str, tuple[str, ...]]:
    """Last character -> the common nouns of two or more characters of jieba's dictionary that end in it."""
    out: dict[str, list[str]] = {}
    for word, tag in _tags().items():
        if tag in _COMMON_NOUN and len(word) > 1:
            out.setdefault(word[-1], []).append(word)
    return {k: tuple(v) for k, v in out.items()}


def nouns_ending(char: str) -> tuple[str, ...]:
    """The common nouns of jieba's dictionary (``common_noun``) that end in ``char``: 生猪, 野猪 ... for 猪."""
    return _nouns_by_head().get(char, ())


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
    """BM25 (Lucene's variant, k1 1.2, b 0.75) over token lists; positions in the list are the ids.

    Stored as postings: for each term the documents that hold it, with their term score precomputed, so a
    query sums a few slices. Built with array operations from token ids, so rebuilding over 80k paragraphs
    takes well under a second (the index is rebuilt whenever reports are added).
    """

    K1 = 1.2
    B = 0.75

    def __init__(self, terms: list[str], indptr: np.ndarray, docs: np.ndarray, weights: np.ndarray, size: int):
        self.terms = terms
        self.vocab = {t: i for i, t in enumerate(terms)}
        self.indptr = indptr
        self.docs = docs
        self.weights = weights
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], *, normalized: bool = False,
              tokens: Sequence[list[str]] | None = None) -> KeywordIndex:
        toks = list(tokens) if tokens is not None else [tokenize(t, normalized=normalized) for t in texts]
        terms, ids, lengths = encode_tokens(toks)
        return cls.from_ids(terms, ids, lengths)

    @classmethod
    def from_ids(cls, terms: list[str], ids: np.ndarray, lengths: np.ndarray) -> KeywordIndex:
        """From every document's token ids (``ids``, concatenated; ``lengths`` per document) into ``terms``."""
        from scipy.sparse import csr_matrix

        n, v = len(lengths), len(terms)
        ids = np.asarray(ids, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        if n == 0 or v == 0:
            return cls(list(terms), np.zeros(v + 1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                       np.zeros(0, dtype=np.float32), n)
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # term x document counts; the documents of a term come out in increasing order
        m = csr_matrix((np.ones(len(ids), dtype=np.float32), (ids, doc)), shape=(v, n))
        m.sum_duplicates()
        indptr = m.indptr.astype(np.int64)
        df = np.diff(indptr)
        dl = lengths.astype(np.float32)
        avgdl = float(lengths.sum()) / n  # exact, from the token count: a Milvus collection keeps the same sums
        weights = bm25_weights(np.repeat(bm25_idf(n, df), df), m.data, dl[m.indices], avgdl)
        return cls(list(terms), indptr, m.indices.astype(np.int32), weights, n)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / "postings.npz", indptr=self.indptr, docs=self.docs, weights=self.weights,
                 size=np.array(self.size))
        (directory / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, size: int) -> KeywordIndex:
        terms = json.loads((directory / "terms.json").read_text(encoding="utf-8"))
        with np.load(directory / "postings.npz", allow_pickle=False) as z:
            kw = cls(terms, z["indptr"], z["docs"], z["weights"], int(z["size"]))
        if kw.size != size or len(kw.indptr) != len(terms) + 1:
            raise ValueError(f"keyword index holds {kw.size} documents and {len(terms)} terms, expected {size}")
        return kw

    def document_frequency(self, term: str) -> int:
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def occurs_in(self, term: str, ids: np.ndarray) -> bool:
        """Whether ``term`` occurs in any of the texts ``ids``."""
        i = self.vocab.get(term)
        if i is None or not len(ids):
            return False
        return bool(np.isin(self.docs[self.indptr[i]:self.indptr[i + 1]], ids).any())

    def scores(self, query: str, *, mask: np.ndarray | None = None, also: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every text for ``query`` (float32, length ``size``); masked-out texts score 0.

        A term that occurs twice in the query counts twice. ``also`` (positions whose score a caller reads
        beyond the top ones) changes nothing here: every score is exact.
        """
        s = np.zeros(self.size, dtype=np.float32)
        for tok in tokenize(query):
            i = self.vocab.get(tok)
            if i is not None:
                a, b = self.indptr[i], self.indptr[i + 1]
                s[self.docs[a:b]] += self.weights[a:b]
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


def bm25_idf(n: int, df: np.ndarray) -> np.ndarray:
    """BM25's IDF (Lucene's, never negative) of terms held by ``df`` of ``n`` texts, float32."""
    return np.log1p((n - np.asarray(df, dtype=np.int64) + 0.5) / (np.asarray(df, dtype=np.int64) + 0.5)
                    ).astype(np.float32)


def bm25_weights(idf: np.ndarray, tf: np.ndarray, dl: np.ndarray, avgdl: float) -> np.ndarray:
    """Per (term, text) pair: its BM25 score, float32 (the folder's postings and a Milvus store's client
    compute it with this one expression, so both give the same bits)."""
    tf = np.asarray(tf, dtype=np.float32)
    norm = KeywordIndex.K1 * (1 - KeywordIndex.B + KeywordIndex.B * np.asarray(dl, dtype=np.float32) / avgdl)
    return (np.asarray(idf, dtype=np.float32) * tf / (tf + norm)).astype(np.float32)


def encode_tokens(token_lists: Sequence[list[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Token lists as (terms, concatenated term ids, length of each list)."""
    vocab: dict[str, int] = {}
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for toks in token_lists for t in toks), dtype=np.int32)
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int32, count=len(token_lists))
    return list(vocab), ids, lengths


def merge_token_ids(parts: Sequence[tuple[list[str], np.ndarray, np.ndarray]]
                    ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Several (terms, ids, lengths) parts as one, over a shared vocabulary, in order."""
    vocab: dict[str, int] = {}
    all_ids, all_lengths = [], []
    for terms, ids, lengths in parts:
        remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int32, count=len(terms))
        all_ids.append(remap[ids] if len(ids) else np.zeros(0, dtype=np.int32))
        all_lengths.append(np.asarray(lengths, dtype=np.int32))
    if not parts:
        return [], np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    return list(vocab), np.concatenate(all_ids), np.concatenate(all_lengths)
