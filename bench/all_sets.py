"""Every answer measurement in one run, kept per question so two runs can be compared question by question.

The question sets and the folders of their third-party texts (not in the repository; each set's README says how
to get them again):

- the web-copy sets (``webdev``, ``webcheck``, ``webcheck2`` ... ``webcheck14``) over ``DATA/<set>``, and
  ``pagedev`` over ``DATA/web_pages``, each with the shipped reports beside them (``bench/unseen_eval.py``);
- ``unseen``, the kept-aside set, over ``DATA/web_pages`` and ``DATA/long_reports``: only its tables are kept
  (no per-question file), so that nobody reads its misses;
- ``dev``: ``../shared/eval/dev.jsonl`` over ``corpus/``, with the half that ``scripts/fit_answer_model.py``
  holds out of fitting (seed 0) scored apart;
- ``bench``: ``qa eval --passages`` on the first 300 questions of XQuAD en->zh, CMRC2018 and DRCD dev, which the
  fitted models leave out.

    .venv/bin/python bench/all_sets.py run --data DATA --out OUT [--code CHECKOUT] [--sets webcheck8 dev ...]
    .venv/bin/python bench/all_sets.py summary OUT [--against OUT_BEFORE]

``run`` builds indexes under ``OUT/work`` (re-runs reuse them) with the code of ``--code`` (default: this checkout,
frozen copies let the repository move on meanwhile); sets whose texts are absent are skipped and say so.
``summary`` prints answer_hit, citation_hit, unanswerables declined and false declines per set, and with
``--against`` the counts before and after and the questions that changed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

from benchlib import ROOT, SHARED, read_jsonl

WEB_SETS = ["webdev", "webcheck", *(f"webcheck{i}" for i in range(2, 15))]
BENCH = {"xquad-en2zh-dev": "xquad", "cmrc2018-dev": "cmrc", "drcd-dev": "drcd"}
ALL = [*WEB_SETS, "pagedev", "dev", "bench", "unseen"]


def held_out_ids(gold: list[dict], share: float = 0.5, seed: int = 0) -> set[str]:
    """The answerable gold ids that ``scripts/fit_answer_model.py`` does not fit on (its ``--gold-fit-share``
    and ``--seed`` defaults).

    >>> sorted(held_out_ids([{"id": str(i), "type": "numeric"} for i in range(4)]))
    ['1', '3']
    """
    ids = sorted(str(q["id"]) for q in gold)
    random.Random(seed).shuffle(ids)
    fit = set(ids[: int(len(ids) * share)])
    return {str(q["id"]) for q in gold if q.get("type") != "unanswerable" and str(q["id"]) not in fit}


def run_set(name: str, args: argparse.Namespace, python: str) -> None:
    out = args.out / name
    out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work" / name
    if name in ("dev", "bench"):
        return run_eval(name, args, python, out, work)
    pages = args.data / ("web_pages" if name in ("pagedev", "unseen") else name)
    if not pages.is_dir():
        print(f"{name}: skipped, no {pages.name} folder under --data", flush=True)
        return
    cmd = [sys.executable, str(ROOT / "bench" / "unseen_eval.py"), "--pages", str(pages), "--work", str(work),
           "--code", str(args.code), "--no-readme", "--by-lang", "--skip-absent"]
    if name != "unseen":
        cmd += ["--questions", str(ROOT / "bench" / name / "questions.jsonl"), "--details", str(out / "details.jsonl")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    text = done.stdout if name != "unseen" else tables_only(done.stdout)
    (out / "report.txt").write_text(text + done.stderr[-2000:], encoding="utf-8")
    print(f"{name}: exit {done.returncode}", flush=True)


def tables_only(text: str) -> str:
    """The lines of a report that are tables or headings, not the per-question misses.

    >>> tables_only("| a | b |\\nq1 (web, en, numeric): missed\\n## Head")
    '| a | b |\\n## Head'
    """
    return "\n".join(line for line in text.splitlines() if line.startswith(("|", "#", "skipped", "left out")))


def run_eval(name: str, args: argparse.Namespace, python: str, out: Path, work: Path) -> None:
    qa = [python, "-m", "qa.cli"]
    if name == "dev":
        index = work / "index"
        subprocess.run([*qa, "index", "--corpus", str(args.code / "corpus"), "--index", str(index)],
                       cwd=args.code, capture_output=True, check=True)
        runs = {"dev": [*qa, "eval", str(SHARED / "eval" / "dev.jsonl"), "--index", str(index), "--json"]}
    else:
        runs = {short: [*qa, "eval", "--passages", str(SHARED / "bench" / folder / "passages.jsonl"), "--questions",
                        str(SHARED / "bench" / folder / "questions.jsonl"), "--limit", "300", "--json"]
                for folder, short in BENCH.items()}
    for short, cmd in runs.items():
        done = subprocess.run(cmd, cwd=args.code, capture_output=True, text=True)
        (out / f"{short}.json").write_text(done.stdout or done.stderr[-4000:], encoding="utf-8")
        print(f"{name}/{short}: exit {done.returncode}", flush=True)


def load_runs(out: Path) -> dict[str, dict[str, dict]]:
    """Per set, each question's grading: {set: {id: {answer_hit, citation_hit, declined, answerable, lang}}}."""
    sets: dict[str, dict[str, dict]] = {}
    for details in sorted(out.glob("*/details.jsonl")):
        sets[details.parent.name] = {d["id"]: {"answer_hit": d["answer_hit"], "citation_hit": d["citation_hit"],
                                               "declined": d["declined"], "answerable": d["type"] != "unanswerable",
                                               "lang": d["lang"]} for d in read_jsonl(details)}
    gold = {str(q["id"]): q for q in read_jsonl(SHARED / "eval" / "dev.jsonl")}
    held = held_out_ids(list(gold.values()))
    for path in sorted(out.glob("*/*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if "answer_details" not in result:
            continue  # a bench set: its aggregates (``aggregates``)
        rows = {}
        for d in result["answer_details"]:
            q = gold.get(str(d["id"]), {}) if path.stem == "dev" else {}
            rows[str(d["id"])] = {"answer_hit": d["answer_hit"], "citation_hit": d["citation_hit"],
                                  "declined": d["abstained"], "answerable": q.get("type") != "unanswerable",
                                  "lang": q.get("lang", ""), "held_out": str(d["id"]) in held}
        sets[path.stem] = rows
    return sets


AGGREGATES = ("recall@1", "recall@5", "mrr@10", "answer_hit", "citation_hit", "declined")


def aggregates(out: Path) -> dict[str, dict[str, float]]:
    """The bench sets' figures (``qa eval --passages --json`` gives no per-question grading)."""
    found = {}
    for path in sorted(out.glob("bench/*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        found[path.stem] = {k: result[k] for k in AGGREGATES if k in result}
    return found


def counts(rows: dict[str, dict]) -> dict[str, str]:
    ans = [r for r in rows.values() if r["answerable"]]
    una = [r for r in rows.values() if not r["answerable"]]
    en = [r for r in ans if r["lang"] == "en"]
    held = [r for r in ans if r.get("held_out")]

    def n(sel: list[dict], key: str) -> str:
        return f"{sum(r[key] for r in sel)}/{len(sel)}"

    return {"answer_hit": n(ans, "answer_hit"), "english": n(en, "answer_hit"), "held_out": n(held, "answer_hit"),
            "citation_hit": n(ans, "citation_hit"), "declined": n(una, "declined"),
            "false_declines": n(ans, "declined")}


def summary(out: Path, against: Path | None) -> None:
    now = load_runs(out)
    before = load_runs(against) if against else {}
    keys = ["answer_hit", "english", "held_out", "citation_hit", "declined", "false_declines"]
    print("| set | " + " | ".join(keys) + " |\n|" + " --- |" * (len(keys) + 1))
    for name, rows in now.items():
        c, b = counts(rows), counts(before[name]) if name in before else {}
        print(f"| {name} | " + " | ".join(f"{b[k]} -> {c[k]}" if b and b[k] != c[k] else c[k] for k in keys) + " |")
    for name, rows in now.items():
        changed = [f"{i}: " + ", ".join(f"{k} {int(before[name][i][k])}->{int(r[k])}" for k in
                                       ("answer_hit", "citation_hit", "declined") if before[name][i][k] != r[k])
                   for i, r in rows.items() if name in before and i in before[name]
                   and any(before[name][i][k] != r[k] for k in ("answer_hit", "citation_hit", "declined"))]
        if changed:
            print(f"\n{name}: " + "; ".join(changed))
    now_b, before_b = aggregates(out), aggregates(against) if against else {}
    if now_b:
        print("\n| bench | " + " | ".join(AGGREGATES) + " |\n|" + " --- |" * (len(AGGREGATES) + 1))
    for name, figures in now_b.items():
        b = before_b.get(name, {})
        print(f"| {name} | " + " | ".join(f"{b[k]:.3f} -> {v:.3f}" if k in b and b[k] != v else f"{v:.3f}"
                                          for k, v in figures.items()) + " |")
    for path in sorted(out.glob("unseen/report.txt")):
        print("\nunseen (tables only):\n" + path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--data", type=Path, required=True, help="folder holding web_pages, long_reports and <set> folders")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--code", type=Path, default=ROOT, help="the checkout measured (default: this one)")
    r.add_argument("--sets", nargs="*", default=ALL, choices=ALL)
    s = sub.add_parser("summary")
    s.add_argument("out", type=Path)
    s.add_argument("--against", type=Path)
    args = ap.parse_args(argv)
    if args.command == "summary":
        summary(args.out, args.against)
        return 0
    args.code, args.data, args.out = args.code.resolve(), args.data.resolve(), args.out.resolve()
    python = str(args.code / ".venv" / "bin" / "python")
    for name in args.sets:
        run_set(name, args, python if Path(python).exists() else sys.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
