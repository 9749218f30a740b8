"""Chrome by the layout of a whole page, after the rules for single lines and the classifier: a title the page
also prints plain with a site's decoration, a site's lead excerpt of the text below, a widget column's leftover
counters, a footer after the body, a block of other articles' titles after it, and a site's template lines
repeated across a folder. Each works on the page's lines (``texts``) and what is kept so far (``keep``, changed in
place); ``shield`` marks the lines ``qa.ingest.structure.shielded`` guards.

>>> texts = ["青松县教育局2021年工作总结 9页", "青松县教育局2021年工作总结", "全县共有中小学56所，在校学生36184人。"]
>>> decorated_titles(texts, [True] * 3)
[0]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.chrome import Boilerplate, furniture, shape
from qa.ingest.structure import headline
from qa.ingest.textlines import (
    CJK,
    CJK_RE,
    CLOSING,
    LATIN_RE,
    WS_RE,
    body_sentence,
    is_title_like,
    rule_key,
)
from qa.textnorm import FULL_STOPS

# A site's decoration of a title it also prints plain: a page-count badge ("… 9页"), a word count ("…1500字通用。"),
# an SEO tag in brackets ("…【精选推荐】"), a site name after an ASCII dash, underscore or bar, as a page's <title>
# carries it ("…-某某网"; a subtitle's "——" is the report's). Where the words come from: 页/字 badges, 精选 推荐 通用
# are the label rules' examples; the other tag words are the usual promotion words of essay sites (none is taken from
# a labelled page's text).
_SEO_WORDS = "(?:精选|精選|推荐|推薦|精品|热门|熱門|最新|优秀|優秀|通用|必备|必備|范文|範文|大全|合集|完整版|原创|原創)"
_DECORATION_RE = re.compile(rf"(?:\d+页|\d+字{_SEO_WORDS}?[。.]?|【{_SEO_WORDS}+】)$")
_SEO_TAG_HEAD_RE = re.compile(rf"^【{_SEO_WORDS}+】")
# a site's name after the title: a dash, underscore or bar between Chinese words ("大会-某某网"; "2-18", "SINOSAT-1"
# are not), and up to 20 characters without a clause or sentence mark after it
_SITE_SUFFIX_RE = re.compile(rf"(?<=[{CJK}])\s*(?:[-_|｜]\s*)+(?=[{CJK}])(?=[^，,、；;。！？!?]{{1,20}}$)")


def decorated_titles(texts: Sequence[str], keep: Sequence[bool], similar: float = 0.8) -> list[int]:
    """Lines that print another short line of the page (a title) with a site's decoration: what is left without
    the decoration is that line, or shares ``similar`` of its character pairs with it (a tag on a title whose year
    the site rewrote). The plain line stays; a title printed twice, plain, is the report's."""
    keys = [WS_RE.sub("", rule_key(t)) for t in texts]
    plain = [i for i, k in enumerate(keys) if keep[i] and 6 <= len(k) <= 60 and not any(c in k for c in FULL_STOPS)
             and not _DECORATION_RE.search(k) and not _SEO_TAG_HEAD_RE.match(k)]
    out = []
    for i, key in enumerate(keys):
        # a title: no sentence or clause mark but in the decoration ("…1500字通用。")
        if not keep[i] or len(key) > 80 or _CLAUSE_OR_STOP_RE.search(_DECORATION_RE.sub("", key)):
            continue
        bases = []
        stripped = _SEO_TAG_HEAD_RE.sub("", _DECORATION_RE.sub("", key))
        if stripped != key:
            bases.append(stripped)
        bases += [texts[i][:m.start()] for m in _SITE_SUFFIX_RE.finditer(texts[i]) if m.start() > 0]
        for base in bases:
            base = WS_RE.sub("", rule_key(base))
            if len(base) >= 6 and any(j != i and keys[j] != key and _same_title(base, keys[j], similar)
                                      for j in plain):
                out.append(i)
                break
    return out


_CLAUSE_OR_STOP_RE = re.compile(f"[，,、；;{FULL_STOPS}]")


def _same_title(base: str, other: str, similar: float) -> bool:
    if base == other:
        return True
    a, b = _pairs(base), _pairs(other)
    return bool(a) and bool(b) and len(a & b) >= similar * max(len(a), len(b))


def _pairs(key: str) -> set[str]:
    chars = "".join(CJK_RE.findall(key))
    return {chars[j:j + 2] for j in range(len(chars) - 1)}


_ELLIPSIS_RE = re.compile(r"(?:\.{3,}|…+|。{3,})$")
_BULLETS_RE = re.compile(r"[\s•·▪●◦‣]+")


