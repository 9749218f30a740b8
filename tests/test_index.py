import json
import shutil
import threading

import numpy as np
import pytest

from qa.search.filters import FILTER_NOTE_PREFIXES, Filters
from qa.search.retrieve import Retriever
from qa.store.index import FORMAT_VERSION, Index, IndexError
from qa.store.update import update_index
from qa.textnorm import to_simplified


def _build(corpus, tmp_path, emb):
    directory = tmp_path / "index"
    report = update_index(corpus, directory, emb, progress=False)
    return directory, report


def test_build_writes_a_complete_manifest(tiny_corpus, tmp_path, fake_embedder):
    directory, report = _build(tiny_corpus, tmp_path, fake_embedder)
    m = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert m["format_version"] == FORMAT_VERSION and m["model"]["name"] == fake_embedder.name
    assert m["model"]["dim"] == 64 and m["faiss_factory"] == "Flat"
    assert m["chunk_count"] == report.chunk_count > 0
    assert set(m["files"]) == {"shiquan_2011.txt", "leling_plan.txt", "hanchuan_trad.txt"}
    assert all(len(f["sha256"]) == 64 for f in m["files"].values())
    assert len(report.added) == 3 and report.embedded == report.chunk_count


def test_save_load_same_results(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    idx = Index.load(directory)
    r1 = Retriever(idx, fake_embedder).search("安全隐患排查", k=5)
    r2 = Retriever(Index.load(directory), fake_embedder).search("安全隐患排查", k=5)
    assert [h.chunk.chunk_id for h in r1.hits] == [h.chunk.chunk_id for h in r2.hits]
    assert np.allclose([h.score for h in r1.hits], [h.score for h in r2.hits])


def test_load_reads_vectors_into_one_array_each(tiny_corpus, tmp_path, fake_embedder):
    """Index.load copies each segment's vectors into the index's arrays as it reads them (no second stack):
    the segments hold views, and every paragraph's and sentence's vector is the one its segment file holds."""
    from qa.store.index import SEGMENTS, Segment

    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    idx = Index.load(directory)
    assert len(idx.segments) == 3
    start, sent = 0, 0
    for seg in idx.segments:
        assert seg.embeddings.base is idx.embeddings and seg.sentence_vectors.base is idx.sentences.vectors
        disk = Segment.load(directory / SEGMENTS, seg.id)
        assert np.array_equal(idx.embeddings[start:start + seg.size], disk.embeddings)
        assert np.array_equal(idx.sentences.vectors[sent:sent + len(disk.sentence_vectors)], disk.sentence_vectors)
        start, sent = start + seg.size, sent + len(disk.sentence_vectors)
    assert start == len(idx.embeddings) and sent == len(idx.sentences.vectors) > 0


def test_update_embeds_only_what_is_new_and_follows_removals(tiny_corpus, tmp_path, fake_embedder):
    directory, first = _build(tiny_corpus, tmp_path, fake_embedder)
    calls = fake_embedder.calls
    again = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert again.embedded == 0 and fake_embedder.calls == calls and again.unchanged == 3
    # add a report: only its paragraphs are embedded
    (tiny_corpus / "new.txt").write_text("青松县教育局工作总结\n\n青松县新建塑胶跑道12条，惠及学生8000人。\n",
                                         encoding="utf-8")
    added = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert added.added == ("new.txt",) and 0 < added.embedded <= 2
    hits = Retriever(Index.load(directory), fake_embedder).search("青松县塑胶跑道", k=3).hits
    assert hits[0].chunk.source == "new.txt"
    # change one paragraph of a report: only that paragraph is re-embedded
    p = tiny_corpus / "leling_plan.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("58.6亿元", "80.1亿元"), encoding="utf-8")
    changed = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert changed.changed == ("leling_plan.txt",) and changed.embedded == 1
    # remove a report: it disappears from results
    (tiny_corpus / "new.txt").unlink()
    removed = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert removed.removed == ("new.txt",)
    idx = Index.load(directory)
    assert all(c.source != "new.txt" for c in idx.chunks)
    assert all(h.chunk.source != "new.txt" for h in Retriever(idx, fake_embedder).search("青松县", k=10).hits)


def test_damaged_or_foreign_index_gives_clear_error_and_index_recovers(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    manifest = directory / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**m, "format_version": 999, "package_version": "9.9"}), encoding="utf-8")
    with pytest.raises(IndexError, match=r"format version 999.*qa index --rebuild"):
        Index.load(directory)
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert Index.load(directory).manifest["format_version"] == FORMAT_VERSION

    (directory / "faiss.index").write_bytes(b"garbage")
    with pytest.raises(IndexError, match="damaged"):
        Index.load(directory)
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert Index.load(directory).vectors.size == len(Index.load(directory).chunks)

    manifest.write_text("{half a manif", encoding="utf-8")
    with pytest.raises(IndexError, match="unreadable"):
        Index.load(directory)
    shutil.rmtree(directory)
    with pytest.raises(IndexError, match="no index"):
        Index.load(directory)


