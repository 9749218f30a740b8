"""Faults, the long runs (tests/test_faults.py and tests/test_hostile.py hold short versions).

1. ``kill -9`` at a random moment of an update (`tests/fault_worker.py index`, the fake embedder slowed to
   take about as long as a real one on a small corpus), 20 trials, from three starting states (no index,
   an index before new reports were added, an index before one was removed).
2. ``kill -9`` at a random moment of an upload through the web app's service (saving, then indexing), 20
   trials.
   After each: the corpus is as it was (plus uploads that were saved whole, never part of one), the index
   loads (after the next command's repair if the kill fell between the two renames), the next update brings
   it in step with every report, and no temporary folder is left.
3. Two updates at once, 5 times; an index watcher (`qa index --watch`) beside the web app's service while
   reports are dropped in and questions asked.
4. A full disk: the index on a small tmpfs (needs root to mount; skipped otherwise).
5. A PDF of 10,000 empty pages through the indexer.

    .venv/bin/python bench/faults.py [--trials 20]

Appends a section to bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, append_section, exit_cleanly_on_term, md_table, write_variant  # noqa: E402

sys.path.insert(0, str(ROOT))
from qa.models.embed import FakeEmbedder  # noqa: E402
from qa.store.index import Index, IndexError  # noqa: E402
from qa.store.update import update_index  # noqa: E402

WORKER = ROOT / "tests" / "fault_worker.py"
SLOW = 0.05  # seconds per paragraph in the killed process: embedding takes about as long as the rest


def fingerprint(corpus: Path) -> dict[str, str]:
    return {p.relative_to(corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(corpus.rglob("*")) if p.is_file()}


def worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(WORKER), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_at_random(proc: subprocess.Popen, rng: random.Random, span: float) -> float:
    """SIGKILL ``proc`` a random time (up to ``span`` s) after it says it started; the delay, or -1 if it
    had finished already."""
    proc.stdout.readline()
    delay = rng.uniform(0, span)
    time.sleep(delay)
    if proc.poll() is not None:
        proc.communicate()
        return -1.0
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return delay


def recovered(corpus: Path, directory: Path, embedder) -> tuple[bool, bool, str]:
    """(index loaded straight after the kill, everything recovered after the next update, what went wrong)."""
    try:
        Index.load(directory)
        loaded = True
    except IndexError:
        loaded = False
    try:
        report = update_index(corpus, directory, embedder, progress=False, load=True)
        want = {p.relative_to(corpus).as_posix() for p in corpus.glob("*.txt")}
        got = {d.source for d in report.index.documents.values()}
        leftovers = list(directory.parent.glob(f".{directory.name}-*"))
        if got != want:
            return loaded, False, f"indexed {sorted(got ^ want)} wrongly"
        if leftovers:
            return loaded, False, f"left {leftovers}"
        Index.load(directory)
        return loaded, True, ""
    except Exception as e:  # noqa: BLE001 - reported
        return loaded, False, f"{type(e).__name__}: {e}"


def measure_update(corpus: Path, work: Path) -> float:
    probe = work / "probe-index"
    proc = worker("index", str(corpus), str(probe), "--slow", str(SLOW))
    proc.stdout.readline()  # "started": the kills are timed from there, as in kill_at_random
    t0 = time.time()
    proc.communicate(timeout=600)
    shutil.rmtree(probe, ignore_errors=True)
    return time.time() - t0


def kill_updates(trials: int, base: Path, work: Path, rng: random.Random) -> tuple[list, str]:
    embedder = FakeEmbedder(dim=64)
    span = measure_update(base, work) * 1.1
    rows, results = [], []
    for t in range(trials):
        corpus, directory = work / f"k{t}" / "corpus", work / f"k{t}" / "index"
        shutil.copytree(base, corpus)
        state = ["no index", "reports added", "a report removed"][t % 3]
        if state != "no index":
            update_index(corpus, directory, embedder, progress=False)
            if state == "reports added":
                for i, src in enumerate(sorted(base.glob("*.txt"))[:2]):
                    write_variant(src, corpus, 100 + t * 10 + i)
            else:
                sorted(corpus.glob("*.txt"))[0].unlink()
        before = fingerprint(corpus)
        delay = kill_at_random(worker("index", str(corpus), str(directory), "--slow", str(SLOW)), rng, span)
        intact = fingerprint(corpus) == before
        loaded, ok, why = recovered(corpus, directory, embedder)
        results.append(ok and intact)
        rows.append([t + 1, state, f"{delay:.2f}" if delay >= 0 else "finished first", "yes" if intact else "NO",
                     "yes" if loaded else "no", "yes" if ok else f"NO ({why})"])
        shutil.rmtree(corpus.parent, ignore_errors=True)
    head = (f"**kill -9 during an update: {sum(results)}/{trials} recovered with nothing lost** (kill at a "
            f"random moment within {span:.1f} s, the length of a whole update here)")
    return rows, head


def kill_uploads(trials: int, base: Path, work: Path, rng: random.Random) -> tuple[list, str]:
    embedder = FakeEmbedder(dim=64)
    uploads = work / "uploads"
    uploads.mkdir(exist_ok=True)
    files = [write_variant(src, uploads, 500 + i) for i, src in enumerate(sorted(base.glob("*.txt"))[:3])]
    big = uploads / "big-report.txt"  # every paragraph new: indexing it takes a moment
    big.write_text("\n\n".join(files[0].read_text(encoding="utf-8").replace("。", f"〔{i}〕。") for i in range(200)),
                   encoding="utf-8")
    files.insert(1, big)
    sums = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    rows, results = [], []
    probe = work / "probe"
    shutil.copytree(base, probe / "corpus")
    proc = worker("upload", str(probe / "corpus"), str(probe / "index"), "--slow", str(SLOW / 10),
                  "--files", *map(str, files))
    proc.stdout.readline()  # "started": the kills are timed from there, as in kill_at_random
    t0 = time.time()
    proc.communicate(timeout=900)
    span = (time.time() - t0) * 1.1
    shutil.rmtree(probe, ignore_errors=True)
    for t in range(trials):
        corpus, directory = work / f"u{t}" / "corpus", work / f"u{t}" / "index"
        shutil.copytree(base, corpus)
        update_index(corpus, directory, embedder, progress=False)
        before = fingerprint(corpus)
        delay = kill_at_random(worker("upload", str(corpus), str(directory), "--slow", str(SLOW / 10),
                                      "--files", *map(str, files)), rng, span)
        after = fingerprint(corpus)
        kept = all(after.get(k) == v for k, v in before.items())
        new = {k: v for k, v in after.items() if k not in before}
        parts = [k for k in new if k.endswith(".part")]
        whole = all(v == sums.get(k) for k, v in new.items() if k not in parts)
        from qa.config import Settings
        from qa.web.service import Service

        svc = Service(Settings(corpus=corpus, index=directory), embedder=embedder)
        try:
            svc.start()
            served = {r["file"] for r in svc.reports()} == {p.name for p in corpus.glob("*.txt")}
            answers = bool(svc.ask("安全隐患排查了多少项?").text)
            no_parts = not list(corpus.glob(".*.part"))
        except Exception as e:  # noqa: BLE001 - reported
            served, answers, no_parts = False, False, False
            print(f"upload trial {t}: {type(e).__name__}: {e}", file=sys.stderr)
        ok = kept and whole and served and answers and no_parts
        results.append(ok)
        rows.append([t + 1, f"{delay:.2f}" if delay >= 0 else "finished first", len(new) - len(parts), len(parts),
                     "yes" if kept and whole else "NO", "yes" if served and answers else "NO",
                     "yes" if no_parts else "NO"])
        shutil.rmtree(corpus.parent, ignore_errors=True)
    head = (f"**kill -9 during uploads through the service: {sum(results)}/{trials} recovered with nothing lost** "
            f"(4 uploads, one of {big.stat().st_size // 1024} KB, then indexing; kill within {span:.1f} s)")
    return rows, head


def concurrent_writers(base: Path, work: Path) -> list[str]:
    lines = []
    ok = 0
    for t in range(5):
        corpus, directory = work / f"w{t}" / "corpus", work / f"w{t}" / "index"
        shutil.copytree(base, corpus)
        procs = [worker("index", str(corpus), str(directory), "--slow", str(SLOW / 4)) for _ in range(2)]
        codes = [p.wait(timeout=600) for p in procs]
        for p in procs:
            p.communicate()
        index = Index.load(directory)
        good = codes == [0, 0] and {d.source for d in index.documents.values()} == set(fingerprint(corpus))
        ok += good
        shutil.rmtree(corpus.parent, ignore_errors=True)
    lines.append(f"- Two updates of one index at once: {ok}/5 runs both finished and left a whole index "
                 "(the second waits for the first's lock).")
    lines.append(watch_beside_service(base, work))
    return lines


def watch_beside_service(base: Path, work: Path) -> str:
    """`qa index --watch` in one process, the web app's service in this one, reports dropped in meanwhile."""
    from qa.config import Settings
    from qa.web.service import Service

    corpus, directory = work / "watch" / "corpus", work / "watch" / "index"
    shutil.copytree(base, corpus)
    watcher = worker("watch", str(corpus), str(directory), "--slow", str(SLOW / 4))
    watcher.stdout.readline()
    svc = Service(Settings(corpus=corpus, index=directory), embedder=FakeEmbedder(dim=64))
    svc.start()
    svc.watch()
    errors, asked = 0, 0
    try:
        for i, src in enumerate(sorted(base.glob("*.txt"))):
            write_variant(src, corpus, 900 + i)
            end = time.time() + 3
            while time.time() < end:
                try:
                    svc.ask("教师培训有哪些措施?")
                    asked += 1
                except Exception:  # noqa: BLE001 - counted
                    errors += 1
        time.sleep(8)
        svc.update()
        want = {p.name for p in corpus.glob("*.txt")}
        served = {r["file"] for r in svc.reports()} == want
        on_disk = {d.source for d in Index.load(directory).documents.values()} == want
    finally:
        svc.stop()
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            watcher.kill()
    return (f"- A watcher process (`qa index --watch`) beside the web app's service (also watching), "
            f"{len(list(base.glob('*.txt')))} reports dropped in while {asked} questions were asked: {errors} "
            f"errors; the service serves every report: {'yes' if served else 'NO'}; the index on disk holds "
            f"every report: {'yes' if on_disk else 'NO'}.")


