"""Fit the question-level decline model (``decline_model`` in qa/data/answer_model.json).

Positives are answerable questions asked of their corpus. Negatives are made so that they carry over to
reports never seen:

- **answer taken out**: a bench question asked of its own corpus with every passage that holds a gold answer
  span removed from the results (a gold report question likewise, with its evidence). The article's other
  passages (same people, same event) stay, which is the hard case the sentence probability alone missed: an
  unrelated sentence about the same subject;
- **another corpus**: CMRC2018 questions asked of the report corpus;
- **swapped**: report questions whose place or year was swapped for one the corpus does not cover
  (``scripts/answer_negatives.py``);
- the gold file's unanswerable questions.

Candidates and their feature rows are made exactly as the answerer makes them (``sentence_features``),
scored by the shipped sentence model, and summed up per question (``qa.answer.decline.question_row``).
A logistic regression on standardized features is fitted on the later questions of each bench set (after
``--skip``) and half the gold file; its thresholds, one for English questions and one for Chinese ones, are
the highest that falsely decline at most ``--false-decline`` of the answerable questions of that language in
each fitted source. It is then measured, with the old
rule beside it (the best sentence's support below ``decline_below``), on what it was not fitted on: the
first ``--held`` questions of each bench set (with their answer-taken-out twins), the other half of the gold
file, and the swapped twins of that half.

    python scripts/fit_decline.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl --corpus-index index \\
        --features .fit-cache --model qa/data/answer_model.json --dump bench/decline_scores.json

``--extra NAME=QUESTIONS:INDEX`` adds a collected set of report questions over its own corpus (``bench/pagedev``,
``bench/webdev``, ``bench/webcheck*``): its answerable questions, the same with their evidence taken out, and its
unanswerable ones; ``--fit-extra`` names the ones fitted on, the others are measured only.

``--override-only`` keeps the model file's regression and fits only its ``answer_above`` bound: the choice
probability from which a question is answered whatever the regression says (``qa.answer.decline.DeclineModel``).
On each fitted unanswerable source where the model declines at least 5 questions of a language, at most
``--override-cost`` of those declines (rounded down) may have a candidate rated so high; the bound is the highest.
The regression weighs how many of the question's words the sentences repeat; the public sets' questions mostly
copy their passage's words, and a question put in its own words was declined with its answer rated first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.answer.decline import QUESTION_FEATURES, question_row
from qa.answer.evidence import TermWeights
from qa.answer.features import chunk_positions, sentence_features
from qa.answer.scorer import FEATURES, AnswerParams, load_model
from qa.config import Settings
from qa.eval.gold import read_gold
from qa.eval.provenance import recorded_command
from qa.models.resolve import default_home
from qa.runtime import bench_index, load_embedder, open_index
from qa.search.retrieve import Retriever, question_info
from qa.textnorm import match_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_negatives import swapped_questions  # noqa: E402

BENCH_SETS = ("cmrc2018-dev", "drcd-dev", "xquad-en2zh-dev", "xquad-zh-dev")
# Features given no weight (session 7, all fitted on the same rows; bench/README.md "Decline model"):
# - the absolute cosine levels: with them the model learned which articles' questions were answered (weights
#   near 30) and declined 0.17 of held-out English questions (0.05 fitted); they belong to one embedding model;
# - second_support and figure_measured: both were fitted with the sign against their meaning (a second
#   supported sentence, a figure beside what is counted, lowered the verdict), which declines questions that
#   several reports answer; without them the held-out figures were the same.
NO_WEIGHT = ("best_s_cos", "top_p_cos", "english_s_cos", "second_support", "figure_measured")


def matrices(questions: list[dict], retriever: Retriever, params: AnswerParams, cache: dict, remove: bool,
             detect_filters: bool, label: str) -> list[np.ndarray]:
    """Each question's candidate feature rows; with ``remove``, every passage holding a gold span (and the
    question's own passage) is taken out of the results first."""
    index = retriever.index
    kw = index.keywords
    weights = TermWeights(kw.size, kw.document_frequency)
    positions = chunk_positions(index)
    out = []
    for n, q in enumerate(questions, 1):
        res = retriever.search(q["question"], k=20 if remove else 10, detect_filters=detect_filters)
        if remove:  # a gold question's evidence strings go too, not only its answers
            texts = [*(q.get("answers") or []), *_strings(q.get("evidence")), *_strings(q.get("alt_evidence"))]
            spans = [k for k in (match_key(a) for a in texts) if k]
            kept = tuple(h for h in res.hits if h.chunk.doc_id != str(q.get("pid"))
                         and not any(s in match_key(h.chunk.text) for s in spans))
            res = replace(res, hits=kept[:10])
        info = question_info(q["question"], res)
        out.append(sentence_features(info, res, index, retriever.embedder, weights, params, positions,
                                     cache, retriever.shift).matrix)
        if n % 50 == 0:
            print(f"  {label}: {n}/{len(questions)}", file=sys.stderr, flush=True)
    return out


