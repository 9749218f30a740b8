"""Keeping the index folder in step with the corpus folder: scan -> plan -> embed -> write.

- ``scan`` hashes every report file and reads the new or changed ones (unchanged files are not read);
- ``plan`` decides which segments are kept as they are, which are read again (damaged ones) and which
  vectors can be reused (paragraphs embedded before, in an older version of a file);
- ``qa.store.build.embed_pending`` embeds what is still missing and makes the new segments;
- ``qa.store.build.write`` writes the folder and renames it into place, the manifest last.

>>> report = update_index(Path("corpus"), Path("index"), embedder)  # doctest: +SKIP
>>> print(report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import UnreadableFile
from qa.ingest.chrome import Boilerplate
from qa.ingest.corpus import (
    Extracted,
    FileRead,
    clean_file,
    extract_file,
    file_sha256,
    iter_corpus_files,
    read_file,
    reading_rules,
)
from qa.models.embed import Embedder
from qa.store.build import Pending, Progress, embed_pending, make_manifest, previous_manifest, write
from qa.store.index import GLOBAL_FILES, MANIFEST, REBUILD, SEGMENTS, Index, IndexError, Segment
from qa.store.lock import exclusive_lock
from qa.types import Skipped

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpdateReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    skipped: tuple[Skipped, ...]
    embedded: int
    reused: int
    chunk_count: int
    seconds: float
    index: Index | None = field(default=None, repr=False, compare=False)  # the result, when asked for
    recleaned: tuple[str, ...] = ()  # unchanged files read again: their template counts or the reading rules changed

    def summary(self) -> str:
        lines = [f"{self.chunk_count} paragraphs indexed in {self.seconds:.1f} s "
                 f"({self.embedded} embedded, {self.reused} reused)"]
        for label, items in (("added", self.added), ("changed", self.changed), ("removed", self.removed),
                             ("read again (the folder's repeated lines or the reading rules changed)",
                              self.recleaned)):
            if items:
                lines.append(f"{label}: " + ", ".join(items))
        if self.unchanged:
            lines.append(f"unchanged: {self.unchanged} file(s)")
        for s in self.skipped:
            lines.append(f"skipped: {s.source}: {s.reason}")
        return "\n".join(lines)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.recleaned)


def _looks_whole(directory: Path, manifest: dict) -> bool:
    """Every file the manifest names is there, the global ones at the size they were written with."""
    try:
        sizes = manifest.get("sizes", {})
        if any((directory / p).stat().st_size != sizes.get(p) for p in GLOBAL_FILES):
            return False
        folder = directory / SEGMENTS
        return all((folder / f"{s}.npz").is_file() and (folder / f"{s}.json").is_file()
                   for s in manifest.get("segments", []))
    except OSError:
        return False


class SegmentStore:
    """Segments of the index on disk, taken from the index in memory when it is the same one."""

    def __init__(self, directory: Path, manifest: dict | None, previous: Index | None):
        self.folder = directory / SEGMENTS
        same = (previous is not None and manifest is not None and previous.segments
                and previous.manifest.get("generation") == manifest.get("generation"))
        self.memory = {s.id: s for s in previous.segments} if same else {}

    def get(self, seg_id: str, *, arrays_only: bool = False) -> Segment:
        if seg_id in self.memory:
            return self.memory[seg_id]
        return Segment.load(self.folder, seg_id, arrays_only=arrays_only)


# -- scan -----------------------------------------------------------------------------------------------
@dataclass
class Scan:
    """The corpus folder against the previous manifest."""

    files: dict[str, dict] = field(default_factory=dict)  # source -> manifest entry, for every file kept
    pending: list[Pending] = field(default_factory=list)  # new or changed files, read
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: int = 0
    recleaned: list[str] = field(default_factory=list)  # unchanged files whose site template counts changed
    boilerplate: Boilerplate | None = None  # line shapes counted over the folder's files (None: each read alone)


def scan(corpus: Path, prev_files: dict[str, dict], on_progress: Progress | None = None, *,
         templates: bool = True) -> Scan:
    """Hash every report file; read only those that are new or changed. A file that cannot be read is
    skipped with its reason, whatever the reader raised: one bad file never stops the others.

    With ``templates``, line shapes are counted over the folder (``Boilerplate``: a site's template lines
    repeat across its pages) from the shapes the manifest keeps for each unchanged file, and an unchanged
    file whose own counts changed (a page of its site added or removed) is cleaned again: the index is then
    the one a rebuild would make. Without, each file is read alone (the Milvus store)."""
    out = Scan()
    fresh: dict[str, Extracted] = {}
    paths = iter_corpus_files(corpus)
    for i, path in enumerate(paths):
        source = path.relative_to(corpus).as_posix()
        if on_progress:
            on_progress("reading", i, len(paths))
        if not inside(path, corpus):
            out.skipped.append(Skipped(source, "a link to a file outside the corpus folder (not read)"))
            continue
        try:
            sha = file_sha256(path)
        except OSError as e:
            out.skipped.append(Skipped(source, f"cannot read: {e.strerror or e}"))
            continue
        old = prev_files.get(source)
        if old and old.get("sha256") == sha and old.get("segment") and (
                not templates or ("shapes" in old and old.get("reader") == reading_rules())):
            out.files[source] = old
            out.unchanged += 1
            continue
        ex = _attempt(extract_file, corpus, source, out.skipped)
        if ex is not None:
            fresh[source] = ex
    out.removed = sorted(s for s in prev_files if s not in out.files and s not in fresh)
    if templates:
        out.boilerplate = Boilerplate.of_shapes([*(_stored_shapes(e) for e in out.files.values()),
                                                 *(ex.shapes for ex in fresh.values())])
        _reclean(corpus, out, fresh)
    for source, ex in sorted(fresh.items()):
        fr = _attempt(lambda _c, _s, ex=ex: clean_file(ex, out.boilerplate), corpus, source, out.skipped)
        if fr is None:
            out.removed += [source] if source in prev_files else []
            continue
        old = prev_files.get(source)
        (out.recleaned if source in out.recleaned or (old and old.get("sha256") == fr.sha256)
         else out.changed if old else out.added).append(source)
        out.pending.append(Pending.read(source, fr, segment_tag(fr.sha256, fr.template)))
        out.files[source] = file_entry(fr, templates)
    out.recleaned = sorted(set(out.recleaned))
    out.removed.sort()
    return out


def _reclean(corpus: Path, out: Scan, fresh: dict[str, Extracted]) -> None:
    """Read again the unchanged files whose own line-shape counts are not those they were cleaned with."""
    for source, entry in sorted(out.files.items()):
        if out.boilerplate.signature(_stored_shapes(entry)) == entry.get("template", ""):
            continue
        del out.files[source]
        out.unchanged -= 1
        ex = _attempt(extract_file, corpus, source, out.skipped)
        if ex is None:
            out.removed.append(source)
        else:
            fresh[source] = ex
            out.recleaned.append(source)


def _stored_shapes(entry: dict) -> list[str]:
    return entry.get("shapes", "").split()


def file_entry(fr: FileRead, templates: bool = True) -> dict:
    """A file's manifest entry (before its segment is known)."""
    entry = {"sha256": fr.sha256, "documents": len(fr.documents), "chunks": len(fr.chunks)}
    if templates:
        entry |= {"shapes": " ".join(sorted(fr.shapes)), "template": fr.template, "reader": reading_rules()}
    return entry


