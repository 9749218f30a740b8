"""Web chrome by general signals: a line classifier whose features carry over to sites never seen.

Each line of a file is described by its length and punctuation, its share of function words and of
sentence ends, its URLs, dates, times and counters, its share of navigation and widget words, its place in
the file, how often it repeats, whether a general chrome rule names it, and how much it shares with the
report's body and title. A logistic regression over these (fitted by ``scripts/fit_chrome.py`` on labelled
web pages, saved with its provenance in ``qa/data/chrome_model.json``) gives the chance a line is chrome.

>>> model = load_model()
>>> lines = ["青松县教育局2011年工作总结", "上传人:admin 上传时间:2020-03-17 格式:DOC 页数:25",
...          "2011年上半年，我局坚持以科学发展观为统领，全面贯彻落实全县教育工作会议精神，取得了较好的成绩。"]
>>> rows = line_features(lines, rules=[False] * 3, titles=[True, False, False], title=lines[0])
>>> model.chrome(rows, prose=[False, False, True])
[False, True, False]
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from qa.ingest.chrome_context import Logistic, context_rows
from qa.textnorm import halfwidth, strip_pinyin, to_simplified

MODEL_FILE = "chrome_model.json"

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WS_RE = re.compile(r"\s+")
_END_RE = re.compile(r"[。！？!?；;]")
_CLAUSE_RE = re.compile(r"[，,、：:]")
_URL_RE = re.compile(r"https?://|www\.|\.(?:com|cn|net|org|html?)\b", re.I)
# A machine timestamp (2021-08-31, 11:41): what a site prints. Reports write dates in words (2011年3月15日).
_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}:\d{2}|\d{1,2}-[A-Za-z]{3}-\d{4}")
_COUNTER_RE = re.compile(r"[:：]\s*\d+|\d+\s*(?:页|次|人阅读|views?|KB|MB|下载|金币|积分)|[(（]\d+[)）]")
_SEPARATOR_RE = re.compile(r"[|｜>»›/→·•_★☆【】\[\]]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_NUM = "一二三四五六七八九十"
_ENUM_RE = re.compile(rf"[{_NUM}]+、|[（(][{_NUM}\d]+[)）]|\d{{1,2}}[、.．](?!\d)|[①-⑳]|第[{_NUM}\d]+")
# Function words of written Chinese (grammar, not topic): prose is full of them, chrome has few.
_FUNCTION = frozenset("的了是在和与及对为将把被等中也都并而以其之于从向由到着过所就又还更已")
# Words of page furniture on any site: navigation, accounts, sharing, downloading, viewing, rights.
_FURNITURE = tuple("""首页 导航 位置 栏目 频道 搜索 登录 注册 会员 账号 密码 验证码 上传 下载 文档 格式 页数 大小
积分 金币 付费 免费 VIP 收藏 分享 打印 关闭 返回 举报 评论 点赞 关注 订阅 扫一扫 二维码 微信 微博 客服 联系我们
上一篇 下一篇 上一页 下一页 更多 全文 阅读 浏览 点击 查看 发布 来源 作者 编辑 时间 日期 字体 字号 网站 本站
版权 声明 免责 侵权 转载 备案 ICP 技术支持 主办 承办 地址 电话 邮箱 相关 推荐 热门 标签 分类 专题 广告 APP
小编 为大家 为您 网友 word doc docx pdf""".split())
_FURNITURE_RE = re.compile("|".join(sorted(map(re.escape, _FURNITURE), key=len, reverse=True)), re.I)

FEATURES = ("log_length", "cjk_share", "has_sentence_end", "ends_sentence", "clause_share", "function_share",
            "digit_share", "latin_share", "url", "date_or_time", "counter", "furniture_share", "separator_share",
            "position", "in_first_lines", "in_last_lines", "repeats", "title_similarity", "body_similarity",
            "rule", "prose", "enumerated", "title_like", "is_title", "ends_colon", "space_share",
            "before_furniture", "after_furniture", "before_length", "after_length", "before_rule", "after_rule",
            "short_run", "shape_repeats", "holds_other_line", "before_prose", "after_prose", "corpus_repeats")


@dataclass(frozen=True)
class ChromeModel:
    """Standardized logistic regression over ``FEATURES``; ``threshold`` on the chrome probability. With
    ``context`` (``qa.ingest.chrome_context``), a second pass reads each line's first-pass probability
    against those of the lines around it, and its probability is the one judged."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    provenance: dict
    context: Logistic | None = None

    def first_probability(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The first pass: each line on its own features."""
        return Logistic(self.features, self.mean, self.scale, self.coef, self.intercept).probability(rows)

    def chrome_probability(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The chance each line of one file (its rows in order) is chrome."""
        first = self.first_probability(rows)
        if self.context is None:
            return first
        rule, prose = FEATURES.index("rule"), FEATURES.index("prose")
        return self.context.probability(context_rows(first, rule=[r[rule] > 0 for r in rows],
                                                      prose=[r[prose] > 0 for r in rows]))

    def chrome(self, rows: Sequence[Sequence[float]], prose: Sequence[bool]) -> list[bool]:
        """Which lines are chrome: over ``threshold``. Prose (``prose[i]``: a long line with sentence
        punctuation) never is, and a line without letters (a figure, a table cell) is left to the rules."""
        cjk, latin = FEATURES.index("cjk_share"), FEATURES.index("latin_share")
        return [p > self.threshold and not is_prose and row[cjk] + row[latin] > 0
                for p, is_prose, row in zip(self.chrome_probability(rows), prose, rows, strict=True)]

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold,
                "provenance": self.provenance} | ({"context": self.context.to_dict()} if self.context else {})

    @classmethod
    def from_dict(cls, d: dict) -> ChromeModel:
        model = cls(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]),
                    float(d["intercept"]), float(d["threshold"]), dict(d.get("provenance", {})),
                    Logistic.from_dict(d["context"]) if d.get("context") else None)
        if model.features != FEATURES:
            raise ValueError(f"{MODEL_FILE} was fitted on other features: run scripts/fit_chrome.py")
        return model


