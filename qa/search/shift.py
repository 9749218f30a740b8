"""The language offset taken off an English question's vector before the dense search.

A multilingual encoder places a text partly by its language: English questions sit on one side of the space
and the Chinese paragraphs they ask about on the other, so an English question's cosines to Chinese paragraphs
are squeezed together (0.74-0.80 on web copies of reports) and the right one ranks lower than the same
question asked in Chinese. Subtracting the mean difference between English and Chinese questions (mean
centering per language, as in Libovický et al. 2020, "On the language neutrality of pre-trained multilingual
representations") takes much of that language part away.

The offset is fitted by ``scripts/fit_query_shift.py`` on public data only: the parallel English and Chinese
questions of XQuAD (``../shared/bench/xquad-en2zh-dev``, ``xquad-zh-dev``; its first questions held out), with
its strength chosen by cross-validation there. It is stored with its provenance in
``qa/data/query_shift.json`` and applies only to the model it was fitted for. A question mixing both scripts
gets the share of the offset that its Latin letters are of its letters; a Chinese question is left as it is.
``QA_QUERY_SHIFT=off`` switches it off, to measure what it adds.

>>> import numpy as np
>>> s = QueryShift("m", np.array([0.0, 0.6], dtype=np.float32))
>>> s.apply(np.array([0.8, 0.6], dtype=np.float32), "How many schools?").round(3).tolist()
[1.0, 0.0]
>>> v = np.array([0.8, 0.6], dtype=np.float32)
>>> s.apply(v, "图书馆藏书几册?") is v
True
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.textnorm import cjk_ratio

SHIFT_FILE = Path(__file__).resolve().parent.parent / "data" / "query_shift.json"
SHIFT_ENV = "QA_QUERY_SHIFT"  # "off" switches the offset off; a path names another fitted file


@dataclass(frozen=True)
class QueryShift:
    """``alpha * (mean English question - mean Chinese question)`` for one model; read-only once loaded."""

    model: str
    vector: np.ndarray

    def apply(self, vec: np.ndarray, question: str) -> np.ndarray:
        """``vec`` (the question's unit vector) less the offset, scaled by the question's share of non-CJK
        letters, and normalized again; ``vec`` itself when the question is all Chinese."""
        share = 1.0 - cjk_ratio(question) if any(ch.isalpha() for ch in question) else 0.0
        if share <= 0.0:
            return vec
        out = vec - share * self.vector
        norm = float(np.linalg.norm(out))
        return (out / norm).astype(np.float32) if norm > 0 else vec

    def fits(self, embedder_name: str, dim: int | None) -> bool:
        """Whether this offset was fitted for ``embedder_name``'s model: the same model under any backend
        (``intfloat/multilingual-e5-small+bf16`` is ``intfloat/multilingual-e5-small``) with the same width."""
        return embedder_name.split("+", 1)[0] == self.model and (dim is None or dim == self.vector.shape[0])


def read_shift(data: dict, source: str) -> QueryShift:
    """The offset in a fitted file's JSON; a file without a model, a direction or a strength is refused."""
    try:
        direction = np.asarray(data["direction"], dtype=np.float32)
        alpha = float(data["alpha"])
        model = str(data["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{source}: not a fitted query offset ({e!r}); refit it with "
                         "scripts/fit_query_shift.py") from None
    if direction.ndim != 1 or not direction.size or not np.all(np.isfinite(direction)):
        raise ValueError(f"{source}: the offset's direction is not a finite vector")
    return QueryShift(model, (alpha * direction).astype(np.float32))


def load_query_shift(embedder_name: str, dim: int | None, path: str | Path | None = None) -> QueryShift | None:
    """The fitted offset for ``embedder_name`` (``None`` when switched off or fitted for another model).

    ``path`` defaults to ``QA_QUERY_SHIFT`` when it names a file, else the shipped ``qa/data/query_shift.json``.
    """
    setting = os.environ.get(SHIFT_ENV, "").strip()
    if path is None and setting.lower() in ("off", "0", "none", "no"):
        return None
    if path is None and setting:
        path = setting
    where = Path(path) if path is not None else SHIFT_FILE
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path is None:
            return None  # a checkout without the data file: no offset
        raise ValueError(f"{SHIFT_ENV}={where}: no such file") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ValueError(f"{where}: not JSON ({e})") from None
    shift = read_shift(data, str(where))
    return shift if shift.fits(embedder_name, dim) else None
