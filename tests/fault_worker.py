"""A process to kill: indexes a folder, or serves the web app, on the fake embedder (slowed down on demand).

    python tests/fault_worker.py index CORPUS INDEX [--slow SECONDS_PER_PARAGRAPH]
    python tests/fault_worker.py serve CORPUS INDEX --port PORT
    python tests/fault_worker.py upload CORPUS INDEX --files FILE...   (through the web app's service)
    python tests/fault_worker.py watch CORPUS INDEX                    (as ``qa index --watch``)

Used by tests/test_faults.py and bench/faults.py, which kill it with SIGKILL at random moments and then check
that the index loads, the next update repairs it, and no report file is lost or half-written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.models.embed import FakeEmbedder  # noqa: E402

SLEEP_EVERY = 16  # texts embedded between two sleeps (one sleep per text costs a wake-up each on a busy machine)


class SlowEmbedder(FakeEmbedder):
    """The fake embedder, taking ``delay`` seconds per text (so that a kill lands mid-embedding)."""

    def __init__(self, dim: int = 64, delay: float = 0.0):
        super().__init__(dim=dim)
        self.delay = delay

    def embed(self, texts, kind, progress=None):
        out = []
        for start in range(0, len(texts), SLEEP_EVERY):  # in small steps, so that a kill falls between two
            block = texts[start:start + SLEEP_EVERY]
            if self.delay:
                time.sleep(self.delay * len(block))
            out.append(super().embed(block, kind, progress=progress))
        import numpy as np

        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["index", "serve", "upload", "watch"])
    p.add_argument("corpus", type=Path)
    p.add_argument("index", type=Path)
    p.add_argument("--slow", type=float, default=0.0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--files", type=Path, nargs="*", default=[])
    args = p.parse_args(argv)
    embedder = SlowEmbedder(delay=args.slow)
    if args.mode == "index":
        from qa.store.update import update_index

        print("started", flush=True)
        report = update_index(args.corpus, args.index, embedder, progress=False)
        print(report.summary(), flush=True)
        return 0
    from qa.config import Settings

    settings = Settings(corpus=args.corpus, index=args.index)
    if args.mode == "watch":
        from qa.store.update import update_index
        from qa.store.watch import watch

        update_index(args.corpus, args.index, embedder, progress=False)
        print("started", flush=True)
        watch(args.corpus, args.index, embedder)
        return 0
    if args.mode == "upload":
        from qa.web.service import Service

        service = Service(settings, embedder=embedder)
        service.start()
        print("started", flush=True)
        for f in args.files:
            print("saved", service.add_report(f.name, f.read_bytes()), flush=True)
        service.update()
        print("done", flush=True)
        return 0
    from qa.web.page import serve

    serve(settings, port=args.port, embedder=embedder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
