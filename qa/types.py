"""The small frozen records that flow through the pipeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One report. A compilation file yields several, one per part (``part`` 1, 2, ...).

    ``span`` is the document's character range in the decoded text of ``source``.
    """

    doc_id: str
    source: str  # path relative to the corpus root, with forward slashes
    title: str
    year: int | None = None
    places: tuple[str, ...] = ()  # the places the report is about: a place filter matches these
    part: int | None = None
    span: tuple[int, int] = (0, 0)
    mentions: tuple[str, ...] = ()  # every place the report names, most often first
    years: tuple[int, ...] = ()  # the years the report covers (reviewed, planned, delivered), ``year`` among them

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Document:
        return cls(**{**d, "places": tuple(d.get("places", ())), "span": tuple(d.get("span", (0, 0))),
                      "mentions": tuple(d.get("mentions", ())), "years": tuple(d.get("years", ()))})


@dataclass(frozen=True)
class TableRow:
    """A chunk that is one row of a table: the table's caption and column headers, the row's cells, its
    number among the table's body rows (from 1), and the columns that name the row (``keys``: the label
    first, e.g. the school, then a category; a sequence-number column is not one)."""

    caption: str
    headers: tuple[str, ...]
    cells: tuple[str, ...]
    row: int
    keys: tuple[int, ...] = (0,)

    @classmethod
    def from_dict(cls, d: dict) -> TableRow:
        return cls(d["caption"], tuple(d["headers"]), tuple(d["cells"]), d["row"], tuple(d.get("keys", (0,))))


@dataclass(frozen=True)
class Chunk:
    """A paragraph (or a sentence-aligned piece of a long one) with its provenance.

    ``text`` is what users see: the original glyphs with the pinyin annotations removed.
    ``norm`` is what search reads (``qa.textnorm.normalize`` of ``text``).
    ``span`` is the character range in the decoded file text the chunk came from.
    ``ordinal`` is the paragraph number within its document, from 1 (the rows of one table share one).
    ``table`` is set when the chunk is a table row: ``text`` then reads "label · header: value · ...".
    """

    chunk_id: str
    doc_id: str
    source: str
    ordinal: int
    heading: tuple[str, ...]
    span: tuple[int, int]
    text: str
    norm: str
    table: TableRow | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.table is None:
            del d["table"]  # a paragraph's record is as it was
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Chunk:
        table = TableRow.from_dict(d["table"]) if d.get("table") else None
        return cls(**{**d, "heading": tuple(d["heading"]), "span": tuple(d["span"]), "table": table})


@dataclass(frozen=True)
class Skipped:
    """A file that was not read, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the ranks each retriever gave it (0 = not ranked)."""

    chunk: Chunk
    score: float
    dense_rank: int = 0
    keyword_rank: int = 0


@dataclass(frozen=True)
class Citation:
    n: int
    chunk: Chunk
    document: Document
    sentence: str  # the cited sentence, as it stands in chunk.text


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    related: tuple[Hit, ...] = ()
    abstained: bool = False
    notes: tuple[str, ...] = field(default=())
