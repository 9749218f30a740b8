"""The package's own BM25 (sparse postings, Lucene's formula) scores as bm25s does."""

import numpy as np
import pytest

from qa.store.keyword import KeywordIndex, tokenize

bm25s = pytest.importorskip("bm25s", reason="bm25s is a test dependency (pip install 'report-qa[test]')")

DOCS = [
    "全县中小学开展安全隐患排查，共排查隐患49项，已整改45项。",
    "今年招聘新教师120名，组织教师培训3000人次。",
    "学校食堂卫生检查每月一次，学生营养餐覆盖全部农村学校。",
    "教育经费投入1.2亿元，新建校舍8所，改造薄弱学校15所。",
    "开展防溺水、交通安全和消防演练，师生参与率100%。",
    "教师培训经费单列，校长培训与教师培训同步推进。",
]
QUERIES = ["教师培训", "安全隐患排查整改", "校舍 经费", "学生 食堂", "演练"]


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25s(query):
    tokens = [tokenize(d) for d in DOCS]
    ours = KeywordIndex.build([], tokens=tokens)
    ref = bm25s.BM25(method="lucene", k1=KeywordIndex.K1, b=KeywordIndex.B)
    ref.index(tokens, show_progress=False)
    expected = ref.get_scores(tokenize(query))
    got = ours.scores(query)
    assert np.allclose(got, expected, atol=1e-5), (got, expected)
