"""An English question's coverage read from the sentence's side (``qa.answer.gloss``), and its fitted weight."""

import json
import sys
from pathlib import Path

import numpy as np

from qa.answer.gloss import gloss_coverage, question_words
from qa.answer.scorer import FEATURES, AnswerParams, load_model

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from fit_gloss_weight import choose, first_right  # noqa: E402


def test_a_sentence_word_whose_gloss_names_the_question_word_covers_it():
    # "places": the dictionary's first headwords are 地点, 所在 ...; 学位 is glossed "place in school"
    words = question_words("How many places were added in the town last year?")
    assert "places" in words
    added, built = gloss_coverage(words, ["全镇新增学位600个", "全镇新建学校2所"])
    assert added > built
    # a plural, a past tense and a British spelling reach the gloss's base form
    for word, sentence in (("projects", "完工项目12个"), ("completed", "完工项目12个"), ("programmes", "开设课程")):
        assert gloss_coverage([word], [sentence, "学生300人"]).tolist() == [1.0, 0.0], word


def test_a_word_every_candidate_glosses_weighs_least():
    # "teachers" is named by all three sentences, "trained" by one: that one tells them apart
    got = gloss_coverage(["teachers", "trained"], ["培训教师300人", "教师2405人", "专任教师120人"])
    assert got[0] == 1.0 and got[1] == got[2] and got[1] < 0.5


def test_names_levels_and_figures_are_not_words_a_sentence_must_gloss():
    words = question_words("How many teachers did Anfu County hire in 2021?")
    assert words == ["teachers", "hire"]
    assert question_words("Where?") == [] and gloss_coverage([], ["任何句子"]).tolist() == [0.0]
    assert gloss_coverage(["teachers"], []).tolist() == []


def test_the_gloss_weight_moves_only_english_scores_and_is_fitted_with_its_provenance():
    m = load_model()
    assert m.gloss_weight > 0
    x = np.zeros((2, len(FEATURES)))
    assert np.allclose(m.probability(x), m.probability(x, np.zeros(2)))  # a Chinese question's zeros
    assert m.probability(x, np.array([0.0, 1.0]))[1] > m.probability(x, np.array([0.0, 1.0]))[0]
    prov = json.loads((REPO / "qa/data/answer_model.json").read_text(encoding="utf-8"))["gloss_provenance"]
    assert "fit_gloss_weight.py" in prov["command"] and not any(p in prov["command"] for p in ("/work/", "/root/"))
    assert "xquad-en2zh-dev" in prov["fitted_on"] and prov["held_out"]
    held = {k: v for k, v in prov["report"].items() if k.endswith("(held_out)")}
    assert held and all(v["questions"] > 0 for v in held.values())


def test_the_fit_chooses_the_smallest_weight_that_puts_the_answer_first():
    # two questions where the base score prefers a wrong sentence and the gloss coverage the right one
    def q(base, gloss, labels):
        return np.array(base), np.array(gloss), np.array(labels), np.ones(len(labels), dtype=bool)

    rows = [q([1.0, 0.5], [0.0, 1.0], [False, True]), q([0.4, 0.0], [0.0, 0.5], [False, True])]
    assert first_right(rows, 0.0) == (0, 2) and first_right(rows, 1.0) == (2, 2)
    assert choose({"xquad-en2zh-dev": rows}) == 1.0  # 0.8 is needed for the second: the grid's next is 1.0
    # a sentence the answerer may not quote (no figure for a figure question) is never first
    blocked = [(r[0], r[1], r[2], np.array([True, False])) for r in rows]
    assert first_right(blocked, 4.0) == (0, 2) and choose({"xquad-en2zh-dev": blocked}) == 0.0
    assert AnswerParams().gloss_weight == 0.0  # a model file without the weight scores as before
