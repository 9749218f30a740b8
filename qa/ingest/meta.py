"""A report's metadata from its own words: the years it covers, the place it is about, the places it names.

All read the search form of the text (``qa.textnorm.normalize``: Simplified, pinyin-free, half width), so
that filters match either script, and return Simplified names. The place a report is *about* comes from its
title, its issuer and opening ("昭平县教育局…"), and its own voice ("我县", "全县": the level of the place it
speaks for); every other place it names is a *mention*, which never narrows a search.

>>> find_year("昭平县教育局2011年上半年工作总结", "")
2011
>>> find_year("两基工作总结", "201*-201*年两基工作总结。发布时间:2019-02-27")  # placeholders, dates
>>> read_places("昭平县教育局2011年上半年工作总结", "我县昭平镇中心小学……昭平县一中……广西")
Places(about=('昭平县',), mentions=('昭平县', '广西'))
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from qa.ingest.dates import covered_years, first_year
from qa.ingest.gazetteer import (  # noqa: F401 - PROVINCES, place_words, suffixed_places: read through meta too
    _END_SUFFIX_RE,
    _SUFFIX_RE,
    PROVINCES,
    _divisions,
    _gazetteer,
    _long_divisions,
    _short_divisions,
    dateline_places,
    generic,
    place_words,
    special_region,
    suffixed_places,
)

MAX_PLACES = 5
MIN_BARE = 3  # a city named only without its suffix (太原) counts when named this often
FIRST_CHARS = 300  # "the report's first lines": where a year is looked for when the title has none


@dataclass(frozen=True)
class PlaceParams:
    """Where and how often a report must name a place for it to be the report's own."""

    opening_chars: int = 200  # the issuer stands in the opening ...
    signature_chars: int = 30  # ... or signs the last line
    min_voice: int = 4  # "我县" (counted twice) and "全县" this often make 县 the level the report speaks for
    own_weight: int = 2  # "我县" speaks for the report more than "全县"
    max_about: int = 2
    min_region_voice: int = 2  # "本港"/"全澳" or the region's government bodies this often


PARAMS = PlaceParams()


@dataclass(frozen=True)
class Places:
    about: tuple[str, ...]  # the places the report is about (usually one)
    mentions: tuple[str, ...]  # every place it names, most often named first


_WS_RE = re.compile(r"\s+")
_FORM_ORDER = ("市", "县", "区", "州", "旗", "盟", "省")  # which full form names a group on a tie
# Words that make a bare name (太原, 新建) a place: an issuer or the place's people after it, a motion before it.
_BARE_AFTER = "(?=教育|政府|人民|县委|市委|区委|地区|经济)"
_BARE_BEFORE_RE = re.compile("(?:[赴到]|来自|前往|位于|推动)$")
# after a bare place name in a question: "全市" (the whole of it), "这个区/那个县" (a demonstrative and a level)
_QUESTION_AFTER_RE = re.compile("全[省市县区州旗]|[这那][个一]?[省市县区州旗]")
_ISSUER_RE = re.compile("教育局|教育厅|教育委员会|教委|教体局|教育和体育局|人民政府|政府|县委|市委|区委|党委")
# An autonomous prefecture or county by its common name: 凉山彝族自治州 -> 凉山州
_ETHNIC_RE = re.compile(r"^(.{2,}?)(?:[^族]{1,4}族)+自治([州县旗])$")
_VOICE_RE = re.compile("([我全本])([省市县区州旗])")


def find_year(title: str, body: str) -> int | None:
    """The year a report is about: the first year (any calendar: ``2011年``, ``二〇一一年``, ``民国97年``,
    ``97学年度``) in its title, else in its first ``FIRST_CHARS`` characters. ``20xx``, ``201*`` and publish
    dates (``2019-02-27``) are no year."""
    return first_year(title) or first_year(body[:FIRST_CHARS])


def find_years(title: str, body: str) -> tuple[int, ...]:
    """The years a report covers: its title's and opening's, and those its body names often."""
    return covered_years(title, body).years