def test_model_mismatch_is_refused(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    with pytest.raises(IndexError, match="built with model"):
        Index.load(directory, model_name="another-model")


def test_two_writers_at_once_leave_a_consistent_index(tiny_corpus, tmp_path, fake_embedder):
    directory = tmp_path / "index"
    errors = []

    def run():
        try:
            update_index(tiny_corpus, directory, fake_embedder, progress=False)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    idx = Index.load(directory)
    assert len(idx.chunks) == idx.vectors.size == len(idx.embeddings)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index-")]  # no temp dirs left


def test_filters_from_the_question_and_fallback(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    res = r.search("石泉县的教师招聘情况", k=10)
    assert res.filters.places and all(h.chunk.source == "shiquan_2011.txt" for h in res.hits)
    assert any(n.startswith("筛选：只看关于石泉县的报告") for n in res.notes)  # in the question's language
    res = r.search("2011年招聘教师", k=10)  # a year ranks, never cuts
    assert res.filters.years == (2011,) and res.hits[0].chunk.source == "shiquan_2011.txt"
    assert {h.chunk.source for h in res.hits} > {"shiquan_2011.txt"}
    assert any("2011年优先排序（不排除其他年份）" in n for n in res.notes)
    res = r.search("teacher training", k=10, filters=Filters(places=("上海市",)))
    assert res.notes and "no report matches" in res.notes[0] and res.hits
    res = r.search("教师培训", k=10, filters=Filters(places=("上海市",)))
    assert res.notes and res.notes[0].startswith("没有报告符合筛选条件（上海市）") and res.hits


def test_a_place_narrows_only_to_reports_about_it(tiny_corpus, tmp_path, fake_embedder):
    (tiny_corpus / "visit.txt").write_text(
        "乐陵市教育局考察报告\n我市代表团赴石泉县考察学习。石泉县中小学教师培训经验值得借鉴，"
        "石泉县教师招聘工作细致。我市将借鉴石泉县的做法。", encoding="utf-8")
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    idx = Index.load(directory)
    visit = next(d for d in idx.documents.values() if d.source == "visit.txt")
    assert "石泉县" in visit.mentions and "石泉县" not in visit.places and visit.places == ("乐陵市",)
    res = Retriever(idx, fake_embedder).search("石泉县的教师招聘情况", k=10)
    assert {h.chunk.source for h in res.hits} == {"shiquan_2011.txt"}


def test_much_stronger_evidence_outside_the_filter_is_answered_from_with_a_note(tiny_corpus, tmp_path,
                                                                                 fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    question = "石泉县全市教育财政投入预计安排多少亿元，较上年增长多少"
    res = r.search(question, k=5)
    assert res.hits[0].chunk.source == "leling_plan.txt"
    assert any(n.startswith("最有力的依据在筛选范围之外（石泉县）") for n in res.notes) and not res.filters.places
    res = r.search(question, k=5, filters=Filters(places=("石泉县",)))  # chosen by the user: it holds
    assert {h.chunk.source for h in res.hits} == {"shiquan_2011.txt"}
    res = r.search("石泉县安全隐患排查", k=5)  # the filtered evidence is as strong: the filter holds
    assert all(h.chunk.source == "shiquan_2011.txt" for h in res.hits)


def test_keyword_side_on_traditional_questions(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    ranked = r.single_rankings("漢川全市中小學在校學生有多少?", k=3)["keyword"]
    assert r.index.chunks[ranked[0]].source == "hanchuan_trad.txt"
    ranked = r.single_rankings("汉川安全隐患", k=3)["keyword"]
    assert "隱患" in r.index.chunks[ranked[0]].text


def test_missing_corpus_is_a_clear_error(tmp_path, fake_embedder):
    with pytest.raises(IndexError, match="does not exist"):
        update_index(tmp_path / "nope", tmp_path / "index", fake_embedder, progress=False)


def test_a_change_in_what_is_embedded_re_embeds(tiny_corpus, tmp_path, fake_embedder, monkeypatch):
    directory, first = _build(tiny_corpus, tmp_path, fake_embedder)
    import qa.store.build

    original = qa.store.build.passage_text
    monkeypatch.setattr(qa.store.build, "passage_text", lambda c: "passage " + original(c))
    again = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert again.embedded == first.chunk_count  # no vector made from the old text is reused


def test_lazy_embedder_loads_once_and_only_when_needed(tiny_corpus, tmp_path):
    from qa.models.embed import FakeEmbedder
    from qa.runtime import LazyEmbedder

    made = []

    def make():
        made.append(1)
        return FakeEmbedder(dim=64)

    lazy = LazyEmbedder(make, "fake-64", 64)
    update_index(tiny_corpus, tmp_path / "index", lazy, progress=False)
    assert len(made) == 1
    update_index(tiny_corpus, tmp_path / "index", LazyEmbedder(make, "fake-64", 64), progress=False)
    assert len(made) == 1  # an index already up to date needs no model
    with pytest.raises(RuntimeError, match="not the expected"):
        LazyEmbedder(make, "other", 64).embed(["x"], kind="query")


def _segment_files(directory):
    return {p.name: p.stat().st_ino for p in (directory / "segments").iterdir()}


def test_an_update_writes_only_the_new_files_segment(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    before = _segment_files(directory)
    (tiny_corpus / "new.txt").write_text("青松县教育局工作总结\n\n青松县新建塑胶跑道12条。\n", encoding="utf-8")
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    after = _segment_files(directory)
    assert len(after) == len(before) + 2  # one .json and one .npz more
    assert all(after[name] == ino for name, ino in before.items())  # the old segments are the same files
    # renaming a report re-embeds nothing: its paragraphs' vectors are found by their text
    (tiny_corpus / "new.txt").rename(tiny_corpus / "renamed.txt")
    renamed = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert renamed.added == ("renamed.txt",) and renamed.removed == ("new.txt",) and renamed.embedded == 0
    assert len(_segment_files(directory)) == len(after)  # the removed file's segment is gone


def test_an_update_from_the_index_in_memory_gives_the_index_on_disk(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    current = Index.load(directory)
    same = update_index(tiny_corpus, directory, fake_embedder, progress=False, previous=current)
    assert same.index is current  # nothing changed: the same object
    (tiny_corpus / "new.txt").write_text("青松县新建塑胶跑道12条，惠及学生8000人。\n", encoding="utf-8")
    report = update_index(tiny_corpus, directory, fake_embedder, progress=False, previous=current)
    fresh, disk = report.index, Index.load(directory)
    assert fresh is not current and [c.chunk_id for c in fresh.chunks] == [c.chunk_id for c in disk.chunks]
    assert np.array_equal(fresh.embeddings, disk.embeddings)
    for q in ("青松县塑胶跑道", "安全隐患排查"):
        a = Retriever(fresh, fake_embedder).search(q, k=5).hits
        b = Retriever(disk, fake_embedder).search(q, k=5).hits
        assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b]
    # an index in memory that is not the one on disk any more is not trusted
    stale = update_index(tiny_corpus, directory, fake_embedder, progress=False, previous=current)
    assert stale.index is not current and len(stale.index.chunks) == len(disk.chunks)


def test_a_damaged_segment_is_made_again_from_its_file(tiny_corpus, tmp_path, fake_embedder):
    directory, first = _build(tiny_corpus, tmp_path, fake_embedder)
    victim = sorted((directory / "segments").glob("*.npz"))[0]
    victim.write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(IndexError, match="damaged"):
        Index.load(directory)
    (tiny_corpus / "new.txt").write_text("青松县新建塑胶跑道12条。\n", encoding="utf-8")
    report = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert report.chunk_count == first.chunk_count + 1
    assert len(Index.load(directory).chunks) == report.chunk_count
    # with nothing else changed, a damaged global file is noticed too
    (directory / "bm25" / "postings.npz").write_bytes(b"garbage")
    report = update_index(tiny_corpus, directory, fake_embedder, progress=False)
    assert Index.load(directory).keywords.size == report.chunk_count


def test_another_model_keeps_the_paragraphs_and_makes_every_vector_again(tiny_corpus, tmp_path):
    from qa.models.embed import FakeEmbedder

    directory, first = _build(tiny_corpus, tmp_path, FakeEmbedder(dim=64))
    other = FakeEmbedder(dim=32)
    other.name = "another-fake"
    report = update_index(tiny_corpus, directory, other, progress=False)
    idx = Index.load(directory, model_name="another-fake")
    assert report.embedded == first.chunk_count and idx.embeddings.shape == (first.chunk_count, 32)


def test_indexing_threads_use_every_core_then_give_them_back(monkeypatch):
    import os

    torch = pytest.importorskip("torch")
    from qa.runtime import indexing_threads

    monkeypatch.delenv("QA_TORCH_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with indexing_threads():
            assert torch.get_num_threads() == (os.cpu_count() or 1)
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("QA_TORCH_THREADS", "1")  # an explicit choice is kept
        with indexing_threads():
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_bench_passages_index_and_eval(tmp_path, fake_embedder):
    from qa.eval.retrieval import evaluate_bench
    from qa.runtime import bench_index

    passages = tmp_path / "passages.jsonl"
    rows = [{"pid": "p1", "title": "甲", "text": "石泉县今年招聘了26名教师。"},
            {"pid": "p2", "title": "乙", "text": "乐陵市教育财政投入预计安排58.6亿元。"}]
    passages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    index = bench_index(passages, fake_embedder, tmp_path / "home")
    assert [c.chunk_id for c in index.chunks] == ["p1", "p2"]
    calls = fake_embedder.calls
    again = bench_index(passages, fake_embedder, tmp_path / "home")  # cached: nothing embedded again
    assert fake_embedder.calls == calls and len(again.chunks) == 2
    metrics = evaluate_bench([{"question": "石泉县招聘了多少教师?", "pid": "p1"}], Retriever(index, fake_embedder))
    assert metrics["n"] == 1 and metrics["recall@1"] == 1.0
    assert set(metrics["by_retriever"]) == {"fused", "dense", "keyword"}
    assert metrics["by_retriever"]["keyword"]["recall@1"] == 1.0  # the only passage naming the county
    # `qa eval --detect-filters`: the fused ranking reads the question's year as the product does (the year
    # is then left to the year signal, not searched as a word)
    retriever = Retriever(index, fake_embedder)
    asked = []
    search = retriever.search
    retriever.search = lambda q, k=10, **kw: asked.append(kw.get("detect_filters")) or search(q, k=k, **kw)
    year_q = [{"question": "石泉县2011年招聘了多少教师?", "pid": "p1"}]
    assert evaluate_bench(year_q, retriever)["n"] == 1 and asked == [False]
    assert evaluate_bench(year_q, retriever, detect_filters=True)["recall@1"] == 1.0 and asked == [False, True]
    from qa.cli import build_parser
    args = build_parser().parse_args(["eval", "--passages", str(passages), "--questions", "q.jsonl",
                                      "--detect-filters"])
    assert args.detect_filters is True


def test_a_second_writer_waits_or_is_refused(tmp_path):
    from qa.store.lock import exclusive_lock

    with exclusive_lock(tmp_path / "index"):
        with pytest.raises(RuntimeError, match="another process is updating"):
            with exclusive_lock(tmp_path / "index", wait=False):
                pass
    with exclusive_lock(tmp_path / "index", wait=False):  # free again once the first one is done
        pass


def test_the_filter_note_follows_the_questions_language_and_script(tiny_corpus, tmp_path, fake_embedder):
    directory, _ = _build(tiny_corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    simplified = [n for n in r.search("石泉县2011年的教师招聘情况", k=10).notes if n.startswith(FILTER_NOTE_PREFIXES)]
    assert simplified and simplified[0].startswith("筛选：只看关于石泉县的报告") and "2011年优先排序" in simplified[0]
    traditional = [n for n in r.search("石泉縣2011年的教師招聘情況", k=10).notes if n.startswith(FILTER_NOTE_PREFIXES)]
    assert traditional and traditional[0].startswith("篩選：只看關於") and "石泉县" not in traditional[0]
    assert to_simplified(traditional[0]) == simplified[0]
    english = [n for n in r.search("Shiquan county teacher recruitment in 2011", k=10).notes
               if n.startswith(FILTER_NOTE_PREFIXES)]
    assert english and english[0].startswith("filter: ") and "year 2011 ranked first" in english[0]


def test_a_traditional_note_writes_the_place_in_the_askers_glyphs(tmp_path, fake_embedder):
    """钟 is Traditional 鐘 (a bell) and 鍾 (a name): OpenCC writes one of them; the note writes the asker's."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zhongshan.txt").write_text("钟山县教育局2011年工作总结\n\n今年新建学校3所。\n", encoding="utf-8")
    directory, _ = _build(corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    notes = [n for n in r.search("鍾山縣2011年新建了幾所學校？", k=10).notes if n.startswith(FILTER_NOTE_PREFIXES)]
    assert notes and "鍾山縣" in notes[0] and "鐘山縣" not in notes[0]
    assert any("钟山县" in n for n in r.search("钟山县2011年新建了几所学校？", k=10).notes)  # Simplified as before


def test_the_year_signal_reorders_hits_but_keeps_the_fused_scores_falling(tmp_path, fake_embedder):
    """A boosted passage moves up; the scores the answer step reads stay the fused ones, highest first."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("青松县教育局2018年工作总结\n\n今年新建学校3所，招聘教师20名。\n", encoding="utf-8")
    (corpus / "b.txt").write_text("青松县教育局2020年工作总结\n\n今年新建学校5所，招聘教师20名。\n", encoding="utf-8")
    (corpus / "c.txt").write_text("河东县体育局2019年工作总结\n\n组织运动会两次。\n", encoding="utf-8")
    directory, _ = _build(corpus, tmp_path, fake_embedder)
    r = Retriever(Index.load(directory), fake_embedder)
    for year, first in ((2018, "a.txt"), (2020, "b.txt")):
        hits = r.search(f"{year}年新建学校多少所？招聘教师多少名？", k=5).hits
        assert hits[0].chunk.source == first  # the year's report comes first
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True) and hits[0].score <= 1.0


def test_an_edited_file_embeds_only_its_new_sentences(tiny_corpus, tmp_path):
    from qa.models.embed import FakeEmbedder

    class Counting(FakeEmbedder):
        def __init__(self):
            super().__init__(dim=64)
            self.texts: list[str] = []

        def embed(self, texts, kind, progress=None):
            self.texts += list(texts)
            return super().embed(texts, kind, progress)

    emb = Counting()
    update_index(tiny_corpus, tmp_path / "index", emb, progress=False)
    first = Index.load(tmp_path / "index")
    before = {c.chunk_id: first.sentence_vectors(i) for i, c in enumerate(first.chunks)}
    emb.texts.clear()
    report = sorted(tiny_corpus.glob("*.txt"))[0]
    added = "六、附记\n本年度另有一所新校舍通过验收，共计投入资金九百万元。"
    report.write_text(report.read_text(encoding="utf-8") + "\n\n" + added + "\n", encoding="utf-8")
    update_index(tiny_corpus, tmp_path / "index", emb, progress=False)
    # the new paragraph and its sentence(s); nothing the file already had is embedded again
    assert 0 < len(emb.texts) <= 4, emb.texts
    after = Index.load(tmp_path / "index")
    same = [i for i, c in enumerate(after.chunks) if c.chunk_id in before and before[c.chunk_id] is not None]
    assert same and all(np.array_equal(after.sentence_vectors(i), before[after.chunks[i].chunk_id]) for i in same)


def test_a_segment_written_without_sentence_keys_is_updated_all_the_same(tiny_corpus, tmp_path, fake_embedder):
    import json

    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    for meta in (tmp_path / "index").rglob("*.json"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "sentence_keys" in data:  # as an earlier version wrote its segments
            del data["sentence_keys"]
            meta.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = sorted(tiny_corpus.glob("*.txt"))[0]
    report.write_text(report.read_text(encoding="utf-8") + "\n\n六、附记\n另有新校舍一所通过验收。\n", encoding="utf-8")
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    assert any("另有新校舍" in c.text for c in Index.load(tmp_path / "index").chunks)
