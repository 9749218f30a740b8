"""End to end with the real default model, over a small corpus the tests carry (not the gold questions)."""

import pytest

from qa.answer.compose import Answerer
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index

pytestmark = pytest.mark.model
_GLOSSARY_FIGURES = {"49", "8.5:1"}  # answers that came from glossary entries holding dev wording (issue 12)


@pytest.fixture(scope="module")
def real_answerer(real_embedder, tmp_path_factory):
    import shutil

    from conftest import DATA

    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(DATA / "tiny", corpus, dirs_exist_ok=True)
    directory = tmp_path_factory.mktemp("index") / "index"
    update_index(corpus, directory, real_embedder, progress=False)
    return Answerer(Retriever(Index.load(directory, model_name=real_embedder.name), real_embedder))


@pytest.mark.parametrize("question,source,figure", [
    ("How many safety hazards did Zhongshan County's schools find in the first half of 2011?",
     "zhongshan_2011.txt", "49"),
    ("How much fiscal education funding did Nanchang plan to invest?", "nanchang_plan.txt", "73.2"),
    ("What is the student-to-computer ratio in Dangyang?", "dangyang_trad.txt", "8.5:1"),
    ("钟山县2011年招聘了多少教师?", "zhongshan_2011.txt", "26"),
    ("當陽全市中小學在校學生有多少人?", "dangyang_trad.txt", "36184"),
])
def test_questions_in_three_scripts_get_the_cited_figure(real_answerer, question, source, figure):
    res = real_answerer.retriever.search(question, k=3)
    assert res.hits[0].chunk.source == source
    if figure in _GLOSSARY_FIGURES:
        pytest.xfail("the sentence was found through a hand-written glossary sense the general dictionary lacks; "
                     "it waits for model-scored sentence evidence (issue 12, answer side)")
    a = real_answerer.ask(question)
    assert not a.abstained and figure in a.text
    assert any(c.chunk.source == source and figure in c.chunk.text for c in a.citations)


def test_cross_lingual_dense_retrieval_alone(real_answerer):
    ranked = real_answerer.retriever.single_rankings("Which teacher was named one of the province's ten most "
                                                     "beautiful rural teachers?", k=3)["dense"]
    assert "柏宗材" in real_answerer.retriever.index.chunks[ranked[0]].text


@pytest.mark.xfail(reason="the decline came from a glossary entry with no match in the reports; calibrated "
                          "declines are issue 12's answer side", strict=False)
def test_declines_what_the_reports_do_not_say(real_answerer):
    a = real_answerer.ask("How many students were vaccinated against COVID-19?")
    assert a.abstained and a.related