def find_places(title: str, body: str) -> tuple[str, ...]:
    """Up to ``MAX_PLACES`` administrative places the text names (昭平县, 自贡市, 广西 ...), most often
    named first, those in the title before all; a province by its common name (宁夏回族自治区 -> 宁夏).

    A place is a name ending in 省/市/县/区/州/旗 that jieba's dictionary knows as a place name, a
    province, or a city named without its suffix (太原 for 太原市) at least ``MIN_BARE`` times where the
    words around say it is a place ("太原教育局", "在太原"): 新建 in 新建学校 is no place.
    """
    return tuple(name for name, _ in _named(title, body)[:MAX_PLACES])


def read_places(title: str, body: str, params: PlaceParams = PARAMS, publisher: tuple[str, ...] = ()) -> Places:
    """The places a report is about, and the places it mentions (see the module docstring). ``publisher``: the
    places the site's own lines name as the issuer ("沅陵县人民政府门户网站", dropped as chrome), the last resort
    when the text names none of its own, and only when there is one.

    >>> read_places("2019年度教育工作总结", "全县教育发展稳中有进", publisher=("沅陵县",)).about
    ('沅陵县',)
    """
    # what a report is about is read with the names of all administrative divisions; what it mentions, as before,
    # with jieba's places only
    named, mentioned = _named(title, body, divisions=True), _named(title, body)
    issuers = issuer_places(title)
    key = _WS_RE.sub("", body)
    about: list[str] = []
    title_key = _WS_RE.sub("", title)
    titled = [name for name, forms in named if any(f in title_key for f in forms)]  # () for a bare word
    # a title whose place the text never names, above a text that speaks for another place, is not the text's
    # own (a site's unrelated page title): none rather than a wrong one
    about += [] if titled and _contradicted(titled, key, named, params) else titled
    about = about or list(dateline_places(body.strip()[: params.opening_chars]))  # a local outlet's: 砀山新闻网讯
    last = body.strip().rsplit("\n", 1)[-1]
    ends = key[: params.opening_chars] + "\n" + (last if len(last) <= params.signature_chars else "")
    voice = _voice_level(key, params.own_weight, min_count=2)  # a body above it ("我市…湖南省人民政府") is a superior
    about += [name for name, forms in named if any(f + m.group() in ends for f in forms
                                                   for m in _ISSUER_RE.finditer(ends))
              and _rank(name, forms) <= _RANK.get(voice, 3)]
    about = about or list(issuers)  # an issuer the gazetteer does not know
    if not about:  # an issuer standing as a heading in the opening (a school under the title: 台中市东区台中国民小学)
        spaced = re.sub(r"[^\S\n]+", " ", body.strip())[: params.opening_chars]  # spaces kept: they part a heading
        known = _gazetteer()[0] | _long_divisions()  # in the text, a known place only ("现将县教育局…" names none)
        heads = {p for m in _HEAD_RE.finditer(spaced) for p in issuer_places(m.group(1)) if p in known}
        about += sorted(heads) if len(heads) == 1 else []
    superiors = _superiors(key)
    if not about:  # one place written as the issuer or governing body in the opening: "我校在德城区委、区政府…"
        opening = {p for p in governing_places(ends) if p not in superiors and _rank(p) <= _RANK.get(voice, 3)}
        about += sorted(opening) if len(opening) == 1 else []
    if not about:
        about += _voiced(key, [nf for nf in named if nf[0] not in superiors], params)
    if not about:
        about += _issued(key, named, superiors, params)
    if not about:
        about += special_region(key, params.min_region_voice)
    about += publisher[:1] if not about and len(set(publisher)) == 1 else []  # the site's publisher, the last resort
    mentions = tuple(dict.fromkeys([*(name for name, _ in mentioned), *issuers, *about]))[:MAX_PLACES]
    return Places(tuple(dict.fromkeys(about))[: params.max_about], mentions)


