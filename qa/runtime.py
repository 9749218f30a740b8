"""Wiring: settings -> embedder, index, retriever, answerer; and ``qa eval``'s two input formats."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sys
from pathlib import Path

from qa.config import Settings
from qa.models.embed import Embedder
from qa.store.index import FORMAT_VERSION, Index
from qa.store.update import update_index

log = logging.getLogger(__name__)
DEFAULT_BACKEND = "torch"


@contextlib.contextmanager
def indexing_threads():
    """Torch on every core while embedding many passages, then the previous thread count again.

    Query processes run on one thread (``use_query_threads``); the web app's background updates embed
    whole reports, 1.9x faster on two threads (bench/README.md). ``QA_TORCH_THREADS`` keeps its count.
    """
    if "torch" not in sys.modules or "QA_TORCH_THREADS" in os.environ:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def use_query_threads() -> None:
    """For processes that mostly answer single questions: one torch thread and one FAISS thread.

    On 2 cores a question encodes as fast on one thread when the machine is idle, and a second thread
    that spin-waits for a busy core made it 16x slower (22 ms vs 360 ms at load 5, bench/README.md).
    FAISS likewise: one query over 100k vectors took 13.5 ms on one thread, 11 ms on two (p95 19 ms), and
    a scan of 1M 8-bit codes 70 ms either way. ``QA_TORCH_THREADS`` overrides both.
    """
    import faiss
    import torch

    threads = int(os.environ.get("QA_TORCH_THREADS", "1"))
    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for: resolved model folder, chosen backend."""
    from qa.models.resolve import load_sentence_transformer, resolve_model

    info = resolve_model(settings.model)
    backend = choose_backend(settings)
    onnx = backend in ("onnx-int8", "onnx-int8-mixed") and info.source != "hub"
    onnx_name = f"{info.name}+onnx-int8"
    if onnx:
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
            raise ValueError(f"the {backend} backend needs the onnx extra: pip install 'report-qa[onnx]' "
                             "(or use QA_BACKEND=torch)")

    def make_onnx() -> Embedder:
        from qa.models.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(Path(info.location), quantized=True, name=onnx_name)

    def make_torch() -> Embedder:
        return load_sentence_transformer(info)

    def lazy(make, name: str) -> Embedder:
        return LazyEmbedder(make, name, info.dim, origin=info.origin, backend=backend)

    if backend == "torch-bf16" and info.source != "hub":  # bf16 passages, float32 questions: each loads lazily
        from qa.models.onnx_backend import MixedEmbedder

        return MixedEmbedder(lazy(functools.partial(bf16_embedder, info), f"{info.name}+bf16"),
                             lazy(make_torch, info.name), origin=info.origin, backend=backend)
    if backend in LARGE_BUILD_BACKENDS and info.source != "hub":
        suffix = backend.removeprefix("torch-")  # ct2-int8, openvino-int8, bf16
        return lazy(functools.partial(large_build_embedder, backend, info), f"{info.name}+{suffix}")
    if onnx and backend == "onnx-int8-mixed":  # int8 passages, float32 questions
        from qa.models.onnx_backend import MixedEmbedder

        return MixedEmbedder(lazy(make_onnx, onnx_name), lazy(make_torch, info.name), origin=info.origin)
    return lazy(make_onnx, onnx_name) if onnx else lazy(make_torch, info.name)


LARGE_BUILD_BACKENDS = ("ct2-int8", "openvino-int8", "torch-bf16")  # options for large builds (bench/scale.py)
FOLLOWED_BACKENDS = ("torch", "torch-bf16")  # backends "auto" keeps when an index folder records one


def choose_backend(settings: Settings) -> str:
    """The backend ``settings.backend`` names; for ``auto``: the one the index folder's manifest records
    (``torch`` or ``torch-bf16``: an index keeps the backend of its vectors, so nothing is re-embedded),
    else, for a new index folder, ``torch-bf16`` on CPUs with native bfloat16 (AMX / AVX-512 BF16: 2x
    torch float32's speed at the same retrieval, bench/README.md) and ``torch`` elsewhere. A Milvus store
    keeps ``torch``."""
    if settings.backend != "auto":
        return settings.backend
    from qa.models.cpu import native_bf16
    from qa.store.milvus import is_milvus

    if is_milvus(settings.store):
        return DEFAULT_BACKEND
    import json

    from qa.store.index import MANIFEST

    try:
        manifest = json.loads((Path(settings.index) / MANIFEST).read_text(encoding="utf-8"))
        recorded = manifest.get("model", {}).get("backend")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded in FOLLOWED_BACKENDS:
        return recorded
    return "torch-bf16" if native_bf16() else DEFAULT_BACKEND


