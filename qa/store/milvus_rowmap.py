"""Where each row of a Milvus collection sits, known without reading the rows: what opening lazily needs.

A serving process over a collection needs, per position (file, then paragraph order): the row's primary
key (to turn Milvus's hits into positions and positions into filters), its report (filters are array
operations) and the years its paragraph names (the year signal). Reading them from every row was a scan
of the whole collection (49 s at 100k rows in milvus-lite, over 13 minutes at 874k). Instead:

- a row's primary key is computed from its file, the file's sha256 and its place in the file
  (``row_key``): the files collection's (file, sha256, paragraphs) give every key, in position order,
  as one numpy expression;
- the file's report runs (which of its reports each paragraph belongs to, run-length coded) and the years
  its paragraphs name (one int64 per (paragraph, year)) are written at index time beside its keyword term
  counts, in the ``<name>_terms`` rows of its version (``qa.store.milvus_terms``), a few rows a file.

>>> keys = row_keys("a.txt", "ab12", 3)
>>> [row_key("a.txt", "ab12", s) for s in range(3)] == keys.tolist(), len(set(keys.tolist()))
(True, 3)
>>> runs = doc_runs(["d1", "d1", "d2", "d1"], ["d1", "d2"])
>>> [(int(r) >> RUN_BITS, int(r) & 1) for r in runs], run_docs(runs[::-1], 4).tolist()
([(0, 0), (2, 1), (3, 0)], [0, 0, 1, 0])
>>> codes = year_codes(np.array([2, 0, 1]), np.array([2019, 2020, -221]))
>>> [(int(s), int(y)) for s, y in zip(*year_pairs(codes))]
[(0, 2019), (0, 2020), (2, -221)]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from qa.store.rows import YearRows

MASK = (1 << 63) - 1  # keys are positive int64
RUN_BITS = 20  # a file may hold up to 2**20 reports
STEP = 0x9E3779B97F4A7C15 & MASK  # odd: within one file version, distinct paragraphs get distinct keys
ROW_FIELDS = ("file", "file_sha", "doc_runs", "year_rows")  # what ``read_row_map`` reads of the terms rows


def file_base(file: str, sha: str) -> int:
    """The key of a file version's first paragraph (a 63-bit hash of its name and sha256)."""
    return int(hashlib.sha256(f"{sha}\n{file}".encode()).hexdigest()[:16], 16) & MASK


def row_key(file: str, sha: str, seq: int) -> int:
    """The primary key of paragraph ``seq`` (0-based, in file order) of a file version."""
    return (file_base(file, sha) + seq * STEP) & MASK


def row_keys(file: str, sha: str, count: int) -> np.ndarray:
    """The keys of a file version's ``count`` paragraphs, in order (int64; as ``row_key``, computed mod 2**64)."""
    seq = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        keys = np.uint64(file_base(file, sha)) + seq * np.uint64(STEP)
    return (keys & np.uint64(MASK)).astype(np.int64)


def doc_runs(chunk_docs: Sequence[str], file_docs: Sequence[str]) -> np.ndarray:
    """A file's paragraphs' reports as runs, one int64 each: first paragraph * 2**20 + the report's index
    among the file's reports (in any order: the runs sort back into place)."""
    index = {d: i for i, d in enumerate(file_docs)}
    out: list[int] = []
    for seq, d in enumerate(chunk_docs):
        if d not in index:
            raise ValueError(f"a paragraph's report {d!r} is not among its file's reports")
        if seq == 0 or chunk_docs[seq - 1] != d:
            out.append((seq << RUN_BITS) | index[d])
    return np.array(out, dtype=np.int64)


def run_docs(runs: np.ndarray, count: int) -> np.ndarray:
    """The index (among the file's reports) of the report of each of a file's ``count`` paragraphs."""
    runs = np.sort(np.asarray(runs, dtype=np.int64))
    starts = runs >> RUN_BITS
    if len(runs) and starts[0] != 0 or starts[-1:] >= count:
        raise ValueError("report runs that do not fit the file's paragraphs")
    return np.repeat(runs & ((1 << RUN_BITS) - 1), np.diff(np.append(starts, count)))


def year_codes(counts: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Each (paragraph, year) of a file as one int64, paragraph * 65536 + the year's 16 bits, from how many
    years each paragraph names and those years (``qa.store.rows.years_arrays``)."""
    seq = np.repeat(np.arange(len(counts), dtype=np.int64), np.asarray(counts, dtype=np.int64))
    return (seq << 16) | (np.asarray(years, dtype=np.int64) & 0xFFFF)


def year_pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paragraphs and years of ``year_codes``."""
    codes = np.asarray(codes, dtype=np.int64)
    return codes >> 16, (codes & 0xFFFF).astype(np.uint16).view(np.int16)


def read_row_map(files: dict[str, dict], rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, dict[str, int],
                                                                         YearRows]:
    """Every position's key, report number (numbered by first position, as ``InMemoryRows.row_documents``)
    and years, from the files (name -> sha256, paragraphs, its reports' ids in order) and the terms rows
    (only those of each file's recorded version count)."""
    runs: dict[str, list[np.ndarray]] = {}
    codes: dict[str, list[np.ndarray]] = {}
    for r in rows:
        if r["file"] in files and r["file_sha"] == files[r["file"]]["sha256"]:
            runs.setdefault(r["file"], []).append(np.asarray(r["doc_runs"], dtype=np.int64))
            codes.setdefault(r["file"], []).append(np.asarray(r["year_rows"], dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    keys, docs, year_pos, year_vals = [empty], [empty], [empty], [np.zeros(0, dtype=np.int16)]
    doc_ids: dict[str, int] = {}
    offset = 0
    for name in sorted(files):
        f = files[name]
        count = int(f["chunks"])
        try:
            local = run_docs(np.concatenate(runs.get(name) or [empty]), count)
        except ValueError as e:
            raise ValueError(f"holds {e} for {name!r}") from e
        order = dict.fromkeys(local.tolist())  # the file's reports by first paragraph
        numbers = np.zeros(len(f["docs"]), dtype=np.int64)
        numbers[list(order)] = [doc_ids.setdefault(f["docs"][i], len(doc_ids)) for i in order]
        keys.append(row_keys(name, f["sha256"], count))
        docs.append(numbers[local])
        seq, years = year_pairs(np.sort(np.concatenate(codes.get(name) or [empty])))
        year_pos.append(seq + offset)
        year_vals.append(years)
        offset += count
    pks = np.concatenate(keys)
    if len(np.unique(pks)) != len(pks):
        raise ValueError("holds two paragraphs with one key")
    first, lengths = np.unique(np.concatenate(year_pos), return_counts=True)
    years = YearRows.from_arrays(first, lengths, np.concatenate(year_vals))  # sorted by paragraph
    return pks, np.concatenate(docs), doc_ids, years
