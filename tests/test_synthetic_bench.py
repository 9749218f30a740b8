"""The store benchmark's synthetic paragraphs (bench/synthetic.py): the right count, distinct texts, and the
shortcut (pool sentences' tokens and normalized text joined) equal to preparing each paragraph for real."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import SentencePool, Stats, synthetic_segments
from qa.ingest.quotes import quotable
from qa.store.build import make_manifest, write
from qa.store.index import SEGMENTS, Index, Segment, embedding_key, keyword_text, passage_text
from qa.store.keyword import tokenize
from qa.textnorm import normalize

N = 1200  # more than the shipped reports hold (447), so paragraphs are drawn for several copies of each file


@pytest.fixture(scope="module")
def pool() -> SentencePool:
    return SentencePool.build(variants=3, dim=16, seed=1)


@pytest.fixture(scope="module")
def segments(pool) -> list[Segment]:
    return list(synthetic_segments(N, pool, seed=1, model_name="m"))


def test_count_and_distinct(segments):
    chunks = [c for s in segments for c in s.chunks]
    assert len(chunks) == sum(s.size for s in segments) == N
    assert len({c.text for c in chunks}) == N
    assert len({c.chunk_id for c in chunks}) == N
    assert len({k for s in segments for k in s.keys}) == N
    assert len({s.id for s in segments}) == len(segments)


def test_pool_varies_numbers_and_places(pool):
    versions = [v for v in pool.versions if len(v) > 1]
    assert versions, "no sentence of the shipped reports has a number or a place"
    texts = {pool.texts[i] for i in versions[0]}
    assert len(texts) == len(versions[0]) > 1


def test_shortcut_equals_real_preparation(segments):
    for seg in segments[:4]:
        start = 0
        for c, n in zip(seg.chunks, seg.lengths, strict=True):
            tokens = [seg.terms[i] for i in seg.token_ids[start:start + n]]
            start += n
            assert c.norm == normalize(c.text)
            assert tokens == tokenize(keyword_text(c), normalized=True)
        assert seg.keys == [embedding_key("m", passage_text(c)) for c in seg.chunks]
        assert seg.sentence_counts.tolist() == [len(quotable(c)) for c in seg.chunks]


def test_arrays_consistent(segments):
    for seg in segments:
        assert seg.embeddings.shape == (seg.size, 16)
        assert np.allclose(np.linalg.norm(seg.embeddings, axis=1), 1, atol=1e-5)
        assert int(seg.lengths.sum()) == len(seg.token_ids)
        assert int(seg.sentence_counts.sum()) == len(seg.sentence_vectors)
        assert seg.token_ids.max() < len(seg.terms)


def test_checked_sample_and_same_seed_same_texts(pool):
    stats = Stats()
    first = [c.text for s in synthetic_segments(300, pool, seed=2, check_every=1, stats=stats) for c in s.chunks]
    again = [c.text for s in synthetic_segments(300, pool, seed=2) for c in s.chunks]
    assert stats.paragraphs == stats.checked == 300
    assert stats.check_failures == []
    assert first == again


def test_folder_written_around_saved_segments(segments, tmp_path):
    """What bench/scale.py does: each segment saved as made, then ``write`` over arrays-only copies."""
    directory = tmp_path / "index"
    (directory / SEGMENTS).mkdir(parents=True)
    light = []
    for seg in segments:
        seg.save(directory / SEGMENTS)
        light.append(Segment(seg.id, seg.source, seg.documents, [], [], seg.embeddings, seg.terms, seg.token_ids,
                             seg.lengths))

    class Emb:
        name, dim, origin, backend = "m", 16, "hash", "hash"

    write(directory, make_manifest(Emb(), {}, light), light, [])
    index = Index.load(directory)
    assert len(index.chunks) == N
    assert [c.text for c in index.chunks] == [c.text for s in segments for c in s.chunks]
    assert index.sentences.vectors.shape[0] == sum(len(s.sentence_vectors) for s in segments)
    word = index.chunks[7].norm[:2]
    ids, _ = index.keywords.search(word, k=5)
    assert len(ids)
