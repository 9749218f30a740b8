"""Gold files: reading them, and the normalized evidence strings a hit must contain.

>>> evidence_keys({"evidence": ["招聘 26名"], "alt_evidence": {"x.txt": ["教師"]}})
['招聘26名', '教师']
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.textnorm import match_key


def read_gold(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise ValueError(f"{path}:{n}: not a JSON object ({e})") from e
    return rows


def evidence_keys(q: dict) -> list[str]:
    ev = list(q.get("evidence") or [])
    for alts in (q.get("alt_evidence") or {}).values():
        ev.extend(alts)
    return [k for k in (match_key(e) for e in ev) if k]
