"""Whether the retrieved passages answer the question at all: one calibrated probability per question.

The sentence scorer (``qa/answer/scorer.py``) says which sentence is best; its probability alone declined
only half of the questions the reports do not answer, because a sentence on the same people or the same
programme scores well whether or not it gives what is asked. This model looks at the question's candidates
as a whole: how well the best of them is supported, how close the question's vector comes to any sentence
and passage, how much of what is asked (and, for a figure, of what is counted) the best sentences name, and
whether a figure is there at all.

Its weights are a logistic regression fitted by ``scripts/fit_decline.py`` on public reading-comprehension
sets, where a question is answerable with its passage in the corpus and unanswerable with every passage
holding its answer taken out (the same topic and people stay: the hard case), plus questions of one set
asked of another corpus and report questions whose place or year was swapped. The thresholds (one per
language) are chosen on those data (at most a fitted share of answerable questions declined) and stored with
the weights in ``qa/data/answer_model.json`` under ``decline_model``.

>>> import numpy as np
>>> from qa.answer.scorer import FEATURES
>>> m = np.zeros((2, len(FEATURES)))
>>> row = question_row(m, np.array([0.2, 0.6]), np.array([0.1, 0.3]))
>>> float(dict(zip(QUESTION_FEATURES, row))["best_support"])
0.3
>>> question_row(np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0)).tolist() == [0.0] * len(QUESTION_FEATURES)
True

The off-topic gate (``OffTopicGate``) declines an English question that no passage of the corpus is near (the
capital of France, asked of education reports), whatever its best sentence scores; ``scripts/fit_offtopic.py``
fits it on questions of one set asked of another set's corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qa.answer.scorer import FEATURES

QUESTION_FEATURES = (
    "best_support",  # the support model's highest probability among the candidates
    "second_support",  # the next highest (an answer is often stated twice, a stray match once)
    "best_choice",  # the choice model's highest probability
    "best_s_cos",  # the highest cosine between the question and a sentence
    "top_p_cos",  # the cosine between the question and the first passage
    "best_coverage",  # the largest share of the question's concepts one sentence holds
    "best_chunk_coverage",  # ... one passage holds
    "best_focus",  # ... of the asking clause's concepts
    "best_run",  # the longest run of characters shared with the question (scaled)
    "figure_measured",  # figure question: the largest share of what is counted named beside a new figure
    "figure_found",  # figure question: some candidate states a figure the question does not
    "numeric",  # the question asks for a figure
    "english",  # the question is in English
    "english_s_cos",  # english * best_s_cos (cross-lingual cosines sit lower)
    "english_coverage",  # english * best_coverage (dictionary senses miss words)
)

_COL = {name: i for i, name in enumerate(FEATURES)}


def question_row(matrix: np.ndarray, choice: np.ndarray, support: np.ndarray) -> np.ndarray:
    """The question-level features (``QUESTION_FEATURES``) of one question's candidate rows."""
    if not len(matrix):
        return np.zeros(len(QUESTION_FEATURES))
    m = np.asarray(matrix, dtype=np.float64)
    col = {name: m[:, i] for name, i in _COL.items()}
    ranked = np.sort(np.asarray(support, dtype=np.float64))[::-1]
    numeric = float(col["numeric"].max() > 0)
    english = float(col["english"].max() > 0)
    new_fig = col["numeric_new_figure"] > 0
    best_s_cos = float(col["s_cos"].max())
    best_cov = float(col["coverage"].max())
    first = col["inv_rank"] == col["inv_rank"].max()
    return np.array([
        float(ranked[0]),
        float(ranked[1]) if len(ranked) > 1 else 0.0,
        float(np.max(choice)),
        best_s_cos,
        float(col["p_cos"][first].max()),
        best_cov,
        float(col["chunk_coverage"].max()),
        float(col["focus_coverage"].max()),
        float(col["shared_run"].max()),
        float(col["numeric_measured"][new_fig].max()) if numeric and new_fig.any() else 0.0,
        float(numeric and new_fig.any()),
        numeric,
        english,
        english * best_s_cos,
        english * best_cov,
    ])


@dataclass(frozen=True)
class DeclineModel:
    """A logistic regression over ``QUESTION_FEATURES`` and the thresholds chosen for it, one for English
    questions (asked of Chinese text, they are matched less surely) and one for Chinese ones. It decides only
    for the languages in ``languages``: those where it declined more of the fitted unanswerable questions than
    the sentence support alone, for the same false declines (the fitting script chooses).

    Where the choice model rates some candidate at least ``answer_above`` (per language), the question is
    answered whatever the rest says. The regression leans on how many of the question's words the sentences
    repeat, which the public sets' questions mostly copy from their passages; a question asked in its own words
    ("有多少孩子上了幼儿园" of "在园幼儿3120人") repeats few, and was declined with its answer rated first. The bound is
    fitted (``scripts/fit_decline.py --override-only``) so that it answers at most a small share of the fitted
    unanswerable questions the model declines.

    >>> from dataclasses import replace
    >>> row = np.zeros(len(QUESTION_FEATURES)); row[QUESTION_FEATURES.index("best_choice")] = 0.7
    >>> m = DeclineModel((0.0,) * len(QUESTION_FEATURES), -10.0, 0.5, 0.5, ("zh",))
    >>> [replace(m, answer_above=bound).answers(row) for bound in ({}, {"zh": 0.68}, {"zh": 0.75}, {"en": 0.5})]
    [False, True, False, False]
    """

    coef: tuple[float, ...]
    intercept: float
    threshold_en: float
    threshold_zh: float
    languages: tuple[str, ...] = ("en", "zh")
    answer_above: dict[str, float] = field(default_factory=dict)  # best_choice from which it answers, per language

    def probability(self, row: np.ndarray) -> float:
        """P(the candidates answer the question)."""
        z = float(np.asarray(row, dtype=np.float64) @ np.asarray(self.coef)) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def threshold(self, row: np.ndarray) -> float:
        return self.threshold_en if row[QUESTION_FEATURES.index("english")] > 0 else self.threshold_zh

    def answers(self, row: np.ndarray) -> bool | None:
        """Whether the candidates answer the question; ``None`` when this model does not decide for its
        language (the sentence support does)."""
        lang = "en" if row[QUESTION_FEATURES.index("english")] > 0 else "zh"
        if lang not in self.languages:
            return None
        if lang in self.answer_above and row[QUESTION_FEATURES.index("best_choice")] >= self.answer_above[lang]:
            return True
        return bool(self.probability(row) >= self.threshold(row))


