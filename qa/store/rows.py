"""Per-paragraph facts the search and answer layers read, for a store that holds every paragraph in memory.

The search and answer layers never walk ``store.chunks`` themselves: they ask the store (``qa.store.protocol``)
for the few things that need every paragraph (each one's report, the years it names, where a chunk id sits,
how many paragraphs a report has, whether any paragraph names a place, a report's paragraphs for its
years). ``InMemoryRows`` answers them by walking the list; the index folder reads the years its segments
kept when they were written (``qa.store.index``), and a lazy Milvus store (``qa.store.milvus_lazy``) answers
them from small arrays and queries, without the text. Both keep the years as ``YearRows``.

>>> from qa.types import Chunk
>>> class Tiny(InMemoryRows):
...     chunks = [Chunk("a1", "a", "a.txt", 0, (), (0, 1), "2019年新建学校", "2019年新建学校")]
>>> dict(Tiny().row_years()), Tiny().row_years().union(), Tiny().texts_naming(["学校", "医院"])
({0: frozenset({2019})}, frozenset({2019}), {'学校'})
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache

import numpy as np

from qa.ingest.dates import named_years
from qa.types import Chunk


class InMemoryRows:
    """The row-level answers over ``self.chunks`` (a list in memory)."""

    chunks: Sequence[Chunk]

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The paragraphs at ``positions``, in that order."""
        return [self.chunks[int(i)] for i in positions]

    def chunks_of(self, doc_id: str) -> list[int]:
        """Positions of a document's chunks, in reading order: from a table made at the first call (the answer
        reads the reports of its candidates, the source panel the cited ones'; the chunks never change)."""
        rows = getattr(self, "_doc_rows", None)
        if rows is None:
            table: dict[str, list[int]] = {}
            for i, c in enumerate(self.chunks):
                table.setdefault(c.doc_id, []).append(i)
            rows = self._doc_rows = {d: tuple(at) for d, at in table.items()}
        return list(rows.get(doc_id, ()))

    def row_documents(self) -> tuple[np.ndarray, dict[str, int]]:
        """Each position's document as a number, and the numbering (doc id -> number, by first position)."""
        ids: dict[str, int] = {}
        pos = np.array([ids.setdefault(c.doc_id, len(ids)) for c in self.chunks], dtype=np.int64)
        return pos, ids

    def row_years(self) -> YearRows:
        """For each position whose paragraph names years (four digits or a calendar), those years."""
        return YearRows.of_counts(*years_arrays(c.norm for c in self.chunks))

    def chunk_positions(self) -> Mapping[str, int]:
        """chunk id -> position."""
        return {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def paragraph_counts(self) -> dict[str, int]:
        """Paragraphs per document id."""
        counts: dict[str, int] = {}
        for c in self.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return counts

    def document_texts(self) -> Iterator[tuple[str, list[str]]]:
        """Each document's paragraphs (normalized), document by document, in order of first position."""
        by_doc: dict[str, list[str]] = {}
        for c in self.chunks:
            by_doc.setdefault(c.doc_id, []).append(c.norm)
        yield from by_doc.items()

    def texts_naming(self, names: Collection[str]) -> set[str]:
        """Which of ``names`` some paragraph's normalized text holds (one pass, stopping when all are found)."""
        left, found = set(names), set()
        for c in self.chunks:
            if not left:
                break
            hit = {n for n in left if n in c.norm}
            found |= hit
            left -= hit
        return found


class YearRows(Mapping):
    """position -> the years its paragraph names, as two arrays (positions with years, sorted) and CSR.

    >>> rows = YearRows.of_counts(np.array([1, 0, 2]), np.array([2011, 2019, 2020]))
    >>> dict(rows), sorted(rows.union()), len(rows)
    ({0: frozenset({2011}), 2: frozenset({2019, 2020})}, [2011, 2019, 2020], 2)
    """

    def __init__(self, rows: np.ndarray, offsets: np.ndarray, years: np.ndarray):
        self.rows, self.offsets, self.years = rows, offsets, years

    @classmethod
    def build(cls, pairs: Sequence[tuple[int, Sequence[int]]]) -> YearRows:
        pairs = [(int(p), list(y)) for p, y in pairs if len(y)]
        return cls.from_arrays(np.array([p for p, _ in pairs], dtype=np.int64),
                               np.array([len(y) for _, y in pairs], dtype=np.int64),
                               np.array([v for _, y in pairs for v in y], dtype=np.int16))

    @classmethod
    def from_arrays(cls, positions: np.ndarray, lengths: np.ndarray, years: np.ndarray) -> YearRows:
        """From positions in any order, how many years each has, and those years one position after another."""
        keep = lengths > 0
        owner = np.repeat(np.arange(len(positions)), lengths)  # the entry each year belongs to
        order = np.argsort(positions, kind="stable")
        rank = np.empty(len(positions), dtype=np.int64)
        rank[order] = np.arange(len(positions))
        years = years[np.argsort(rank[owner], kind="stable")]
        lengths = lengths[order]
        offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[lengths > 0], out=offsets[1:])
        return cls(positions[order][lengths > 0].astype(np.int64), offsets, years.astype(np.int16))

    @classmethod
    def of_counts(cls, counts: np.ndarray, years: np.ndarray) -> YearRows:
        """From how many years each position has (every position, in order) and those years, position after
        position (what ``years_arrays`` makes and a segment keeps)."""
        counts = np.asarray(counts, dtype=np.int64)
        rows = np.flatnonzero(counts)
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts[rows], out=offsets[1:])
        return cls(rows.astype(np.int64), offsets, np.asarray(years, dtype=np.int16))

    def __getitem__(self, position: int) -> frozenset[int]:
        i = int(np.searchsorted(self.rows, position))
        if i >= len(self.rows) or self.rows[i] != position:
            raise KeyError(position)
        return frozenset(int(y) for y in self.years[self.offsets[i]:self.offsets[i + 1]])

    def __iter__(self) -> Iterator[int]:
        return (int(p) for p in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def union(self) -> frozenset[int]:
        """Every year some paragraph names."""
        return frozenset(int(y) for y in np.unique(self.years))


def years_arrays(norms: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """How many years each paragraph (normalized text) names (int32), and those years, sorted within each
    paragraph, one paragraph after another (int16): what a segment keeps so that opening never reads the text.

    >>> years_arrays(["2019年和2020年", "无", "民国97年"])
    (array([2, 0, 1], dtype=int32), array([2019, 2020, 2008], dtype=int16))
    """
    counts, values = [], []
    for norm in norms:
        found = sorted(named_years(norm))
        counts.append(len(found))
        values += found
    return np.array(counts, dtype=np.int32), np.array(values, dtype=np.int16)


@lru_cache(maxsize=1)
def years_rule() -> str:
    """A fingerprint of how years are read from a paragraph (``named_years`` on every form it knows), taken
    from the code itself: years a segment kept under another rule are read again from its text."""
    sample = ["2019年", "2018-2020年", "二〇一一年", "民国97年", "九十七学年度", "97学年度", "201*年", "1998",
              "12019", "2020.5", "民國一百年", "１９９９年", "公元前221年"]
    return hashlib.sha256(repr([sorted(named_years(t)) for t in sample]).encode()).hexdigest()[:16]
