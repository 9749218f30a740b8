"""Settings: one frozen dataclass, from defaults, a few ``QA_*`` environment variables and CLI flags.

>>> Settings.from_env({"QA_INDEX": "/tmp/idx"}).index
PosixPath('/tmp/idx')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model: str | None = None  # explicit model: a local sentence-transformers folder or a hub name
    backend: str = "auto"  # "torch", "onnx-int8", "onnx-int8-mixed", "ct2-int8", "openvino-int8", "torch-bf16", "auto"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0
    lexicon: bool = True  # English questions reach Chinese keywords through the CC-CEDICT lexicon (QA_LEXICON=off)
    store: str = "folder"  # "folder" (the index folder), milvus://HOST:PORT[/COLLECTION] or a milvus-lite .db file
    cluster: str | None = None  # a Dask scheduler address (or "local[:N]") that embeds for ``qa index``

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        s = cls()
        return replace(
            s,
            corpus=Path(env.get("QA_CORPUS", s.corpus)),
            index=Path(env.get("QA_INDEX", s.index)),
            model=env.get("QA_MODEL") or None,
            backend=env.get("QA_BACKEND", s.backend),
            llm_base_url=env.get("QA_LLM_BASE_URL") or None,
            llm_model=env.get("QA_LLM_MODEL") or None,
            llm_api_key=env.get("QA_LLM_API_KEY") or None,
            llm_timeout=float(env.get("QA_LLM_TIMEOUT", s.llm_timeout)),
            lexicon=env.get("QA_LEXICON", "on").strip().lower() not in ("off", "0", "false", "no"),
            store=env.get("QA_STORE") or s.store,
            cluster=env.get("QA_CLUSTER") or None,
        )

    def with_overrides(self, **kw) -> Settings:
        """A copy with the given fields replaced, ignoring ``None`` values (unset CLI flags)."""
        return replace(self, **{k: v for k, v in kw.items() if v is not None})
