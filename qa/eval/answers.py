"""Answer metrics for ``qa eval``: answer hit, citation hit, abstention, unsupported numbers."""

from __future__ import annotations

from collections import defaultdict

from qa.answer.verify import cited_text, unsupported_numbers
from qa.eval.gold import evidence_keys
from qa.textnorm import match_key


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def _metrics(rows: list[dict]) -> dict:
    answerable = [r for r in rows if not r["unanswerable"]]
    unanswerable = [r for r in rows if r["unanswerable"]]
    return {
        "answer_hit": _rate([r["answer_hit"] for r in answerable]),
        "citation_hit": _rate([r["citation_hit"] for r in answerable]),
        "abstain_accuracy": _rate([r["abstained"] for r in unanswerable]),
        "false_abstain": _rate([r["abstained"] for r in answerable]),
        "unsupported_numbers": sum(r["unsupported_numbers"] for r in rows),
    }


def evaluate_answers(gold: list[dict], answerer) -> dict:
    rows = []
    for q in gold:
        a = answerer.ask(q["question"])
        text_key = match_key(a.text)
        keys = evidence_keys(q)
        sources = {c.n: cited_text(c) for c in a.citations}  # as the answer check reads them
        rows.append({
            "id": q.get("id"), "lang": q.get("lang", "?"), "unanswerable": q.get("type") == "unanswerable",
            "abstained": a.abstained,
            "answer_hit": any(match_key(x) in text_key for x in q.get("answers") or [] if match_key(x)),
            "citation_hit": any(any(k in match_key(c.chunk.text) for k in keys) for c in a.citations),
            "unsupported_numbers": sum(len(unsupported_numbers(line, sources)) for line in a.text.split("\n"))
            if sources else 0,
        })
    by_lang = defaultdict(list)
    for r in rows:
        by_lang[r["lang"]].append(r)
    out = _metrics(rows)
    out["answers_by_lang"] = {lang: _metrics(rs) for lang, rs in sorted(by_lang.items())}
    out["answer_details"] = [{k: r[k] for k in ("id", "abstained", "answer_hit", "citation_hit")} for r in rows]
    return out


def evaluate_bench_answers(questions: list[dict], answerer, *, detect_filters: bool = False) -> dict:
    """Bench format (``pid``, ``answers``): answer hit (a gold span in the answer text), citation hit (the
    gold passage is cited) and declines, overall and by language. Questions without ``answers`` are skipped.
    ``detect_filters``: each question is asked with the year and place filters it names, as the product asks.

    >>> evaluate_bench_answers([], answerer=None)["answers_n"]
    0
    """
    rows = []
    for q in questions:
        spans = [k for k in (match_key(x) for x in q.get("answers") or []) if k]
        if not spans:
            continue
        a = answerer.ask(q["question"], detect_filters=detect_filters)
        text_key = match_key(a.text)
        rows.append({"lang": q.get("lang", "?"), "abstained": a.abstained,
                     "answer_hit": any(s in text_key for s in spans),
                     "citation_hit": any(c.chunk.chunk_id == str(q["pid"]) for c in a.citations)})

    def summary(rs: list[dict]) -> dict:
        return {"answer_hit": _rate([r["answer_hit"] for r in rs]),
                "citation_hit": _rate([r["citation_hit"] for r in rs]),
                "declined": _rate([r["abstained"] for r in rs])}

    by_lang = defaultdict(list)
    for r in rows:
        by_lang[r["lang"]].append(r)
    return {"answers_n": len(rows), **summary(rows),
            "answers_by_lang": {lang: summary(rs) for lang, rs in sorted(by_lang.items())}}
