"""The question-level decline model: its features, the shipped weights and their provenance, and its use."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.answer.compose import Answerer
from qa.answer.decline import (
    QUESTION_FEATURES,
    DeclineModel,
    OffTopicGate,
    load_decline,
    load_offtopic,
    question_row,
    read_decline_model,
    read_offtopic,
)
from qa.answer.scorer import FEATURES
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index

REPO = Path(__file__).resolve().parent.parent
QUESTION = "石泉县上半年累计排查安全隐患多少项?"


def rows(**columns) -> np.ndarray:
    """A candidate matrix of two rows with the given columns set."""
    m = np.zeros((2, len(FEATURES)))
    for name, values in columns.items():
        m[:, FEATURES.index(name)] = values
    return m


def feature(row: np.ndarray, name: str) -> float:
    return float(row[QUESTION_FEATURES.index(name)])


def test_question_row_summarizes_the_candidates():
    m = rows(s_cos=[0.7, 0.8], p_cos=[0.75, 0.6], inv_rank=[1.0, 0.5], coverage=[0.2, 0.9], english=[1, 1])
    row = question_row(m, np.array([0.4, 0.1]), np.array([0.3, 0.6]))
    assert feature(row, "best_support") == 0.6 and feature(row, "second_support") == 0.3
    assert feature(row, "best_choice") == 0.4 and feature(row, "best_s_cos") == 0.8
    assert feature(row, "top_p_cos") == 0.75  # the first passage's, not the best
    assert feature(row, "english_coverage") == pytest.approx(0.9) and feature(row, "numeric") == 0.0


def test_a_figure_counts_only_for_figure_questions():
    m = rows(numeric=[1, 1], numeric_new_figure=[0, 1], numeric_measured=[0.9, 0.4])
    row = question_row(m, np.zeros(2), np.zeros(2))
    assert feature(row, "figure_found") == 1.0 and feature(row, "figure_measured") == 0.4
    none = question_row(rows(numeric=[1, 1], numeric_measured=[0.9, 0.4]), np.zeros(2), np.zeros(2))
    assert feature(none, "figure_found") == 0.0 and feature(none, "figure_measured") == 0.0


def test_the_shipped_decline_model_has_its_provenance():
    model = load_decline()
    assert model is not None and len(model.coef) == len(QUESTION_FEATURES) and all(np.isfinite(model.coef))
    assert 0.0 < model.threshold_en < 1.0 and 0.0 < model.threshold_zh < 1.0
    data = json.loads((REPO / "qa" / "data" / "answer_model.json").read_text(encoding="utf-8"))
    prov = data["decline_model"]["provenance"]
    assert "fit_decline.py" in prov["command"] and not any(p in prov["command"] for p in ("/work/", "/root/"))
    assert any("answer taken out" in s for s in prov["fitted_on"]) and prov["held_out"]
    held = prov["report"]["held_out"]
    assert all(v["questions"] > 0 for v in held.values())


def test_the_shipped_answer_above_bound_is_fitted_and_read():
    """A candidate the choice model rates at least the fitted bound is answered, whatever the regression says;
    the bound is read from the model file with its provenance (fitted by the script, on unanswerable sources)."""
    data = json.loads((REPO / "qa" / "data" / "answer_model.json").read_text(encoding="utf-8"))
    entry = data["decline_model"]
    prov = entry["provenance"]["answer_above"]
    assert "--override-only" in prov["command"] and not any(p in prov["command"] for p in ("/work/", "/root/"))
    assert prov["fitted_on"] and 0.0 < prov["cost"] < 0.1
    model = load_decline()
    assert set(model.answer_above) == set(model.languages) and all(0.3 < v < 1.0 for v in model.answer_above.values())
    row = np.zeros(len(QUESTION_FEATURES))
    lang = model.languages[0]
    row[QUESTION_FEATURES.index("english")] = 1.0 if lang == "en" else 0.0
    sure = replace(model, coef=(0.0,) * len(QUESTION_FEATURES), intercept=-10.0)  # the regression always declines
    row[QUESTION_FEATURES.index("best_choice")] = model.answer_above[lang]
    assert sure.answers(row) is True
    row[QUESTION_FEATURES.index("best_choice")] = model.answer_above[lang] - 0.01
    assert sure.answers(row) is False
    without = {k: v for k, v in entry.items() if k != "answer_above"}
    assert read_decline_model({"decline_model": without}, "m.json").answer_above == {}


def test_a_decline_model_with_other_features_is_refused():
    entry = {"features": ["a"], "coef": [0.0], "intercept": 0.0, "threshold": {"en": 0.5, "zh": 0.5}}
    with pytest.raises(ValueError, match="decline model"):
        read_decline_model({"decline_model": entry}, "m.json")
    assert read_decline_model({}, "m.json") is None


def test_the_decline_model_decides_declines(tiny_corpus, tmp_path, fake_embedder):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    retriever = Retriever(Index.load(tmp_path / "index"), fake_embedder)
    zeros = (0.0,) * len(QUESTION_FEATURES)
    never = Answerer(retriever, decline=DeclineModel(zeros, -10.0, 0.5, 0.5))
    always = Answerer(retriever, decline=DeclineModel(zeros, 10.0, 0.5, 0.5))
    assert never.ask(QUESTION).abstained
    answer = always.ask(QUESTION)
    assert not answer.abstained and answer.citations
    # the support threshold no longer decides once a decline model is given
    strict = Answerer(retriever, params=replace(always.params, decline_below=1.01, decline_below_en=1.01),
                      decline=always.decline)
    assert not strict.ask(QUESTION).abstained


def test_the_shipped_off_topic_gate_has_its_provenance_and_held_out_figures():
    gate = load_offtopic()
    assert gate is not None and gate.languages == ("en",) and 0.0 < gate.threshold < 1.0
    data = json.loads((REPO / "qa" / "data" / "answer_model.json").read_text(encoding="utf-8"))
    prov = data["offtopic_model"]["provenance"]
    assert "fit_offtopic.py" in prov["command"] and not any(p in prov["command"] for p in ("/work/", "/root/", "/tmp/"))
    held = prov["report"]["held_out"]
    # measured on questions it was not fitted on: most questions of another set's corpus are declined, and
    # almost no answerable question
    assert all(v["declined"] >= 0.5 for k, v in held.items() if v["kind"] == "off-topic" and "on the reports" in k)
    assert all(v["false_declines"] <= 0.05 for v in held.values() if v["kind"] == "answerable")
    with pytest.raises(ValueError, match="off-topic"):
        read_offtopic({"offtopic_model": {**data["offtopic_model"], "features": ["a"]}}, "m.json")
    assert read_offtopic({}, "m.json") is None
    # its support bound: fitted by the script, above every off-topic question it declines on the fitted source
    bound = prov["answer_above"]
    assert gate.answer_above is not None and 0.3 < gate.answer_above < 1.0 and "--bound-only" in bound["command"]
    fitted = bound["declined_before_after"]["fitted"]
    assert all(v["declined"].split(" -> ")[0] == v["declined"].split(" -> ")[1]
               for v in fitted.values() if v["kind"] == "off-topic")


def test_the_off_topic_support_bound_answers_at_most_its_share_of_the_declines():
    from test_answer_model import _script

    support_bound = _script("fit_offtopic").support_bound
    supports = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    assert support_bound(supports, 0.0) > supports.max()  # answers none of them
    bound = support_bound(supports, 0.2)
    assert (supports >= bound).sum() == 2


def test_the_off_topic_gate_declines_english_questions_asked_with_its_model(tiny_corpus, tmp_path, fake_embedder):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    answerer = Answerer(Retriever(Index.load(tmp_path / "index"), fake_embedder),
                        decline=DeclineModel((0.0,) * len(QUESTION_FEATURES), 10.0, 0.5, 0.5))
    english = "What safety checks were carried out?"
    assert not answerer.ask(english).abstained and not answerer.ask(QUESTION).abstained
    far = OffTopicGate((0.0, 0.0), -10.0, 0.5, ("en",), fake_embedder.name)  # every question is far
    answerer.offtopic = far
    assert answerer.ask(english).abstained
    assert not answerer.ask(QUESTION).abstained  # the gate holds for English questions only
    answerer.offtopic = replace(far, model="another-model")  # cosines of another model say nothing
    assert not answerer.ask(english).abstained


def test_the_answer_above_bound_gives_up_at_most_its_share_of_each_sources_declines():
    """scripts/fit_decline.py: on each unanswerable source, at most floor(cost x declines) of the questions the
    model declines have a candidate rated at the bound or above; the strictest source sets it."""
    from test_answer_model import _script

    fit = _script("fit_decline")

    class Rated:  # the choice probability is the first column, the support the second
        def probability(self, m):
            return m[:, 0]

        def support(self, m):
            return m[:, 1]

    def source(choices):
        return [np.array([[c, 0.0] + [0.0] * (len(FEATURES) - 2)]) for c in choices], 0

    always = DeclineModel((0.0,) * len(QUESTION_FEATURES), -10.0, 0.5, 0.5, ("zh",))
    ten = [round(0.1 * i, 1) for i in range(1, 11)]  # 0.1 .. 1.0
    sets = {"a": source(ten), "answerable": ([np.ones((1, len(FEATURES)))], 1)}
    bound = fit.answer_above(sets, Rated(), always, cost=0.1)["zh"]
    assert 0.9 < bound < 0.91  # one of ten may reach it: just above the second highest
    sets["b"] = source([0.2] * 9 + [0.95])
    assert fit.answer_above(sets, Rated(), always, cost=0.1)["zh"] == pytest.approx(bound)
    assert fit.answer_above(sets, Rated(), always, cost=0.0)["zh"] > 1.0  # none may: above the highest
    assert fit.answer_above({"few": source([0.5] * 4)}, Rated(), always, cost=0.1) == {}  # under 5 declines