def large_build_embedder(backend: str, info) -> Embedder:
    """The embedder of one of ``LARGE_BUILD_BACKENDS`` for a local model folder (``info``: ``ModelInfo``)."""
    location = Path(info.location)
    if backend == "ct2-int8":
        from qa.models.ct2_backend import Ct2Embedder

        return Ct2Embedder(location, name=f"{info.name}+ct2-int8", origin=info.origin)
    if backend == "openvino-int8":
        from qa.models.openvino_backend import OpenVinoEmbedder

        return OpenVinoEmbedder(location, name=f"{info.name}+openvino-int8")
    return bf16_embedder(info)


def bf16_embedder(info) -> Embedder:
    """The model in bfloat16, for passages. Questions stay float32 (``load_embedder``): one question is
    quick either way, and an index built on a CPU with native bfloat16 is then searched at full speed on
    one without; the two kinds of vectors agree (bench/README.md, "Encoder backends on an AVX-512/AMX CPU")."""
    from qa.models.embed import Bf16Embedder
    from qa.models.resolve import load_sentence_transformer

    return Bf16Embedder(load_sentence_transformer(info), name=f"{info.name}+bf16")


class LazyEmbedder:
    """Loads the model on the first ``embed`` call: an index that is already up to date needs no model
    (``qa index`` with nothing to do took 16 s, nearly all of it loading torch and the model)."""

    def __init__(self, make, name: str, dim: int | None, *, origin: str = "", backend: str = "torch"):
        import threading

        self._make = make
        self._inner: Embedder | None = None
        self._lock = threading.Lock()
        self.name = name
        self.origin, self.backend = origin, backend
        if dim is None:  # a model of unknown size (a hub name): load it now to learn its dimension
            self._inner = make()
            dim = self._inner.dim
        self.dim = dim

    def load(self) -> Embedder:
        with self._lock:  # a web server may ask two questions before the model is in
            if self._inner is None:
                inner = self._make()
                if inner.name != self.name or inner.dim != self.dim:
                    raise RuntimeError(f"model {inner.name} ({inner.dim}-d) is not the expected "
                                       f"{self.name} ({self.dim}-d)")
                self._inner = inner
            return self._inner

    def embed(self, texts, kind, progress=None):
        return self.load().embed(texts, kind, progress=progress)


def update_store(settings: Settings, embedder: Embedder, **kw):
    """``update_index`` for the store the settings name (index folder or Milvus), embedding on the cluster
    they name, if any. Keywords: ``rebuild``, ``progress``, ``on_progress``, ``load``, ``previous``."""
    from qa.store.milvus import MilvusTarget, is_milvus

    embed = None
    if settings.cluster:
        import dataclasses
        import functools

        from qa.store.cluster import cluster_embed

        # the workers build the head's backend: "auto" there would read their own CPU and index folder
        settings = dataclasses.replace(settings, backend=embedder.backend) \
            if settings.backend == "auto" and embedder.backend in (DEFAULT_BACKEND, *LARGE_BUILD_BACKENDS) \
            else settings

        embed = cluster_embed(settings.cluster, functools.partial(worker_embedder, settings))
    if is_milvus(settings.store):
        from qa.store.milvus_update import cache_folder, update_milvus

        kw.pop("previous", None)
        kw.pop("on_read", None)  # the keyword-only first answers are the index folder's
        target = MilvusTarget.parse(settings.store)
        return update_milvus(settings.corpus, target, embedder, cache_dir=cache_folder(target, settings.index),
                             embed=embed, seed_from=settings.index, **kw)
    return update_index(settings.corpus, settings.index, embedder, embed=embed, **kw)


def worker_embedder(settings: Settings) -> Embedder:
    """The settings' embedder, loaded: what a cluster worker builds once and embeds with."""
    emb = load_embedder(settings)
    return emb.load() if isinstance(emb, LazyEmbedder) else emb


def load_store(settings: Settings, embedder: Embedder):
    """The store the settings name, loaded, without updating it."""
    from qa.store.milvus import MilvusTarget, is_milvus
    from qa.store.milvus_lazy import open_store

    if is_milvus(settings.store):
        return open_store(MilvusTarget.parse(settings.store), model_name=embedder.name)
    return Index.load(settings.index, model_name=embedder.name)


