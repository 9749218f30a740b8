"""Keeping a Milvus collection in step with the corpus folder, one file at a time.

The same scan as the index folder (``qa.store.update.scan``: hash every file, read only new or changed
ones) against the files collection; then per changed file: insert the new version's rows, delete the old
version's (``file == x and file_sha != new``), record the file. A crash between the two leaves the old
rows beside the new; the next run removes them. Vectors of paragraphs embedded before are reused, never
made again: from the rows of a file's old version, and from a content-hash cache beside the store (keys
are ``qa.store.index.embedding_key``: model + text), which also keeps vectors of removed files.

>>> report = update_milvus(Path("corpus"), MilvusTarget.parse("reports.db"), embedder)  # doctest: +SKIP
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np

from qa.models.embed import Embedder
from qa.store.build import Progress, embed_pending
from qa.store.index import IndexError, Segment, keyword_text
from qa.store.milvus import (
    PARAMS,
    MilvusTarget,
    check_schema,
    clip_utf8,
    connect,
    ensure_loaded,
    expr_in,
    iterate,
)
from qa.store.milvus_bm25 import REF_AVGDL, dims_of, sparse_rows
from qa.store.milvus_lazy import open_store
from qa.store.milvus_rowmap import doc_runs, row_key, year_codes
from qa.store.milvus_terms import BLOCK as TERM_BLOCK
from qa.store.milvus_terms import segment_frequencies, term_hashes, term_rows
from qa.store.rows import years_arrays
from qa.store.update import UpdateReport, scan


def ensure_collections(client, target: MilvusTarget, dim: int, *, rebuild: bool = False) -> None:
    """Create the two collections if missing (dropping them first with ``rebuild``)."""
    from pymilvus import DataType

    if rebuild:
        for name in (target.collection, target.files_collection, target.terms_collection):
            if client.has_collection(name):
                client.drop_collection(name)
    if client.has_collection(target.collection):
        check_schema(client, target)
    else:
        s = client.create_schema(auto_id=False)
        s.add_field("pk", DataType.INT64, is_primary=True)
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        # no analyzer: only ``like`` reads it (a name in a paragraph, qa.store.milvus_lazy); keywords are ``kw``
        s.add_field("text", DataType.VARCHAR, max_length=PARAMS.text_bytes + 8)
        s.add_field("kw", DataType.SPARSE_FLOAT_VECTOR)  # the package's BM25 terms (qa.store.milvus_bm25)
        s.add_field("dl", DataType.INT64)
        for name in ("file", "file_sha", "doc_id", "section", "key"):
            s.add_field(name, DataType.VARCHAR, max_length=PARAMS.short_bytes + 8)
        s.add_field("year", DataType.INT64, nullable=True)
        s.add_field("places", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=PARAMS.max_places,
                    max_length=PARAMS.short_bytes)
        s.add_field("paragraph", DataType.INT64)
        s.add_field("seq", DataType.INT64)
        s.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=PARAMS.max_years)
        s.add_field("chunk", DataType.JSON)
        ip = client.prepare_index_params()
        ip.add_index("vector", index_type=target.index, metric_type="IP", params=target.dense_index_params())
        ip.add_index("kw", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        client.create_collection(target.collection, schema=s, index_params=ip, consistency_level="Strong")
    if not client.has_collection(target.files_collection):
        s = client.create_schema(auto_id=False)
        s.add_field("file", DataType.VARCHAR, is_primary=True, max_length=PARAMS.short_bytes + 8)
        s.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
        for name in ("sha256", "model", "built_at"):
            s.add_field(name, DataType.VARCHAR, max_length=PARAMS.short_bytes + 8)
        s.add_field("chunks", DataType.INT64)
        s.add_field("documents", DataType.JSON)
        ip = client.prepare_index_params()
        ip.add_index("dummy", index_type="FLAT", metric_type="L2")
        client.create_collection(target.files_collection, schema=s, index_params=ip, consistency_level="Strong")
    if not client.has_collection(target.terms_collection):
        s = client.create_schema(auto_id=False)
        s.add_field("pk", DataType.INT64, is_primary=True)
        s.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
        for name in ("file", "file_sha"):
            s.add_field(name, DataType.VARCHAR, max_length=PARAMS.short_bytes + 8)
        for name in ("hashes", "counts", "doc_runs", "year_rows"):  # the last two: qa.store.milvus_rowmap
            s.add_field(name, DataType.ARRAY, element_type=DataType.INT64, max_capacity=TERM_BLOCK)
        s.add_field("tokens", DataType.INT64)
        s.add_field("ref_avgdl", DataType.DOUBLE)
        ip = client.prepare_index_params()
        ip.add_index("dummy", index_type="FLAT", metric_type="L2")
        client.create_collection(target.terms_collection, schema=s, index_params=ip, consistency_level="Strong")


def segment_rows(seg: Segment, sha: str) -> list[dict]:
    """A file's paragraphs as rows of the collection."""
    docs = {d.doc_id: d for d in seg.documents}
    rows = []
    kw = sparse_rows(dims_of(term_hashes(seg.terms)), seg.token_ids, seg.lengths)
    counts, values = segment_years(seg)
    ends = np.cumsum(counts).tolist()
    for seq, (c, key) in enumerate(zip(seg.chunks, seg.keys, strict=True)):
        doc = docs.get(c.doc_id)
        rows.append({
            "pk": row_key(seg.source, sha, seq), "vector": seg.embeddings[seq].tolist(),
            "text": clip_utf8(keyword_text(c), PARAMS.text_bytes), "file": clip_utf8(seg.source, PARAMS.short_bytes),
            "file_sha": sha, "doc_id": c.doc_id, "section": clip_utf8(" > ".join(c.heading), PARAMS.short_bytes),
            "key": key, "year": doc.year if doc else None,
            "places": [clip_utf8(p, PARAMS.short_bytes) for p in (doc.places if doc else ())][:PARAMS.max_places],
            "paragraph": c.ordinal, "seq": seq, "chunk": c.to_dict(), "kw": kw[seq], "dl": int(seg.lengths[seq]),
            "years": values[ends[seq] - int(counts[seq]):ends[seq]][:PARAMS.max_years].tolist()})
    return rows


