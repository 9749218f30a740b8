"""Embedders: texts in, float32 L2-normalized ``(n, d)`` arrays out.

The e5 models want a prompt before every text: ``query: `` for questions and ``passage: `` for
paragraphs. ``SentenceTransformerEmbedder`` applies them; ``FakeEmbedder`` is a deterministic stand-in
for fast unit tests.

>>> emb = FakeEmbedder(dim=8)
>>> emb.embed(["昭平县"], kind="query").shape
(1, 8)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Kind = Literal["query", "passage"]
PROMPTS: dict[str, str] = {"query": "query: ", "passage": "passage: "}


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from a model."""

    name: str  # identifies the model (and backend) for caches and manifests
    dim: int
    origin: str  # where the weights came from (a folder, the bundled package, a hub name): for the manifest
    backend: str  # "torch", "onnx-int8", ...: for the manifest

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dim)`` with unit-length rows; ``progress(n)`` is
        called as each batch of ``n`` texts is done."""
        ...


def _normalize_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (or, last, a hub name).

    >>> emb = SentenceTransformerEmbedder("/path/to/model")  # doctest: +SKIP
    >>> emb.embed(["How many teachers?"], kind="query").shape  # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, model: str | Path, *, name: str | None = None, batch_size: int = 32,
                 max_seq_length: int = 512, backend: str = "torch", model_kwargs: dict | None = None,
                 origin: str = ""):
        from sentence_transformers import SentenceTransformer

        kwargs = {"device": "cpu", "backend": backend}
        if model_kwargs:
            kwargs["model_kwargs"] = model_kwargs
        self.model = SentenceTransformer(str(model), **kwargs)
        self.model.max_seq_length = max_seq_length
        self.name = name or str(model)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size
        self.backend = backend
        self.origin = origin or str(model)

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = PROMPTS[kind]
        # Sort by length so each batch pads little; restore the order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            vecs = self.model.encode([texts[i] for i in idx], prompt=prompt, batch_size=len(idx),
                                     convert_to_numpy=True, normalize_embeddings=True,
                                     show_progress_bar=False)
            out[idx] = vecs
            if progress:
                progress(len(idx))
        return _normalize_rows(out)


class AutocastEmbedder:
    """A torch embedder run under ``torch.autocast("cpu", bfloat16)``: bfloat16 matrix products, float32
    vectors out. Fast only on CPUs with native bfloat16 (AVX-512 BF16, AMX); measured in bench/README.md.

    >>> emb = AutocastEmbedder(SentenceTransformerEmbedder("/path/to/model"))  # doctest: +SKIP
    >>> emb.name  # doctest: +SKIP
    '/path/to/model+bf16'
    """

    def __init__(self, inner: SentenceTransformerEmbedder, *, name: str | None = None):
        self.inner = inner
        self.name = name or f"{inner.name}+bf16"
        self.dim, self.origin, self.backend = inner.dim, inner.origin, "torch-bf16"

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.inner.embed(texts, kind, progress=progress)


class Bf16Embedder:
    """A torch embedder whose weights are cast to bfloat16 (``model.to(torch.bfloat16)``): oneDNN's bf16
    kernels (AMX, AVX-512 BF16) do every product; float32 unit vectors out. Emulated, hence several times
    slower than float32, on CPUs without native bfloat16 (``qa.models.cpu.native_bf16``).

    >>> emb = Bf16Embedder(SentenceTransformerEmbedder("/path/to/model"))  # doctest: +SKIP
    >>> emb.name  # doctest: +SKIP
    '/path/to/model+bf16'
    """

    def __init__(self, inner: SentenceTransformerEmbedder, *, name: str | None = None):
        import torch

        inner.model.to(torch.bfloat16)
        self.inner = inner
        self.name = name or f"{inner.name}+bf16"
        self.dim, self.origin, self.backend = inner.dim, inner.origin, "torch-bf16"

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self.inner.embed(texts, kind, progress=progress)


_TOKEN_RE = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+")


class FakeEmbedder:
    """Deterministic bag-of-tokens vectors: each CJK character or ASCII word hashes to a random direction.

    Texts that share characters get similar vectors, so retrieval tests behave sensibly without a model.
    """

    def __init__(self, dim: int = 64, name: str = "fake"):
        self.dim = dim
        self.name = f"{name}-{dim}"
        self.origin, self.backend = "generated", "fake"
        self.calls = 0  # how many texts were embedded; tests use it to check caching

    def _token_vec(self, token: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(token.encode("utf-8")).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            tokens = _TOKEN_RE.findall(text.lower()) or [text]
            for tok in tokens:
                out[i] += self._token_vec(tok)
        self.calls += len(texts)
        if progress and texts:
            progress(len(texts))
        return _normalize_rows(out)