def drop_lead_excerpts(texts: Sequence[str], keep: list[bool], least: int = 20) -> None:
    """A site's lead excerpt: a line cut short (mid-sentence, or with "…") whose text the page then gives whole
    from the start of a later line on, across the next line or as part of a longer one. Nothing is lost: the
    text stays where it is whole. A title that opens a longer line stays (it is cut nowhere)."""
    keys = [_BULLETS_RE.sub("", rule_key(text)) for text in texts]
    for i, key in enumerate(keys):
        if not keep[i]:
            continue
        ellipsis = _ELLIPSIS_RE.search(key)
        base = key[:ellipsis.start()] if ellipsis else key
        if len(base) < least or not (ellipsis or (base[-1] not in CLOSING and not is_title_like(texts[i]))):
            continue
        later = [j for j in range(i + 1, len(texts)) if keep[j]]
        stream = "".join(keys[j] for j in later)
        pos = 0
        for j in later:
            if stream.startswith(base, pos) and (len(base) < len(keys[j]) or len(base) > len(keys[j])):
                keep[i] = False
                break
            pos += len(keys[j])


# Pictographs and dingbats (✅ 💎 📧 🔔): one sign of furniture in a page's footer (a report may bullet with ★).
_PICTOGRAPH_RE = re.compile("[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")


def _small(text: str) -> bool:
    """A widget's word or counter: four characters at most, or no letter at all ("999+", "• 20")."""
    key = _BULLETS_RE.sub("", rule_key(text))
    return len(key) <= 4 or not (CJK_RE.search(key) or LATIN_RE.search(key))


def drop_widget_runs(texts: Sequence[str], keep: list[bool], shield: Sequence[bool], most: int = 3) -> None:
    """A run of up to ``most`` widget words or counters (``_small``) between dropped lines: the rest of a widget
    column whose other items went ("VIP专免", "999+", "22KB"...). Lines of a table or a list (``shield``) stay."""
    i = 0
    while i < len(texts):
        if not keep[i] or not _small(texts[i]) or shield[i]:
            i += 1
            continue
        j = i
        while j < len(texts) and keep[j] and _small(texts[j]) and not shield[j]:
            j += 1
        if 0 < i and j < len(texts) and not keep[i - 1] and not keep[j] and j - i <= most:
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)


def drop_footer(texts: Sequence[str], keep: list[bool], shield: Sequence[bool], short: int = 20) -> None:
    """After the body's last sentence and a dropped line: short labels of the page's footer that carry a sign of
    furniture (a pictograph, a closing colon before a link, Latin letters, a furniture word), such as a
    subscription box's "✅立即支持订阅:". A signature or a date under the report names none of these, and its
    attachment and distribution lines ("附件：", "抄送：") are shielded."""
    last = max((i for i, text in enumerate(texts) if keep[i] and len(text) >= 20
                and any(c in text for c in FULL_STOPS)), default=None)
    if last is None:
        return
    fenced = False
    for i in range(last + 1, len(texts)):
        if not keep[i]:
            fenced = True
            continue
        text = texts[i]
        key = rule_key(text)
        if (fenced and not shield[i] and len(key) <= short and not any(c in key for c in FULL_STOPS)
                and (_PICTOGRAPH_RE.search(text) or key[-1] in ":：" or LATIN_RE.search(key) or furniture(key))):
            keep[i] = False


@dataclass(frozen=True)
class Template:
    """A site's template line by repetition across the files of a folder (jusText's and boilerpipe's signal)."""

    files: int = 3  # the line's shape is in this many files or more (two reports of one bureau share lines)
    longest: int = 30  # characters


TEMPLATE = Template()


def drop_site_template(texts: Sequence[str], keep: list[bool], shield: Sequence[bool], corpus: Boilerplate,
                        template: Template = TEMPLATE) -> None:
    """A short line outside the body (above the first paragraph of prose or below the last) whose shape is in
    ``template.files`` files of the folder or more: a site's header or sign-off. Sentences, the report's title
    and signature, headings and anything title-like (a report kind its bureau's titles share) stay."""
    prose = [i for i, text in enumerate(texts) if keep[i] and body_sentence(text)]
    if not prose:
        return
    for i, text in enumerate(texts):
        if (keep[i] and not shield[i] and (i < prose[0] or i > prose[-1]) and len(text) <= template.longest
                and not any(c in text for c in FULL_STOPS) and not is_title_like(text)
                and corpus.files_with(shape(text)) >= template.files):
            keep[i] = False


def drop_tail_titles(texts: Sequence[str], keep: list[bool], shield: Sequence[bool], least: int = 3) -> None:
    """A block of other articles' titles after the body ends, without a "related articles" heading: ``least`` or
    more consecutive lines after the body's last sentence that each read as a headline (8 to 40 characters, no
    sentence mark), up to the end of the page or a dropped line. A signature, a date, attachment lines and numbered
    items are shielded and break the block; a lone headline there stays."""
    last = max((i for i, text in enumerate(texts) if keep[i] and body_sentence(text)), default=None)
    if last is None:
        return

    def titled(i: int) -> bool:
        key = WS_RE.sub("", rule_key(texts[i]))
        return (keep[i] and (not shield[i] or headline(texts[i])) and 8 <= len(key) <= 40
                and not _CLAUSE_OR_STOP_RE.search(key) and len(CJK_RE.findall(key)) >= 0.6 * len(key))

    i = last + 1
    while i < len(texts):
        j = i
        while j < len(texts) and titled(j):
            j += 1
        if j - i >= least and (j == len(texts) or not keep[j]):
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)