def extra_sources(name: str, questions: list[dict], where: Path, embedder, model: AnswerParams, cache: dict,
                  store: Path) -> dict[str, tuple[list[np.ndarray], int]]:
    """A collected set of report questions over its own corpus (written by people reading the pages, so worded
    as users word them, not copied from the text as the bench questions mostly are): its answerable questions,
    the same with their evidence taken out of the results, and its unanswerable ones."""
    index = open_index(Settings(index=where, corpus=Path("/nonexistent")), embedder, build=False)
    r = Retriever(index, embedder)
    answerable = [q for q in questions if q.get("type") != "unanswerable"]
    unanswerable = [{**q, "answers": []} for q in questions if q.get("type") == "unanswerable"]
    return {
        name: (cached(store, f"extra-{name}-in", lambda: matrices(
            [{**q, "answers": []} for q in answerable], r, model, cache, False, True, name)), 1),
        f"{name} answer taken out": (cached(store, f"extra-{name}-out", lambda: matrices(
            answerable, r, model, cache, True, True, f"{name} out")), 0),
        f"{name} unanswerable": (cached(store, f"extra-{name}-unanswerable", lambda: matrices(
            unanswerable, r, model, cache, False, True, f"{name} unanswerable")), 0),
    }


def answer_above(fit_sets: dict, model: AnswerParams, decline, cost: float, min_declined: int = 5
                 ) -> dict[str, float]:
    """Per language the model decides for: the choice probability from which a question is answered whatever
    the regression says. On every fitted unanswerable source where the model declines at least
    ``min_declined`` questions of the language, at most ``cost`` of those declines (rounded down) have a candidate
    rated so high; the bound is the highest such over the sources."""
    choice = QUESTION_FEATURES.index("best_choice")
    english = QUESTION_FEATURES.index("english")
    out = {}
    for lang in decline.languages:
        bounds = []
        for ms, label in fit_sets.values():
            if label != 0 or not ms:
                continue
            x = rows(ms, model)
            declined = np.array([decline.answers(r) is False for r in x]) & ((x[:, english] > 0) == (lang == "en"))
            if declined.sum() >= min_declined:
                # just above the (k+1)-th highest: at most k = floor(cost * declines) of them reach the bound
                top = np.sort(x[declined, choice])[::-1]
                bounds.append(float(top[int(cost * len(top))]) + 1e-4)
        if bounds:
            out[lang] = round(max(bounds), 4)
    return out


