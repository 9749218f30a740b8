"""End to end with the real default model, over made-up reports written for these tests (a county, a city in
Traditional script and a plan): nothing here comes from the gold questions or the shipped reports."""

import pytest

from qa.answer.compose import Answerer
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index

pytestmark = pytest.mark.model

REPORTS = {
    "zhaoping_2019.txt": (
        "昭平县教育局2019年工作总结\n\n"
        "一、师资队伍建设\n"
        "2019年，全县通过公开招聘新录用教师58名，其中特岗教师20名，全部分配到乡村学校任教。\n"
        "全年组织教师参加县级以上业务培训1360人次，选派32名骨干教师到省城跟岗学习。\n\n"
        "二、办学条件改善\n"
        "投入资金860万元，新建学校食堂4所，改造学生宿舍2600平方米。\n"
        "全县中小学在校学生42150人，适龄儿童入学率保持在100%。\n"),
    "linjiang_2020.txt": (
        "臨江市教育局2020年度工作報告\n\n"
        "全市現有中小學76所，在校學生31208人，專任教師2514人。\n"
        "校園安全方面，全年開展安全隱患排查12次，共發現隱患57處，已整改51處。\n"
        "教育信息化方面，新建錄播教室15間，全市中小學生機比達到7.5:1。\n"),
    "qingsong_plan.txt": (
        "青松区2021年教育工作计划\n\n"
        "全年计划投入教育经费9.6亿元，重点用于新建两所初级中学和一所公办幼儿园。\n"
        "继续实施营养改善计划，惠及农村学生1.8万人。\n"),
}


@pytest.fixture(scope="module")
def real_answerer(real_embedder, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    for name, text in REPORTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    directory = tmp_path_factory.mktemp("index") / "index"
    update_index(corpus, directory, real_embedder, progress=False)
    return Answerer(Retriever(Index.load(directory, model_name=real_embedder.name), real_embedder))


@pytest.mark.parametrize("question,source,figure", [
    ("How many new teachers did Zhaoping County hire in 2019?", "zhaoping_2019.txt", "58"),
    ("How much money does Qingsong District plan to spend on education in 2021?", "qingsong_plan.txt", "9.6"),
    ("How many safety hazards were found in Linjiang's schools?", "linjiang_2020.txt", "57"),
    ("昭平县有多少中小学在校学生?", "zhaoping_2019.txt", "42150"),
    ("臨江市有多少名專任教師?", "linjiang_2020.txt", "2514"),
])
def test_questions_in_three_scripts_get_the_cited_figure(real_answerer, question, source, figure):
    res = real_answerer.retriever.search(question, k=3)
    assert res.hits[0].chunk.source == source
    a = real_answerer.ask(question)
    assert not a.abstained and figure in a.text
    assert any(c.chunk.source == source and figure in c.chunk.text for c in a.citations)


def test_cross_lingual_dense_retrieval_alone(real_answerer):
    ranked = real_answerer.retriever.single_rankings("How much was invested in new school canteens?", k=3)["dense"]
    assert "食堂" in real_answerer.retriever.index.chunks[ranked[0]].text


@pytest.mark.xfail(reason="declines of questions on a topic the reports never treat, about a place they cover, are "
                          "weak (issue 12): the scorer's best sentence still passes the threshold (over these three "
                          "short reports the off-topic gate may decline it: no passage comes near)", strict=False)
def test_declines_what_the_reports_do_not_say(real_answerer):
    a = real_answerer.ask("How many students were vaccinated against influenza?")
    assert a.abstained and a.related


@pytest.mark.parametrize("question", ["What is the capital of France?", "How many moons does Jupiter have?",
                                      "Who painted the ceiling of the Sistine Chapel?"])
def test_english_questions_about_something_else_are_declined(real_answerer, question):
    a = real_answerer.ask(question)  # the off-topic gate: no passage comes near
    assert a.abstained and a.related
