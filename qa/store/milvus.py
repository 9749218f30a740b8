"""The Milvus backend: the paragraphs in one Milvus collection instead of the index folder.

``--store milvus://HOST:PORT[/COLLECTION]`` (or ``QA_STORE``) points the product at a Milvus server or
cluster; a path ending in ``.db`` opens a milvus-lite file in process (tests, trials: lite is slow). The
collection holds, per paragraph: the vector, ``kw`` (the package's BM25 tokens as a sparse vector,
``qa.store.milvus_bm25``), the record (``chunk``, JSON: what answers and citations read), the keyword text
(no analyzer: only ``like`` reads it) and the fields filters need (file, sha256, report, year, places...).
Small collections hold per file its sha256, model, reports and (``<name>_terms``) keyword document frequencies.

Fusion, filters and answers stay on the client (``qa.search``), over positions in the same order as the
index folder's, so answers match the folder backend; only the two searches run in Milvus.

>>> target = MilvusTarget.parse("milvus://127.0.0.1:19530")
>>> target.uri, target.collection
('http://127.0.0.1:19530', 'report_qa')
>>> MilvusTarget.parse("reports.db").uri
'reports.db'
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import numpy as np

from qa.store.index import IndexError, keyword_text
from qa.store.milvus_bm25 import TERM_FIELDS, Bm25Stats, query_of, stats_of, store_scores
from qa.store.rows import InMemoryRows
from qa.types import Chunk, Document

log = logging.getLogger(__name__)
FOLDER = "folder"
# The format, by fields a collection must hold and must not: v2 (session 9) added kw/dl and the terms
# collection; v3 (session 10) dropped ``sparse``, Milvus's BM25 over jieba-analyzed text that nothing searched;
# v4 (session 11): keys computed from (file, sha256, paragraph), report runs and years in the terms rows.
SCHEMA_NEEDS = {"": {"years", "kw", "dl"}, "_terms": {"tokens", "ref_avgdl", "doc_runs", "year_rows"}}
SCHEMA_DROPPED = {"": {"sparse"}}


@dataclass(frozen=True)
class MilvusParams:
    collection: str = "report_qa"
    text_bytes: int = 60_000  # VARCHAR limit is 65,535 bytes; longer paragraphs are cut for ``like`` only
    short_bytes: int = 1_000  # file names, sections, ids
    max_places: int = 32
    max_years: int = 256  # years kept per paragraph (a paragraph naming more is cut, in order)
    # rows per insert, and its rough size cap: 4,096 rows went in 1.4x as fast as 512 in milvus-lite (3k rows, load 6)
    insert_batch: int = 4_096
    insert_bytes: int = 16_000_000
    files_batch: int = 512  # rows of the files collection per upsert
    terms_batch: int = 64  # rows of the terms collection (up to 4,096 term counts each) per upsert
    query_batch: int = 4_000
    id_batch: int = 2_000  # ids per ``pk in [...]`` or ``get``
    max_limit: int = 16_384  # Milvus's cap on a search's limit
    dense_indexes: tuple[str, ...] = ("FLAT", "HNSW", "IVF_SQ8")  # FLAT: exact; the others for millions of rows
    hnsw_m: int = 16
    hnsw_ef_construction: int = 200
    hnsw_ef: int = 128  # search breadth (at least the number of hits asked for)
    ivf_nlist: int = 4_096  # about 4 x sqrt(rows) at 1M; cells probed per question: ivf_nprobe
    ivf_nprobe: int = 64


PARAMS = MilvusParams()


@dataclass(frozen=True)
class MilvusTarget:
    """Where the collection lives: a server URI (``http://host:port``) or a milvus-lite file, and the dense
    index a new collection gets (``?index=HNSW`` or ``IVF_SQ8`` on a server; FLAT, exact, by default)."""

    uri: str
    collection: str = PARAMS.collection
    token: str = field(default="", repr=False)
    index: str = "FLAT"

    def dense_index_params(self) -> dict:
        """The vector field's index parameters for a new collection."""
        if self.index == "HNSW":
            return {"M": PARAMS.hnsw_m, "efConstruction": PARAMS.hnsw_ef_construction}
        return {"nlist": PARAMS.ivf_nlist} if self.index.startswith("IVF") else {}

    def dense_search_params(self, k: int) -> dict:
        """Per-question parameters of a dense search returning ``k`` hits."""
        if self.index == "HNSW":
            return {"ef": max(PARAMS.hnsw_ef, k)}
        return {"nprobe": PARAMS.ivf_nprobe} if self.index.startswith("IVF") else {}

    @property
    def files_collection(self) -> str:
        return f"{self.collection}_files"

    @property
    def terms_collection(self) -> str:
        return f"{self.collection}_terms"

    @property
    def is_lite(self) -> bool:
        return not self.uri.startswith(("http://", "https://"))

    @classmethod
    def parse(cls, spec: str, token: str | None = None) -> MilvusTarget:
        """``milvus://host:port[/collection][?index=HNSW]``, ``http(s)://...`` or ``file.db``.

        >>> MilvusTarget.parse("milvus://10.0.0.5/reports?index=HNSW").index
        'HNSW'
        """
        token = os.environ.get("QA_MILVUS_TOKEN", "") if token is None else token
        if spec.startswith(("milvus://", "http://", "https://")):
            u = urlparse(spec)
            if not u.hostname:
                raise ValueError(f"the store {spec!r} names no host: use milvus://HOST:PORT")
            scheme = "https" if u.scheme == "https" else "http"
            name = u.path.strip("/") or PARAMS.collection
            if not name.replace("_", "").isalnum():
                raise ValueError(f"the collection name {name!r} may hold only letters, digits and _")
            index = (parse_qs(u.query).get("index") or ["FLAT"])[0].upper()
            if index not in PARAMS.dense_indexes:
                raise ValueError(f"unknown Milvus index {index!r} in {spec!r}: "
                                 f"use one of {', '.join(PARAMS.dense_indexes)}")
            return cls(f"{scheme}://{u.hostname}:{u.port or 19530}", name, token, index)
        if spec.endswith(".db"):
            return cls(spec, PARAMS.collection, token)
        raise ValueError(f"unknown store {spec!r}: give 'folder', milvus://HOST:PORT[/COLLECTION] "
                         "or a milvus-lite file ending in .db")


def is_milvus(spec: str | None) -> bool:
    """Whether a ``--store`` value names Milvus (anything but empty or ``folder``)."""
    return bool(spec) and spec != FOLDER


_CLIENTS: dict[str, object] = {}
_CLIENTS_LOCK = threading.Lock()


def connect(target: MilvusTarget):
    """One client per URI per process (a milvus-lite file can be opened by one process at a time)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as e:
        raise IndexError("the Milvus store needs pymilvus (and milvus-lite for a .db file): "
                         "pip install 'report-qa[milvus]'") from e
    if target.is_lite:  # lite lacks AllocTimestamp: every query_iterator logs a traceback, then works
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        logging.getLogger("pymilvus").setLevel(logging.ERROR)
    with _CLIENTS_LOCK:
        if target.uri not in _CLIENTS:
            kw = {"token": target.token} if target.token else {}
            try:
                _CLIENTS[target.uri] = MilvusClient(target.uri, **kw)
            except Exception as e:  # noqa: BLE001 - pymilvus raises many kinds; the message says which
                raise IndexError(f"cannot reach Milvus at {target.uri}: {e}") from e
        return _CLIENTS[target.uri]


def ensure_loaded(client, names: list[str]) -> None:
    """Load the collections that exist (a milvus-lite file opened again holds them released)."""
    for name in names:
        if client.has_collection(name) and "NotLoad" in str(client.get_load_state(name).get("state", "")):
            client.load_collection(name)


def clip_utf8(text: str, limit: int) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore")


def expr_in(name: str, values) -> str:
    """A filter expression ``name in [...]`` (strings quoted)."""
    vals = [str(int(v)) if isinstance(v, int | np.integer) else _quote(str(v)) for v in values]
    return f"{name} in [{', '.join(vals)}]"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iterate(client, collection: str, fields: list[str], flt: str = "") -> list[dict]:
    """Every row matching ``flt`` (all rows when empty), in batches."""
    it = client.query_iterator(collection, batch_size=PARAMS.query_batch, filter=flt, output_fields=fields)
    out: list[dict] = []
    try:
        while batch := it.next():
            out.extend(batch)
    finally:
        it.close()
    return out


class MilvusVectors:
    """Dense search in the collection (exact FLAT index, inner product)."""

    def __init__(self, store: MilvusIndex):
        self.store = store

    @property
    def size(self) -> int:
        return len(self.store.chunks)

    def search(self, query: np.ndarray, k: int, *, subset: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size if subset is None else len(subset), PARAMS.max_limit)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        res = self.store.search("vector", [np.asarray(query, dtype=np.float32).tolist()], k, subset, "IP")
        return self.store.positions_scores(res, sign=1.0)


class MilvusKeywords:
    """Keyword search: Milvus gathers candidates by the rows' ``kw`` vectors, the client scores them with the
    folder's BM25 (``qa.store.milvus_bm25``), so the top ``candidates`` and their scores equal the folder's."""

    def __init__(self, store: MilvusIndex, candidates: int, stats: Bm25Stats):
        self.store = store
        self.candidates = candidates
        self.stats = stats
        self.requests = 0  # searches sent to Milvus (a question's first is usually its only one)
        self._df = None

    @property
    def size(self) -> int:
        return len(self.store.chunks)

    def search(self, query: str, k: int = 10, *, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        s = self.scores(query, mask=mask, k=k)
        top = np.argsort(-s, kind="stable")[:k]  # best first, ties lowest position first
        top = top[s[top] > 0]
        return top.astype(np.int64), s[top]

    def scores(self, query: str, *, mask: np.ndarray | None = None, also: np.ndarray | None = None,
               k: int | None = None) -> np.ndarray:
        """The folder's BM25 score for at least the top ``k`` (default: the fusion's candidates) and the
        positions ``also``; 0 elsewhere (a lower score than the folder's only outside the top)."""
        q = query_of(query, self.stats) if query.strip() else None
        subset = np.flatnonzero(mask) if mask is not None else None
        if q is None or (subset is not None and not len(subset)):
            return np.zeros(self.size, dtype=np.float32)
        flt = expr_in("pk", (int(self.store.pks[i]) for i in subset)) if subset is not None else ""
        out, rounds = store_scores(self.store, q, self.stats, self.candidates if k is None else k, flt, mask, also,
                                   PARAMS.max_limit)
        self.requests += rounds
        return out

    def local(self):
        """The package's own BM25 postings over the loaded paragraphs, built on first use: the question's
        term statistics (document frequencies, which terms occur) are read from them, as with the folder."""
        if self._df is None:
            from qa.store.keyword import KeywordIndex

            self._df = KeywordIndex.build([keyword_text(c) for c in self.store.chunks], normalized=True)
        return self._df

    def document_frequency(self, term: str) -> int:
        return self.local().document_frequency(term)

    def occurs_in(self, term: str, ids: np.ndarray) -> bool:
        return self.local().occurs_in(term, ids)

    @property
    def vocab(self) -> dict[str, int]:
        return self.local().vocab

    @property
    def indptr(self) -> np.ndarray:
        return self.local().indptr

    @property
    def docs(self) -> np.ndarray:
        return self.local().docs


class MilvusRows:
    """What both ways of opening a collection share: the two searches and the vectors, by primary key."""

    target: MilvusTarget
    pks: np.ndarray  # position -> primary key
    manifest: dict
    keyword_only: bool = False  # the folder's first-build state; a collection always has its vectors

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    def positions_of(self, pks: list[int]) -> list[int | None]:
        raise NotImplementedError

    def cosine(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        rows = self.rows_at([int(i) for i in positions], ["vector"])
        return np.array([float(np.asarray(r["vector"], dtype=np.float32) @ query) if r else 0.0 for r in rows],
                        dtype=np.float32)

    def search(self, field_name: str, data: list, k: int, subset: np.ndarray | None, metric: str, *,
               flt: str = "", output: list[str] | None = None):
        if subset is not None:
            flt = expr_in("pk", (int(self.pks[i]) for i in subset))
        params = self.target.dense_search_params(k) if field_name == "vector" else {}
        return self._client.search(self.target.collection, data=data, anns_field=field_name, limit=k, filter=flt,
                                   output_fields=output or ["pk"],
                                   search_params={"metric_type": metric, "params": params})

    def rows_at(self, positions: list[int], fields: list[str]) -> list[dict | None]:
        """Fields of the rows at ``positions``, in that order (by primary key; ``None`` for a row removed)."""
        pks = [int(self.pks[i]) for i in positions]
        got: dict[int, dict] = {}
        for start in range(0, len(pks), PARAMS.id_batch):
            for r in self._client.get(self.target.collection, ids=pks[start:start + PARAMS.id_batch],
                                      output_fields=fields):
                got[int(r["pk"])] = r
        return [got.get(p) for p in pks]

    def positions_scores(self, res, sign: float) -> tuple[np.ndarray, np.ndarray]:
        where = self.positions_of([int(h["pk"]) for h in res[0]])
        hits = [(p, sign * float(h["distance"])) for p, h in zip(where, res[0], strict=True) if p is not None]
        ids = np.array([h[0] for h in hits], dtype=np.int64)
        return ids, np.array([h[1] for h in hits], dtype=np.float32)


@dataclass
class MilvusIndex(InMemoryRows, MilvusRows):
    """A Milvus collection, loaded for questions: paragraphs and reports in memory, searches in Milvus."""

    target: MilvusTarget
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    pks: np.ndarray  # position -> primary key
    candidates: int = 100
    keyword_only: bool = False

    bm25: Bm25Stats | None = None

    def __post_init__(self):
        self.position = {int(pk): i for i, pk in enumerate(self.pks)}
        self.vectors = MilvusVectors(self)
        self._client = connect(self.target)
        stats = self.bm25 or read_bm25(self._client, self.target, len(self.pks))
        self.keywords = MilvusKeywords(self, self.candidates, stats)

    def positions_of(self, pks: list[int]) -> list[int | None]:
        return [self.position.get(pk) for pk in pks]

    @classmethod
    def open(cls, target: MilvusTarget, *, model_name: str | None = None) -> MilvusIndex:
        """Load the paragraphs' records and the reports; refuse a collection built with another model."""
        client = connect(target)
        documents, manifest = read_files(client, target, model_name)
        rows = iterate(client, target.collection, ["pk", "file", "seq", "chunk"])
        rows.sort(key=lambda r: (r["file"], r["seq"]))
        chunks = [Chunk.from_dict(r["chunk"]) for r in rows]
        manifest["chunk_count"] = len(chunks)
        return cls(target, manifest, documents, chunks, np.array([r["pk"] for r in rows], dtype=np.int64))


def check_schema(client, target: MilvusTarget) -> None:
    """Refuse a collection made by an earlier version of report-qa, saying what to run."""
    for suffix, fields in SCHEMA_NEEDS.items():
        name = target.collection + suffix
        have = {f["name"] for f in client.describe_collection(name)["fields"]} if client.has_collection(name) else ()
        if not fields <= set(have) or SCHEMA_DROPPED.get(suffix, set()) & set(have):  # a missing terms collection too
            raise IndexError(f"the collection {name!r} was made by an earlier version of report-qa: "
                             "run `qa index --store ... --rebuild`")


def read_bm25(client, target: MilvusTarget, paragraphs: int) -> Bm25Stats:
    """The corpus statistics of the package's BM25, from the terms collection (written per file)."""
    check_schema(client, target)
    try:
        return stats_of(iterate(client, target.terms_collection, list(TERM_FIELDS)), paragraphs)
    except (KeyError, ValueError) as e:
        raise IndexError(f"the collection {target.collection!r} {e}: run `qa index --store ... --rebuild`") from e


def read_files(client, target: MilvusTarget, model_name: str | None) -> tuple[dict[str, Document], dict]:
    """The reports and a manifest from the files collection; refuse a collection built with another model,
    saying what to run."""
    if not client.has_collection(target.collection) or not client.has_collection(target.files_collection):
        raise IndexError(f"no collection {target.collection!r} in Milvus at {target.uri}: "
                         "run `qa index --store ...` to build it")
    ensure_loaded(client, [target.collection, target.files_collection, target.terms_collection])
    files = iterate(client, target.files_collection, ["file", "sha256", "model", "documents", "chunks", "built_at"])
    models = {f["model"] for f in files}
    model = next(iter(models)) if len(models) == 1 else (model_name or "")
    if model_name and models and models != {model_name}:
        raise IndexError(f"the collection {target.collection!r} was built with model(s) {sorted(models)}, "
                         f"not {model_name!r}: run `qa index --store ... --rebuild`")
    documents = {d["doc_id"]: Document.from_dict(d) for f in sorted(files, key=lambda f: f["file"])
                 for d in f["documents"]}
    manifest = {"model": {"name": model}, "store": target.uri, "collection": target.collection,
                "chunk_count": sum(int(f["chunks"]) for f in files), "document_count": len(documents),
                "files": {f["file"]: {"sha256": f["sha256"], "chunks": f["chunks"],
                                      "docs": [d["doc_id"] for d in f["documents"]]} for f in files},
                "built_at": max((f.get("built_at", "") for f in files), default="")}
    return documents, manifest