# A place named as the issuer at the head of the title ("柳溪县教育局2019年工作总结", "2020年白沙区人民政府…"): read
# from the words around it, so a place the gazetteer lacks is still what the report is about; a masked or generic
# one ("XX县", "全县") is not.
_ISSUER_PLACE_RE = re.compile("^(?:(?:19|20)\\d\\d年(?:度)?)?([\u4e00-\u9fff]{2,3}?)([市县区旗州])"
                              "(?=教育局|教育厅|教育委员会|教委|教体局|教育和体育局|教育体育局|人民政府"
                              # or a chain of divisions down to a school: 花莲县富里乡学田国小…, 台中市东区台中国民小学
                              "|(?:[\u4e00-\u9fff]{2,3}[乡镇]|[\u4e00-\u9fff]{1,3}区)[\u4e00-\u9fff]{1,6}?"
                              "(?:小学|中学|国小|国中|学校|幼儿园|中心校))")
_NOT_A_NAME = re.compile("^[我全本该各某此这那其每]|[某xX×*＊]")


def issuer_places(title: str) -> tuple[str, ...]:
    """The place named as the issuer at the head of the title, read without the gazetteer.

    >>> issuer_places("柳溪县教育局2019年工作总结"), issuer_places("XX县教育局工作总结"), issuer_places("全县教育工作")
    (('柳溪县',), (), ())
    """
    m = _ISSUER_PLACE_RE.search(_WS_RE.sub("", title))
    if not m:
        return ()
    place = m.group(1) + m.group(2)
    return () if _NOT_A_NAME.search(place) or generic(place) else (place,)


# Where a heading may start in the opening: after a line break, a bullet, a space or a number, not in or after a
# sentence.
_HEAD_RE = re.compile(r"(?<![\u4e00-\u9fff，,、：:（(《“「。！？；;])(?=([\u4e00-\u9fff][^\n]{0,60}))")


def _voiced(key: str, named: list[tuple[str, tuple[str, ...]]], params: PlaceParams) -> list[str]:
    """The most-named place at the level the report speaks for ("我县" twice, "全县" once -> a 县), when
    the report names one at that level."""
    voice: Counter[str] = Counter()
    for m in _VOICE_RE.finditer(key):
        voice[m.group(2)] += params.own_weight if m.group(1) == "我" else 1
    if not voice:
        return []
    level, count = voice.most_common(1)[0]
    if count < params.min_voice:
        return []
    fits = [(name, forms) for name, forms in named if forms and _level(name, forms) == level]
    # A report names its own place bare ("当阳教育"), the places above it in full ("宜昌市文明单位").
    return [name for name, _ in sorted(fits, key=lambda nf: -_bare_uses(key, nf[1]))][:1]


# What follows a place that issues or governs (德城区委, 新县人民政府, 昭平县教育局), and what follows a place that
# stands above the report's own ("在潍坊市各县市区…第一名", "全市所辖").
_GOVERNS_AFTER_RE = re.compile("委|人民政府|政府|教育局|教育厅|教育委员会|教体局|教科体局|教文体局|教育和体育局"
                               "|教育体育局")
_ABOVE_AFTER_RE = re.compile("各(?:县|区|市|乡|镇|地)|所辖|下辖|辖区内")


# A name of one character and a suffix (新县) is no place after a conjunction or a level word: 全会和县委, 市县政府.
_NOT_BEFORE_SHORT = frozenset("和与及同跟暨并或县市区省州各全本该我")


def _superiors(key: str) -> set[str]:
    """The places written just before 各县/各县市区/所辖 (``潍坊市各县市区``): places above the report's own."""
    out = set()
    for m in _ABOVE_AFTER_RE.finditer(key):
        out.update(p for p in suffixed_places(key[max(0, m.start() - 9) : m.start()], divisions=True)
                   if key.startswith(p, m.start() - len(p)))
    return out


def governing_places(key: str) -> Counter[str]:
    """Places written as an issuer or a governing body, with how often: ``德城区委``, ``新县人民政府``,
    ``昭平县教育局``. Read from the gazetteer and China's administrative divisions (``qa/data/divisions_zh.tsv``),
    names of two characters too (新县, 房县), which count only here, where the words after them say they are
    places.

    >>> governing_places("我校在德城区委、区政府的领导下……《新县人民政府关于表彰的决定》")
    Counter({'德城区': 1, '新县': 1})
    """
    full, short = _gazetteer()[0] | _long_divisions(), _short_divisions()
    found: Counter[str] = Counter()
    for m in _GOVERNS_AFTER_RE.finditer(key):
        for n in range(min(8, m.start()), 1, -1):
            candidate = key[m.start() - n : m.start()]
            if not _END_SUFFIX_RE.search(candidate) or _NOT_A_NAME.search(candidate):
                continue
            if candidate in full or (candidate in short and m.group() != "委"
                                     and key[m.start() - 3 : m.start() - 2] not in _NOT_BEFORE_SHORT):
                found[candidate] += 1
                break
    return found


