"""What the keyword side searches for: a Chinese question's own tokens, an English one's Chinese headwords
(``qa.search.lexicon``) as the dense top passages read them; and the question's tokens no paragraph holds."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np

from qa.search.fusion import FusionParams
from qa.search.lexicon import content_words, match, stopwords
from qa.search.names import name_groups
from qa.store.keyword import KeywordIndex, nouns_ending, tokenize
from qa.textnorm import cjk_ratio, normalize

CHINESE_QUESTION = 0.3  # share of CJK from which a question is searched by its own words


def keyword_query(question: str, qnorm: str, keywords: KeywordIndex, dense_top: np.ndarray, p: FusionParams, *,
                  lexicon: bool = True, top_texts: Callable[[], Sequence[str]] | None = None,
                  names: tuple[tuple[str, ...], ...] | None = None) -> tuple[str, float]:
    """What BM25 searches for, and the share of the question it covers.

    A Chinese question is searched by its own tokens (coverage: the share the index holds). An English one by
    the tokens the index holds as written (figures, Latin names) and, through the lexicon, by the Chinese
    headwords of its words: of a word's headwords that the index holds, the ones that occur in the dense top
    passages (the model's reading of the question), else the dictionary's first. A word without headwords in the
    index is searched by a fallback (``qa.search.lexicon.fallback``; compounds from ``top_texts``, the dense
    top passages' keyword texts) only where the dense top passages use it. Coverage: the share of the English content
    words that found a headword.
    """
    if cjk_ratio(question) >= CHINESE_QUESTION:
        toks = tokenize(qnorm, normalized=True)
        return qnorm, (sum(1 for t in toks if t in keywords.vocab) / len(toks) if toks else 0.0)
    stop = stopwords()
    direct = [t for t in tokenize(qnorm, normalized=True) if t in keywords.vocab and t not in stop and len(t) > 1]
    # names written in pinyin: the corpus's tokens that read so (``question_names``)
    groups = name_groups(question, keywords) if names is None else names
    direct += [t for g in groups for t in g]
    words = content_words(question)
    if not lexicon or not words:
        return " ".join(direct), 0.0
    terms, covered = [], len(groups)  # a name the corpus writes is a word covered
    compounds = _compounds_in(keywords.vocab, top_texts)
    for m in match(question, keep=lambda zh: zh in keywords.vocab, compounds=compounds):
        used = [e.zh for e in m.entries if keywords.occurs_in(e.zh, dense_top)][: 1 if m.derived else p.per_word]
        terms.extend(used or ([] if m.derived else [m.entries[0].zh]))  # a fallback only as the model reads it
        covered += len(m.english.split()) if used else 0
    return " ".join(direct + terms), covered / len(words)


def _compounds_in(vocab, top_texts: Callable[[], Sequence[str]] | None) -> Callable[[str], list[str]] | None:
    """The compounds the dense top passages (``top_texts()``, read once, when first needed) make of a
    one-character headword: the common nouns of jieba's dictionary that end in it (``nouns_ending``; Chinese
    compounds put their head last: 生猪 is a kind of pig, 猪肉 is no pig; not 一天 for 天 "sky", nor a name such as
    克拉拉), that the index holds and the passages write, in the most passages first."""
    if top_texts is None:
        return None
    seen: list[Sequence[str]] = []

    def compounds(char: str) -> list[str]:
        if not seen:
            seen.append(top_texts())
        texts = seen[0]
        found = []
        for word in nouns_ending(char):
            if word in vocab:
                where = [i for i, t in enumerate(texts) if word in t]
                if where:
                    found.append((-len(where), where[0], word))
        return [w for *_, w in sorted(found)]

    return compounds


def unseen_tokens(question: str, vocab) -> tuple[str, ...]:
    """The search tokens of a Chinese question that no paragraph holds (none for an English one)."""
    if cjk_ratio(question) < CHINESE_QUESTION:
        return ()
    return tuple(t for t in tokenize(normalize(question), normalized=True) if t not in vocab)


def question_names(question: str, keywords: KeywordIndex, known: Collection[str] = frozenset()
                   ) -> tuple[tuple[str, ...], ...]:
    """An English question's pinyin names (``qa.search.names``; ``known``: the readings of the places the
    reports are about or mention, which are the filters'), which the keyword side searches too."""
    if cjk_ratio(question) >= CHINESE_QUESTION:
        return ()
    return name_groups(question, keywords, known)
