"""The e5 encoder on CTranslate2 (int8 weights and int8 matrix products on CPUs with VNNI).

The model folder is converted once into ``MODEL/ct2-int8`` (``ctranslate2``'s Transformers converter) and
run as a ``ctranslate2.Encoder``; the same tokenizer, prompts, mean pooling and normalization as the torch
model. Measured speed and quality: bench/README.md ("Encoder backends for large builds").

>>> emb = Ct2Embedder(Path("models/e5"))  # doctest: +SKIP
>>> emb.embed(["昭平县"], kind="passage").shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.models.embed import PROMPTS, Kind, _normalize_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ct2Params:
    quantization: str = "int8"
    batch_size: int = 32
    max_tokens: int = 512


PARAMS = Ct2Params()


def convert(model_dir: Path, out_dir: Path | None = None, quantization: str = PARAMS.quantization) -> Path:
    """Convert a BERT-type sentence-transformers folder for CTranslate2 (once; reused when present)."""
    out = Path(out_dir) if out_dir is not None else Path(model_dir) / f"ct2-{quantization}"
    if (out / "model.bin").exists():
        return out
    import transformers
    from ctranslate2.converters.transformers import TransformersConverter

    if not hasattr(transformers.BertConfig, "position_embedding_type"):  # newer transformers dropped it
        transformers.BertConfig.position_embedding_type = "absolute"
    tmp = out.with_name(f".{out.name}-{os.getpid()}")
    TransformersConverter(str(model_dir)).convert(str(tmp), quantization=quantization, force=True)
    tmp.replace(out)
    return out


class Ct2Embedder:
    """A CTranslate2 encoder with the model folder's tokenizer; mean pooling, unit rows."""

    def __init__(self, model_dir: Path, *, name: str | None = None, threads: int = 0,
                 quantization: str = PARAMS.quantization, out_dir: Path | None = None, origin: str = ""):
        import ctranslate2
        from tokenizers import Tokenizer

        path = convert(Path(model_dir), out_dir, quantization)
        self.encoder = ctranslate2.Encoder(str(path), device="cpu", compute_type=quantization,
                                           intra_threads=threads)
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(PARAMS.max_tokens)
        self.tokenizer.no_padding()
        self.name = name or f"{model_dir}+ct2-{quantization}"
        self.dim = int(self.embed_ids([[0, 2]]).shape[1])
        self.backend = f"ct2-{quantization}"
        self.origin = origin or str(model_dir)

    def embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        out = self.encoder.forward_batch(ids)
        hidden = np.array(out.last_hidden_state, dtype=np.float32)
        lengths = np.array([len(x) for x in ids])
        mask = (np.arange(hidden.shape[1])[None, :] < lengths[:, None]).astype(np.float32)
        return (hidden * mask[..., None]).sum(axis=1) / lengths[:, None]

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = PROMPTS[kind]
        ids = [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), PARAMS.batch_size):
            idx = order[start:start + PARAMS.batch_size]
            out[idx] = self.embed_ids([ids[i] for i in idx])
            if progress:
                progress(len(idx))
        return _normalize_rows(out)