def segment_years(seg: Segment) -> tuple[np.ndarray, np.ndarray]:
    """How many years each paragraph names and those years (``qa.store.rows.years_arrays``), made once and
    kept on the segment as its ``save`` keeps them."""
    if seg.year_counts is None or len(seg.year_counts) != len(seg.chunks):
        seg.year_counts, seg.year_values = years_arrays(c.norm for c in seg.chunks)
    return seg.year_counts, seg.year_values


class VectorCache:
    """Vectors by content key, in ``.npz`` shards in a folder beside the store; shards are only added."""

    def __init__(self, folder: Path | None, model_name: str):
        self.folder = folder / _safe(model_name) if folder is not None else None

    def load(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if self.folder is None or not self.folder.is_dir():
            return out
        for shard in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as z:
                    out.update(zip(z["keys"].tolist(), z["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                continue  # a damaged shard costs re-embedding its paragraphs, nothing else
        return out

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        if self.folder is None or not vectors:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{uuid.uuid4().hex}.npz"
        np.savez(tmp, keys=np.array(list(vectors)), vectors=np.stack(list(vectors.values())).astype(np.float32))
        tmp.replace(self.folder / f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}.npz")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def cache_folder(target: MilvusTarget, index_dir: Path | None) -> Path | None:
    """Beside a milvus-lite file, or in the index folder setting for a server."""
    if target.is_lite:
        return Path(f"{target.uri}.{target.collection}.vectors")
    return Path(index_dir) / f"milvus-vectors-{target.collection}" if index_dir is not None else None


def folder_vectors(directory: Path, model_name: str) -> dict[str, np.ndarray]:
    """The vectors of an index folder made with the same model (moving from the folder to Milvus re-embeds
    nothing); empty when there is none or it cannot be read."""
    from qa.store.index import SEGMENTS, read_manifest

    try:
        manifest = read_manifest(Path(directory))
    except IndexError:
        return {}
    if manifest.get("model", {}).get("name") != model_name:
        return {}
    out: dict[str, np.ndarray] = {}
    for seg_id in manifest.get("segments", []):
        try:
            seg = Segment.load(Path(directory) / SEGMENTS, seg_id)
        except (OSError, ValueError, KeyError):
            continue
        out.update(zip(seg.keys, seg.embeddings, strict=True))
    return out


def _old_vectors(client, target: MilvusTarget, sources: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(sources), PARAMS.id_batch):
        flt = expr_in("file", sources[start:start + PARAMS.id_batch])
        for r in iterate(client, target.collection, ["key", "vector"], flt):
            out[r["key"]] = np.asarray(r["vector"], dtype=np.float32)
    return out


def side_rows(seg: Segment, sha: str) -> list[dict]:
    """A file version's rows of the terms collection: its keyword term counts, report runs and years."""
    return term_rows(seg.source, sha, *segment_frequencies(seg.terms, seg.token_ids, seg.lengths),
                     int(np.sum(seg.lengths)), REF_AVGDL,
                     doc_runs([c.doc_id for c in seg.chunks], [d.doc_id for d in seg.documents]),
                     year_codes(*segment_years(seg)))


def write_files(client, target: MilvusTarget, segments: list[Segment], shas: dict[str, str], model: str,
                replaced: set[str]) -> None:
    """Insert the segments' rows in batches, then delete the old versions of ``replaced`` files, then record
    the files (a crash in between leaves old rows beside new ones, which the next run deletes)."""
    batch: list[dict] = []
    size = 0
    for seg in segments:
        for row in segment_rows(seg, shas[seg.source]):
            batch.append(row)
            size += 3 * (len(row["text"]) + len(row["chunk"]["text"])) + 8 * len(row["vector"]) + 12 * len(row["kw"])
            if len(batch) >= PARAMS.insert_batch or size >= PARAMS.insert_bytes:
                client.insert(target.collection, batch)
                batch, size = [], 0
    if batch:
        client.insert(target.collection, batch)
    terms = [r for seg in segments for r in side_rows(seg, shas[seg.source])]
    for start in range(0, len(terms), PARAMS.terms_batch):
        client.upsert(target.terms_collection, terms[start:start + PARAMS.terms_batch])
    for seg in segments:
        if seg.source in replaced:
            sha = shas[seg.source]
            for name in (target.collection, target.terms_collection):
                client.delete(name, filter=f"{expr_in('file', [seg.source])} and file_sha != \"{sha}\"")
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    files = [{"file": seg.source, "dummy": [0.0, 0.0], "sha256": shas[seg.source], "model": model,
              "chunks": seg.size, "built_at": now, "documents": [d.to_dict() for d in seg.documents]}
             for seg in segments]
    for start in range(0, len(files), PARAMS.files_batch):
        client.upsert(target.files_collection, files[start:start + PARAMS.files_batch])


def update_milvus(corpus: Path, target: MilvusTarget, embedder: Embedder, *, rebuild: bool = False,
                  progress: bool = True, on_progress: Progress | None = None, load: bool = False,
                  cache_dir: Path | None = None, embed=None, seed_from: Path | None = None) -> UpdateReport:
    """Bring the collection in step with the reports under ``corpus``; the report carries the loaded
    ``MilvusIndex`` with ``load``. ``embed`` replaces ``embed_pending`` (the cluster path uses it);
    ``seed_from``, an index folder, lends its vectors."""
    t0 = time.time()
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise IndexError(f"the corpus folder {corpus} does not exist")
    client = connect(target)
    ensure_collections(client, target, embedder.dim, rebuild=rebuild)
    ensure_loaded(client, [target.collection, target.files_collection, target.terms_collection])
    prev = {f["file"]: f for f in iterate(client, target.files_collection, ["file", "sha256", "model", "chunks"])}
    same = {s: {"sha256": f["sha256"], "segment": "milvus"} for s, f in prev.items() if f["model"] == embedder.name}
    found = scan(corpus, same, on_progress, templates=False)  # each file read alone: no shapes kept there
    stale = sorted(s for s in prev if s not in same and s in found.files)  # another model: made again
    cache_store = VectorCache(cache_dir if cache_dir is not None else cache_folder(target, None), embedder.name)
    cache = cache_store.load()
    if seed_from is not None and found.pending:
        cache.update(folder_vectors(seed_from, embedder.name))
    before = set(cache)  # what is new to the cache (old rows of changed or removed files too) is kept in it
    cache.update(_old_vectors(client, target, [*found.changed, *found.removed, *stale]))
    # A collection holds paragraph vectors only: answers over it embed their candidate sentences.
    segments, embedded, reused = (embed or embed_pending)(found.pending, embedder, cache, progress, on_progress,
                                                          sentences=False)
    cache_store.add({k: v for k, v in cache.items() if k not in before})
    if on_progress:
        on_progress("writing", 0, 1)
    shas = {seg.source: found.files[seg.source]["sha256"] for seg in segments}
    write_files(client, target, segments, shas, embedder.name, replaced=set(prev))
    removed = [s for s in prev if s not in found.files]
    for start in range(0, len(removed), PARAMS.id_batch):
        part = removed[start:start + PARAMS.id_batch]
        client.delete(target.collection, filter=expr_in("file", part))
        client.delete(target.terms_collection, filter=expr_in("file", part))
        client.delete(target.files_collection, ids=part)
    client.flush(target.collection)
    fresh = {seg.source for seg in segments}
    kept = [s for s in found.files if s in prev and s not in fresh]
    chunk_count = sum(seg.size for seg in segments) + sum(int(prev[s]["chunks"]) for s in kept)
    reused += sum(int(prev[s]["chunks"]) for s in kept)
    index = open_store(target, model_name=embedder.name) if load else None
    return UpdateReport(tuple(found.added), tuple(found.changed), tuple(sorted(removed)), found.unchanged,
                        tuple(found.skipped), embedded, reused, chunk_count, time.time() - t0, index)
