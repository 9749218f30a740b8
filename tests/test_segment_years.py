"""The years each paragraph names, kept by the index folder's segments (qa/store/index.py, qa/store/rows.py):
read at open without walking the text, equal to ``named_years`` of the texts, right after per-file updates,
and made again from the text for segments written before (or under another rule)."""

import json

import numpy as np
import pytest

from qa.ingest.dates import named_years
from qa.search.retrieve import Retriever
from qa.store import rows
from qa.store.index import SEGMENTS, Index, Segment
from qa.store.update import update_index

NEW_YEARS = "青松县教育局工作总结\n\n2031年青松县新建塑胶跑道12条，二〇三二年再建8条。\n"


def _walked(index) -> dict[int, frozenset[int]]:
    return {i: y for i, c in enumerate(index.chunks) if (y := named_years(c.norm))}


def _rewrite(path, change) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    change(meta)
    path.unlink()  # a new file, not the inode another index folder may share
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _strip_years(directory) -> int:
    """Rewrite every segment file as an earlier version wrote it: without the years."""
    paths = sorted((directory / SEGMENTS).glob("*.json"))
    for path in paths:
        _rewrite(path, lambda meta: meta.pop("years"))
    return len(paths)


@pytest.fixture
def built(tiny_corpus, tmp_path, fake_embedder):
    directory = tmp_path / "index"
    update_index(tiny_corpus, directory, fake_embedder, progress=False)
    return directory


def test_opening_reads_the_kept_years_not_the_text(built, monkeypatch):
    idx = Index.load(built)
    assert all(s.year_counts is not None and len(s.year_counts) == s.size for s in idx.segments)
    expected = _walked(idx)
    assert expected, "the tiny corpus names years"

    def no_walk(_norm):
        raise AssertionError("row_years walked a paragraph's text")

    monkeypatch.setattr(rows, "named_years", no_walk)
    years = Index.load(built).row_years()
    assert dict(years) == expected and years.union() == frozenset().union(*expected.values())
    assert years.get(max(expected) + 10_000, frozenset()) == frozenset()


def test_segments_written_before_open_and_give_the_same_years_and_hits(built, fake_embedder):
    fresh = Index.load(built)
    questions = ("2011年安全隐患排查", "学校建设")
    before = [[(h.chunk.chunk_id, h.score) for h in Retriever(fresh, fake_embedder).search(q, k=5).hits]
              for q in questions]
    assert _strip_years(built) == len(fresh.segments)
    old = Index.load(built)
    assert all(s.year_counts is None for s in old.segments)
    assert dict(old.row_years()) == dict(fresh.row_years()) == _walked(old)
    retriever = Retriever(old, fake_embedder)
    assert retriever.written_years() == Retriever(fresh, fake_embedder).written_years()
    assert [[(h.chunk.chunk_id, h.score) for h in retriever.search(q, k=5).hits] for q in questions] == before


def test_an_update_of_an_old_folder_keeps_its_segments_and_adds_years(built, tiny_corpus, fake_embedder):
    _strip_years(built)
    (tiny_corpus / "new.txt").write_text(NEW_YEARS, encoding="utf-8")
    report = update_index(tiny_corpus, built, fake_embedder, progress=False, load=True)
    assert report.added == ("new.txt",)
    idx = Index.load(built)
    kept = {s.source: s.year_counts is not None for s in idx.segments}
    assert kept == {"new.txt": True, **{s: False for s in kept if s != "new.txt"}}
    assert dict(idx.row_years()) == dict(report.index.row_years()) == _walked(idx)
    assert {2031, 2032} <= Retriever(idx, fake_embedder).written_years()


def test_years_under_another_rule_or_damaged_are_read_again(built, monkeypatch):
    expected = _walked(Index.load(built))
    monkeypatch.setattr(rows, "years_rule", lambda: "another-rule")
    monkeypatch.setattr("qa.store.index.years_rule", lambda: "another-rule")
    stale = Index.load(built)
    assert all(s.year_counts is None for s in stale.segments) and dict(stale.row_years()) == expected
    monkeypatch.undo()
    paths = sorted((built / SEGMENTS).glob("*.json"))
    damages = [lambda y: y.update(values=y["values"][:-1] or [2019]), lambda y: y.update(counts=y["counts"][1:]),
               lambda y: y.update(counts=[1] * len(y["counts"]), values=[70000] * len(y["counts"])),
               lambda y: y.update(counts="x")]
    kept = json.loads(paths[0].read_text(encoding="utf-8"))["years"]
    for damage in damages:
        _rewrite(paths[0], lambda meta, damage=damage: (meta.update(years=json.loads(json.dumps(kept))),
                                                        damage(meta["years"])))
        assert Segment.load(built / SEGMENTS, paths[0].stem).year_counts is None
        assert dict(Index.load(built).row_years()) == expected
    _rewrite(paths[0], lambda meta: meta.update(years=kept))
    assert Segment.load(built / SEGMENTS, paths[0].stem).year_counts is not None


def test_per_file_updates_keep_the_years_right(built, tiny_corpus, fake_embedder):
    current = Index.load(built)
    (tiny_corpus / "new.txt").write_text(NEW_YEARS, encoding="utf-8")
    added = update_index(tiny_corpus, built, fake_embedder, progress=False, previous=current)
    disk = Index.load(built)
    assert dict(added.index.row_years()) == dict(disk.row_years()) == _walked(disk)
    assert {2031, 2032} <= disk.row_years().union()
    # an edit of that one file: its new year is there, the one it no longer names is gone
    (tiny_corpus / "new.txt").write_text(NEW_YEARS.replace("2031年", "2033年"), encoding="utf-8")
    edited = update_index(tiny_corpus, built, fake_embedder, progress=False, previous=added.index)
    disk = Index.load(built)
    assert edited.changed == ("new.txt",)
    assert dict(edited.index.row_years()) == dict(disk.row_years()) == _walked(disk)
    assert 2033 in disk.row_years().union() and 2031 not in disk.row_years().union()
    (tiny_corpus / "new.txt").unlink()
    update_index(tiny_corpus, built, fake_embedder, progress=False)
    disk = Index.load(built)
    assert dict(disk.row_years()) == dict(current.row_years()) == _walked(disk)
    assert not {2032, 2033} & disk.row_years().union()


def test_a_keyword_only_index_walks_its_paragraphs():
    from qa.types import Chunk

    chunk = Chunk("a1", "a", "a.txt", 0, (), (0, 9), "2019年新建学校", "2019年新建学校")

    class Part:
        documents, chunks = [], [chunk]
        terms, token_ids, lengths = ["学校"], np.array([0], np.int32), np.array([1], np.int32)

    idx = Index.keywords_only("index", "fake-64", [Part()])
    assert dict(idx.row_years()) == {0: frozenset({2019})}