def read_decline_model(data: dict, source: str) -> DeclineModel | None:
    """The ``decline_model`` entry of a model file (``None`` when it has none); refused when its features are
    not this code's."""
    entry = data.get("decline_model")
    if not entry:
        return None
    if tuple(entry.get("features", ())) != QUESTION_FEATURES:
        raise ValueError(f"{source}: the decline model's features {entry.get('features')} are not "
                         f"{QUESTION_FEATURES}; refit it with scripts/fit_decline.py")
    return DeclineModel(tuple(float(c) for c in entry["coef"]), float(entry["intercept"]),
                        float(entry["threshold"]["en"]), float(entry["threshold"]["zh"]),
                        tuple(entry.get("languages", ("en", "zh"))),
                        {lang: float(v) for lang, v in (entry.get("answer_above") or {}).items()})


def _model_file(path=None) -> tuple[dict, str]:
    """The model file ``path`` (default: the shipped ``qa/data/answer_model.json``), read, and its name."""
    import json
    from pathlib import Path

    from qa.answer.scorer import MODEL_FILE, _shipped

    text = Path(path).read_text(encoding="utf-8") if path else _shipped()
    return json.loads(text), str(path or MODEL_FILE)


def load_decline(path=None) -> DeclineModel | None:
    """The decline model of ``path`` (default: the shipped ``qa/data/answer_model.json``)."""
    return read_decline_model(*_model_file(path))


OFFTOPIC_FEATURES = ("best_s_cos", "top_p_cos")  # columns of ``QUESTION_FEATURES``: how near the corpus comes


@dataclass(frozen=True)
class OffTopicGate:
    """A logistic regression over ``OFFTOPIC_FEATURES`` and its threshold: below it, the question is about
    something the corpus does not treat. It holds for the languages in ``languages`` and for the embedding model
    ``model`` only (cosine levels belong to one model).

    >>> gate = OffTopicGate((10.0, 10.0), -16.0, 0.5, ("en",), "m")
    >>> row = np.zeros(len(QUESTION_FEATURES)); row[QUESTION_FEATURES.index("english")] = 1
    >>> row[[QUESTION_FEATURES.index(f) for f in OFFTOPIC_FEATURES]] = 0.7
    >>> gate.declines(row, "m"), gate.declines(row, "m+onnx-int8"), gate.declines(row, "another model")
    (True, True, False)
    >>> row[QUESTION_FEATURES.index("best_support")] = 0.7  # a sentence this well supported answers (answer_above)
    >>> gate.declines(row, "m"), OffTopicGate((10.0, 10.0), -16.0, 0.5, ("en",), "m", 0.6).declines(row, "m")
    (True, False)
    """

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    languages: tuple[str, ...]
    model: str
    # a best sentence supported at least this well is no sign of another topic: the question is not declined
    # (fitted by scripts/fit_offtopic.py above the supports of the off-topic questions it declines)
    answer_above: float | None = None

    def probability(self, row: np.ndarray) -> float:
        """P(the corpus treats what the question asks about)."""
        x = np.asarray([row[QUESTION_FEATURES.index(f)] for f in OFFTOPIC_FEATURES], dtype=np.float64)
        return float(1.0 / (1.0 + np.exp(-(x @ np.asarray(self.coef) + self.intercept))))

    def declines(self, row: np.ndarray, model: str) -> bool:
        """Whether to decline a question with question-level features ``row``, asked with embedding model
        ``model`` (its backend suffix, "+onnx-int8", aside: a quantized copy keeps the cosines within a hair)."""
        lang = "en" if row[QUESTION_FEATURES.index("english")] > 0 else "zh"
        if self.answer_above is not None and row[QUESTION_FEATURES.index("best_support")] >= self.answer_above:
            return False
        return (model.split("+")[0] == self.model.split("+")[0] and lang in self.languages
                and self.probability(row) < self.threshold)


def read_offtopic(data: dict, source: str) -> OffTopicGate | None:
    """The ``offtopic_model`` entry of a model file (``None`` when it has none)."""
    entry = data.get("offtopic_model")
    if not entry:
        return None
    if tuple(entry.get("features", ())) != OFFTOPIC_FEATURES:
        raise ValueError(f"{source}: the off-topic gate's features {entry.get('features')} are not "
                         f"{OFFTOPIC_FEATURES}; refit it with scripts/fit_offtopic.py")
    return OffTopicGate(tuple(float(c) for c in entry["coef"]), float(entry["intercept"]), float(entry["threshold"]),
                        tuple(entry.get("languages", ("en",))), str(entry["model"]),
                        None if entry.get("answer_above") is None else float(entry["answer_above"]))


def load_offtopic(path=None) -> OffTopicGate | None:
    """The off-topic gate of ``path`` (default: the shipped ``qa/data/answer_model.json``)."""
    return read_offtopic(*_model_file(path))