def override(args, argv, fit_sets: dict, held_sets: dict, model: AnswerParams) -> int:
    """``--override-only``: fit the ``answer_above`` bound of the model file's decline model, report what it
    changes on every source, and write it (with its provenance) into the model file."""
    from qa.answer.decline import read_decline_model

    data = json.loads(args.model.read_text(encoding="utf-8"))
    decline = read_decline_model(data, str(args.model))
    bound = answer_above(fit_sets, model, replace(decline, answer_above={}), args.override_cost)
    bounded = replace(decline, answer_above=bound)
    report = {}
    for part_name, part in (("fitted", fit_sets), ("held_out", held_sets)):
        for src, (ms, label) in part.items():
            x = rows(ms, model) if ms else np.zeros((0, len(QUESTION_FEATURES)))
            before = sum(decline.answers(r) is False for r in x)
            after = sum(bounded.answers(r) is False for r in x)
            report[f"{part_name}: {src}"] = {"questions": len(ms), "kind": "answerable" if label else "unanswerable",
                                             "declined": [int(before), int(after)]}
    print(json.dumps({"answer_above": bound, "declined before, after": report}, indent=1, ensure_ascii=False))
    if args.dry_run:
        return 0
    data["decline_model"]["answer_above"] = bound
    data["decline_model"]["provenance"]["answer_above"] = {
        "fitted_on": {src: len(ms) for src, (ms, label) in fit_sets.items() if label == 0},
        "cost": args.override_cost,
        "date": dt.date.today().isoformat(),
        "command": recorded_command("scripts/fit_decline.py", [extra_recorded(a) for a in argv or sys.argv[1:]]),
        "report": report,
    }
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


def extra_spec(spec: str) -> tuple[str, str, str]:
    """An ``--extra`` value ``NAME=QUESTIONS:INDEX`` as (name, questions file, index folder)."""
    name, rest = spec.split("=", 1)
    questions, index = rest.rsplit(":", 1)
    return name, questions, index


def extra_recorded(arg: str) -> str:
    """An ``--extra`` value with its index folder named for what it is (no machine path is recorded)."""
    if "=" in arg and ":" in arg and not arg.startswith("-"):
        name, rest = arg.split("=", 1)
        return f"{name}={rest.rsplit(':', 1)[0]}:<index of {name}>"
    return arg


def _strings(value) -> list[str]:
    """A gold field that holds a string, a list of strings, or lists of them, flattened."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [s for v in value for s in _strings(v)]


def cached(store: Path, key: str, make) -> list[np.ndarray]:
    """``make()``, or what a previous run with the same ``key`` saved in ``store``."""
    path = store / f"decline-{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            cuts = np.cumsum(z["sizes"])[:-1]
            return [m.reshape(-1, len(FEATURES)) for m in np.split(z["x"], cuts)]
    got = make()
    store.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=np.vstack([m.reshape(-1, len(FEATURES)) for m in got]) if got else np.zeros((0, len(FEATURES))),
             sizes=np.array([len(m) for m in got], dtype=np.int64))
    return got


def rows(ms: list[np.ndarray], model: AnswerParams) -> np.ndarray:
    return np.array([question_row(m, model.probability(m) if len(m) else np.zeros(0),
                                  model.support(m) if len(m) else np.zeros(0)) for m in ms]
                    ).reshape(len(ms), len(QUESTION_FEATURES))


def old_rule(ms: list[np.ndarray], model: AnswerParams) -> np.ndarray:
    """The rule the decline model replaces: answered when the best support reaches the floor of the question's
    language (``AnswerParams.support_floor``)."""
    en = FEATURES.index("english")
    return np.array([bool(len(m)) and float(model.support(m).max())
                     >= model.support_floor("en" if m[:, en].max() > 0 else "zh") for m in ms])


def fit(x: np.ndarray, y: np.ndarray, c: float, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression on standardized features, its weights mapped back to the raw ones."""
    from sklearn.linear_model import LogisticRegression

    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    m = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / sd, y, sample_weight=w)
    coef = m.coef_[0] / sd
    return coef, float(m.intercept_[0] - coef @ mean)


