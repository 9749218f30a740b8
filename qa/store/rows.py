"""Per-paragraph facts the search and answer layers read, for a store that holds every paragraph in memory.

The search and answer layers never walk ``store.chunks`` themselves: they ask the store (``qa.store.protocol``)
for the few things that need every paragraph (each one's report, the years it names, where a chunk id sits,
how many paragraphs a report has, whether any paragraph names a place, a report's paragraphs for its
years). ``InMemoryRows`` answers them by walking the list, as the index folder always did; a lazy Milvus
store (``qa.store.milvus_lazy``) answers them from small arrays and queries, without the text.

>>> from qa.types import Chunk
>>> class Tiny(InMemoryRows):
...     chunks = [Chunk("a1", "a", "a.txt", 0, (), (0, 1), "2019年新建学校", "2019年新建学校")]
>>> Tiny().row_years(), Tiny().texts_naming(["学校", "医院"])
({0: frozenset({2019})}, {'学校'})
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

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
        """Positions of a document's chunks, in reading order."""
        return [i for i, c in enumerate(self.chunks) if c.doc_id == doc_id]

    def row_documents(self) -> tuple[np.ndarray, dict[str, int]]:
        """Each position's document as a number, and the numbering (doc id -> number, by first position)."""
        ids: dict[str, int] = {}
        pos = np.array([ids.setdefault(c.doc_id, len(ids)) for c in self.chunks], dtype=np.int64)
        return pos, ids

    def row_years(self) -> Mapping[int, frozenset[int]]:
        """For each position whose paragraph names years (four digits or a calendar), those years."""
        out: dict[int, frozenset[int]] = {}
        for i, c in enumerate(self.chunks):
            years = named_years(c.norm)
            if years:
                out[i] = years
        return out

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
