"""ONNX encoder backend: the model folder's transformer exported locally, optionally int8-quantized.

``export_onnx`` traces the sentence-transformers folder's transformer with ``torch.onnx.export``
(TorchScript exporter, dynamic batch and sequence axes) and, for int8, applies onnxruntime's dynamic
quantization (per-channel QInt8 weights on MatMul and the word-embedding Gather; measurements in
bench/README.md). A variant lives in ``out_dir/<tag>/`` (``fp32``, ``int8``) with a marker ``export.json``
(source fingerprint, recipe, opset, .onnx sha256), built in a temporary sibling folder renamed into
place: an interrupted export never looks valid. ``OnnxEmbedder`` implements ``qa.models.embed.Embedder``.

>>> emb = OnnxEmbedder(Path("/models/e5"))  # doctest: +SKIP
>>> emb.name, emb.embed(["昭平县有多少教师?"], kind="query").shape  # doctest: +SKIP
('/models/e5+onnx-int8', (1, 384))
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from qa.models.embed import PROMPTS, Kind

FORMAT = 1  # bump when the export layout or recipe semantics change
OPSET = 17
MARKER = "export.json"
ONNX_FILE = "model.onnx"
INPUTS = ("input_ids", "attention_mask")  # single-segment inputs: token_type_ids are all 0, the default
_SOURCE_SUFFIXES = {".json", ".safetensors", ".bin", ".txt", ".model"}
_STALE_SECONDS = 3600
# folders other backends write into the model folder (ONNX, OpenVINO, CTranslate2): not part of the source
DERIVED = ("onnx", "openvino", "ct2-")


@dataclass(frozen=True)
class QuantRecipe:
    """How ``quantize_dynamic`` makes the int8 variant; ``tag`` names its folder and the name suffix."""

    tag: str = "int8"
    per_channel: bool = True
    op_types: tuple[str, ...] = ("MatMul", "Gather")
    reduce_range: bool = False
    exclude: tuple[str, ...] = ()  # regular expressions: nodes whose name matches one stay float32

    def as_json(self) -> dict[str, Any]:
        """The marker's ``recipe``; an empty ``exclude`` is left out, so older exports stay valid."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return out if self.exclude else {k: v for k, v in out.items() if k != "exclude"}


INT8 = QuantRecipe()


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fingerprint(model_dir: Path, exclude: Path, known: dict[str, list] | None = None) -> dict[str, Any]:
    """sha256 of the folder's model files; hashes in ``known`` are reused while size and mtime match."""
    files: dict[str, list] = {}
    for path in sorted(model_dir.rglob("*")):
        rel = path.relative_to(model_dir)
        if (not path.is_file() or path.suffix not in _SOURCE_SUFFIXES or path.is_relative_to(exclude)
                or any(p.startswith(".") for p in rel.parts) or rel.parts[0].startswith(DERIVED)):
            continue
        st = path.stat()
        old = (known or {}).get(rel.as_posix())
        same = old is not None and old[:2] == [st.st_size, st.st_mtime_ns]
        files[rel.as_posix()] = [st.st_size, st.st_mtime_ns, old[2] if same else _sha256(path)]
    digest = hashlib.sha256(json.dumps({k: v[2] for k, v in files.items()}, sort_keys=True).encode())
    return {"digest": digest.hexdigest(), "files": files}


def _valid_marker(folder: Path, model_dir: Path, exclude: Path, want: dict[str, Any]) -> dict | None:
    """The marker of a complete, current export in ``folder``, else None."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if any(marker.get(k) != v for k, v in want.items()):
            return None
        onnx_file = folder / marker["file"]
        st = onnx_file.stat()
        if st.st_size != marker["size"]:
            return None
        if st.st_mtime_ns != marker["mtime_ns"] and _sha256(onnx_file) != marker["sha256"]:
            return None
        source = _fingerprint(model_dir, exclude, marker["source"]["files"])
        return marker if source["digest"] == marker["source"]["digest"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _resolve(model_dir: Path, out_dir: Path | None, quantize: bool, recipe: QuantRecipe):
    """Absolute model folder, output folder, variant folder, and what its marker must say."""
    model_dir = Path(model_dir).absolute()
    out_dir = Path(out_dir).absolute() if out_dir else model_dir / "onnx"
    want = {"format": FORMAT, "quantized": quantize, "opset": OPSET,
            "recipe": recipe.as_json() if quantize else None}
    return model_dir, out_dir, out_dir / (recipe.tag if quantize else "fp32"), want


def find_export(model_dir: Path, out_dir: Path | None = None, *, quantize: bool = True,
                recipe: QuantRecipe = INT8) -> Path | None:
    """The .onnx file of a valid, current export, or None (never exports).

    >>> find_export(Path("/models/e5"))  # doctest: +SKIP
    PosixPath('/models/e5/onnx/int8/model.onnx')
    """
    model_dir, out_dir, folder, want = _resolve(model_dir, out_dir, quantize, recipe)
    marker = _valid_marker(folder, model_dir, out_dir, want)
    return folder / marker["file"] if marker else None


def _transformer_dir(model_dir: Path) -> Path:
    """The folder of the Transformer module; refuses pipelines this backend does not reproduce."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ValueError(f"{model_dir}: unsupported module pipeline {kinds} (want Transformer, Pooling)")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    mode = pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None)
    if mode != "mean" or not pooling.get("include_prompt", True):
        raise ValueError(f"{model_dir}: only mean pooling is supported, not {pooling}")
    return model_dir / modules[0]["path"]


