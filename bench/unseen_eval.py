"""Answers on reports the product was never tuned on: the kept-aside questions of ``bench/unseen/questions.jsonl``
over two corpora built in a work folder, with the real default model.

- ``long``: the full-length State Council work reports alone (``../long_reports`` beside the labelled pages);
- ``web``: the labelled web pages with the shipped reports (``corpus/``) beside them.

For each corpus it copies the texts, runs ``python -m qa.cli index`` and ``python -m qa.cli eval --json`` (niced,
one at a time) with the code of ``--code`` (default: this repository), asks the missed questions once more to
show what was answered, prints a table (retrieval, answers, declines, unsupported numbers) and the misses, and
appends the table to bench/README.md. The texts are third-party and not in the repository: without them
(``--pages`` or ``$QA_LABELLED_PAGES``) the script says so and stops. These questions are a measurement, not
data to tune on (bench/unseen/README.md).

    QA_LABELLED_PAGES=DIR .venv/bin/python bench/unseen_eval.py [--work DIR] [--code CHECKOUT] [--no-readme]

Another question file over another folder of pages (``--questions FILE --pages DIR``) needs no full-length
reports folder when none of its questions names one; ``bench/webdev_eval.py`` runs the web-copy development set
that way (``--section`` names the README section, ``--by-lang`` adds a table by language, ``--details FILE``
writes every question's rank, hits, decline and answer text for diagnosis).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchlib import ROOT, append_section, exit_cleanly_on_term, load_text, md_table, read_jsonl

QUESTIONS = ROOT / "bench" / "unseen" / "questions.jsonl"
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
PATH_FLAGS = ("--pages", "--long", "--shipped", "--questions", "--work", "--code", "--details")
LANG_HEADERS = ["corpus", "lang", "questions", "answerable", "R@1", "R@5", "answer_hit", "citation_hit",
                "unanswerable declined", "false declines", "unsupported numbers"]
HEADERS = ["corpus", "questions", "answerable", "R@1", "R@5", "MRR@10", "answer_hit", "answer_hit en",
           "answer_hit zh", "citation_hit", "unanswerable declined", "false declines", "unsupported numbers"]
ASK_SNIPPET = """
import json, sys
from qa.config import Settings
from qa.runtime import open_answerer
answerer = open_answerer(Settings.from_env())
for line in sys.stdin:
    q = json.loads(line)
    a = answerer.ask(q["question"])
    print(json.dumps({"id": q["id"], "abstained": a.abstained, "text": a.text}, ensure_ascii=False), flush=True)
"""


@dataclass(frozen=True)
class Part:
    """One corpus of the measurement: its name, the folders whose report files it holds, its questions."""

    name: str
    sources: tuple[Path, ...]
    questions: tuple[dict, ...]


@dataclass(frozen=True)
class Run:
    """What one corpus gave: the eval JSON, the answers to the missed questions, and the times taken."""

    part: Part
    result: dict
    answers: dict[str, dict]
    index_s: float
    eval_s: float


def report_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
                  and p.name.lower() != "readme.md")


def split_questions(questions: list[dict], long_dir: Path, pages: Path) -> tuple[list[dict], list[dict]]:
    """Questions about a long report, and questions about a web page; a file in neither is an error.

    >>> split_questions([], Path("a"), Path("b"))
    ([], [])
    """
    long_qs, web_qs = [], []
    for q in questions:
        if (long_dir / q["file"]).is_file():
            long_qs.append(q)
        elif (pages / q["file"]).is_file():
            web_qs.append(q)
        else:
            raise SystemExit(f"{q['id']}: {q['file']} is in neither {long_dir} nor {pages}")
    return long_qs, web_qs


def missing_evidence(questions: list[dict], folders: list[Path]) -> list[str]:
    """The questions whose evidence is not an exact substring of their file's raw text (empty when all hold)."""
    out = []
    for q in questions:
        path = next((f / q["file"] for f in folders if (f / q["file"]).is_file()), None)
        text = path.read_text(encoding="utf-8") if path else ""
        out += [f"{q['id']}: {e!r}" for e in q.get("evidence") or [] if e not in text]
    return out


