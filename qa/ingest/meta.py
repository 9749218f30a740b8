"""A report's metadata from its own words: the year it reports on, and the places it names.

Both read the search form of the text (``qa.textnorm.normalize``: Simplified, pinyin-free, half
width), so that filters match either script, and return Simplified names.

>>> find_year("钟山县教育局2011年上半年工作总结", "")
2011
>>> find_year("两基工作总结", "201*-201*年两基工作总结。发布时间:2019-02-27")  # placeholders, dates
>>> find_places("钟山县教育局2011年上半年工作总结", "我县钟山镇中心小学……钟山县一中……广西")
('钟山县', '广西')
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from qa.numbers import chinese_number

MAX_PLACES = 5
MIN_BARE = 3  # a city named only without its suffix (太原) counts when named this often
FIRST_CHARS = 300  # "the report's first lines": where a year is looked for when the title has none

_WS_RE = re.compile(r"\s+")
_YEAR_RE = re.compile(r"(?<![\d*＊xX_])(19[5-9]\d|20\d\d)(?![\d*＊xX_\-/.])\s*年")
_CN_YEAR_RE = re.compile(r"(?<![〇零一二三四五六七八九])([〇零一二三四五六七八九]{4})年")
_SUFFIX_RE = re.compile(r"特别行政区|自治[区州县旗]|[省市县区州旗盟]")
_END_SUFFIX_RE = re.compile(r"(?:特别行政区|自治[区州县旗]|[省市县区州旗盟])$")
# The last two characters of generic words that end like a place: 城区, 周边地区, 文明城市 ...
_GENERIC_TAILS = frozenset("""地区 城市 城区 市区 县区 山区 社区 小区 园区 学区 校区 片区
                           辖区 灾区 库区 景区 牧区 老区 特区 街区 郊区 边区 矿区 林区
                           垦区 都市 全市 全县 全区 全省""".split())
PROVINCES = ("北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
             "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门").split()
_FORM_ORDER = ("市", "县", "区", "州", "旗", "盟", "省")  # which full form names a group on a tie


def find_year(title: str, body: str) -> int | None:
    """The year a report is about: the first year (``2011年``, ``二〇一一年``) in its title, else in its
    first ``FIRST_CHARS`` characters. ``20xx``, ``201*`` and publish dates (``2019-02-27``) are no year."""
    for text in (title, body[:FIRST_CHARS]):
        key = _WS_RE.sub("", text)
        found = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(key)]
        found += [(m.start(), chinese_number(m.group(1))) for m in _CN_YEAR_RE.finditer(key)]
        years = [(pos, year) for pos, year in found if 1950 <= year <= 2099]
        if years:
            return min(years)[1]
    return None


def find_places(title: str, body: str) -> tuple[str, ...]:
    """Up to ``MAX_PLACES`` administrative places the text names (钟山县, 自贡市, 广西 ...), most often
    named first, those in the title before all.

    A place is a name ending in 省/市/县/区/州/旗 that jieba's dictionary knows as a place name, a
    province, or a city named without its suffix (太原 for 太原市) at least ``MIN_BARE`` times.
    """
    key = _WS_RE.sub("", f"{title}\n{body}")
    title_key = _WS_RE.sub("", title)
    full, names_re = _gazetteer()
    forms: Counter[str] = Counter()
    for m in _SUFFIX_RE.finditer(key):
        longest = 8 if len(m.group()) > 1 else 4
        for n in range(min(longest, m.start()), 1, -1):
            candidate = key[m.start() - n : m.end()]
            if candidate in full and candidate[-2:] not in _GENERIC_TAILS:
                forms[candidate] += 1
                break
    bare = Counter(m.group() for m in names_re.finditer(key))
    groups: dict[str, Counter[str]] = {}
    for form, count in forms.items():
        group = next((p for p in PROVINCES if form.startswith(p)), None) if _province_level(form) else None
        groups.setdefault(group or _bare(form), Counter())[form] += count
    for name, count in bare.items():
        if name in PROVINCES or count >= MIN_BARE or name in title_key:
            groups.setdefault(name, Counter())

    def score(name: str) -> tuple[bool, float, int]:
        named = sum(groups[name].values())
        return name in title_key, named + 0.5 * max(0, bare[name] - named), -key.find(name)

    out = []
    for name in sorted(groups, key=score, reverse=True)[:MAX_PLACES]:
        named = groups[name]
        out.append(max(named, key=lambda form: (named[form], _form_rank(form))) if named else name)
    return tuple(out)


def _form_rank(form: str) -> int:
    return -_FORM_ORDER.index(form[-1]) if form[-1] in _FORM_ORDER else -len(_FORM_ORDER)


def _bare(form: str) -> str:
    m = _END_SUFFIX_RE.search(form)
    name = form[: m.start()] if m else form
    return name if len(name) >= 2 else form


def _province_level(form: str) -> bool:
    return form.endswith(("省", "自治区", "特别行政区")) or form in ("北京市", "天津市", "上海市", "重庆市")


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], re.Pattern[str]]:
    """From jieba's dictionary: the place names (``ns``) with an administrative suffix, and a pattern
    for the provinces and the cities that are also place names without their 市 (太原, 南昌)."""
    places: dict[str, bool] = {}
    try:
        import jieba

        with jieba.get_dict_file() as f:
            for line in f.read().decode("utf-8").splitlines():
                word = line.split()
                if len(word) == 3 and word[2] == "ns":
                    places[word[0]] = True
    except (ImportError, OSError):
        pass
    full = frozenset(w for w in places if len(w) >= 3 and _END_SUFFIX_RE.search(w))
    names = {w for w in places if len(w) >= 2 and w + "市" in places} | set(PROVINCES)
    return full, re.compile("|".join(sorted(names, key=len, reverse=True)))