@lru_cache(maxsize=1)
def load_model() -> ChromeModel:
    """The fitted model shipped in ``qa/data``."""
    text = resources.files("qa.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return ChromeModel.from_dict(json.loads(text))


@dataclass(frozen=True)
class Repetition:
    """How line shapes are counted across the files of a corpus (a folder)."""

    longest: int = 60  # lines this long or shorter are counted: a site's template lines are short
    # Counts saturate here: a line in this many files is as much a template as it gets, and adding one more
    # page of a site then leaves the cleaning of its other pages as it was (the index re-cleans none of them).
    most: int = 4
    digest: int = 12  # hex digits of a shape's id (48 bits: no collision to expect in millions of shapes)


REPETITION = Repetition()


@dataclass(frozen=True)
class Boilerplate:
    """Corpus-level repetition, as jusText and boilerpipe use it: for each line shape (``shape``), in how
    many files of the corpus it occurs (up to ``Repetition.most``). Built from the files' lines when a
    corpus is read; the index keeps each file's ``file_shapes`` so that an update counts them again
    without reading unchanged files.

    >>> common = Boilerplate.of([["分享到：", "全县共有中小学56所。"], ["分享到：", "今年招生3000人。"]])
    >>> common.files_with(shape("分享到：")), common.files_with(shape("今年招生3000人。"))
    (2, 1)
    """

    counts: Mapping[str, int] = field(default_factory=dict)  # shape id -> files, for shapes in two or more

    @classmethod
    def of(cls, files: Sequence[Sequence[str]]) -> Boilerplate:
        """The shapes of the short lines of each file (its lines given), counted once per file."""
        return cls.of_shapes([file_shapes("\n".join(lines)) for lines in files])

    @classmethod
    def of_shapes(cls, files: Iterable[Iterable[str]]) -> Boilerplate:
        """Counted from each file's ``file_shapes``."""
        counts: Counter[str] = Counter()
        for ids in files:
            counts.update(set(ids))
        return cls(MappingProxyType({k: min(c, REPETITION.most) for k, c in counts.items() if c > 1}))

    def files_with(self, sh: str) -> int:
        """In how many files the shape ``sh`` occurs (1 for a shape seen in one file only)."""
        return self.counts.get(shape_id(sh), 1)

    def restricted(self, ids: Iterable[str]) -> Boilerplate:
        """What one file sees of the corpus: the counts of its own shapes only."""
        return Boilerplate(MappingProxyType({k: self.counts[k] for k in ids if k in self.counts}))

    def signature(self, ids: Iterable[str]) -> str:
        """A digest of ``restricted(ids)``: a file's cleaning changes only when this does ("" when none of
        its shapes is in another file)."""
        seen = sorted(f"{k}:{self.counts[k]}" for k in set(ids) if k in self.counts)
        return hashlib.sha256(" ".join(seen).encode()).hexdigest()[:16] if seen else ""


def shape_id(sh: str) -> str:
    """A short, stable id of a line shape (what the index stores)."""
    return hashlib.blake2b(sh.encode("utf-8"), digest_size=8).hexdigest()[:REPETITION.digest]


def file_shapes(text: str) -> frozenset[str]:
    """The ids of the shapes of a file's short lines: what the corpus counts for it.

    >>> file_shapes("第1页\\n第2页") == file_shapes("第3页")
    True
    """
    lines = (t.strip() for t in text.split("\n"))
    return frozenset(shape_id(s) for s in {shape(t) for t in lines if t and len(t) <= REPETITION.longest} if s)


_DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")
_NON_CJK_WORD_RE = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0]")