def prob(x: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder with the bench sets")
    ap.add_argument("--sets", nargs="+", default=list(BENCH_SETS))
    ap.add_argument("--skip", type=int, default=300, help="fit on each set's questions after the first N")
    ap.add_argument("--per-set", type=int, default=250, help="questions fitted on per bench set")
    ap.add_argument("--held", type=int, default=100, help="questions measured per bench set (the first N)")
    ap.add_argument("--gold", type=Path, help="gold questions over the report corpus (half fitted, half held out)")
    ap.add_argument("--corpus-index", type=Path, help="index of the report corpus")
    ap.add_argument("--negatives", type=int, default=150, help="CMRC questions asked of the report corpus")
    ap.add_argument("--false-decline", type=float, default=0.05)
    ap.add_argument("--min-source", type=int, default=50,
                    help="sources this large (in one language) must all favour the model for it to decide")
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularization strength")
    ap.add_argument("--no-weight", nargs="*", default=list(NO_WEIGHT), choices=QUESTION_FEATURES,
                    help="features given no weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features", type=Path, default=Path(".fit-cache"), help="cache of feature rows")
    ap.add_argument("--model", type=Path, default=Path("qa/data/answer_model.json"),
                    help="the answer model file: its sentence model scores, its decline_model is (re)written")
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    ap.add_argument("--languages", nargs="+", choices=("en", "zh"), default=["en", "zh"],
                    help="languages the model may decide for (where it also beats the old rule on the fitted data)")
    ap.add_argument("--dump", type=Path, help="per-question scores for bench/decline_curve.py")
    ap.add_argument("--extra", nargs="*", default=[], metavar="NAME=QUESTIONS:INDEX",
                    help="collected question sets over their own report corpus (gold format): answerable, answer "
                         "taken out, unanswerable")
    ap.add_argument("--fit-extra", nargs="*", default=[], metavar="NAME",
                    help="the --extra sets fitted on (the others are measured only)")
    ap.add_argument("--override-only", action="store_true",
                    help="keep the model file's decline model and fit only its answer_above bound")
    ap.add_argument("--override-cost", type=float, default=0.02,
                    help="share of each fitted unanswerable source's declines the answer_above bound may give up")
    args = ap.parse_args(argv)

    model = load_model(args.model)
    embedder = load_embedder(Settings.from_env())
    cache: dict = {}
    fit_sets: dict[str, tuple[list[np.ndarray], int]] = {}  # source -> (matrices, label)
    held_sets: dict[str, tuple[list[np.ndarray], int]] = {}
    for name in args.sets:
        folder = args.bench / name
        questions = [q for q in read_gold(folder / "questions.jsonl") if q.get("answers")]
        later = questions[args.skip:args.skip + args.per_set]
        first = questions[:args.held]
        retriever = Retriever(bench_index(folder / "passages.jsonl", embedder, default_home()), embedder)
        for part, qs, tag in ((fit_sets, later, f"{args.skip}-{args.per_set}"), (held_sets, first, f"0-{args.held}")):
            for remove in (False, True):
                key = f"{name}-{tag}-{'out' if remove else 'in'}"
                label = f"{name}{' answer taken out' if remove else ''}"
                part[label] = (cached(args.features, key, lambda qs=qs, remove=remove, key=key, r=retriever: matrices(
                    qs, r, model, cache, remove, False, key)), 0 if remove else 1)
    if args.gold and args.corpus_index:
        index = open_index(Settings(index=args.corpus_index, corpus=Path("/nonexistent")), embedder, build=False)
        corpus = Retriever(index, embedder)
        gold = read_gold(args.gold)
        ids = sorted(str(q["id"]) for q in gold)
        random.Random(args.seed).shuffle(ids)
        fit_ids = set(ids[: len(ids) // 2])
        texts = "\n".join(c.norm for c in index.chunks)
        answerable = [q for q in gold if q.get("type") != "unanswerable"]
        halves = {"fit": [q for q in answerable if str(q["id"]) in fit_ids],
                  "held": [q for q in answerable if str(q["id"]) not in fit_ids]}
        cmrc = read_gold(args.bench / "cmrc2018-dev" / "questions.jsonl")[-args.negatives:]

        def ask(qs: list[dict], key: str, remove: bool = False) -> list[np.ndarray]:
            return cached(args.features, f"{key}-{args.gold.stem}", lambda: matrices(
                qs if remove else [{**q, "answers": []} for q in qs], corpus, model, cache, remove, True, key))

        for half, part in (("fit", fit_sets), ("held", held_sets)):
            part[f"gold {half}"] = (ask(halves[half], f"gold-{half}"), 1)
            part[f"gold {half} answer taken out"] = (ask(halves[half], f"gold-{half}-out", remove=True), 0)
            swapped = swapped_questions(halves[half], index.documents.values(), texts, seed=args.seed)
            part[f"gold {half} swapped"] = (ask(swapped, f"swapped-{half}-{args.seed}"), 0)
        fit_sets["cmrc on reports"] = (cached(args.features, f"cmrc-last{args.negatives}-{args.gold.stem}",
                                              lambda: matrices([{**q, "answers": []} for q in cmrc], corpus,
                                                               model, cache, False, True, "cmrc on reports")), 0)
        held_sets["gold unanswerable"] = (ask([q for q in gold if q.get("type") == "unanswerable"],
                                              "gold-unanswerable"), 0)

    for spec in args.extra:
        name, qfile, where = extra_spec(spec)
        part = fit_sets if name in args.fit_extra else held_sets
        part.update(extra_sources(name, read_gold(Path(qfile)), Path(where), embedder, model, cache, args.features))

    def stacked(part: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xs, ys, ws = [], [], []
        for ms, label in part.values():
            xs.append(rows(ms, model))
            ys.append(np.full(len(ms), label))
            ws.append(np.full(len(ms), 1.0 / max(1, len(ms))))  # every source weighs the same
        return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)

    if args.override_only:
        return override(args, argv, fit_sets, held_sets, model)
    x, y, w = stacked(fit_sets)
    zero = [QUESTION_FEATURES.index(f) for f in args.no_weight]
    x[:, zero] = 0.0
    coef, intercept = fit(x, y, args.c, w * len(w))
    scores = {part_name: {src: prob(rows(ms, model), coef, intercept) for src, (ms, _) in part.items()}
              for part_name, part in (("fitted", fit_sets), ("held_out", held_sets))}
    english = QUESTION_FEATURES.index("english")

    def is_en(part: dict, src: str) -> np.ndarray:
        ms = part[src][0]
        return rows(ms, model)[:, english] > 0 if ms else np.zeros(0, dtype=bool)

    thresholds = {}
    for lang in ("en", "zh"):
        quantiles = []
        for src, (_, label) in fit_sets.items():
            if label != 1:
                continue
            mask = is_en(fit_sets, src) == (lang == "en")
            if mask.sum():
                quantiles.append(float(np.quantile(scores["fitted"][src][mask], args.false_decline)))
        thresholds[lang] = min(quantiles)

    def verdicts(part: dict, part_name: str, src: str, langs: tuple[str, ...]) -> np.ndarray:
        """Answered or not, per question: the model for the languages in ``langs``, the old rule otherwise."""
        en = is_en(part, src)
        model_says = scores[part_name][src] >= np.where(en, thresholds["en"], thresholds["zh"])
        ours = np.where(en, "en" in langs, "zh" in langs)
        return np.where(ours, model_says, old_rule(part[src][0], model))

    def margin(lang: str, langs: tuple[str, ...]) -> float:
        """Mean over the fitted sources of (negatives declined) or -(positives declined), for one language."""
        got = []
        for src, (_, label) in fit_sets.items():
            mask = is_en(fit_sets, src) == (lang == "en")
            if mask.sum():
                declined = ~verdicts(fit_sets, "fitted", src, langs)[mask]
                got.append(float(declined.mean()) if label == 0 else -float(declined.mean()))
        return float(np.mean(got)) if got else 0.0

    def beats_old_everywhere(lang: str) -> bool:
        """On every fitted unanswerable source with at least ``--min-source`` questions of the language, the
        model declines more than the old rule (a mean over sources let a few small report sets outvote the
        one large English set, where the model declined less)."""
        wins = []
        for src, (_, label) in fit_sets.items():
            mask = is_en(fit_sets, src) == (lang == "en")
            if label == 0 and mask.sum() >= args.min_source:
                wins.append((~verdicts(fit_sets, "fitted", src, (lang,))[mask]).mean()
                            > (~verdicts(fit_sets, "fitted", src, ())[mask]).mean())
        return bool(wins) and all(wins) and margin(lang, (lang,)) > margin(lang, ())

    # the model decides for a language only where it beats the old rule on the fitted data
    languages = tuple(lang for lang in args.languages if beats_old_everywhere(lang))

    def table(part: dict, part_name: str) -> dict:
        out = {}
        for src, (ms, label) in part.items():
            row = {}
            for name, langs in (("new", languages), ("model", ("en", "zh")), ("old", ())):
                declined = ~verdicts(part, part_name, src, langs)
                row[name] = round(float(declined.mean()), 4) if len(declined) else 0.0
            out[src] = {"questions": len(ms), "kind": "answerable" if label else "unanswerable",
                        ("false_declines" if label else "declined"): row}
        return out

    report = {"threshold": {k: round(v, 4) for k, v in thresholds.items()}, "languages": list(languages),
              "margins": {lang: {"model": round(margin(lang, (lang,)), 4), "old": round(margin(lang, ()), 4)}
                          for lang in ("en", "zh")},
              "no_weight": list(args.no_weight),
              "fitted": table(fit_sets, "fitted"), "held_out": table(held_sets, "held_out")}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.dump:
        # scores over their language's threshold: one curve for both languages
        def lifted(src: str) -> list[float]:  # the questions of the languages the model decides for
            en = is_en(held_sets, src)
            ours = np.where(en, "en" in languages, "zh" in languages)
            lift = scores["held_out"][src] - np.where(en, thresholds["en"], thresholds["zh"])
            return [float(v) for v in lift[ours]]

        pos = [(s, v) for s, (_, lab) in held_sets.items() if lab == 1 for v in lifted(s)]
        neg = [(s, v) for s, (_, lab) in held_sets.items() if lab == 0 for v in lifted(s)]
        args.dump.write_text(json.dumps({"threshold": 0.0, "positives": [v for _, v in pos],
                                         "positive_sources": [s for s, _ in pos], "negatives": [v for _, v in neg],
                                         "negative_sources": [s for s, _ in neg],
                                         "note": "held-out questions only (never fitted on), of the languages the "
                                                 f"model decides for ({', '.join(languages)}); each score is the "
                                                 "model's probability minus its language's threshold"}) + "\n")
    if args.dry_run:
        return 0
    data = json.loads(args.model.read_text(encoding="utf-8"))
    data["decline_model"] = {
        "features": list(QUESTION_FEATURES),
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(intercept, 6),
        "threshold": {k: round(v, 4) for k, v in thresholds.items()},
        "languages": list(languages),
        "provenance": {
            "fitted_on": {src: len(ms) for src, (ms, _) in fit_sets.items()},
            "held_out": {src: len(ms) for src, (ms, _) in held_sets.items()},
            "bench": f"{args.bench.name}: questions with answers {args.skip}..{args.skip + args.per_set - 1} fitted, "
                     f"0..{args.held - 1} held out",
            "gold": f"{args.gold.name}: answerable half fitted (seed {args.seed}), half held out" if args.gold else "",
            "date": dt.date.today().isoformat(),
            "command": recorded_command("scripts/fit_decline.py", [extra_recorded(a) for a in argv or sys.argv[1:]]),
            "model": embedder.name,
            "report": report,
        },
    }
    args.model.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
