"""Synthetic index segments for the store benchmarks at 100k-1M paragraphs, prepared in seconds per 100k.

Each paragraph's text is composed, not copied: a **pool** of sentences is made once from the shipped reports'
quotable sentences (the units the answer step quotes), each in up to ``variants`` versions with other numbers
(every digit run replaced by a random number of the same length, a year by a year) and other places (every
county, city or district name replaced by another of jieba's place names with the same suffix); each
version is normalized and tokenized once. A paragraph mirrors one of the shipped reports' paragraphs (its
report, section path and number of sentences) and draws that many sentences from the pool at random, so
the 1M paragraphs are distinct texts (checked: a repeat, of the text or of what the model reads, is drawn
again, with one sentence more after 16 repeats: 9% of the paragraphs at 1M, whose single sentences the
pool runs out of) whose terms spread as the pool's do: the reports' vocabulary (1,502 sentences), thousands
of places and tens of thousands of numbers; about 38k terms in all, fewer than a real archive's.

The shortcut: a paragraph's BM25 tokens and normalized text are its sentences' own, joined, not computed
again. That is exact because sentences end in punctuation, where jieba and the normalization cut anyway;
every ``check_every``-th paragraph is prepared the real way too, and any whose tokens, normalized text or
quotable sentences differ is counted (none, at 1M). Vectors are synthetic: a random unit vector per
paragraph, and per pool sentence (so equal sentences share a vector, as the model's would), no model runs.

>>> pool = SentencePool.build(variants=2, seed=0)  # doctest: +SKIP
>>> segs = list(synthetic_segments(1000, pool))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bench.benchlib import shipped_reports
from qa.ingest.quotes import quotable
from qa.store.build import _segment_id
from qa.store.index import SENTENCE_DTYPE, Segment, embedding_key, keyword_text, passage_text
from qa.store.keyword import tokenize
from qa.textnorm import CLOSERS, SENTENCE_ENDS, normalize
from qa.types import Chunk, Document

_DIGITS_RE = re.compile(r"[0-9]+|[０-９]+")
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
PLACE_SUFFIXES = ("县", "市", "区")


def place_names() -> dict[str, list[str]]:
    """jieba's place names (``ns``) of 3-4 characters ending in 县, 市 or 区, by suffix."""
    from qa.ingest.meta import place_words

    out: dict[str, list[str]] = {s: [] for s in PLACE_SUFFIXES}
    for w in sorted(place_words()):
        if 3 <= len(w) <= 4 and w[-1] in out:
            out[w[-1]].append(w)
    return out


