"""The units of ``qa/data/units_zh_en.tsv``: a Chinese unit or measure word, its English gloss and its kind."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Unit:
    zh: str
    english: str
    kind: str  # people / count / thing / measure (see the file's header)


@lru_cache(maxsize=1)
def unit_table() -> tuple[Unit, ...]:
    """The units of ``qa/data/units_zh_en.tsv``, longest first (万元 before 元)."""
    text = resources.files("qa").joinpath("data/units_zh_en.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(sorted((Unit(r[0], r[1], r[2]) for r in rows if len(r) >= 3), key=lambda u: -len(u.zh)))
