"""Re-ranking passages by their best sentence leaves out the report's title written as a line of its text."""

import numpy as np

from qa.search.retrieve import Retriever
from qa.search.sentences import content_rows
from qa.store.index import Index
from qa.store.update import update_index

TITLE = "区教体局2019年上半年工作总结"
BUILDING = ("全区新建校舍面积3万平方米,改造运动场5个,配备计算机381台,维修危房12处。"
            "完成城区两所小学的扩建工程,新增学位900个,缓解了城区大班额问题。")
EXAM = ("今年全区普通高考考生2392人,本科上线1935人,上线率81%,继续位居全市前列。"
        "中考全科均分和及格率均为全市第一,教育教学质量稳步提高。")
# the title opens the first paragraph, as in many web copies; the question describes the report in the
# title's words, then asks what the second paragraph gives
REPORT = f"{TITLE}\n{BUILDING}\n\n{EXAM}\n"
QUESTION = f"{TITLE}里普通高考考生有多少人?"


def _retriever(tmp_path, emb) -> Retriever:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.txt").write_text(REPORT, encoding="utf-8")
    update_index(corpus, tmp_path / "index", emb, progress=False)
    return Retriever(Index.load(tmp_path / "index"), emb)


def test_the_title_line_does_not_carry_its_passage_above_the_one_that_answers(tmp_path, fake_embedder):
    r = _retriever(tmp_path, fake_embedder)
    idx = r.index
    first = next(i for i, c in enumerate(idx.chunks) if c.text.startswith(TITLE))
    answer = next(i for i, c in enumerate(idx.chunks) if "2392" in c.text)
    assert first != answer
    qvec = fake_embedder.embed([QUESTION], kind="query")[0]
    # by its best sentence (the title) the first passage is the closer one: the re-ranking must not read it
    title_row = idx.sentence_vectors(first)[0] @ qvec
    assert title_row > np.max(idx.sentence_vectors(answer) @ qvec)
    rows = content_rows(idx, first, len(idx.sentence_vectors(first)))
    assert 0 not in rows and rows  # the title line is left out, the paragraph's own sentences kept
    count = len(idx.sentence_vectors(answer))
    assert content_rows(idx, answer, count) == list(range(count))
    assert "2392" in r.search(QUESTION, k=3).hits[0].chunk.text