def _place_spans(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    spans, i = [], 0
    while i < len(text):
        for size in (4, 3):
            if text[i:i + size] in names:
                spans.append((i, i + size))
                i += size
                break
        else:
            i += 1
    return spans


def _number(run: str, nxt: str, rng: random.Random) -> str:
    full = run[0] not in "0123456789"
    if len(run) == 4 and nxt == "年" and run[:2] in ("19", "20", "１９", "２０"):
        new = str(rng.randint(1990, 2025))
    elif len(run) == 1:
        new = str(rng.randint(0, 9))
    else:
        new = str(rng.randint(10 ** (len(run) - 1), 10 ** len(run) - 1))
    return new.translate(_FULL) if full else new


def vary_sentence(text: str, places: list[tuple[int, int]], names: dict[str, list[str]], rng: random.Random) -> str:
    """``text`` with other numbers (same length; a year stays a year) and other places (same suffix)."""
    out, last = [], 0
    for a, b in places:
        out.append(text[last:a])
        out.append(rng.choice(names[text[b - 1]]))
        last = b
    out.append(text[last:])
    text = "".join(out)
    return _DIGITS_RE.sub(lambda m: _number(m.group(), text[m.end():m.end() + 1], rng), text)


def _poolable(unit: str) -> bool:
    """A sentence that stays itself next to any other: it ends in sentence punctuation (where jieba and
    the sentence cutter cut) and starts with neither a sentence end nor a closing quote or bracket."""
    stripped = unit.rstrip(CLOSERS)
    return (len(unit) >= 4 and bool(stripped) and stripped[-1] in SENTENCE_ENDS and unit[0] not in SENTENCE_ENDS
            and unit[0] not in CLOSERS and "\n" not in unit)


@dataclass
class SentencePool:
    """Sentence versions, each with its text, normalized text, tokens (ids into ``vocab``) and vector."""

    texts: list[str]
    norms: list[str]
    tokens: list[np.ndarray]  # int32 ids into ``vocab``
    vectors: np.ndarray  # (len(texts), dim) float16 unit vectors
    versions: list[list[int]]  # for each template sentence, the pool ids of its versions
    vocab: Vocab
    places: dict[str, list[str]] = field(repr=False)
    all_places: frozenset[str] = field(repr=False)
    seconds: float = 0.0

    @classmethod
    def build(cls, variants: int = 256, dim: int = 384, seed: int = 0) -> SentencePool:
        """The pool from the shipped reports: every poolable quotable sentence in up to ``variants`` versions."""
        import time

        from qa.ingest.corpus import read_file

        t = time.perf_counter()
        root = shipped_reports()[0].parent
        templates = list(dict.fromkeys(u for p in shipped_reports() for c in read_file(p, root).chunks
                                       for u in quotable(c) if _poolable(u)))
        names = place_names()
        all_names = frozenset(n for ns in names.values() for n in ns)
        rng = random.Random(seed)
        texts: list[str] = []
        index: dict[str, int] = {}
        versions = []
        for tpl in templates:
            spans = _place_spans(tpl, all_names)
            n = variants if (spans or _DIGITS_RE.search(tpl)) else 1
            ids = []
            for v in range(n):
                text = tpl if v == 0 else vary_sentence(tpl, spans, names, rng)
                if text not in index:
                    index[text] = len(texts)
                    texts.append(text)
                ids.append(index[text])
            versions.append(sorted(set(ids)))
        vocab = Vocab()
        norms, tokens = [], []
        for text in texts:
            norm = normalize(text)
            norms.append(norm)
            tokens.append(vocab.ids(tokenize(norm, normalized=True)))
        vecs = np.random.default_rng(seed).standard_normal((len(texts), dim), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        return cls(texts, norms, tokens, vecs.astype(SENTENCE_DTYPE), versions, vocab, names, all_names,
                   time.perf_counter() - t)


class Vocab:
    """Terms and their ids, in the order first seen."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.index: dict[str, int] = {}

    def ids(self, tokens: list[str]) -> np.ndarray:
        out = np.empty(len(tokens), dtype=np.int32)
        for j, tok in enumerate(tokens):
            i = self.index.get(tok)
            if i is None:
                i = self.index[tok] = len(self.terms)
                self.terms.append(tok)
            out[j] = i
        return out


@dataclass
class _Source:
    """A shipped report file, read once: its documents and paragraphs to mirror."""

    source: str
    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[int]  # quotable sentences per paragraph (at least 1)
    headline: list[bool]  # whether the paragraph's text starts with its section heading's line


def _sources() -> list[_Source]:
    from qa.ingest.corpus import read_file

    root = shipped_reports()[0].parent
    out = []
    for p in shipped_reports():
        fr = read_file(p, root)
        out.append(_Source(p.relative_to(root).as_posix(), list(fr.documents), list(fr.chunks),
                           [max(1, len(quotable(c))) for c in fr.chunks],
                           [bool(c.heading) and c.text.startswith(c.heading[-1] + "\n") for c in fr.chunks]))
    return out


@dataclass
class Stats:
    """What the generator did: paragraphs, sentences, repeats drawn again, paragraphs made longer, checks."""

    paragraphs: int = 0
    sentences: int = 0
    redrawn: int = 0
    longer: int = 0  # paragraphs given more sentences than the one they mirror, after 16 repeats
    checked: int = 0
    check_failures: list[str] = field(default_factory=list)


def synthetic_segments(n: int, pool: SentencePool, *, seed: int = 0, check_every: int = 500,
                       model_name: str = "bench-hash-384", stats: Stats | None = None) -> Iterator[Segment]:
    """``n`` distinct paragraphs as index segments, one per synthetic report file (copy ``i`` of each shipped
    file, ``c{i:05d}/...``), made one at a time so a caller can write each and let it go.

    Every ``check_every``-th paragraph is also prepared the real way (normalize, ``quotable``, tokenize) and
    compared: differences go to ``stats.check_failures``."""
    stats = stats if stats is not None else Stats()
    sources = _sources()
    dim = pool.vectors.shape[1]
    seen: set[bytes] = set()
    heading_tokens: dict[tuple[str, ...], np.ndarray] = {}
    line_tokens: dict[str, tuple[str, np.ndarray]] = {}
    total, i = 0, 0
    while total < n:
        for f, src in enumerate(sources):
            if total >= n:
                break
            rng = random.Random(f"{seed}/{i}/{src.source}")
            nrng = np.random.default_rng([seed, i, f])
            source = f"c{i:05d}/{src.source}"
            place = rng.choice(pool.places["县"])
            docs = [_document(d, i, source, place, pool.all_places, rng) for d in src.documents]
            chunks, keys, tok_parts, lengths, sent_ids, counts = [], [], [], [], [], []
            for j, c in enumerate(src.chunks[: n - total]):
                k = src.sentences[j]
                if c.heading not in heading_tokens:
                    heading_tokens[c.heading] = pool.vocab.ids(
                        tokenize(passage_text(Chunk("", "", "", 0, c.heading, (0, 0), "", "")), normalized=True))
                head = ""
                if src.headline[j]:
                    head = c.heading[-1]
                    if head not in line_tokens:
                        norm_head = normalize(head)
                        line_tokens[head] = (norm_head, pool.vocab.ids(tokenize(norm_head, normalized=True)))
                for tries in range(200):  # a repeat is drawn again; after 16 repeats, with one sentence more
                    ids = [rng.choice(pool.versions[rng.randrange(len(pool.versions))]) for _ in range(k + tries // 16)]
                    body = "".join(pool.texts[s] for s in ids)
                    text = f"{head}\n{body}" if head else body
                    norm = "".join(pool.norms[s] for s in ids)
                    if head:
                        norm = f"{line_tokens[head][0]} {norm}"
                    chunk = Chunk(f"{c.chunk_id}-{i}", f"{c.doc_id}-{i}", source, c.ordinal, c.heading, c.span,
                                  text, norm)
                    key = embedding_key(model_name, passage_text(chunk))
                    digests = (bytes.fromhex(key), hashlib.blake2b(text.encode(), digest_size=16).digest())
                    if digests[0] not in seen and digests[1] not in seen:  # new text, and new to the model
                        seen.update(digests)
                        break
                    stats.redrawn += 1
                else:
                    raise RuntimeError("could not draw a new paragraph: the sentence pool is too small")
                stats.longer += len(ids) > k
                parts = [heading_tokens[c.heading]] if c.heading else []
                if head:
                    parts.append(line_tokens[head][1])
                parts += [pool.tokens[s] for s in ids]
                toks = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
                chunks.append(chunk)
                keys.append(key)
                tok_parts.append(toks)
                lengths.append(len(toks))
                sent_ids += ids
                counts.append(len(ids))
                stats.sentences += len(ids)
                if check_every and (stats.paragraphs + len(chunks) - 1) % check_every == 0:
                    _check(chunk, [pool.texts[s] for s in ids], [pool.vocab.terms[t] for t in toks], stats)
            if not chunks:
                break
            flat = np.concatenate(tok_parts)
            uniq, inverse = np.unique(flat, return_inverse=True)
            emb = nrng.standard_normal((len(chunks), dim), dtype=np.float32)
            emb /= np.linalg.norm(emb, axis=1, keepdims=True)
            tag = hashlib.sha256(f"{seed}\n{source}\n{len(chunks)}".encode()).hexdigest()
            total += len(chunks)
            stats.paragraphs += len(chunks)
            yield Segment(_segment_id(model_name, source, tag), source, docs, chunks, keys, emb,
                          [pool.vocab.terms[u] for u in uniq], inverse.astype(np.int32).ravel(),
                          np.asarray(lengths, dtype=np.int32), pool.vectors[np.asarray(sent_ids, dtype=np.int64)],
                          np.asarray(counts, dtype=np.int32))
        i += 1


def _document(d: Document, i: int, source: str, place: str, all_names: frozenset[str], rng: random.Random
              ) -> Document:
    """Copy ``i`` of a shipped report: its own id and file, its place names changed to ``place`` (in the
    title, and as the place it is about), its numbers changed."""
    title = d.title
    for a, b in reversed(_place_spans(title, all_names)):
        title = title[:a] + place + title[b:]
    title = _DIGITS_RE.sub(lambda m: _number(m.group(), title[m.end():m.end() + 1], rng), title)
    return Document(f"{d.doc_id}-{i}", source, title, d.year, (place,) if d.places else (), d.part, d.span,
                    (place, *d.mentions[1:]) if d.mentions else (), d.years)


def _check(chunk: Chunk, sentences: list[str], tokens: list[str], stats: Stats) -> None:
    stats.checked += 1
    if normalize(chunk.text) != chunk.norm:
        stats.check_failures.append(f"{chunk.chunk_id}: normalized text")
    elif quotable(chunk) != sentences:
        stats.check_failures.append(f"{chunk.chunk_id}: quotable sentences")
    elif tokenize(keyword_text(chunk), normalized=True) != tokens:
        stats.check_failures.append(f"{chunk.chunk_id}: tokens")
