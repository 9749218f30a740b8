"""The e5 encoder on OpenVINO with int8 weights (``--backend openvino-int8``).

The model folder's float32 ONNX export (``qa.models.onnx_backend``) is read by OpenVINO and its weights
compressed to 8 bits by NNCF (``compress_weights``, asymmetric per-channel int8: data-free, so the model,
and therefore every vector and the content-hash caches, do not depend on any calibration texts), then
saved once into ``MODEL/openvino/int8``. Tokenizer, prompts, mean pooling and normalization are the ONNX
backend's. Measured speed and quality: bench/README.md ("Scale: encoder backends").

>>> emb = OpenVinoEmbedder(Path("models/e5"))  # doctest: +SKIP
>>> emb.embed(["昭平县"], kind="passage").shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.models.onnx_backend import MARKER, OnnxEmbedder, export_onnx


@dataclass(frozen=True)
class OpenVinoParams:
    folder: str = "openvino"
    tag: str = "int8"
    xml: str = "model.xml"


PARAMS = OpenVinoParams()


def convert(model_dir: Path, out_dir: Path | None = None) -> Path:
    """The int8-weight OpenVINO model of a model folder (made once from its float32 ONNX export)."""
    fp32 = export_onnx(Path(model_dir), quantize=False)
    out = Path(out_dir) if out_dir is not None else Path(model_dir) / PARAMS.folder / PARAMS.tag
    source = json.loads((fp32.parent / MARKER).read_text(encoding="utf-8"))["sha256"]
    marker = out / MARKER
    if (out / PARAMS.xml).exists() and marker.exists():
        if json.loads(marker.read_text(encoding="utf-8")).get("onnx_sha256") == source:
            return out / PARAMS.xml
    try:
        import nncf
        import openvino as ov
    except ImportError as e:
        raise ValueError("the openvino-int8 backend needs the openvino extra: "
                         "pip install 'report-qa[openvino]'") from e
    model = nncf.compress_weights(ov.convert_model(str(fp32)), mode=nncf.CompressWeightsMode.INT8_ASYM)
    tmp = out.with_name(f".{out.name}-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(tmp / PARAMS.xml), compress_to_fp16=False)
    (tmp / MARKER).write_text(json.dumps({"onnx_sha256": source, "weights": "int8_asym",
                                          "openvino": ov.__version__}), encoding="utf-8")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.replace(out)
    return out / PARAMS.xml


class _OvSession:
    """An OpenVINO compiled model behind onnxruntime's ``run(None, feeds)``; ``precision`` None leaves the
    CPU plugin's own choice (bf16 on CPUs with AMX or AVX-512 BF16)."""

    def __init__(self, xml: Path, threads: int | None, precision: str | None = "f32"):
        import openvino as ov

        config = {"PERFORMANCE_HINT": "LATENCY"}
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        self.compiled = ov.Core().compile_model(str(xml), "CPU", config)
        self.request = self.compiled.create_infer_request()

    def run(self, _names, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        out = self.request.infer(feeds)
        return [np.asarray(out[self.compiled.output(0)], dtype=np.float32)]


class OpenVinoEmbedder(OnnxEmbedder):
    """``qa.models.embed.Embedder`` on OpenVINO, int8 weights; named ``f"{model_dir}+openvino-int8"``.

    ``weights="fp32"`` runs the float32 ONNX export as is, and ``precision=None`` the plugin's default
    inference precision (both for bench/encode_amx.py; the backend keeps float32 products)."""

    def __init__(self, model_dir: Path, *, name: str | None = None, threads: int | None = None,
                 batch_size: int = 32, precision: str | None = "f32", weights: str = "int8"):
        self.xml = convert(Path(model_dir)) if weights == "int8" else export_onnx(Path(model_dir), quantize=False)
        self.precision = precision
        super().__init__(model_dir, quantized=False, name=name or f"{model_dir}+openvino-int8",
                         threads=threads, batch_size=batch_size)
        self.backend = "openvino-int8"

    def _open(self, threads: int | None):
        return _OvSession(self.xml, threads, self.precision)