def disk_full(base: Path, work: Path) -> str:
    mount = work / "small"
    mount.mkdir()
    corpus = work / "df-corpus"
    shutil.copytree(base, corpus)
    embedder = FakeEmbedder(dim=64)
    probe = work / "df-probe"
    update_index(corpus, probe, embedder, progress=False)
    size = sum(p.stat().st_size for p in probe.rglob("*") if p.is_file())
    limit_kb = int(size / 1024) + 32  # one index fits, with little to spare
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={limit_kb}k", "tmpfs", str(mount)], check=True,
                       capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return f"- Disk full: skipped, cannot mount a tmpfs here ({type(e).__name__}); tests/test_faults.py " \
               "simulates it."
    try:
        directory = mount / "index"
        update_index(corpus, directory, embedder, progress=False)
        for i, src in enumerate(sorted(base.glob("*.txt"))):
            write_variant(src, corpus, 700 + i)
        long_one = "\n\n".join(src.read_text(encoding="utf-8").replace("。", f"〔{i}〕。") for i in range(20))
        (corpus / "long-report.txt").write_text(long_one, encoding="utf-8")  # more than the space left
        try:
            update_index(corpus, directory, embedder, progress=False)
            outcome = "the update fitted (no error to see)"
        except IndexError as e:
            outcome = f"error: \"{e}\""
        old = Index.load(directory)
        leftovers = [p.name for p in mount.iterdir() if p.name.startswith(".index-")]
        return (f"- Disk full: index on a {limit_kb} KB tmpfs, then reports added: {outcome}; the old index "
                f"still loads ({len(old.documents)} reports); temporary folders left: {leftovers or 'none'}.")
    finally:
        subprocess.run(["umount", str(mount)], check=False, capture_output=True, timeout=30)