def _issued(key: str, named: list[tuple[str, tuple[str, ...]]], superiors: set[str],
            params: PlaceParams) -> list[str]:
    """The one place at the level the report speaks for ("我县" once, or "全县" twice) that the report names as
    an issuer or governing body (新县人民政府), or, failing one, that it names in a document title of its own
    (《英山县县级…办法》) and as the only place of that level: none when two places qualify."""
    level = _voice_level(key, params.own_weight, min_count=2)
    if not level:
        return []
    governing = [p for p in governing_places(key) if p not in superiors and p[-1] == level]
    if len(set(governing)) == 1:
        return governing[:1]
    if governing:
        return []
    at_level = [name for name, forms in named
                if forms and name not in superiors and _level(name, forms) == level]
    if len(at_level) == 1 and any("《" + f in key for f in dict(named)[at_level[0]]):
        return at_level
    return []


def _contradicted(titled: list[str], key: str, named: list[tuple[str, tuple[str, ...]]],
                  params: PlaceParams) -> bool:
    """Whether the text never names the title's places and names another place of their level, or names as its own
    another place (an issuer or the place it speaks for)."""
    forms = dict(named)
    if any(f in key for name in titled for f in forms.get(name, (name,))):
        return False
    others = [nf for nf in named if nf[0] not in titled]
    levels = {_level(name, forms.get(name, ())) for name in titled}
    if any(fs and _level(name, fs) in levels for name, fs in others):  # another place of the title's level
        return True
    return bool(_voiced(key, others, params) or _issued(key, others, set(), params)
                or set(governing_places(key)) - set(titled))


def _voice_level(key: str, own_weight: int, min_count: int) -> str:
    """The level the report speaks for ("我县" counted ``own_weight`` times, "全县" once), if named that often."""
    voice: Counter[str] = Counter()
    for m in _VOICE_RE.finditer(key):
        voice[m.group(2)] += own_weight if m.group(1) == "我" else 1
    if not voice:
        return ""
    level, count = voice.most_common(1)[0]
    return level if count >= min_count else ""


def _bare_uses(key: str, forms: tuple[str, ...]) -> int:
    """How often the shortest of ``forms`` stands without the suffix of a longer one."""
    short = min(forms, key=len)
    longer = [f[len(short):] for f in forms if f.startswith(short) and f != short]
    return sum(1 for m in re.finditer(re.escape(short), key)
               if not any(key.startswith(tail, m.end()) for tail in longer))


def _level(name: str, forms: tuple[str, ...]) -> str:
    """省 for a province, else the suffix its full form ends in (市 for a city named bare)."""
    if name in PROVINCES:
        return "省"
    for form in forms:
        suffix = _END_SUFFIX_RE.search(form)
        if suffix:
            return suffix.group()[-1]
    return "市" if name in _gazetteer()[2] else ""


_RANK = {"省": 3, "市": 2, "州": 2, "盟": 2, "县": 1, "区": 1, "旗": 1}  # how high a level stands


def _rank(name: str, forms: tuple[str, ...] = ()) -> int:
    """How high a place stands: 3 for a province or a special region, 2 for a city (北京市 too: it says 我市), 1 for a
    county."""
    if name.removesuffix("市") in ("北京", "天津", "上海", "重庆"):
        return 2
    return 3 if _province_level(name) else _RANK.get(_level(name, forms or (name,)), 0)