def segment_tag(sha: str, template: str) -> str:
    """What makes a file's segment id unique besides the model: its bytes, the template counts it read and the
    reading rules (``reading_rules``)."""
    return f"{sha}+{template}+{reading_rules()}"


def inside(path: Path, corpus: Path) -> bool:
    """Whether ``path``, links followed, lies inside ``corpus`` (a link out of it is never read)."""
    try:
        path.resolve().relative_to(corpus.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _attempt(read, corpus: Path, source: str, skipped: list[Skipped]):
    """``read(corpus / source, corpus)``, or None with a ``Skipped`` when it fails."""
    try:
        return read(corpus / source, corpus)
    except (UnreadableFile, OSError) as e:
        reason = str(e) if isinstance(e, UnreadableFile) else f"cannot read: {e.strerror or e}"
    except Exception as e:  # noqa: BLE001 - a parser's bug in one file must not stop the corpus
        reason = f"the reader failed on this file ({type(e).__name__}: {e})"
    skipped.append(Skipped(source, reason))
    log.warning("skipped %s: %s", source, reason)
    return None


def _read_or_skip(corpus: Path, source: str, skipped: list[Skipped], boilerplate: Boilerplate | None = None,
                  ) -> FileRead | None:
    return _attempt(lambda path, root: read_file(path, root, boilerplate), corpus, source, skipped)


# -- plan -----------------------------------------------------------------------------------------------
@dataclass
class Plan:
    kept: dict[str, Segment]  # source -> segment kept as it is
    cache: dict[str, np.ndarray]  # embedding key -> vector made before
    fresh: set[str]  # sources whose segments are made anew


def plan(found: Scan, store: SegmentStore, corpus: Path, prev_files: dict[str, dict], *,
         same_model: bool, want_index: bool) -> Plan:
    """Which segments stay, which files are read again (damaged segments) or re-embedded (another model),
    and the vectors of paragraphs embedded before (old versions of changed, removed or re-cleaned files)."""
    kept: dict[str, Segment] = {}
    fresh = {p.source for p in found.pending}
    for source, entry in sorted(found.files.items()):
        if source in fresh:
            continue
        try:
            seg = store.get(entry["segment"], arrays_only=same_model and not want_index)
            if not same_model and not seg.chunks:
                seg = store.get(entry["segment"])
        except Exception as e:  # noqa: BLE001 - whatever is wrong with it, the file makes it again
            log.warning("re-reading %s: its part of the index is damaged (%s: %s)", source, type(e).__name__, e)
            fr = _read_or_skip(corpus, source, found.skipped, found.boilerplate)
            if fr is None:
                del found.files[source]
            else:
                found.pending.append(Pending.read(source, fr, segment_tag(entry["sha256"], fr.template)))
                fresh.add(source)
            continue
        if same_model:
            kept[source] = seg
        else:  # another model: the paragraphs stay, every vector is made again
            found.pending.append(Pending(source, seg.documents, seg.chunks, seg.terms, seg.token_ids,
                                         seg.lengths, segment_tag(entry["sha256"], entry.get("template", ""))))
            fresh.add(source)
    cache: dict[str, np.ndarray] = {}
    if same_model:
        for source in {*found.changed, *found.removed, *found.recleaned}:
            old_seg = prev_files.get(source, {}).get("segment")
            if old_seg:
                try:
                    seg = store.get(old_seg)
                except Exception as e:  # noqa: BLE001 - then they are made again
                    log.warning("cannot reuse the vectors of %s: %s", source, e)
                    continue
                cache.update(zip(seg.keys, seg.embeddings, strict=True))
                # and its sentences' (a file read again under new reading rules keeps most of them); a segment
                # written before sentence keys were kept has none
                if len(seg.sentence_keys) == len(seg.sentence_vectors):
                    cache.update(zip(seg.sentence_keys, seg.sentence_vectors.astype(np.float32), strict=True))
    return Plan(kept, cache, fresh)


# -- which corpus ----------------------------------------------------------------------------------------
def recorded_corpus(directory: Path) -> Path | None:
    """The corpus folder the index at ``directory`` was built from (None: no index, or it does not say).

    >>> recorded_corpus(Path("index"))  # doctest: +SKIP
    PosixPath('/home/me/reports/corpus')
    """
    try:
        manifest = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    corpus = manifest.get("corpus") if isinstance(manifest, dict) else None
    return Path(corpus) if isinstance(corpus, str) and corpus else None


def check_corpus(recorded: Path | None, corpus: Path, directory: Path) -> None:
    """Refuse to bring an index in step with another folder than the one it was built from, while that folder
    exists: it would drop every report of its own folder (a command run from elsewhere, with the default
    ``corpus``). An index whose folder is gone (moved, or copied with the index) follows the one given."""
    if recorded is None or recorded.resolve() == corpus.resolve() or not recorded.is_dir():
        return
    raise IndexError(f"the index at {directory} was built from {recorded}, not {corpus.resolve()}: give "
                     f"`--corpus {recorded}` to use it, or run `qa index --corpus {corpus} --index {directory} "
                     "--rebuild` to rebuild it from the other folder")


# -- the whole update -----------------------------------------------------------------------------------
def update_index(corpus: Path, directory: Path, embedder: Embedder, *, rebuild: bool = False,
                 progress: bool = True, on_progress: Progress | None = None,
                 previous: Index | None = None, load: bool = False,
                 on_read: Callable[[list], None] | None = None, embed=None) -> UpdateReport:
    """Bring the index at ``directory`` in step with the reports under ``corpus``.

    ``on_progress(stage, done, total)`` is called as work proceeds (the web app shows it). ``previous``, the
    index a caller holds in memory, saves reading unchanged segments back; with ``load`` (or ``previous``)
    the report carries the resulting ``Index``. ``on_read(parts)``, called once every file is read and before
    anything is embedded (when something is, and with ``load``), gets the paragraphs of the whole new index
    in order, file by file (``Index.keywords_only`` makes a searchable index of them at once). ``embed`` replaces
    ``embed_pending`` (``qa.store.cluster``).
    """
    t0 = time.time()
    corpus, directory = Path(corpus), Path(directory)
    if not corpus.is_dir():
        raise IndexError(f"the corpus folder {corpus} does not exist: give the folder of reports with "
                         "`--corpus FOLDER`")
    want_index = load or previous is not None
    with exclusive_lock(directory):
        manifest = previous_manifest(directory, rebuild)
        if not rebuild:
            check_corpus(recorded_corpus(directory), corpus, directory)
        prev_files = manifest.get("files", {}) if manifest else {}
        same_model = manifest is not None and manifest.get("model", {}).get("name") == embedder.name
        store = SegmentStore(directory, manifest, previous)
        found = scan(corpus, prev_files, on_progress)
        moved = manifest is not None and manifest.get("corpus") not in (None, str(corpus.resolve()))
        if manifest is not None and same_model and not found.pending and not found.removed and not moved \
                and _looks_whole(directory, manifest):
            report = _nothing_to_do(found, manifest, directory, embedder, store, previous, want_index, t0)
            if report is not None:
                return report
        todo = plan(found, store, corpus, prev_files, same_model=same_model, want_index=want_index)
        if on_read is not None and found.pending and want_index:
            fresh = {p.source: p for p in found.pending}
            on_read([fresh.get(s) or todo.kept[s] for s in sorted(found.files)])
        embed = embed or embed_pending
        new_segments, embedded, reused = embed(found.pending, embedder, todo.cache, progress, on_progress)
        for seg in new_segments:
            todo.kept[seg.source] = seg
            found.files[seg.source] = dict(found.files[seg.source], segment=seg.id)
        segments = [todo.kept[s] for s in sorted(found.files)]
        reused += sum(s.size for s in segments if s.source not in todo.fresh)
        manifest = make_manifest(embedder, found.files, segments, corpus)
        if on_progress:
            on_progress("writing", 0, 1)
        vectors, keywords = write(directory, manifest, segments, new_segments)
    index = None
    if want_index:
        if any(not s.chunks and s.size for s in segments):
            index = Index.load(directory, model_name=embedder.name)
        else:
            index = Index.assemble(directory, manifest, segments, vectors, keywords, vectors.exact)
    return UpdateReport(tuple(found.added), tuple(found.changed), tuple(found.removed), found.unchanged,
                        tuple(found.skipped), embedded, reused, manifest["chunk_count"], time.time() - t0, index,
                        tuple(found.recleaned))


def _nothing_to_do(found: Scan, manifest: dict, directory: Path, embedder: Embedder, store: SegmentStore,
                   previous: Index | None, want_index: bool, t0: float) -> UpdateReport | None:
    """The report when the index on disk already is this one (None if it cannot be loaded)."""
    try:
        index = None
        if want_index:
            index = previous if store.memory else Index.load(directory, model_name=embedder.name)
        reused = sum(f.get("chunks", 0) for f in found.files.values())
        return UpdateReport((), (), (), found.unchanged, tuple(found.skipped), 0, reused, manifest["chunk_count"],
                            time.time() - t0, index)
    except IndexError as e:
        log.warning("rewriting the index: %s", str(e).removesuffix(REBUILD))  # what the hint advises, under way
        return None


