"""The units of ``qa/data/units_zh_en.tsv``: a Chinese unit or measure word, its English gloss and its kind; the kind
of measure a unit counts in (``UNIT_KIND``); and the Chinese headwords of people."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Unit:
    zh: str
    english: str
    kind: str  # people / count / thing / measure (see the file's header)
    counts: tuple[str, ...] = ()  # WordNet noun classes of what it counts (empty: any; see the file's header)


@lru_cache(maxsize=1)
def unit_table() -> tuple[Unit, ...]:
    """The units of ``qa/data/units_zh_en.tsv``, longest first (万元 before 元)."""
    text = resources.files("qa").joinpath("data/units_zh_en.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    units = (Unit(r[0], r[1], r[2], tuple(r[4].split()) if len(r) > 4 else ()) for r in rows if len(r) >= 3)
    return tuple(sorted(units, key=lambda u: -len(u.zh)))


# the kind of a measure word, where several count alike: units of people are one kind, and so are sums of money
UNIT_KIND = {"人次": "people", "人": "people", "名": "people", "位": "people", "万元": "money", "亿元": "money",
             "元": "money", "座": "所", "场": "次"}  # 场 and 次 both count events ("几场直播": "6次网络直播")

# Chinese headwords of people (general vocabulary of reports)
PEOPLE = ("教师", "老师", "学生", "毕业生", "儿童", "幼儿", "干部", "校长", "职工", "人员", "家长", "学员", "人次",
          "志愿者", "党员", "少先队员", "人才", "专家")


def is_people(term: str) -> bool:
    """A Chinese headword of people: a listed one, or a word for students or teachers (…生, …师)."""
    return term in PEOPLE or term.endswith(("生", "师"))