def open_index(settings: Settings, embedder: Embedder, *, build: bool = True) -> Index:
    """Load the index, first bringing it in step with the corpus folder (when there is one and ``build``)."""
    from qa.store.index import IndexError as QAIndexError
    from qa.store.milvus import is_milvus

    if is_milvus(settings.store):
        if build and settings.corpus.is_dir():
            report = update_store(settings, embedder, load=True)
            if report.changed_anything or report.embedded:
                print(report.summary(), file=sys.stderr)
            return report.index
        return load_store(settings, embedder)

    if build and settings.corpus.is_dir():
        report = update_index(settings.corpus, settings.index, embedder, load=True)
        if report.changed_anything or report.embedded:
            print(report.summary(), file=sys.stderr)
        if report.index is not None and report.index.model_name == embedder.name:
            return report.index
    try:
        return Index.load(settings.index, model_name=embedder.name)
    except QAIndexError:
        if not build:
            raise
        print(f"building the index at {settings.index} from {settings.corpus} ...", file=sys.stderr)
        update_index(settings.corpus, settings.index, embedder)
        return Index.load(settings.index, model_name=embedder.name)


def open_retriever(settings: Settings, embedder: Embedder | None = None):
    from qa.search.retrieve import Retriever

    embedder = embedder or load_embedder(settings)
    return Retriever(open_index(settings, embedder), embedder, lexicon=settings.lexicon)


def open_answerer(settings: Settings, embedder: Embedder | None = None):
    from qa.answer.compose import Answerer

    return Answerer(open_retriever(settings, embedder), settings=settings)


def bench_index(passages: Path, embedder: Embedder, home: Path) -> Index:
    """An index over a bench set's passages (one chunk per passage), cached by the file's content."""
    import json

    from qa.types import Chunk, Document

    digest = hashlib.sha256(passages.read_bytes()).hexdigest()[:16]
    # one folder per format version: builds of another version (another checkout) keep their own copy
    model = hashlib.sha256(embedder.name.encode()).hexdigest()[:8]
    directory = home / "bench-index" / f"{digest}-{model}-v{FORMAT_VERSION}"
    try:
        return Index.load(directory, model_name=embedder.name)
    except Exception:  # noqa: BLE001 - any problem with the cache: rebuild it
        pass
    from qa.store.build import build_from_chunks
    from qa.textnorm import normalize

    docs, chunks = [], []
    with open(passages, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            pid = str(p["pid"])
            doc = Document(doc_id=pid, source=pid, title=p.get("title", ""))
            docs.append(doc)
            chunks.append(Chunk(pid, pid, pid, 1, (), (0, len(p["text"])), p["text"], normalize(p["text"])))
    build_from_chunks(directory, docs, chunks, embedder)
    return Index.load(directory, model_name=embedder.name)


def run_eval(args, settings: Settings) -> dict:
    from qa.eval.answers import evaluate_answers
    from qa.eval.gold import read_gold
    from qa.eval.retrieval import evaluate_bench, evaluate_retrieval
    from qa.models.resolve import default_home
    from qa.search.retrieve import Retriever

    embedder = load_embedder(settings)
    if args.passages or args.questions:
        if not (args.passages and args.questions):
            raise ValueError("the bench format needs both --passages and --questions")
        index = bench_index(args.passages, embedder, default_home())
        questions = read_gold(args.questions)[: args.limit]
        retriever = Retriever(index, embedder, lexicon=settings.lexicon)
        detect = bool(getattr(args, "detect_filters", False))
        result = evaluate_bench(questions, retriever, detect_filters=detect)
        if not args.retrieval_only and any(q.get("answers") for q in questions):
            from qa.answer.compose import Answerer
            from qa.eval.answers import evaluate_bench_answers

            result.update(evaluate_bench_answers(questions, Answerer(retriever, settings=settings),
                                                 detect_filters=detect))
        return result
    if not args.gold:
        raise ValueError("give a gold file (qa eval GOLD.jsonl) or --passages and --questions")
    gold = read_gold(args.gold)[: args.limit]
    from qa.answer.compose import Answerer

    retriever = Retriever(open_index(settings, embedder), embedder, lexicon=settings.lexicon)
    result = evaluate_retrieval(gold, lambda q: [h.chunk.text for h in retriever.search(q, k=10).hits],
                                singles=lambda q: {kind: [c.text for c in retriever.index.chunks_at(ids)]
                                                   for kind, ids in retriever.single_rankings(q).items()})
    if not args.retrieval_only:
        result.update(evaluate_answers(gold, Answerer(retriever, settings=settings)))
    return result
