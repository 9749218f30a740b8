"""An advisory lock so that two processes never write the same index at once (``filelock``: portable)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout


@contextlib.contextmanager
def exclusive_lock(directory: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``directory`` for the duration of the block; with ``wait=False`` a
    lock held by another process raises ``RuntimeError`` at once.

    >>> with exclusive_lock(Path("index")):  # doctest: +SKIP
    ...     pass
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(directory.with_name(f".{directory.name}.lock"), thread_local=False)
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout as e:
        raise RuntimeError(f"another process is updating {directory}; try again when it has finished") from e
    try:
        yield
    finally:
        lock.release()
