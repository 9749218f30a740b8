"""An advisory lock so that two processes never write the same index at once."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(directory: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``directory`` for the duration of the block.

    >>> with exclusive_lock(Path("index")):  # doctest: +SKIP
    ...     pass
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    path = directory.with_name(f".{directory.name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError as e:
            raise RuntimeError(f"another process is updating {directory}; try again when it has finished") from e
        yield
    finally:
        os.close(fd)
