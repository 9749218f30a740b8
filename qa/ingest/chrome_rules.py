"""The rules for a single line of a web page: what names it as site furniture (breadcrumbs, metadata, widgets,
viewers' file names, thumbnails and notices, disclaimers, contact lines, bylines, menus, markup, page numbers). Each
word list says where its words come from: the label rules of ``tests/data/web_pages/README.md``, or the usual
wording of such furniture on any site.

>>> chrome_rule("当前位置：首页 > 工作总结"), chrome_rule("全县共有中小学56所。")
('breadcrumb', None)
"""

from __future__ import annotations

import re

from qa.ingest.textlines import CJK, CJK_RE, is_prose, rule_key
from qa.textnorm import FULL_STOPS

_CJK = CJK
_CJK_CHARS = CJK


def _any(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


def _words(text: str) -> str:
    return _any(*text.split())


_META_KEYS = _words(r"""(?:发布|更新|发表|上传|录入|创建|修改)(?:时间|日期)
                    来源 作者 编辑 责任编辑 编者 出处 字号 字体 网站 移动端 手机版
                    浏览 浏览次数 浏览量 阅读次数 阅读量 点击 点击数 点击量 查看 查看次数
                    查看人数 人气 访问量 投稿 文章来源 信息来源 发布者 发布人 栏目 所属栏目 分类 标签""")
_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_CLOCK = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
_WIDGETS = _words(r"""点击下载 下载文档 下载本文 文档为\s*\w{2,5}\s*格式 展开更多 展开全文
                  阅读全文 查看全文 加载更多 返回顶部 分享到 一键分享 扫一扫 二维码 打印本页
                  关闭窗口 收藏本页 加入收藏 设为首页 字体\s*[:：]?\s*大\s*中\s*小
                  ^(?:上一篇|下一篇|上一页|下一页)""")
# 侵权投诉 (a button of a document site's widget column) is named by the label rules; 投诉举报 is its usual variant.
_BUTTONS = _words("分享 收藏 打印 关闭 举报 评论 点赞 顶 踩 返回 更多 返回列表 返回首页 全文 侵权投诉 投诉举报")
_URL_LABELS = _words("链接地址 原文链接 本文链接 本文地址 原文地址 文章地址 网址 链接 地址 url 出处 来源")
# Where the words come from: the label rules of tests/data/web_pages/README.md name 免责声明, 版权说明, 申明敬告,
# 郑重声明 and the uploaders' notices of document sites; the others are the notices' usual wording on any site (a site
# speaking of itself as 本站/本网, of its users' uploads, of the rights it holds).
_DISCLAIMERS = _words(r"""免责声明 版权声明 版权说明 申明敬告 郑重声明 版权所有 如有侵权 侵权请 版权归
                      本文仅限 ^友情提示
                      转载.{0,20}(?:请|须|务必)(?:保留|注明) (?:仅供|只供)(?:您|大家)?(?:学习|参考)
                      互联网用户整理 网友(?:整理|上传|投稿) 本站(?:整理|收集|不拥有) 本(?:站|网)不(?:保证|承担)
                      凡本(?:站|网)(?:注明|所载|刊载) (?:文档|作品|资料)由(?:用户|会员|网友)(?:提供|上传)
                      由用户(?:提供|上传)并?(?:上传|发布) 未经(?:许可|授权).{0,6}转载 请联系(?:我们|本站)""")
# A site's contact line (the label rules: "site phone numbers and hotlines"): its customer service or QQ, or the
# hotline of a news site for tips, submissions, adverts (新闻/投稿/报料/广告热线: the usual names on any news site;
# 新闻热线 is also on one labelled page). A report's own hotlines (举报, 心理, 服务热线) and a notice's 联系电话 are not
# matched.
_CONTACT_RE = re.compile(r"(?:(?:新闻|投稿|报料|爆料|广告|商务)热线|客服(?:电话|热线)?|QQ|qq)\s*[:：]?\s*"
                         r"(?:\d{3,4}-\d{7,8}|1[3-9]\d{9}|(?<=[Qq:：])\s*\d{5,11})")
# A document viewer's words around the document: the labels of its panels and its reading widgets (the label rules:
# 资源描述, 文档简介, 文档介绍, 已阅读5页…继续免费阅读), and the notice it prints under a shared file (由会员分享,
# 请在…上搜索: general viewer wording).
_VIEWER_LABEL_RE = re.compile(r"^(?:文档|资源|资料)(?:简介|描述|介绍|预览|详情)\W*$")
_VIEWER_NOTICE_RE = re.compile(r"由会员分享|请在\S{2,20}上搜索|已阅读\d+页|继续免费阅读")
# A page thumbnail of a viewer: "<file name>_第3页" (the label rules: `…_第1页`).
_THUMBNAIL_RE = re.compile(r"[_＿]\s*第\s*\d+\s*页$")
# A reporter's or editor's credit in brackets: two or more names apart, or a role and a name ("(记者 张三)").
# Without a role, a name of three characters among them (two-character words in brackets are as often subjects).
_NAME = f"[{_CJK_CHARS}]{{2,3}}"
_BYLINE_RE = re.compile(rf"^[(（]\s*(?:(?:记者|通讯员|撰稿|供稿|摄影|编辑|文|图)\s*[:：]?\s*{_NAME}"
                        rf"|(?=[^)）]*?(?<![{_CJK_CHARS}])[{_CJK_CHARS}]{{3}}(?![{_CJK_CHARS}])){_NAME}(?:\s+{_NAME})+)"
                        r"\s*[)）]$")
# A category path without a breadcrumb's arrows: kinds of report apart by "/" ("工作总结/工作汇报"; a table's header
# "学校名称/学生人数" names no kind).
_KIND = f"[{_CJK_CHARS}]{{0,6}}(?:总结|计划|报告|汇报|体会|方案|范文|讲话|致辞|材料)[{_CJK_CHARS}]{{0,4}}"
_CATEGORY_PATH_RE = re.compile(f"^{_KIND}(?:\\s*/\\s*{_KIND})+$")
# A document's file name as a viewer shows it: the whole line (with a page-count badge; an attachment line of the
# report names its file too, so "附件" stays), or quoted by the site.
_EXT = r"\.(?:docx?|pdf|pptx?|xlsx?|wps|txt)"
_FILE = rf"[^《》()\n]{{2,80}}?{_EXT}"
_FILE_IN_QUOTES = rf"[^《》\n]{{2,80}}?{_EXT}"  # a file name may hold brackets: "…工作思路(20240111).docx"
_FILE_NAME_RE = re.compile(rf"^(?!附件)《?{_FILE_IN_QUOTES}》?(?:\s*VIP)?(?:\s*\d+\s*页)?$"
                           rf"|《{_FILE_IN_QUOTES}(?:\s*\d+\s*页)?》"
                           rf"|[(（]{_FILE}(?:\s*\d+\s*页)?[)）]", re.I)
_MENU_RE = re.compile(rf"(?:^|\s)[{_CJK}]{{2,6}}(?: [{_CJK}]{{2,6}}){{5,}}$")  # six or more links one space apart
_PLACES_WORDS = _words("当前 您的 你的 您现在的 你现在的 所在 现在 当前所在")
_NO_CJK = r"[^\u3400-\u9fff]*"
# A site's note on how to view it (issue #13 names "a browser-version notice"): a screen resolution or a browser
# version beside the word for it, on a short line that is no sentence (a report's sentence ends with 。).
_RESOLUTION = r"\d{3,4}\s*[×xX*]\s*\d{3,4}"
_BROWSER_RE = re.compile(rf"^(?=.{{0,40}}$)(?!.*。).{{0,30}}(?:{_RESOLUTION}.{{0,12}}分辨率"
                         rf"|分辨率.{{0,12}}{_RESOLUTION}|"
                         r"(?:IE|Chrome|Firefox|Edge|Safari)\s*\d+(?:\.\d+)?.{0,12}浏览器).{0,30}$", re.I)
# Rules for a whole line, read in Simplified half-width form; each names what it removes.
_RULE_PATTERNS = (
    ("breadcrumb", rf"^{_PLACES_WORDS}?位置\s*[:：>]|^(?:网站|网页)?首页\s*[>»›/→]"
                   r"|(?:\s*[>»›→]\s*[^>»›→]{1,20}){2,}$"),
    ("welcome", r"^(?:欢迎(?:光临|访问|来到|进入|浏览|您)|welcome\b).{0,40}$"),
    ("metadata", rf"(?:^|[\s|｜丨/·•,，;；【\[]){_META_KEYS}\s*[:：]"
                 rf"|(?:^|\s)(?:时间|日期)\s*[:：]\s*{_DATE}|^\W*{_DATE}{_CLOCK}\W*$"
                 # a machine date stamp with a category label beside it ("2021-03-25 工作总结")
                 rf"|^\W*{_DATE}{_CLOCK}\s+[{_CJK}]{{1,6}}\W*$|^\W*[{_CJK}]{{1,6}}\s+{_DATE}{_CLOCK}\W*$"),
    ("widget", rf"{_WIDGETS}|^{_BUTTONS}\W*$"),
    ("browser notice", _BROWSER_RE.pattern),
    ("rating", r"^(?:推荐度|推荐指数|评分|星级|好评度|热度|难度)\s*[:：]?[\s★☆\d.%分/]*$"),
    ("url", rf"^(?:{_URL_LABELS}\s*[:：]\s*)?(?:https?://|www\.)\S+$"),
    ("disclaimer", _DISCLAIMERS),
    ("code", rf"^{_NO_CJK}(?:[A-Za-z_$][\w$.]*\s*\([^)]*\)\s*;|[{{}}]|=>|\bvar\s|\bfunction\b)"
             rf"{_NO_CJK}$"),
    ("markup", r"^(?![\s。！？!?；;，,、…”’」』)》]+$)[^\w|]+$"),  # no letter, digit or cell bar: a rule line, a "]"
    ("page number", r"^[-—–\s]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d{1,4}|\d+\s*/\s*\d+"
                    r"|page\s+\d+(?:\s+of\s+\d+)?)[-—–\s]*$"),
)
_RULES = tuple((name, re.compile(pattern, re.I)) for name, pattern in _RULE_PATTERNS)
RELATED_RE = re.compile("^" + _words(r"""相关(?:文章|阅读|推荐|链接|资料|范文|内容)
                                     推荐(?:访问|阅读|文章|内容) 热门(?:关注|文章|推荐|阅读)
                                     热点文章 猜你喜欢 [你您]可能(?:感兴趣|还喜欢) (?:延伸|扩展|拓展)阅读
                                     精彩推荐 最新(?:文章|推荐) 更多相关 为你推荐 大家都在看 编辑推荐"""))


# An elision mark standing alone: "…………" where a site cut the text it shows, "......", "。。。", "⋯⋯". No word
# of the report is on such a line. A sentence cut short with "……" at its end keeps its words and is not one.
_ELISION_RE = re.compile(r"^(?:…|⋯|\.{3}|。{3}|·{3}|\s)+$")


def is_elision(text: str) -> bool:
    """Whether ``text`` (a whole line) is only an elision mark.

    >>> is_elision("…………"), is_elision(" ...... "), is_elision("党支部…………"), is_elision("。"), is_elision("……”")
    (True, True, False, False, False)
    """
    return bool(_ELISION_RE.match(text)) and bool(text.strip())


def chrome_rule(text: str) -> str | None:
    """The name of the chrome rule ``text`` (a whole line) falls under, or None for body text."""
    if len(text) > 300:
        return None
    key = rule_key(text)
    if _FILE_NAME_RE.search(key):  # a viewer names its file, also in a sentence ("《….docx》由会员分享")
        return "file name"
    if _VIEWER_NOTICE_RE.search(key) and CJK_RE.search(key):  # a viewer's notice under the file, also long
        return "viewer notice"
    if _MENU_RE.search(text):  # read as written: a table's cells stand two spaces or a tab apart
        return "menu"
    if is_prose(text):
        return None
    for name, pattern in _RULES:
        if pattern.search(key):
            return name
    if _THUMBNAIL_RE.search(key):
        return "page thumbnail"
    if _VIEWER_LABEL_RE.match(key):
        return "viewer label"
    if len(key) <= 60 and not any(c in key for c in FULL_STOPS) and _CONTACT_RE.search(key):
        return "contact"
    if _BYLINE_RE.match(key):
        return "byline"
    if _CATEGORY_PATH_RE.match(key):
        return "category path"
    return None
