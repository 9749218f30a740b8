"""Keyword document frequencies for a Milvus collection, written per file at index time.

The answer step weighs a question's words by how many paragraphs hold them (``KeywordSearch.
document_frequency``), and retrieval asks whether the corpus holds a word at all. With the index folder
both come from the package's BM25 postings in memory; a serving process over a Milvus collection should not
hold those. So when a file's rows are written, its paragraphs' term counts (how many of its paragraphs
hold each of the package's keyword tokens, the same tokens as the folder's BM25) go into a small side
collection, ``<name>_terms``: per file version, blocks of (term hash, count) arrays. Opening the store sums
them into one ``TermTable``: a sorted array of 64-bit term hashes and their counts, 12 bytes a distinct term.

>>> t = TermTable.build([term_hashes(["学校", "教师"])], [np.array([3, 1])])
>>> t.document_frequency("学校"), t.document_frequency("医院"), "教师" in t
(3, 0, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLOCK = 4_096  # Milvus's cap on an ARRAY field's elements
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class TermTable:
    """Document frequency by term, as sorted term hashes and counts."""

    hashes: np.ndarray  # int64, sorted, unique
    counts: np.ndarray  # int64

    @classmethod
    def build(cls, hashes: Sequence[np.ndarray], counts: Sequence[np.ndarray]) -> TermTable:
        """Sum per-file (hashes, counts) blocks into one table."""
        if not hashes:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        h = np.concatenate([np.asarray(x, dtype=np.int64) for x in hashes])
        c = np.concatenate([np.asarray(x, dtype=np.int64) for x in counts])
        uniq, inv = np.unique(h, return_inverse=True)
        return cls(uniq, np.bincount(inv, weights=c, minlength=len(uniq)).astype(np.int64))

    def document_frequency(self, term: str) -> int:
        h = term_hashes([term])[0]
        i = int(np.searchsorted(self.hashes, h))
        return int(self.counts[i]) if i < len(self.hashes) and self.hashes[i] == h else 0

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.document_frequency(term) > 0

    def __len__(self) -> int:
        return len(self.hashes)


def term_hashes(terms: Sequence[str]) -> np.ndarray:
    """64-bit hashes of terms (blake2b), as int64: the same in every process."""
    return np.array([int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little", signed=True)
                     for t in terms], dtype=np.int64)


def segment_frequencies(terms: Sequence[str], token_ids: np.ndarray, lengths: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """A file's term hashes and, for each, how many of its paragraphs hold it (from the keyword token ids).

    >>> h, c = segment_frequencies(["a", "b"], np.array([0, 0, 1, 0]), np.array([3, 1]))
    >>> c.tolist()
    [2, 1]
    """
    v = len(terms)
    if v == 0 or not len(token_ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), np.asarray(lengths, dtype=np.int64))
    pairs = np.unique(doc * v + np.asarray(token_ids, dtype=np.int64))
    counts = np.bincount(pairs % v, minlength=v)
    keep = np.flatnonzero(counts)
    return term_hashes([terms[i] for i in keep]), counts[keep].astype(np.int64)


def term_rows(file: str, sha: str, hashes: np.ndarray, counts: np.ndarray, tokens: int, ref_avgdl: float,
              doc_runs: np.ndarray = EMPTY, year_rows: np.ndarray = EMPTY) -> list[dict]:
    """A file version's rows of the terms collection: blocks of at most ``BLOCK`` terms; the first also
    holds the file's keyword token count and the mean length its ``kw`` values assume (``qa.store.milvus_bm25``).
    The blocks also carry the file's report runs and year codes (``qa.store.milvus_rowmap``), as many rows
    as the longest of the three needs."""
    rows = []
    blocks = max(len(hashes), len(doc_runs), len(year_rows), 1)
    for n, start in enumerate(range(0, blocks, BLOCK)):
        key = hashlib.sha256(f"{sha}\n{file}\n{n}".encode()).hexdigest()[:15]
        rows.append({"pk": int(key, 16), "file": file, "file_sha": sha, "dummy": [0.0, 0.0],
                     "hashes": hashes[start:start + BLOCK].tolist(), "counts": counts[start:start + BLOCK].tolist(),
                     "doc_runs": doc_runs[start:start + BLOCK].tolist(),
                     "year_rows": year_rows[start:start + BLOCK].tolist(),
                     "tokens": int(tokens) if n == 0 else 0, "ref_avgdl": float(ref_avgdl)})
    return rows


def read_terms(rows: Sequence[dict]) -> tuple[TermTable, int, set[float]]:
    """The term table, the corpus's keyword token count and the reference lengths, from the terms rows."""
    table = TermTable.build([np.asarray(r["hashes"], dtype=np.int64) for r in rows],
                            [np.asarray(r["counts"], dtype=np.int64) for r in rows])
    return table, sum(int(r["tokens"]) for r in rows), {float(r["ref_avgdl"]) for r in rows}
