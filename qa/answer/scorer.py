"""The fitted sentence scorer: features of a candidate sentence -> probability that it holds the answer.

The features combine the multilingual model's cosine between the question and the sentence (cross-lingual
by construction) with keyword coverage, figure fit, question kind, passage rank and position. The weights
are fitted by ``scripts/fit_answer_model.py`` on public reading-comprehension sets (the choice model listwise:
a softmax over each question's candidates, calibrated into a probability afterwards);
they are read from ``qa/data/answer_model.json`` (with the data, date and command they came from), so
scoring needs numpy only.

Two models, because choosing and declining need different evidence. The *choice* model ranks the sentences
of one question: it leans on the gaps to the question's best cosine, which say which sentence is best but
not whether any is good. The *support* model (fitted on the same labels without the gap features, so its
probability stays comparable across questions) says whether some sentence answers at all; the answer
declines when the best support is below the fitted threshold. A file with no support model uses the choice
model for both.

>>> m = load_model()
>>> len(m.coef) == len(FEATURES) and "datasets" in m.provenance
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

FEATURES = (
    "s_cos",  # cosine(question, sentence); the passage's cosine when the sentence was not embedded
    "s_cos_gap",  # s_cos minus the best s_cos among the candidates
    "p_cos",  # cosine(question, passage)
    "p_cos_gap",  # p_cos minus the best passage's
    "prior",  # fused retrieval score / the top hit's
    "inv_rank",  # 1 / (1 + passage rank)
    "coverage",  # share (by weight) of the question's concepts the sentence holds
    "chunk_coverage",  # the same for the whole passage
    "shared_run",  # longest run of characters shared with the question (scaled to [0, 1])
    "numeric",  # the question asks for a figure
    "numeric_new_figure",  # ... and the sentence states a figure the question does not
    "numeric_figure_fit",  # ... and that figure's unit / neighbouring word fits
    "has_number",  # the sentence states some figure
    "position",  # the sentence's place in its passage, 0 = first, 1 = last
    "english",  # the question is in English
    "english_s_cos",  # english * s_cos_gap: the model matters more when keywords are thin
    "english_coverage",  # english * coverage
    "log_length",  # log of the sentence's length in characters
    "list",  # the question asks for a list
    "focus_coverage",  # share of the concepts of the asking clause the sentence holds
    "numeric_measured",  # figure question: share of what is counted that the sentence names
)


@dataclass(frozen=True)
class AnswerParams:
    """Every number that decides what an answer says. Fitted ones come from the model JSON; the rest are
    limits of presentation and cost, named here so that no bare number decides anything in the code."""

    read_hits: int = 8  # passages whose sentences are candidates
    read_hits_wide: int = 10  # an unscoped list question may be answered by several reports
    embed_hits: int = 4  # passages whose sentences are embedded at question time (latency: bench/README.md)
    max_embed_sentences: int = 32  # at most this many sentences embedded per question
    vector_cache: int = 20000  # sentence vectors kept between questions (~30 MB at 384 dimensions)
    passage_coverage_share: float = 0.8  # a sentence's coverage: at least this share of its paragraph's
    phrase_full: int = 10  # a shared run this long scores fully
    max_quote: int = 110  # characters of a quote before it is shortened
    list_items: int = 4  # quotes in a list answer
    other_items: int = 3  # quotes in a figure or fact answer
    same_report_discount: float = 0.6  # an unscoped answer prefers further quotes from other reports
    list_keep: float = 0.6  # a further list quote must score this share of the best
    list_keep_new_report: float = 0.4  # ... or this share when it comes from another report
    other_report_keep: float = 0.85  # a further quote from another report: this share of the best
    indirect_keep: float = 0.7  # a figure answer whose best quote is indirect: more quotes above this share
    runner_up_keep_en: float = 2.0  # a fact or figure answer also quotes the runner-up sentence when it scores
    runner_up_keep_zh: float = 2.0  # ... this share of the best (fitted per language; 2.0: never)
    runner_up_other_en: float = 2.0  # ... or a sentence of another passage of the best one's report, at this
    runner_up_other_zh: float = 2.0  # share (fitted per language: scripts/fit_runner_up_other.py; 2.0: never)
    direct_focus: float = 0.7  # share of the asked concepts a direct statement names
    direct_coverage: float = 0.5  # and of all the question's concepts
    measured_min: float = 0.5  # share of what is counted a sentence must name to give its figure
    figure_pool: int = 8  # candidates searched for a figure
    masked_pool: int = 12  # candidates searched for a masked figure
    decline_below: float = 0.2  # decline when the best sentence's probability is below this (fitted)
    # ... for an English question (fitted on English questions alone: scripts/fit_support_threshold.py);
    # None: ``decline_below``
    decline_below_en: float | None = None
    # the choice score's weight on an English sentence's gloss coverage (``qa.answer.gloss``; fitted by
    # scripts/fit_gloss_weight.py, 0.0: not used)
    gloss_weight: float = 0.0
    coef: tuple[float, ...] = ()
    intercept: float = 0.0
    trees: tuple[Tree, ...] = ()  # boosted trees added to the linear score (none: plain logistic regression)
    support_coef: tuple[float, ...] = ()  # the decline model (empty: the choice model decides declines too)
    support_intercept: float = 0.0
    provenance: dict = field(default_factory=dict, compare=False, hash=False)

    def support_floor(self, lang: str) -> float:
        """The support below which a question in ``lang`` is declined (when no decline model decides for it).

        >>> AnswerParams(decline_below=0.13, decline_below_en=0.1).support_floor("en")
        0.1
        >>> AnswerParams(decline_below=0.13).support_floor("en"), AnswerParams(decline_below=0.13).support_floor("zh")
        (0.13, 0.13)
        """
        if lang == "en" and self.decline_below_en is not None:
            return self.decline_below_en
        return self.decline_below

    def probability(self, x: np.ndarray, gloss: np.ndarray | None = None) -> np.ndarray:
        """P(sentence holds the answer) for each row of features ``x`` (n, len(FEATURES)); ``gloss``: each
        sentence's gloss coverage (``qa.answer.gloss``), weighed by ``gloss_weight``.

        >>> m = AnswerParams(coef=(0.0,) * len(FEATURES), gloss_weight=2.0)
        >>> m.probability(np.zeros((2, len(FEATURES))), np.array([0.0, 0.5])).round(3).tolist()
        [0.5, 0.731]
        """
        if not self.coef:
            return np.zeros(len(x))
        x = np.asarray(x, dtype=np.float64)
        z = x @ np.asarray(self.coef) + self.intercept
        if gloss is not None and self.gloss_weight:
            z = z + self.gloss_weight * np.asarray(gloss, dtype=np.float64)
        for tree in self.trees:
            z = z + tree.predict(x)
        return 1.0 / (1.0 + np.exp(-z))

    def support(self, x: np.ndarray) -> np.ndarray:
        """P(sentence holds the answer) from the features that do not compare a sentence with the question's
        other candidates: what the decline threshold is set on."""
        if not self.support_coef:
            return self.probability(x)
        z = np.asarray(x, dtype=np.float64) @ np.asarray(self.support_coef) + self.support_intercept
        return 1.0 / (1.0 + np.exp(-z))


# features that compare a candidate with the question's best one: they rank, they do not say "answered"
GAP_FEATURES = ("s_cos_gap", "p_cos_gap", "english_s_cos")


@dataclass(frozen=True)
class Tree:
    """One regression tree of a boosted model, as flat arrays (node i: ``feature[i] < 0`` marks a leaf).

    >>> t = Tree(feature=(0, -1, -1), threshold=(0.5, 0, 0), left=(1, -1, -1), right=(2, -1, -1), value=(0, -1, 2))
    >>> t.predict(np.array([[0.2], [0.9]])).tolist()
    [-1.0, 2.0]
    """

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]  # the leaf's contribution to the log-odds (learning rate included)

    def predict(self, x: np.ndarray) -> np.ndarray:
        feature, threshold = np.asarray(self.feature), np.asarray(self.threshold)
        left, right, value = np.asarray(self.left), np.asarray(self.right), np.asarray(self.value, dtype=np.float64)
        node = np.zeros(len(x), dtype=np.int64)
        while True:
            inner = feature[node] >= 0
            if not inner.any():
                return value[node]
            rows = np.nonzero(inner)[0]
            go_left = x[rows, feature[node[rows]]] <= threshold[node[rows]]
            node[rows] = np.where(go_left, left[node[rows]], right[node[rows]])


MODEL_FILE = "data/answer_model.json"


def load_model(path: Path | None = None) -> AnswerParams:
    """The parameters in ``path`` (default: the shipped ``qa/data/answer_model.json``).

    A file whose features are not this code's is refused: its weights would be applied to the wrong inputs.
    """
    text = Path(path).read_text(encoding="utf-8") if path else _shipped()
    data = json.loads(text)
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError(f"{path or MODEL_FILE}: the model's features {data.get('features')} are not {FEATURES}; "
                         "refit it with scripts/fit_answer_model.py")
    known = AnswerParams.__dataclass_fields__
    params = {k: v for k, v in data.get("params", {}).items() if k in known}
    trees = tuple(Tree(**{k: tuple(v) for k, v in t.items()}) for t in data.get("trees", ()))
    support = data.get("support", {})
    if support and len(support.get("coef", ())) != len(FEATURES):
        raise ValueError(f"{path or MODEL_FILE}: the support model has {len(support['coef'])} weights, "
                         f"not {len(FEATURES)}; refit it with scripts/fit_answer_model.py")
    return AnswerParams(coef=tuple(float(c) for c in data["coef"]), intercept=float(data["intercept"]),
                        trees=trees, support_coef=tuple(float(c) for c in support.get("coef", ())),
                        support_intercept=float(support.get("intercept", 0.0)),
                        provenance=data.get("provenance", {}), **params)


@lru_cache(maxsize=1)
def _shipped() -> str:
    return resources.files("qa").joinpath(MODEL_FILE).read_text(encoding="utf-8")
