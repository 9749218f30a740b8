"""Fit the best-sentence re-ranking of the fused passages (``sentence_en``/``sentence_zh`` in ``qa/data/fusion.json``).

For every question it runs the product's fusion (``Retriever.parts`` + ``fuse``, the shipped keyword weight),
keeps the top ``--depth`` passages and, for each, the question's best cosine with one of its sentences (the
vectors an index stores at index time). The weight of that cosine (``qa.search.fusion.by_sentences``) is then
chosen per question language on a grid, to maximise mean MRR@10 over the fitted part of the sets, and reported
on the part held out (each set's first ``--hold`` questions) and on sets not fitted at all.

English questions are fitted on XQuAD English->Chinese (the only public English set here), Chinese ones on
CMRC2018 and DRCD; XQuAD-zh and the gold file check both.

    python scripts/fit_sentence_rerank.py --bench ../shared/bench --gold ../shared/eval/dev.jsonl \\
        --corpus corpus --index index --limit 600 --hold 200 --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_fusion import load_set, metrics, question_vectors  # noqa: E402

from qa.eval.provenance import recorded_command  # noqa: E402
from qa.search.fusion import PARAMS_FILE, by_sentences, fitted_params, fuse, keyword_weight  # noqa: E402
from qa.search.retrieve import CHINESE_QUESTION, Retriever  # noqa: E402
from qa.textnorm import cjk_ratio  # noqa: E402

GRID = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
FIT = {"en": ("xquad-en2zh-dev",), "zh": ("cmrc2018-dev", "drcd-dev")}


def candidates(r: Retriever, question: str, qvec: np.ndarray, gold, depth: int) -> list[tuple[float, float, bool]]:
    """(fused score, best sentence cosine, is gold) of the fused top ``depth``, as the product ranks them."""
    p, index = r.params, r.index
    qvec = r.searched(qvec, question)  # the cached vector is the plain one
    pt = r.parts(question, qvec=qvec)
    hits = fuse(pt.d_ids, pt.d_scores, pt.kw_scores, keyword_weight(p, pt.evidence), depth,
                cosine=lambda ids: r.dense_scores(ids, qvec, question), candidates=p.candidates)
    out = []
    for pos, score, _, _ in hits:
        vecs = index.sentence_vectors(pos)
        if vecs is not None and len(vecs):
            best = float(np.max(vecs @ qvec))
        else:  # no quotable sentence: the passage's own cosine, as the product does
            best = float(index.cosine(np.array([pos]), qvec)[0])
        out.append((score, best, bool(gold(pos))))
    return out


def ranks(rows: list[list[tuple[float, float, bool]]], weight: float, depth: int) -> np.ndarray:
    """The gold passage's 1-based rank in each question's re-ranked top 10 (0: not there)."""
    out = []
    for cands in rows:
        hits = [(i, s, 0, 0) for i, (s, _, _) in enumerate(cands)]
        best = {i: b for i, (_, b, _) in enumerate(cands)}
        order = [h[0] for h in by_sentences(hits, best.get, weight, depth)][:10]
        out.append(next((k + 1 for k, i in enumerate(order) if cands[i][2]), 0))
    return np.array(out)


def collect(args, name: str, embedder, home: Path) -> dict:
    idx, qs, golds = load_set(args, name, embedder, home)
    vecs = question_vectors(embedder, [q["question"] for q in qs], home, name)
    r = Retriever(idx, embedder, params=replace(fitted_params(), sentence_en=0.0, sentence_zh=0.0))
    rows = [candidates(r, q["question"], v, g, args.depth) for q, v, g in zip(qs, vecs, golds, strict=True)]
    lang = ["zh" if cjk_ratio(q["question"]) >= CHINESE_QUESTION else "en" for q in qs]
    print(f"{name}: {len(qs)} questions", file=sys.stderr)
    return {"rows": rows, "lang": lang}


def part(data: dict, lang: str, idx: slice | None = None) -> list:
    rows = [r for r, g in zip(data["rows"], data["lang"], strict=True) if g == lang]
    return rows[idx] if idx is not None else rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, required=True)
    ap.add_argument("--gold", type=Path)
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--limit", type=int, default=600, help="questions per bench set")
    ap.add_argument("--hold", type=int, default=200, help="each set's first N questions are held out")
    ap.add_argument("--max-passages", type=int, default=0)
    ap.add_argument("--depth", type=int, default=fitted_params().sentence_depth)
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--write", action="store_true", help="store the fitted weights in qa/data/fusion.json")
    args = ap.parse_args()

    from qa.config import Settings
    from qa.models.resolve import default_home
    from qa.runtime import load_embedder

    home = default_home()
    embedder = load_embedder(Settings())
    names = ["xquad-en2zh-dev", "cmrc2018-dev", "drcd-dev", "xquad-zh-dev"] + (["dev-gold"] if args.gold else [])
    data = {n: collect(args, n, embedder, home) for n in names}
    held = slice(0, args.hold)
    fitted = slice(args.hold, None)

    chosen = {}
    for lang, sets in FIT.items():
        fit_rows = [r for n in sets for r in part(data[n], lang, fitted)]
        score = {w: float(np.mean([metrics(ranks(fit_rows, w, args.depth))["mrr@10"]])) for w in GRID}
        chosen[lang] = max(GRID, key=lambda w: (round(score[w], 4), -w))
        print(f"{lang}: fitted MRR@10 by weight {score} -> {chosen[lang]}", file=sys.stderr)

    report = {}
    for n, d in data.items():
        for lang in ("en", "zh"):
            for label, sl in (("held out", held if n != "dev-gold" else None), ("fitted", fitted)):
                if n == "dev-gold" and label == "fitted":
                    continue
                rows = part(d, lang, sl)
                if not rows:
                    continue
                key = f"{n} {lang} {label}" + ("" if n in FIT[lang] else " (set not fitted)")
                report[key] = {"before": metrics(ranks(rows, 0.0, args.depth)),
                               "after": metrics(ranks(rows, chosen[lang], args.depth))}
    for key, v in report.items():
        b, a = v["before"], v["after"]
        print(f"| {key} | {b['n']} | {b['recall@1']:.3f} -> {a['recall@1']:.3f} | {b['recall@5']:.3f} -> "
              f"{a['recall@5']:.3f} | {b['mrr@10']:.3f} -> {a['mrr@10']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps({"chosen": chosen, "report": report}, indent=1), encoding="utf-8")
    if args.write:
        path = ROOT / "qa" / PARAMS_FILE
        stored = json.loads(path.read_text(encoding="utf-8"))
        stored["params"].update({"sentence_en": chosen["en"], "sentence_zh": chosen["zh"],
                                 "sentence_depth": args.depth})
        stored["sentence_provenance"] = {
            "fitted_on": {lang: [f"{n} questions {args.hold}..{args.limit}" for n in sets]
                          for lang, sets in FIT.items()},
            "held_out": f"each set's first {args.hold} questions; xquad-zh-dev and the gold file not fitted",
            "objective": "mean MRR@10 of the fitted questions of that language",
            "date": dt.date.today().isoformat(),
            "command": recorded_command("scripts/fit_sentence_rerank.py", sys.argv[1:]),
            "report": report,
        }
        path.write_text(json.dumps(stored, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