def sync_corpus(sources: tuple[Path, ...], corpus: Path) -> None:
    """Copy the report files into ``corpus`` (unchanged files are left alone, so a re-run re-embeds nothing)."""
    corpus.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for src in sources for p in report_files(src)}
    for old in report_files(corpus):
        if old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        dst = corpus / name
        if not (dst.exists() and filecmp.cmp(src, dst, shallow=False)):
            shutil.copy2(src, dst)


def qa_command(code: Path, python: str, args: list[str], log: Path | None = None, stdin: str | None = None,
               env: dict[str, str] | None = None) -> str:
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(code)}
    cmd = ["nice", "-n", "15", python, *args]
    err = open(log, "w", encoding="utf-8") if log else subprocess.DEVNULL
    try:
        done = subprocess.run(cmd, cwd=code, env=env, input=stdin, stdout=subprocess.PIPE, stderr=err,
                              text=True, check=False)
    finally:
        if log:
            err.close()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed ({done.returncode}); see {log or 'its output'}")
    return done.stdout


def missed(q: dict, result: dict) -> bool:
    detail = {d["id"]: d for d in result.get("answer_details", [])}.get(q["id"], {})
    if q["type"] == "unanswerable":
        return not detail.get("abstained", False)
    return not (detail.get("answer_hit") and detail.get("citation_hit")) or bool(detail.get("abstained"))


def run_part(part: Part, work: Path, code: Path, python: str) -> Run:
    folder = work / part.name
    corpus, index, gold = folder / "corpus", folder / "index", folder / "questions.jsonl"
    sync_corpus(part.sources, corpus)
    gold.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in part.questions), encoding="utf-8")
    where = ["--corpus", str(corpus), "--index", str(index)]
    t0 = time.perf_counter()
    qa_command(code, python, ["-m", "qa.cli", "index", *where], log=folder / "index.log")
    t1 = time.perf_counter()
    out = qa_command(code, python, ["-m", "qa.cli", "eval", str(gold), *where, "--json"], log=folder / "eval.log")
    t2 = time.perf_counter()
    result = json.loads(out.strip().splitlines()[-1])
    misses = [q for q in part.questions if missed(q, result)]
    answers = {}
    if misses:
        lines = "".join(json.dumps({"id": q["id"], "question": q["question"]}, ensure_ascii=False) + "\n"
                        for q in misses)
        asked = qa_command(code, python, ["-c", ASK_SNIPPET], log=folder / "ask.log", stdin=lines,
                           env={"QA_CORPUS": str(corpus), "QA_INDEX": str(index)})
        answers = {a["id"]: a for a in map(json.loads, asked.strip().splitlines())}
    return Run(part, result, answers, t1 - t0, t2 - t1)


def _rate(xs: list[bool]) -> str:
    return f"{sum(xs) / len(xs):.3f} ({sum(xs)}/{len(xs)})" if xs else "-"


def table_row(name: str, runs: list[Run]) -> list[object]:
    """One row over the given runs, computed from the per-question details so that parts can be pooled."""
    qs = [q for r in runs for q in r.part.questions]
    ranks = {d["id"]: d["rank"] for r in runs for d in r.result.get("details", [])}
    det = {d["id"]: d for r in runs for d in r.result.get("answer_details", [])}
    ans = [q for q in qs if q["type"] != "unanswerable"]
    una = [q for q in qs if q["type"] == "unanswerable"]
    rk = [ranks.get(q["id"], 0) for q in ans]

    def hits(sel: list[dict]) -> list[bool]:
        return [bool(det.get(q["id"], {}).get("answer_hit")) for q in sel]

    return [name, len(qs), len(ans), _rate([0 < r <= 1 for r in rk]), _rate([0 < r <= 5 for r in rk]),
            f"{sum(1 / r for r in rk if 0 < r <= 10) / len(rk):.3f}" if rk else "-",
            _rate(hits(ans)), _rate(hits([q for q in ans if q["lang"] == "en"])),
            _rate(hits([q for q in ans if q["lang"].startswith("zh")])),
            _rate([bool(det.get(q["id"], {}).get("citation_hit")) for q in ans]),
            _rate([bool(det.get(q["id"], {}).get("abstained")) for q in una]),
            _rate([bool(det.get(q["id"], {}).get("abstained")) for q in ans]),
            sum(r.result.get("unsupported_numbers", 0) for r in runs)]


