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


def evaluate_retrieval(gold: list[dict], search: Callable[[str], list[str]]) -> dict:
    """``search(question)`` returns the ranked passage texts (at least 10). Unanswerable questions are left out."""
    ranks_by_lang: dict[str, list[int]] = defaultdict(list)
    details = []
    for q in gold:
        keys = evidence_keys(q)
        if q.get("type") == "unanswerable" or not keys:
            continue
        rank = first_hit_rank(search(q["question"]), keys)
        ranks_by_lang[q.get("lang", "?")].append(rank)
        details.append({"id": q.get("id"), "lang": q.get("lang"), "rank": rank})
    all_ranks = [r for rs in ranks_by_lang.values() for r in rs]
    result = retrieval_metrics(all_ranks)
    result["by_lang"] = {lang: retrieval_metrics(rs) for lang, rs in sorted(ranks_by_lang.items())}
    result["details"] = details
    return result


def evaluate_bench(questions: list[dict], retriever) -> dict:
    """Bench format: a question is retrieved when its gold ``pid`` is ranked; by language and by retriever."""
    ranks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        res = retriever.search(q["question"], k=10, detect_filters=False)
        pid = str(q["pid"])
        fused = next((r for r, h in enumerate(res.hits, 1) if h.chunk.chunk_id == pid), 0)
        lang = q.get("lang", "?")
        ranks[lang]["fused"].append(fused)
        for kind, ranked in retriever.single_rankings(q["question"], k=10).items():
            ranks[lang][kind].append(next((r for r, i in enumerate(ranked, 1)
                                           if retriever.index.chunks[i].chunk_id == pid), 0))
    all_fused = [r for by in ranks.values() for r in by["fused"]]
    out = retrieval_metrics(all_fused)
    out["by_lang"] = {lang: retrieval_metrics(by["fused"]) for lang, by in ranks.items()}
    out["by_retriever"] = {kind: retrieval_metrics([r for by in ranks.values() for r in by[kind]])
                           for kind in ("dense", "keyword")}
    return out
