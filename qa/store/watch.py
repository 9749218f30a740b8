"""Keeping the index in step with the corpus folder: files added, changed, removed.

>>> watch(Path("corpus"), Path("index"), embedder)  # doctest: +SKIP
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

DEBOUNCE_SECONDS = 1.0


def start_observer(corpus: Path, on_change: Callable[[], None]):
    """Call ``on_change`` (debounced) whenever a non-hidden file under ``corpus`` changes."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    timer: list[threading.Timer | None] = [None]

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
            rel = [Path(p).relative_to(corpus.resolve()) for p in paths if p and _under(p, corpus)]
            if not rel or all(any(part.startswith(".") for part in r.parts) for r in rel):
                return
            if timer[0] is not None:
                timer[0].cancel()
            timer[0] = threading.Timer(DEBOUNCE_SECONDS, on_change)
            timer[0].daemon = True
            timer[0].start()

    observer = Observer()
    observer.schedule(Handler(), str(corpus.resolve()), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


def _under(path: str, corpus: Path) -> bool:
    try:
        Path(path).relative_to(corpus.resolve())
        return True
    except ValueError:
        return False


def watch(corpus: Path, index: Path, embedder) -> None:
    """Run until interrupted, updating the index after each change."""
    from qa.store.update import update_index

    changed = threading.Event()
    observer = start_observer(corpus, changed.set)
    print(f"watching {corpus} (Ctrl-C to stop)", file=sys.stderr)
    try:
        while True:
            if changed.wait(timeout=1.0):
                changed.clear()
                report = update_index(corpus, index, embedder)
                if report.changed_anything:
                    print(time.strftime("%H:%M:%S ") + report.summary(), flush=True)
    finally:
        observer.stop()
