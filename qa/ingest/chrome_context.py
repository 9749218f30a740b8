"""The second pass of the chrome classifier: a line's chance of being chrome read against its neighbours'.

Chrome clusters, as jusText uses: a site's banner, navigation and viewer widgets stand in a run at the top of
a page, its disclaimers, share bars and related lists in a run at the bottom, and a widget block is a run of
short lines. The first pass (``qa.ingest.chrome.ChromeModel`` without context) scores each line on its own;
this pass describes each line by its own first-pass score, the scores of the lines around it, and where it
stands against the page's prose, and a second logistic regression (fitted by ``scripts/fit_chrome.py`` on
cross-fitted first-pass scores, so that it learns from scores like those of pages never seen) gives the
chance it is chrome.

>>> rows = context_rows([0.9, 0.2, 0.9], rule=[False, False, False], prose=[False, True, False])
>>> [round(v, 2) for v in rows[0][:3]]
[2.2, 0.5, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONTEXT_FEATURES = ("first_logit", "previous", "next", "window", "above", "below", "prose_distance",
                    "between", "before_prose", "after_prose", "chrome_above_in_tail", "chrome_below_in_head")


@dataclass(frozen=True)
class Context:
    """How far the second pass looks around a line."""

    window: int = 3  # lines each side for the mean score around a line
    edge: float = 0.5  # the score of a neighbour beyond the page's first or last line: unknown
    clip: float = 0.999  # scores are clipped this close to 0 and 1 before their logit is taken


CONTEXT = Context()


@dataclass(frozen=True)
class Logistic:
    """A standardized logistic regression over named features (the second pass's)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, rows: Sequence[Sequence[float]]) -> list[float]:
        out = []
        for row in rows:
            z = self.intercept + sum(c * (x - m) / s for c, x, m, s in
                                     zip(self.coef, row, self.mean, self.scale, strict=True))
            out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
        return out

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: dict) -> Logistic:
        model = cls(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]),
                    float(d["intercept"]))
        if model.features != CONTEXT_FEATURES:
            raise ValueError("the chrome model's context pass was fitted on other features: run scripts/fit_chrome.py")
        return model


def context_rows(first: Sequence[float], *, rule: Sequence[bool], prose: Sequence[bool],
                 context: Context = CONTEXT) -> list[list[float]]:
    """One row of ``CONTEXT_FEATURES`` per line of one file, from the first-pass chrome probabilities
    ``first``. A line a rule drops counts as chrome (1) and prose as body (0) for its neighbours."""
    n = len(first)
    p = [1.0 if r else 0.0 if s else f for f, r, s in zip(first, rule, prose, strict=True)]
    at = [i for i, s in enumerate(prose) if s]
    lo, hi = (at[0], at[-1]) if at else (n, -1)
    mean_all = sum(p) / max(n, 1)
    above, total = [], 0.0
    for v in p:
        above.append(total)
        total += v
    tail, head = _fences(p, lo, hi)
    rows = []
    for i, own in enumerate(first):
        prev = p[i - 1] if i else context.edge
        nxt = p[i + 1] if i < n - 1 else context.edge
        near = [p[j] for j in range(max(0, i - context.window), min(n, i + context.window + 1)) if j != i]
        q = min(max(own, 1 - context.clip), context.clip)
        distance = min((abs(i - j) for j in at), default=n)
        rows.append([math.log(q / (1 - q)), prev, nxt, sum(near) / len(near) if near else mean_all,
                     above[i] / i if i else context.edge,
                     (total - above[i] - p[i]) / (n - 1 - i) if i < n - 1 else context.edge,
                     math.log1p(distance), min(prev, nxt), float(i < lo), float(i > hi), tail[i], head[i]])
    return rows


def _fences(p: list[float], lo: int, hi: int) -> tuple[list[float], list[float]]:
    """For a line after the last prose line (``hi``), the highest score between that prose and it; for a line
    before the first (``lo``), the highest score between it and that prose: a confident chrome line fences
    what lies beyond it off from the body (a footer under a share bar, a banner above a viewer widget)."""
    n = len(p)
    tail, head = [0.0] * n, [0.0] * n
    best = 0.0
    for i in range(hi + 1 if hi >= 0 else n, n):
        tail[i] = best
        best = max(best, p[i])
    best = 0.0
    for i in range(min(lo, n) - 1, -1, -1):
        head[i] = best
        best = max(best, p[i])
    return tail, head