def lang_rows(name: str, runs: list[Run]) -> list[list[object]]:
    """One row per question language (en, zh, zh-hant) over the given runs."""
    qs = [q for r in runs for q in r.part.questions]
    ranks = {d["id"]: d["rank"] for r in runs for d in r.result.get("details", [])}
    det = {d["id"]: d for r in runs for d in r.result.get("answer_details", [])}
    out = []
    for lang in sorted({q["lang"] for q in qs}):
        sel = [q for q in qs if q["lang"] == lang]
        ans = [q for q in sel if q["type"] != "unanswerable"]
        una = [q for q in sel if q["type"] == "unanswerable"]
        rk = [ranks.get(q["id"], 0) for q in ans]

        def flag(qs_: list[dict], key: str) -> list[bool]:
            return [bool(det.get(q["id"], {}).get(key)) for q in qs_]

        out.append([name, lang, len(sel), len(ans), _rate([0 < r <= 1 for r in rk]), _rate([0 < r <= 5 for r in rk]),
                    _rate(flag(ans, "answer_hit")), _rate(flag(ans, "citation_hit")), _rate(flag(una, "abstained")),
                    _rate(flag(ans, "abstained")),
                    sum(r.result.get("answers_by_lang", {}).get(lang, {}).get("unsupported_numbers", 0) for r in runs)])
    return out


def _graded(runs: list[Run]):
    """Each run's questions with their rank (0: not in the top 10) and answer grading (empty when none)."""
    for r in runs:
        ranks = {d["id"]: d["rank"] for d in r.result.get("details", [])}
        det = {d["id"]: d for d in r.result.get("answer_details", [])}
        for q in r.part.questions:
            yield r, q, ranks.get(q["id"], 0), det.get(q["id"], {})


def detail_rows(runs: list[Run]) -> list[dict]:
    """Every question with its rank, hits, decline and (for the missed ones) the answer text."""
    return [{"id": q["id"], "corpus": r.part.name, "lang": q["lang"], "type": q["type"], "file": q["file"],
             "rank": rank, "answer_hit": bool(d.get("answer_hit")), "citation_hit": bool(d.get("citation_hit")),
             "declined": bool(d.get("abstained")), "missed": missed(q, r.result),
             "answer": r.answers.get(q["id"], {}).get("text")}
            for r, q, rank, d in _graded(runs)]


def miss_lines(runs: list[Run]) -> list[str]:
    out = []
    for r, q, rank, d in _graded(runs):
        if q["id"] not in r.answers:
            continue
        text = " ".join(r.answers[q["id"]]["text"].split())
        what = ("not declined" if q["type"] == "unanswerable" else
                f"rank {rank or '>10'}, answer_hit {int(bool(d.get('answer_hit')))}, "
                f"citation_hit {int(bool(d.get('citation_hit')))}, declined {int(bool(d.get('abstained')))}")
        out.append(f"{q['id']} ({r.part.name}, {q['lang']}, {q['type']}): {what}: {text[:160]}")
    return out


def public_argv(argv: list[str]) -> list[str]:
    """The command's arguments for the README: folder values become placeholders (no machine paths).

    >>> public_argv(["--work", "/x/w", "--label", "main at abc", "--no-readme"])
    ['--work', 'WORK', '--label', "'main at abc'", '--no-readme']
    """
    out, prev = [], ""
    for a in argv:
        flag = a.split("=", 1)[0]
        if prev in PATH_FLAGS:
            out.append(prev.lstrip("-").upper())
        elif flag in PATH_FLAGS and "=" in a:
            out.append(f"{flag}={flag.lstrip('-').upper()}")
        else:
            out.append(shlex.quote(a))
        prev = a
    return out


def questions_label(path: Path) -> str:
    """The question file as the README names it: relative to the repository when inside it.

    >>> questions_label(ROOT / "bench" / "webdev" / "questions.jsonl")
    'bench/webdev/questions.jsonl'
    """
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return Path(path).name


def code_label(code: Path, label: str | None) -> str:
    if label:
        return label
    done = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return f"commit {done.stdout.strip()}" if done.returncode == 0 else "the code in --code (no git)"