def shape(text: str) -> str:
    """A line's shape: its key with numbers as one ``0`` and only letters kept, so that "第1页" and "第2页",
    "2021-04-12 发布" and "2019-11-02 发布" are one shape."""
    return _shape_of_key(_key(text))


def _shape_of_key(key: str) -> str:
    return _NON_CJK_WORD_RE.sub("", _DIGITS_RE.sub("0", key))


def line_features(lines: Sequence[str], *, rules: Sequence[bool], titles: Sequence[bool], title: str | None,
                  corpus: Boilerplate | None = None) -> list[list[float]]:
    """One feature row per line of one file (the non-blank lines, in order).

    ``rules[i]`` says a general chrome rule names line i, ``titles[i]`` that it reads like a report's
    title; ``title`` is the report's title line if known; ``corpus`` counts line shapes over the files
    read together (none: a corpus of this one file).
    """
    keys = [_key(line) for line in lines]
    own = Counter(keys)
    grams = [_bigrams(k) for k in keys]
    prose = [_is_prose(k) for k in keys]
    body: Counter[str] = Counter(g for gs, p in zip(grams, prose, strict=True) if p for g in gs)
    title_key = _key(title) if title else ""
    title_grams = _bigrams(title_key)
    n = len(lines)
    rows = []
    for i, key in enumerate(keys):
        in_body = {g for g in grams[i] if body[g] - prose[i] > 0}  # shared with the other prose lines
        rows.append(_row(key, i, n, own[key] - 1, grams[i], in_body, title_grams, bool(rules[i])))
        rows[-1] += [float(titles[i]), float(bool(title_key) and key == title_key), float(key[-1:] in ":："),
                     key.count(" ") / max(len(key), 1)]
    furniture = [r[FEATURES.index("furniture_share")] for r in rows]
    length = [r[0] for r in rows]
    for i, row in enumerate(rows):
        a, b = max(i - 1, 0), min(i + 1, n - 1)
        row += [furniture[a] if i else 0.0, furniture[b] if i < n - 1 else 0.0,
                length[a] if i else 0.0, length[b] if i < n - 1 else 0.0,
                float(bool(rules[a])) if i else 0.0, float(bool(rules[b])) if i < n - 1 else 0.0,
                math.log1p(_short_run(keys, i))]
    _add_layout(rows, keys, prose, corpus or Boilerplate())
    return rows


