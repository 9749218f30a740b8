"""The per-question shortcuts of issue 15 give exactly what the full computations they replace gave: a top-k
of the BM25 scores instead of a stable sort of all of them, and the reports' places read once per store
instead of walked for every question."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from qa.search.filters import Filters, ReportPlaces, detect, detect_places, document_matches, place_core
from qa.search.fusion import top_k
from qa.search.years import scope_of
from qa.types import Document

# few distinct values, zeros and negative zeros among them: many ties, as BM25 scores over short texts have
_SCORES = hnp.arrays(np.float32, st.integers(0, 300),
                     elements=st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.25, 2.0, 3.5, -1.0]))


@settings(max_examples=300, deadline=None)
@given(_SCORES, st.integers(0, 320))
def test_top_k_orders_exactly_as_the_stable_sort_of_every_score(scores, k):
    expected = np.argsort(-scores, kind="stable")[:k]
    assert top_k(scores, k).tolist() == expected.tolist()


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(-5, 5, allow_nan=False, width=32)),
       st.integers(1, 50))
def test_top_k_on_any_floats(scores, k):
    assert top_k(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


def test_top_k_of_a_large_mostly_zero_array():
    rng = np.random.default_rng(0)
    s = np.zeros(200_000, dtype=np.float32)
    s[rng.choice(len(s), 3000, replace=False)] = rng.integers(1, 6, 3000).astype(np.float32) / 2
    for k in (1, 100, 2999, 3000, 3001, 10_000):
        assert top_k(s, k).tolist() == np.argsort(-s, kind="stable")[:k].tolist()


def test_top_k_with_nan_falls_back_to_the_sort():
    s = np.array([1.0, np.nan, 2.0, 1.0])
    assert top_k(s, 2).tolist() == np.argsort(-s, kind="stable")[:2].tolist()


_NAMES = ["昭平县", "昭平", "石泉县", "汉中市", "新建县", "和平区", "当阳市", "中山县", "乐陵市", "青海省", "兰州市"]


def _old_detect(question, docs):
    """``detect`` as it was: the sets of places made anew from every report."""
    from qa.ingest.meta import PROVINCES, bare_in_context
    from qa.search.filters import detect_years
    from qa.textnorm import normalize

    places = detect_places(question, {p for d in docs for p in d.places})
    about = {place_core(p) for p in places}
    q = normalize(question)
    mentioned = [p for p in detect_places(question, {p for d in docs for p in d.mentions})
                 if place_core(p) not in about
                 and (p in q or p in PROVINCES or place_core(p) not in q or bare_in_context(q, place_core(p)))]
    return Filters(years=detect_years(question), places=places, mentioned=tuple(mentioned))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(_NAMES), max_size=3), st.lists(st.sampled_from(_NAMES), max_size=4)),
                max_size=12),
       st.lists(st.sampled_from(_NAMES), max_size=3), st.lists(st.integers(0, 14), max_size=3),
       st.sampled_from(["{}2019年新建了几所学校?", "How many schools did {} build?", "{}和{}的学生人数", "{}"]))
def test_report_places_answer_as_the_walk_over_every_report(reports, named, chosen, template):
    docs = [Document(f"d{i}", f"d{i}.txt", f"{''.join(p[:1])}工作总结", places=tuple(p), mentions=tuple(m))
            for i, (p, m) in enumerate(reports)]
    rp = ReportPlaces(docs)
    question = template.format(*(named + ["", "", ""])[:template.count("{}")])
    assert detect(question, rp) == _old_detect(question, docs)
    f = Filters(places=tuple(named), doc_ids=tuple(f"d{i}" for i in chosen))
    for g in (f, Filters(places=f.places), Filters(doc_ids=f.doc_ids)):
        assert rp.matching(g) == [d.doc_id for d in docs if document_matches(d, g)]
        assert scope_of(g, rp) == scope_of(g, docs)
