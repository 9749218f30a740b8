"""Fit when a fact or figure answer also quotes a sentence of another passage of its best sentence's report
(``runner_up_other_*`` in qa/data/answer_model.json).

A report copied from the web is cut into several passages, and the scorer's best sentence is often in one
while the answer is in the next: the right passage ranked second to fifth is the main reason an English answer
cites the wrong passage. The runner-up of the same passage is fitted by ``scripts/fit_runner_up.py`` on the
public bench; there every passage is its own document, so it has no "other passage of the same report". This
fit uses collected report questions over their own corpora instead (``--extra NAME=QUESTIONS:INDEX``, as in
``scripts/fit_decline.py``), ``--fit-extra`` naming the ones fitted on; the others are measured only.

For each answerable question the candidates are made and scored as the answerer makes them
(``Answerer.candidates``), and the answerer's own ``_runner_up`` picks the second quote under each share of
the grid, so the fit cannot drift from what is served. A quote is right when its sentence holds a gold answer
span and its passage a gold evidence string (an answer that the asker can check at its source). The share
chosen per language maximizes

    answers with a right quote - cost * answers given a second quote

over the fitted questions (``--cost`` 0.2, as for the same passage's runner-up); a tie keeps the larger share
(fewer quotes). 2.0 means never.

    python scripts/fit_runner_up_other.py --extra webcheck=bench/webcheck/questions.jsonl:INDEX ... \\
        --fit-extra webcheck ... --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from qa.answer.compose import Answerer
from qa.answer.evidence import figure_first
from qa.answer.features import Candidate
from qa.answer.scorer import load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.runtime import load_embedder, open_index
from qa.search.question import QuestionInfo
from qa.search.retrieve import Retriever, question_info
from qa.textnorm import match_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_decline import extra_recorded, extra_spec  # noqa: E402
from fit_runner_up import GRID  # noqa: E402 - the same grid as the same passage's share

MODEL = Path(__file__).resolve().parents[1] / "qa" / "data" / "answer_model.json"


@dataclass
class Asked:
    """One answerable question as the answerer reads it, with which of its candidates are right."""

    info: QuestionInfo
    cands: list[Candidate]
    right: set[int]  # ids of the right candidates

    @property
    def lang(self) -> str:
        return "en" if self.info.lang == "en" else "zh"


def asked(questions: list[dict], answerer: Answerer, label: str) -> list[Asked]:
    """The answerable questions with a gold span, each with its scored candidates."""
    out = []
    for n, q in enumerate(questions, 1):
        spans = [k for k in (match_key(a) for a in q.get("answers") or []) if k]
        evidence = [k for k in (match_key(e) for e in q.get("evidence") or []) if k]
        if q.get("type") == "unanswerable" or not spans:
            continue
        res = answerer.retriever.search(q["question"], k=10)
        info = question_info(q["question"], res)
        cands, _ = answerer.candidates(info, res)
        if not cands:
            continue
        if info.kind == "numeric" and info.lang == "en":  # as ``Answerer.extractive`` orders them
            cands = figure_first(info, cands, answerer.params.figure_pool)
        right = {id(c) for c in cands if any(s in match_key(c.sentence) for s in spans)
                 and (not evidence or any(e in match_key(c.hit.chunk.text) for e in evidence))}
        out.append(Asked(info, cands, right))
        if n % 50 == 0:
            print(f"  {label}: {n}/{len(questions)}", file=sys.stderr, flush=True)
    return out


def outcome(a: Asked, answerer: Answerer, share: float) -> tuple[bool, bool]:
    """(a right quote, a second quote) when another passage's runner-up is kept at ``share`` of the best."""
    answerer.params = replace(answerer.params, **{f"runner_up_other_{a.lang}": share})
    best = a.cands[0]
    second = answerer._runner_up(a.info, best, a.cands)  # noqa: SLF001 - the served rule itself
    return id(best) in a.right or (second is not None and id(second) in a.right), second is not None


def tally(questions: list[Asked], answerer: Answerer, share: float) -> dict:
    got = [outcome(a, answerer, share) for a in questions]
    return {"questions": len(got), "right": sum(r for r, _ in got), "second_quote": sum(s for _, s in got)}


def choose(questions: list[Asked], answerer: Answerer, cost: float) -> tuple[float, list[dict]]:
    """The grid share with the best objective (the larger on a tie), and the table behind it."""
    table = [{"share": s, **tally(questions, answerer, s)} for s in GRID]
    for row in table:
        row["objective"] = round((row["right"] - cost * row["second_quote"]) / max(1, row["questions"]), 4)
    return max(table, key=lambda r: (r["objective"], r["share"]))["share"], table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extra", nargs="+", required=True, metavar="NAME=QUESTIONS:INDEX")
    ap.add_argument("--fit-extra", nargs="+", required=True, metavar="NAME", help="the --extra sets fitted on")
    ap.add_argument("--cost", type=float, default=0.2, help="a second quote's cost, in answers")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--write", action="store_true", help="store the shares and their provenance in --model")
    args = ap.parse_args(argv)

    embedder = load_embedder(Settings.from_env())
    model = load_model(args.model)
    sets: dict[str, list[Asked]] = {}
    answerer = None
    for spec in args.extra:
        name, qfile, where = extra_spec(spec)
        index = open_index(Settings(index=Path(where), corpus=Path("/nonexistent")), embedder, build=False)
        answerer = Answerer(Retriever(index, embedder), params=model)
        sets[name] = asked(read_gold(Path(qfile)), answerer, name)
    assert answerer is not None
    chosen, tables = {}, {}
    for lang in ("en", "zh"):
        fitted = [a for name in args.fit_extra for a in sets[name] if a.lang == lang]
        chosen[lang], tables[lang] = choose(fitted, answerer, args.cost)
    report = {}
    for name, got in sets.items():
        part = "fitted" if name in args.fit_extra else "held_out"
        for lang in ("en", "zh"):
            qs = [a for a in got if a.lang == lang]
            if qs:
                before, after = tally(qs, answerer, 2.0), tally(qs, answerer, chosen[lang])
                report[f"{name} {lang} ({part})"] = {"before": before, "after": after}
                print(f"{name} {lang} ({part}): right {before['right']}/{before['questions']} -> {after['right']}, "
                      f"second quotes {before['second_quote']} -> {after['second_quote']}")
    print(json.dumps({"chosen": chosen}))
    if args.write:
        data = json.loads(args.model.read_text(encoding="utf-8"))
        data["params"] |= {f"runner_up_other_{lang}": share for lang, share in chosen.items()}
        data["provenance"]["runner_up_other"] = {
            "fitted_on": {n: len(sets[n]) for n in args.fit_extra},
            "held_out": {n: len(v) for n, v in sets.items() if n not in args.fit_extra},
            "objective": "answers whose quote holds a gold span in a passage holding gold evidence, minus cost "
                         "times answers given a second quote",
            "cost": args.cost, "chosen": chosen, "table": tables, "report": report,
            "date": dt.date.today().isoformat(), "model": embedder.name,
            "command": recorded_command("scripts/fit_runner_up_other.py",
                                        [extra_recorded(a) for a in argv or sys.argv[1:]])}
        args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
