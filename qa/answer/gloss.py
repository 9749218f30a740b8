"""How much of an English question a Chinese sentence says, read from the sentence's side: the share of the
question's content words that the dictionary glosses of the sentence's words name.

An English question reaches Chinese text through the headwords the dictionary lists for each of its words
(``qa.search.lexicon``), best first and a few per word. A report often uses another headword: "places" lists
所在, 地点 ... and never 学位, which CC-CEDICT glosses "place in school"; "complete" never reaches 完工 ("to
complete a project"). Read the other way, from each word of the sentence to the English words of its glosses
(``lexicon.glossed_words``: the same dictionary, no other list), such a sentence covers the word it was missing.

The share is one more piece of evidence for the sentence scorer: its weight (``gloss_weight`` in
``qa/data/answer_model.json``) is fitted by ``scripts/fit_gloss_weight.py``, with the data it was fitted on.

>>> words = question_words("By how many places did school capacity in Taojiang County grow in 2021?")
>>> words
['places', 'school', 'capacity', 'grow']
>>> gloss_coverage(words, ["2021年,桃江县新增学位8935个", "改扩建学校72所"]).round(2).tolist()
[0.36, 0.15]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa.search.lexicon import PLACE_LEVELS, content_words, glossed_words, spellings
from qa.search.spelling import capitalized_names
from qa.store.keyword import tokenize
from qa.textnorm import normalize


def question_words(question: str) -> list[str]:
    """The content words of an English question that a sentence may gloss: not function words, not names (a
    capitalized word past the first: places reach the text through the gazetteer), not a level of division
    ("county": the place asked about) and not digits (years are filters, figures are read apart)."""
    names = capitalized_names(question)
    return [w for w in dict.fromkeys(content_words(question))
            if w not in names and w not in PLACE_LEVELS and not w.isdigit()]


@lru_cache(maxsize=20000)
def _sentence_glosses(sentence: str) -> frozenset[str]:
    """The English words the dictionary glosses the words of ``sentence`` with."""
    table = glossed_words()
    out: set[str] = set()
    for token in tokenize(normalize(sentence), normalized=True):
        out |= table.get(token, frozenset())
    return frozenset(out)


@lru_cache(maxsize=4096)
def _forms(word: str) -> tuple[str, ...]:
    return tuple(spellings(word))


def gloss_coverage(words: Sequence[str], sentences: Sequence[str]) -> np.ndarray:
    """For each of a question's candidate ``sentences``: the share of ``words`` (``question_words``) that a
    gloss of some word of the sentence names (any form: "places" is named by "place"), each word weighed by
    how few of the candidates gloss it (``log((n + 1) / (k + 1)) + 1`` of ``n`` candidates, ``k`` glossing it):
    a word every candidate glosses tells none of them apart. Zeros without words.

    >>> gloss_coverage(["teachers", "trained"], ["培训教师300人", "教师2405人", "学生31024人"]).round(2).tolist()
    [1.0, 0.43, 0.0]
    """
    if not words or not sentences:
        return np.zeros(len(sentences))
    named = np.array([[any(f in glossed for f in _forms(w)) for w in words]
                      for glossed in map(_sentence_glosses, sentences)], dtype=np.float64)
    weight = np.log((len(sentences) + 1) / (named.sum(axis=0) + 1)) + 1.0
    return named @ weight / weight.sum()
