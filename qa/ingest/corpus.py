"""A folder of reports read into documents and chunks: the pipeline's first stage.

>>> from pathlib import Path
>>> reads, skipped = read_corpus(Path("corpus"))  # doctest: +SKIP
>>> reads[2].documents[2].title, len(reads[2].chunks), skipped  # doctest: +SKIP
('教育局年度安全工作總結 篇三', 397, [])
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from qa.errors import UnreadableFile
from qa.ingest.chrome import Boilerplate, file_shapes
from qa.ingest.clean import clean
from qa.ingest.load import SUPPORTED, check_supported, extract_from_bytes, read_bytes
from qa.ingest.split import split_documents
from qa.ingest.unwrap import unwrap
from qa.types import Chunk, Document, Skipped

log = logging.getLogger(__name__)

_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".bak", "~")


@dataclass(frozen=True)
class FileRead:
    """One file's reading: its text, the documents and chunks in it, and the chrome that was dropped.

    Chunk and document spans index into ``text``: the decoded file with its lines made whole
    (``qa.ingest.unwrap``: viewer page markers out, hard-wrapped lines joined).
    """

    source: str  # path relative to the corpus root, with forward slashes
    sha256: str  # of the raw bytes
    text: str
    documents: tuple[Document, ...]
    chunks: tuple[Chunk, ...]
    dropped: tuple[str, ...]
    why: tuple[str, ...] = ()  # for each of ``dropped``, why it went
    shapes: frozenset[str] = frozenset()  # its short lines' shapes, as the folder's ``Boilerplate`` counts them
    template: str = ""  # ``Boilerplate.signature`` of the counts its cleaning read ("": none, or read alone)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (the file name if it lies outside ``root``)."""
    for p, r in ((Path(path), Path(root)), (Path(path).resolve(), Path(root).resolve())):
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return Path(path).name


@dataclass(frozen=True)
class Extracted:
    """One file's text, before cleaning: what the corpus-level counts (``Boilerplate``) are made from."""

    source: str
    sha256: str  # of the raw bytes
    text: str  # decoded, its lines made whole (``qa.ingest.unwrap``)
    removed: tuple[str, ...]  # viewer page markers and page headers taken out by ``unwrap``
    shapes: frozenset[str]  # ``qa.ingest.chrome.file_shapes`` of ``text``
    stem: str  # the file name without its suffix (the title when the text has none)


def extract_file(path: Path, root: Path) -> Extracted:
    """Read and decode one report file; raises ``UnreadableFile`` with the reason it cannot."""
    path = Path(path)
    check_supported(path)
    raw = read_bytes(path)
    unwrapped = unwrap(extract_from_bytes(raw, path.suffix))
    return Extracted(source_name(path, root), hashlib.sha256(raw).hexdigest(), unwrapped.text, unwrapped.removed,
                     file_shapes(unwrapped.text), path.stem)


def clean_file(ex: Extracted, corpus: Boilerplate | None = None) -> FileRead:
    """Clean and split an extracted file; ``corpus`` counts line shapes over the folder it was read with
    (a site's template lines repeat across its pages). Raises ``UnreadableFile`` when no report text is left."""
    cleaned = clean(ex.text, corpus=corpus)
    documents, chunks, dropped = split_documents(ex.text, cleaned, source=ex.source, fallback_title=ex.stem)
    if not chunks:
        raise UnreadableFile("no report text (only site chrome or blank lines)")
    why = (*(("viewer page marker" if m.endswith("、") else "page header") for m in ex.removed),
           *cleaned.why, *(d.why for d in dropped))
    return FileRead(source=ex.source, sha256=ex.sha256, text=ex.text, documents=documents, chunks=chunks,
                    dropped=ex.removed + cleaned.dropped + tuple(map(str, dropped)), why=tuple(why),
                    shapes=ex.shapes, template=corpus.signature(ex.shapes) if corpus is not None else "")


def read_file(path: Path, root: Path, corpus: Boilerplate | None = None) -> FileRead:
    """Read, clean and split one report file; raises ``UnreadableFile`` with the reason it cannot.
    ``corpus``: the line shapes of the folder it is read with (none: the file is read alone).

    >>> read = read_file(Path("corpus/zhaoping_2012.txt"), Path("corpus"))  # doctest: +SKIP
    >>> read.documents[0].title, read.documents[0].year  # doctest: +SKIP
    ('昭平县教育局2012年上半年工作总结', 2012)
    """
    return clean_file(extract_file(path, root), corpus)


def iter_corpus_files(root: Path) -> list[Path]:
    """The report files under ``root``, recursively, sorted by relative path: supported types only,
    without hidden files and folders or temporary files (``~$x.docx``, ``*.tmp``, ``*.part``).

    >>> iter_corpus_files(Path("corpus"))[0].name  # doctest: +SKIP
    '000_00009ec7e0122b08.txt'
    """
    root = Path(root)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        for name in files:
            path = Path(folder, name)
            lower = name.lower()
            if (name.startswith((".", "~")) or lower.endswith(_TEMP_SUFFIXES)
                    or path.suffix.lower() not in SUPPORTED or not path.is_file()):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_corpus(root: Path, *, progress: bool = False) -> tuple[list[FileRead], list[Skipped]]:
    """Read every report under ``root``, the line shapes counted over all of them (``Boilerplate``: a site's
    template lines repeat across its pages). A file that cannot be read never stops the run: it becomes a
    ``Skipped`` with the reason, and a logged warning.

    >>> reads, skipped = read_corpus(Path("corpus"))  # doctest: +SKIP
    >>> sum(len(r.chunks) for r in reads), skipped  # doctest: +SKIP
    (826, [])
    """
    root = Path(root)
    paths = iter_corpus_files(root)
    if progress:
        from tqdm import tqdm

        paths = tqdm(paths, desc="reading", unit="file")
    skipped: list[Skipped] = []
    texts = [ex for ex in (_attempt(extract_file, (path, root), source_name(path, root), skipped) for path in paths)
             if ex is not None]
    corpus = Boilerplate.of_shapes(ex.shapes for ex in texts)
    reads = [fr for fr in (_attempt(clean_file, (ex, corpus), ex.source, skipped) for ex in texts) if fr is not None]
    return reads, sorted(skipped, key=lambda s: s.source)


def _attempt(read, args: tuple, source: str, skipped: list[Skipped]):
    """``read(*args)``, or None with a ``Skipped`` and a logged warning when it fails."""
    try:
        return read(*args)
    except UnreadableFile as e:
        reason = str(e)
    except Exception as e:  # a parser bug on one odd file must not stop the corpus
        reason = f"failed to read ({type(e).__name__}: {e})"
    log.warning("skipped %s: %s", source, reason)
    skipped.append(Skipped(source=source, reason=reason))
    return None


@lru_cache(maxsize=1)
def reading_rules() -> str:
    """A digest of what turns a file into reports and paragraphs: the code of ``qa.ingest``, text normalization
    and number reading, and the fitted chrome model. An index records it per file; when it differs, an unchanged
    file is read again (its vectors are reused by content), so an upgrade's reading reaches every report."""
    root = resources.files("qa")
    parts = sorted((f"ingest/{f.name}", f) for f in root.joinpath("ingest").iterdir() if f.name.endswith(".py"))
    parts += [(name, root.joinpath(name)) for name in ("textnorm.py", "numbers.py", "data/chrome_model.json",
                                                           "data/divisions_zh.tsv")]
    h = hashlib.sha256()
    for name, f in parts:
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]