def question_places(question: str) -> list[str]:
    """The places a question names: gazetteer names with their suffix, and city or province names standing bare
    where the words around make them a place (昭平全县, 宜昌这个区, 到宜昌, 宜昌教育).

    >>> question_places("海林全市有几所中学?"), question_places("西宁市和青海有什么不同?")
    (['海林'], ['西宁市', '青海'])
    """
    key = _WS_RE.sub("", question)
    out = suffixed_places(key)
    names_re = _gazetteer()[1]
    for m in names_re.finditer(key):
        if any(m.group() in p for p in out):
            continue
        if m.group() in PROVINCES or _in_context(key, m) or _QUESTION_AFTER_RE.match(key, m.end()):
            out.append(m.group())
    for m in _QUESTION_AFTER_RE.finditer(key):  # any gazetteer name before 全市/这个区, counties included
        for n in range(min(4, m.start()), 1, -1):
            word = key[m.start() - n : m.start()]
            known = word in place_words() or any(word + suffix in place_words() for suffix in "市县区州旗")
            if known and not any(word in p for p in out):
                out.append(word)
                break
    return list(dict.fromkeys(out))


def _named(title: str, body: str, divisions: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """Every place named, best first, as (name shown, forms the text writes it in); with ``divisions``, the names of
    China's administrative divisions that jieba's dictionary lacks count too (寿光市)."""
    key = _WS_RE.sub("", f"{title}\n{body}")
    title_key = _WS_RE.sub("", title)
    _, names_re, _ = _gazetteer()
    forms: Counter[str] = Counter(suffixed_places(key, divisions))
    bare = Counter(m.group() for m in names_re.finditer(key))
    placed = Counter(m.group() for m in names_re.finditer(key) if _in_context(key, m))
    groups: dict[str, Counter[str]] = {}
    for form, count in forms.items():
        group = next((p for p in PROVINCES if form.startswith(p)), None) if _province_level(form) else None
        groups.setdefault(group or _bare(form), Counter())[form] += count
    for name in bare:  # a bare name counts when named often; the words around decide only what it is about
        if name in PROVINCES or bare[name] >= MIN_BARE or (name in title_key and placed[name]):
            groups.setdefault(name, Counter())

    def score(name: str) -> tuple[bool, float, int]:
        named = sum(groups[name].values())
        return name in title_key, named + 0.5 * max(0, bare[name] - named), -key.find(name)

    out = []
    for name in sorted(groups, key=score, reverse=True):
        named = groups[name]
        shown = name if name in PROVINCES or not named else max(named, key=lambda f: (named[f], _form_rank(f)))
        shown = _ETHNIC_RE.sub(r"\1\2", shown)
        if named or placed[name]:  # a bare ordinary word (新建, 和平) is a mention, never what a report is about
            out.append((shown, tuple(dict.fromkeys([shown, *named, name]))))
        else:
            out.append((shown, ()))
    return out


def bare_in_context(text: str, word: str) -> bool:
    """Whether some occurrence of the bare name ``word`` in ``text`` is a place by the words around it (a
    suffix or issuer after it, 全市/这个区 after it, a motion before it): 新建 in 新建了 is none.

    >>> bare_in_context("去年新建了两座图书馆", "新建"), bare_in_context("新建县的图书馆", "新建")
    (False, True)
    """
    key = _WS_RE.sub("", text)
    return any(_in_context(key, m) or _QUESTION_AFTER_RE.match(key, m.end())
               for m in re.finditer(re.escape(word), key))


def _in_context(key: str, m: re.Match[str]) -> bool:
    """A bare name the words around make a place: a province, a suffix or issuer after it, a motion before."""
    if m.group() in PROVINCES:
        return True
    after = key[m.end() : m.end() + 1]
    return bool(_SUFFIX_RE.match(after) or re.match(_BARE_AFTER, key[m.end():m.end() + 3])
                or _BARE_BEFORE_RE.search(key[max(0, m.start() - 2) : m.start()]))


def _form_rank(form: str) -> int:
    return -_FORM_ORDER.index(form[-1]) if form[-1] in _FORM_ORDER else -len(_FORM_ORDER)


def _bare(form: str) -> str:
    m = _END_SUFFIX_RE.search(form)
    name = form[: m.start()] if m else form
    return name if len(name) >= 2 else form


def _province_level(form: str) -> bool:
    return form.endswith(("省", "自治区", "特别行政区")) or form in ("北京市", "天津市", "上海市", "重庆市")