def empty_pdf(work: Path) -> str:
    from pypdf import PdfWriter

    corpus = work / "pdf-corpus"
    shutil.copytree(ROOT / "tests" / "data" / "tiny", corpus)
    w = PdfWriter()
    for _ in range(10_000):
        w.add_blank_page(width=200, height=200)
    with open(corpus / "blank.pdf", "wb") as f:
        w.write(f)
    t0 = time.time()
    report = update_index(corpus, work / "pdf-index", FakeEmbedder(dim=64), progress=False)
    reason = {s.source: s.reason for s in report.skipped}.get("blank.pdf", "NOT SKIPPED")
    return f"- A PDF of 10,000 empty pages: skipped (\"{reason}\"); the update took {time.time() - t0:.1f} s."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "tiny",
                    help="reports to start from (small: each trial rebuilds, on a busy machine too)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args(argv)
    exit_cleanly_on_term()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="qa-faults-"))
    try:
        rows1, head1 = kill_updates(args.trials, args.corpus, work, rng)
        print(head1, file=sys.stderr)
        rows2, head2 = kill_uploads(args.trials, args.corpus, work, rng)
        print(head2, file=sys.stderr)
        others = concurrent_writers(args.corpus, work) + [disk_full(args.corpus, work), empty_pdf(work)]
        body = "\n\n".join([
            head1, md_table(["trial", "start", "killed after s", "corpus intact", "index loads at once",
                             "next update repairs"], rows1),
            head2, md_table(["trial", "killed after s", "uploads saved whole", "half uploads (hidden .part)",
                             "corpus intact", "index serves all, answers", ".part removed at start"], rows2),
            "\n".join(others)])
        print(body)
        if not args.no_readme:
            append_section("Faults: kill -9, concurrent writers, full disk", body)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