def _add_layout(rows: list[list[float]], keys: list[str], prose: list[bool], corpus: Boilerplate) -> None:
    """Shape repeats in the file, lines that hold another line (a title decorated by a viewer), where the
    line stands against the first and last prose, and in how many other files of the corpus it occurs."""
    shapes = [_shape_of_key(k) for k in keys]
    own = Counter(shapes)
    n = len(keys)
    first = next((i for i, p in enumerate(prose) if p), n)
    last = max((i for i, p in enumerate(prose) if p), default=-1)
    short = [k for k in set(keys) if 6 <= len(k) <= 60]
    for i, (row, key, sh) in enumerate(zip(rows, keys, shapes, strict=True)):
        holds = any(o != key and o in key for o in short) if len(key) <= 120 else False
        row += [math.log1p(own[sh] - 1) if sh else 0.0, float(holds),
                float(last >= 0 and i < first), float(last >= 0 and i > last),
                math.log1p(max(corpus.files_with(sh) - 1, 0))]


def _short_run(keys: list[str], i: int, short: int = 12) -> int:
    """How many short lines stand together around line i (a flattened table's cells, a menu)."""
    if len(keys[i]) > short:
        return 0
    a = b = i
    while a > 0 and len(keys[a - 1]) <= short:
        a -= 1
    while b < len(keys) - 1 and len(keys[b + 1]) <= short:
        b += 1
    return b - a


def _row(key: str, i: int, n: int, repeats: int, grams: set[str], in_body: set[str], title: set[str],
         rule: bool) -> list[float]:
    length = max(len(key), 1)
    cjk = len(_CJK_RE.findall(key))
    shared_body = len(in_body) / len(grams) if grams else 0.0
    shared_title = len(grams & title) / len(grams) if grams and title else 0.0
    furniture = sum(len(m.group()) for m in _FURNITURE_RE.finditer(key)) / length
    return [
        math.log(length), cjk / length, float(bool(_END_RE.search(key))), float(key[-1:] in "。！？!?；;"),
        len(_CLAUSE_RE.findall(key)) / length, sum(ch in _FUNCTION for ch in key) / max(cjk, 1),
        sum(ch.isdigit() for ch in key) / length, len(_LATIN_RE.findall(key)) / length,
        float(bool(_URL_RE.search(key))), float(bool(_DATE_RE.search(key))), float(bool(_COUNTER_RE.search(key))),
        furniture, len(_SEPARATOR_RE.findall(key)) / length,
        i / max(n - 1, 1), float(i < 3), float(i >= n - 3), math.log1p(repeats), shared_title, shared_body,
        float(rule), float(_is_prose(key)), float(bool(_ENUM_RE.match(key))),
    ]


def furniture(text: str) -> bool:
    """Whether ``text`` names page furniture (navigation, accounts, sharing, downloading, rights) or a URL."""
    key = _key(text)
    return bool(_FURNITURE_RE.search(key) or _URL_RE.search(key))


def furniture_words(text: str) -> int:
    """How many words of page furniture ``text`` names (a URL counts as two: more than one stray word)."""
    key = _key(text)
    return len(_FURNITURE_RE.findall(key)) + 2 * bool(_URL_RE.search(key))


def _is_prose(key: str) -> bool:
    return len(_CJK_RE.findall(key)) > 60 and bool(re.search(r"[。！？!?；;，,]", key))


def _bigrams(key: str) -> set[str]:
    chars = "".join(_CJK_RE.findall(key))
    return {chars[j : j + 2] for j in range(len(chars) - 1)}


_SPACED_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _key(text: str) -> str:
    """Simplified, half width, pinyin out, spaces between Chinese characters out (PDF text spaces them)."""
    return _SPACED_RE.sub("", _WS_RE.sub(" ", halfwidth(to_simplified(strip_pinyin(text)))).strip())