def main(argv: list[str] | None = None, shown_argv: list[str] | None = None) -> int:
    """Run the measurement; ``shown_argv`` is the command line the README records (default: ``argv``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, default=os.environ.get("QA_LABELLED_PAGES") or None,
                    help="the labelled pages folder (default $QA_LABELLED_PAGES)")
    ap.add_argument("--long", type=Path, help="the full-length reports (default: ../long_reports beside --pages)")
    ap.add_argument("--shipped", type=Path, default=ROOT / "corpus", help="reports put beside the web pages")
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--work", type=Path, help="keep corpora and indexes here (re-runs reuse them); default: a "
                    "temporary folder, removed afterwards")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose qa is measured (default: this one)")
    ap.add_argument("--label", help="what --code is, for the table (default: its git commit)")
    ap.add_argument("--no-readme", action="store_true", help="do not append to bench/README.md")
    ap.add_argument("--section", default="Kept-aside questions on unseen reports",
                    help="the bench/README.md section the table is appended under")
    ap.add_argument("--by-lang", action="store_true", help="also print (and append) a table by question language")
    ap.add_argument("--details", type=Path, help="write every question's rank, hits, decline and missed answer "
                    "text to this JSONL file")
    ap.add_argument("--skip-absent", action="store_true",
                    help="leave out the questions whose file is not in the folders (say which), not stop")
    args = ap.parse_args(argv)
    exit_cleanly_on_term()
    if not args.pages or not Path(args.pages).is_dir():
        print("skipped: the labelled pages folder is not here (give --pages DIR or set QA_LABELLED_PAGES); "
              "the texts are third-party and not in the repository")
        return 0
    pages = Path(args.pages).resolve()
    long_dir = (args.long or pages.parent / "long_reports").resolve()
    questions = read_jsonl(args.questions)
    if not long_dir.is_dir():
        if args.long or any(not (pages / q["file"]).is_file() for q in questions):
            print(f"skipped: no full-length reports folder beside the pages ({long_dir.name}); give --long DIR")
            return 0
        long_dir = pages  # every question is about a page: there is no long-report corpus to build
    if args.skip_absent:  # the texts are kept outside the repository and some can be lost
        present = {p.name for d in (long_dir, pages) for p in d.iterdir()}
        absent = sorted({q["file"] for q in questions if q.get("file") and q["file"] not in present})
        if absent:
            questions = [q for q in questions if q.get("file") not in absent]
            print(f"left out: the questions on {', '.join(absent)} (file absent); {len(questions)} questions")
    bad = missing_evidence(questions, [long_dir, pages])
    if bad:
        raise SystemExit("evidence not in its file:\n" + "\n".join(bad))
    long_qs, web_qs = split_questions(questions, long_dir, pages) if long_dir != pages else ([], questions)
    parts = [Part("long", (long_dir,), tuple(long_qs)), Part("web", (pages, args.shipped.resolve()), tuple(web_qs))]
    work = args.work.resolve() if args.work else Path(tempfile.mkdtemp(prefix="unseen-"))
    load_before, t0 = load_text(), time.perf_counter()
    try:
        runs = [run_part(p, work, args.code.resolve(), sys.executable) for p in parts if p.questions]
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    rows = [table_row(r.part.name, [r]) for r in runs] + [table_row("both", runs)]
    table = md_table(HEADERS, rows)
    if args.by_lang:
        by_lang = [x for r in runs for x in lang_rows(r.part.name, [r])]
        table += "\n\nBy question language:\n\n" + md_table(LANG_HEADERS, by_lang)
    times = ", ".join(f"{r.part.name}: index {r.index_s:.0f} s, eval {r.eval_s:.0f} s" for r in runs)
    body = (f"Code measured: {code_label(args.code.resolve(), args.label)}. Questions: "
            f"`{questions_label(args.questions)}` ({len(questions)}: {len(long_qs)} long, {len(web_qs)} web). "
            f"Load average before: {load_before}, after: {load_text()}. Times ({times}; whole run "
            f"{time.perf_counter() - t0:.0f} s).\n\n{table}\n\nRates give (hits/n). answer_hit zh includes "
            "zh-hant; R@k and MRR over answerable questions; false declines = answerable questions declined.\n")
    print(body)
    print("Misses (for the record, not for tuning):")
    print("\n".join(miss_lines(runs)) or "none")
    if args.details:
        args.details.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in detail_rows(runs)),
                                encoding="utf-8")
    if not args.no_readme:
        sys.argv[1:] = public_argv(shown_argv if shown_argv is not None else sys.argv[1:] if argv is None else argv)
        append_section(args.section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