def _torch_export(model_dir: Path, dst: Path) -> int:
    """Write the fp32 graph (inputs ``INPUTS`` -> ``last_hidden_state``) to ``dst``; return the width."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(_transformer_dir(model_dir), attn_implementation="eager",
                                      dtype=torch.float32).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def sample(batch: int, seq: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.randint(5, 1000, (batch, seq), generator=torch.Generator().manual_seed(seq))
        mask = (torch.arange(seq)[None, :] < torch.linspace(seq, seq // 2, batch)[:, None]).long()
        return ids * mask + int(model.config.pad_token_id or 0) * (1 - mask), mask

    wrapper = LastHidden().eval()  # export restores the wrapper's mode: it must be eval too
    dynamic = {n: {0: "batch", 1: "sequence"} for n in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, sample(2, 16), str(dst), dynamo=False, opset_version=OPSET,
                          input_names=list(INPUTS), output_names=["last_hidden_state"],
                          dynamic_axes=dynamic, do_constant_folding=True)
        ids, mask = sample(3, 11)  # other shapes: catches sizes or mask branches baked in by tracing
        want = wrapper(ids, mask).numpy()
    got = _session(dst, 1).run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    err = float(np.abs((got - want) * mask.numpy()[..., None]).max())
    if err > 1e-3:
        raise RuntimeError(f"ONNX export of {model_dir} disagrees with torch (max abs error {err:.2g})")
    return int(want.shape[-1])


def _quantize(src: Path, dst: Path, recipe: QuantRecipe) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    excluded = []
    if recipe.exclude:
        import onnx

        names = [n.name for n in onnx.load(str(src), load_external_data=False).graph.node]
        excluded = [n for n in names if any(re.search(p, n) for p in recipe.exclude)]
        if not excluded:  # a pattern that matches nothing would silently quantize everything
            raise ValueError(f"recipe {recipe.tag}: no node of {src} matches {list(recipe.exclude)}")
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=recipe.per_channel,
                     reduce_range=recipe.reduce_range, op_types_to_quantize=list(recipe.op_types),
                     nodes_to_exclude=excluded)


def _install(tmp: Path, folder: Path, is_valid: Callable[[], bool]) -> None:
    """Rename ``tmp`` to ``folder``, replacing a stale one; keep a valid one another process just made."""
    try:
        os.rename(tmp, folder)
        return
    except OSError:
        if is_valid():
            shutil.rmtree(tmp, ignore_errors=True)
            return
    aside = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(folder, aside)
    os.rename(tmp, folder)
    shutil.rmtree(aside, ignore_errors=True)


def export_onnx(model_dir: Path, out_dir: Path | None = None, *, quantize: bool = True,
                recipe: QuantRecipe = INT8) -> Path:
    """Export (or reuse a valid export of) the model folder to ONNX; return the .onnx file's path.

    ``out_dir`` defaults to ``model_dir / "onnx"``; the variant goes to ``out_dir/fp32`` or
    ``out_dir/<recipe.tag>``. An int8 export quantizes a valid fp32 export when there is one.

    >>> export_onnx(Path("/models/e5"))  # doctest: +SKIP
    PosixPath('/models/e5/onnx/int8/model.onnx')
    """
    model_dir, out_dir, folder, want = _resolve(model_dir, out_dir, quantize, recipe)
    if found := find_export(model_dir, out_dir, quantize=quantize, recipe=recipe):
        return found
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(f".{folder.name}.*-*"):  # left by killed exports
        if time.time() - old.stat().st_mtime > _STALE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=out_dir))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the export is as shareable as the model
        source = _fingerprint(model_dir, out_dir)
        dst = tmp / ONNX_FILE
        if not quantize:
            dim = _torch_export(model_dir, dst)
        else:
            fp32 = find_export(model_dir, out_dir, quantize=False)
            if fp32 is None:
                fp32 = tmp / "fp32.onnx"
                _torch_export(model_dir, fp32)
            _quantize(fp32, dst, recipe)
            (tmp / "fp32.onnx").unlink(missing_ok=True)
            dim = int(_session(dst, 1).get_outputs()[0].shape[-1])
        st = dst.stat()
        marker = want | {"file": ONNX_FILE, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                         "sha256": _sha256(dst), "dim": dim, "inputs": list(INPUTS), "source": source,
                         "model_dir": str(model_dir), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "versions": {p: version(p) for p in ("torch", "transformers", "onnxruntime")}}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _install(tmp, folder, lambda: _valid_marker(folder, model_dir, out_dir, want) is not None)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder / ONNX_FILE


def _session(path: Path, threads: int | None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """``qa.models.embed.Embedder`` on onnxruntime: the folder's tokenizer.json, mean pooling, L2 normalization.

    Exports on first use (see ``export_onnx``). ``name`` defaults to ``f"{model_dir}+onnx-int8"`` (or
    ``+onnx-fp32``) so that caches keyed by name never mix backends; a given ``name`` is used as is.

    >>> emb = OnnxEmbedder(Path("/models/e5"), threads=2)  # doctest: +SKIP
    >>> emb.embed(["教师人数", "How many teachers?"], kind="passage").shape  # doctest: +SKIP
    (2, 384)
    """

    def __init__(self, model_dir: Path, *, quantized: bool = True, name: str | None = None,
                 batch_size: int = 32, max_seq_length: int = 512, threads: int | None = None,
                 out_dir: Path | None = None, recipe: QuantRecipe = INT8):
        from tokenizers import Tokenizer

        self.onnx_path = export_onnx(Path(model_dir), out_dir, quantize=quantized, recipe=recipe)
        marker = json.loads((self.onnx_path.parent / MARKER).read_text(encoding="utf-8"))
        self.name = name or f"{model_dir}+onnx-{recipe.tag if quantized else 'fp32'}"
        self.dim = int(marker["dim"])
        self.origin, self.backend = str(model_dir), f"onnx-{recipe.tag if quantized else 'fp32'}"
        self.batch_size = batch_size
        tdir = _transformer_dir(Path(model_dir))
        config = json.loads((tdir / "config.json").read_text(encoding="utf-8"))
        tok_path = tdir / "tokenizer_config.json"
        tok_config = json.loads(tok_path.read_text(encoding="utf-8")) if tok_path.exists() else {}
        self.max_seq_length = min(  # as sentence-transformers: capped by the position embeddings
            max_seq_length, int(config.get("max_position_embeddings", max_seq_length)),
            int(tok_config.get("model_max_length", max_seq_length)))
        self.tokenizer = Tokenizer.from_file(str(tdir / "tokenizer.json"))
        pad_id = int(config.get("pad_token_id") or 0)  # padded positions are masked: any id would do
        self.tokenizer.enable_padding(direction="right", pad_id=pad_id,
                                      pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]")
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.session = self._open(threads)

    def _open(self, threads: int | None):
        """The runtime session (``run(None, feeds) -> [last_hidden_state]``); the OpenVINO backend overrides it."""
        return _session(self.onnx_path, threads)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Float32 ``(len(texts), dim)`` unit rows; the e5 prompt for ``kind`` goes before every text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        prompt = PROMPTS[kind]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # batches pad little
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out[idx] = self._encode([prompt + texts[i] for i in idx])
            if progress:
                progress(len(idx))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.where(norms == 0, 1.0, norms), dtype=np.float32)


class MixedEmbedder:
    """Passages from one embedder (int8: the bulk of the encoding), questions from another (float32).

    ``name`` is the passage embedder's: it names the vectors an index stores, so an index or embedding
    cache built with the passage backend alone is reused as is. Both sides must have the same ``dim``;
    each is loaded by its own first use when it is lazy (``qa.runtime.LazyEmbedder``).

    >>> from qa.models.embed import SentenceTransformerEmbedder
    >>> emb = MixedEmbedder(OnnxEmbedder(Path("/m/e5")), SentenceTransformerEmbedder("/m/e5"))  # doctest: +SKIP
    >>> emb.name  # doctest: +SKIP
    '/m/e5+onnx-int8'
    """

    def __init__(self, passage, query, *, origin: str = "", backend: str = "onnx-int8-mixed"):
        if passage.dim != query.dim:
            raise ValueError(f"passage embedder {passage.name} is {passage.dim}-d, "
                             f"query embedder {query.name} is {query.dim}-d")
        self.passage, self.query = passage, query
        self.name, self.dim = passage.name, passage.dim
        self.origin, self.backend = origin or getattr(passage, "origin", ""), backend

    def embed(self, texts: Sequence[str], kind: Kind,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        return (self.query if kind == "query" else self.passage).embed(texts, kind, progress=progress)
