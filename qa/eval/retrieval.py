"""``qa eval``: retrieval (and answer) metrics over gold questions, with the matching rules of the gold set.

A retrieved passage is a hit when its normalized text (``match_key``: pinyin annotations out, t2s, all
whitespace deleted) contains a normalized evidence string.

>>> recall_at([0, 3, 0], 5)  # ranks of the first hit, 0 = none
0.3333333333333333
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from qa.eval.gold import evidence_keys
from qa.textnorm import match_key

KS = (1, 5, 10)


def first_hit_rank(texts: Iterable[str], keys: list[str]) -> int:
    """1-based rank of the first text containing any key, 0 when none does."""
    for rank, text in enumerate(texts, 1):
        t = match_key(text)
        if any(k in t for k in keys):
            return rank
    return 0


def recall_at(ranks: list[int], k: int) -> float:
    return sum(1 for r in ranks if 0 < r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: list[int], k: int = 10) -> float:
    return sum(1.0 / r for r in ranks if 0 < r <= k) / len(ranks) if ranks else 0.0


def retrieval_metrics(ranks: list[int]) -> dict:
    out = {"n": len(ranks)}
    for k in KS:
        out[f"recall@{k}"] = round(recall_at(ranks, k), 4)
    out["mrr@10"] = round(mrr_at(ranks, 10), 4)
    return out


def evaluate_retrieval(gold: list[dict], search: Callable[[str], list[str]],
                       singles: Callable[[str], dict[str, list[str]]] | None = None) -> dict:
    """``search(question)`` returns the ranked passage texts (at least 10). Unanswerable questions are left out.

    ``singles(question)`` (optional) gives each single retriever's ranked texts, reported under ``by_retriever``.
    """
    ranks_by_lang: dict[str, list[int]] = defaultdict(list)
    single_ranks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    details = []
    for q in gold:
        keys = evidence_keys(q)
        if q.get("type") == "unanswerable" or not keys:
            continue
        rank = first_hit_rank(search(q["question"]), keys)
        lang = q.get("lang", "?")
        ranks_by_lang[lang].append(rank)
        for kind, texts in (singles(q["question"]) if singles else {}).items():
            single_ranks[kind][lang].append(first_hit_rank(texts, keys))
        details.append({"id": q.get("id"), "lang": lang, "rank": rank})
    all_ranks = [r for rs in ranks_by_lang.values() for r in rs]
    result = retrieval_metrics(all_ranks)
    result["by_lang"] = {lang: retrieval_metrics(rs) for lang, rs in sorted(ranks_by_lang.items())}
    if single_ranks:
        result["by_retriever"] = _by_retriever(ranks_by_lang, single_ranks)
    result["details"] = details
    return result


def _by_retriever(fused: dict[str, list[int]], singles: dict[str, dict[str, list[int]]]) -> dict:
    """Fused, dense and keyword metrics side by side, over all questions and per language."""
    out = {"fused": _with_langs(fused)}
    for kind, by_lang in singles.items():
        out[kind] = _with_langs(by_lang)
    return out


def _with_langs(by_lang: dict[str, list[int]]) -> dict:
    out = retrieval_metrics([r for rs in by_lang.values() for r in rs])
    out["by_lang"] = {lang: retrieval_metrics(rs) for lang, rs in sorted(by_lang.items())}
    return out


def evaluate_bench(questions: list[dict], retriever, *, detect_filters: bool = False) -> dict:
    """Bench format: a question is retrieved when its gold ``pid`` is ranked; by language and by retriever.

    ``by_retriever`` holds fused, dense and keyword metrics of the same run, each also per language.
    ``detect_filters``: the fused ranking reads year and place filters from the question, as the product does
    (off by default: bench passages carry no report metadata, but a year still changes the queries).
    """
    ranks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        res = retriever.search(q["question"], k=10, detect_filters=detect_filters)
        pid = str(q["pid"])
        lang = q.get("lang", "?")
        ranks["fused"][lang].append(next((r for r, h in enumerate(res.hits, 1) if h.chunk.chunk_id == pid), 0))
        for kind, ranked in retriever.single_rankings(q["question"], k=10).items():
            ranks[kind][lang].append(next((r for r, c in enumerate(retriever.index.chunks_at(ranked), 1)
                                           if c.chunk_id == pid), 0))
    out = retrieval_metrics([r for rs in ranks["fused"].values() for r in rs])
    out["by_lang"] = {lang: retrieval_metrics(rs) for lang, rs in sorted(ranks["fused"].items())}
    out["by_retriever"] = {kind: _with_langs(ranks[kind]) for kind in ("fused", "dense", "keyword")}
    return out
