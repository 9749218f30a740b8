"""Chrome removal by general rules, tested on web chrome written here (not only the shipped files)."""

from __future__ import annotations

import pytest
from chrome_text import kept
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.clean import Line, clean, drop_repeats, is_prose, is_title_like, split_lines
from qa.textnorm import to_traditional

BODY = ("在市委、市政府的坚强领导下，区教育局党委坚持“以党建带队伍，以队伍促教学”的工作方针，"
        "认真学习贯彻省第九次党代会精神，把主题教育实践活动融入学校管理的各个环节。")
BODY2 = ("今年以来，我局持续推进五育并举、立德树人的育人理念，依托丰富多彩的校园文化活动，帮助学生全面发展，"
         "推选青禾镇第二小学林晓雨等7名学生为“全省优秀少先队员”。")



# Chrome lines as other sites write them: each must go, wherever it stands.
CHROME = [
    "您现在的位置：首页 » 新闻中心 » 工作总结",
    "当前位置：网站首页 > 公文 > 正文",
    "首页 > 教育 > 工作计划 > 正文",
    "欢迎访问某某范文网！",
    "发布日期：2021-03-05  浏览次数：1234",
    "作者：admin  来源：本站原创",
    "时间：2018-07-01 08:30 | 点击：66",
    "2021/03/05 10:22",
    "【字体：大 中 小】【打印本页】【关闭窗口】",
    "分享到：",
    "分享",
    "上一篇：2019年教师节表彰大会讲话",
    "下一篇：学校安全工作计划",
    "点击下载文档",
    "文档为 docx 格式",
    "展开全文",
    "推荐度：★★★★☆",
    "评分：4.5分",
    "原文链接：https://www.example.com/a/123.html",
    "https://example.org/zj/2021/0305/1.html",
    "www.example.cn/gongzuo/",
    "声明：本文由网友投稿，如有侵权请联系删除。",
    "转载请注明出处并保留本文链接",
    "本文仅供参考学习使用",
    "window.adsbygoogle.push({});",
    "- 3 -",
    "第 2 页 共 5 页",
    "當前位置：首頁 > 範文大全",
    "發佈時間：2020-11-08 14:32",
    "來源：網友投稿 免責聲明：本文僅供學習交流。",
]


@pytest.mark.parametrize("chrome", CHROME)
def test_chrome_line_is_dropped_and_body_kept(chrome):
    cleaned = clean(f"{BODY}\n{chrome}\n{BODY2}")
    assert [line.text for line in cleaned.lines] == [BODY, BODY2]
    assert cleaned.dropped == (chrome,)


@pytest.mark.parametrize("line", [
    "一、基本情况",
    "（二）安全工作",
    "资金来源：县财政拨款300万元。",
    "时间：2011年3月15日",
    "合计57场，参加8600人次。",
    "2013年5月，我县顺利通过省级督导评估。",
    "学校分享了经验，收藏了资料。",
    "3、定期研究解决本乡学校办学中遇到的困难。",
    "今年我县高考本科上线412人。",
])
def test_body_lines_that_look_a_little_like_chrome_are_kept(line):
    assert kept(f"{BODY}\n{line}\n{BODY2}") == [BODY, line, BODY2]


def test_long_prose_is_never_dropped_by_a_chrome_rule():
    prose = "来源：" + BODY + "转载请注明出处。详见 https://example.com 。"
    assert is_prose(prose)
    assert kept(f"{prose}\n推荐度：") == [prose]


def test_related_articles_and_their_links_go_to_the_end():
    text = "\n".join([BODY, BODY2, "相关文章：", "2020年学校安全工作总结", "2019年教师培训计划",
                      "教育局述职报告范文", "猜你喜欢", "教师节讲话稿"])
    assert kept(text) == [BODY, BODY2]


def test_a_link_list_in_the_middle_ends_at_prose():
    text = "\n".join([BODY, "热门推荐", "工作总结范文", "述职报告", BODY2])
    assert kept(text) == [BODY, BODY2]


def test_appended_reading_keeps_its_title_when_prose_follows():
    text = "\n".join([BODY, "延伸阅读：控辍保学工作总结", "青禾乡“控辍保学”工作汇报材料", BODY2])
    assert kept(text) == [BODY, "青禾乡“控辍保学”工作汇报材料", BODY2]


def test_link_lists_with_recurring_category_labels():
    links = []
    for title in ["教育教学工作总结", "2016年党建工作总结", "青年干部跟岗学习总结", "教师通识培训总结"]:
        links += [title, "教育新闻"]
    assert kept("\n".join([BODY, BODY2, *links])) == [BODY, BODY2]


def test_recurring_numbered_headings_are_not_a_link_list():
    text = "\n".join(["工作总结", "一、基本情况", "（二）安全工作", "一、基本情况", "三、问题", "一、基本情况", BODY])
    assert kept(text) == text.split("\n")


def test_site_slogans_above_the_title_and_repeated_titles_go():
    text = "\n".join(["博采众长 见贤思齐", "某某范文网", "控辍保学工作总结", "控辍保学工作总结", "一、基本情况", BODY,
                      "控辍 保学 工作总结"])
    cleaned = clean(text)
    assert [line.text for line in cleaned.lines] == ["控辍保学工作总结", "一、基本情况", BODY]
    assert cleaned.lines[cleaned.title].text == "控辍保学工作总结"


@pytest.mark.parametrize("preface", [
    "下面是小编为大家整理的2021年教育局工作总结，希望对你有所帮助。",
    "以下是小编精心整理的【教育总结】石泉县教育局工作总结(仅供参考)，欢迎阅读。",
    "以下是小編為大家整理的學校安全工作總結，歡迎閱讀。",
    "下面是为大家带来的工作总结范文，欢迎大家阅读参考。",
])
def test_editor_preface_sentence_is_cut_and_the_rest_of_the_line_kept(preface):
    text = f"石泉县教育局工作总结\n全县中小学校共43所。{preface}在校学生21590人。\n{BODY}"
    cleaned = clean(text)
    assert [line.text for line in cleaned.lines] == ["石泉县教育局工作总结", "全县中小学校共43所。",
                                                     "在校学生21590人。", BODY]
    assert cleaned.dropped == (preface,)
    for line in cleaned.lines:  # spans still point into the original
        assert text[line.start:line.end] == line.text


def test_a_line_that_is_only_a_preface_goes():
    assert kept("下面是小编为大家收集的工作总结，供大家参考。\n" + BODY) == [BODY]


def test_split_lines_spans_exclude_surrounding_whitespace():
    text = "  一、基本情况 \n\n\u3000\u3000全县共有56所学校。\n"
    lines = split_lines(text)
    assert [line.text for line in lines] == ["一、基本情况", "全县共有56所学校。"]
    assert all(text[line.start:line.end] == line.text for line in lines)


def test_title_like():
    assert is_title_like("石泉县教育局2011年上半年工作总结")
    assert is_title_like("教育局學期德育工作總結(jié)(精選9篇)")
    assert not is_title_like("一、稳步推进党建工作")
    assert not is_title_like("基本情况") and not is_title_like("学校安全工作")
    assert not is_title_like("现将本年度工作情况汇报如下：")
    assert not is_title_like(BODY)


def lines(*texts: str) -> list[Line]:
    out, pos = [], 0
    for t in texts:
        out.append(Line(pos, pos + len(t), t))
        pos += len(t) + 1
    return out


def test_repeated_paragraph_and_run_together_excerpt_at_the_end_go():
    doc = lines("（一）年度回顾", "基本情况", BODY, BODY2, BODY, "（一）年度回顾基本情况" + BODY[:50])
    kept_lines, dropped = drop_repeats(doc)
    assert [line.text for line in kept_lines] == ["（一）年度回顾", "基本情况", BODY, BODY2]
    assert dropped == [BODY, "（一）年度回顾基本情况" + BODY[:50]]


def test_an_excerpt_before_the_text_goes_but_the_full_text_stays():
    doc = lines("石泉县教育局工作总结" + BODY[:40], "石泉县教育局工作总结", BODY)
    kept_lines, _ = drop_repeats(doc)
    assert [line.text for line in kept_lines] == ["石泉县教育局工作总结", BODY]


def test_short_repeated_headings_and_similar_paragraphs_stay():
    other = BODY.replace("省第九次党代会", "市第六次党代会")
    doc = lines("一、加强领导", BODY, "一、加强领导", other)
    kept_lines, dropped = drop_repeats(doc)
    assert [line.text for line in kept_lines] == ["一、加强领导", BODY, "一、加强领导", other] and not dropped


# --- property: cleaning never loses body text -------------------------------------------------------

CLAUSES = """全县共有中小学校43所 在校学生21590人 专任教师1764人 资金来源于县财政 发布时间定在每年3月
学校分享了办学经验 下载并学习了安全手册 当前位置偏远的学校得到优先照顾 推荐度高的课程继续开设
我局认真贯彻落实上级文件精神 进一步加强了校园安全管理 组织开展了防溺水专题教育
投入资金1000万元改善办学条件 相关文章已汇编成册 仅供参考的数据也一并上报 全年培训教师6000人次
顺利通过了省级督导评估""".split()
GENERATED_CHROME = st.one_of(
    st.sampled_from(CHROME),
    st.builds(lambda d, n: f"发布时间：2020-{d:02d}-08 查看人数：{n}", st.integers(1, 12),
              st.integers(0, 9999)),
    st.builds(lambda s: f"链接地址：http://www.example.com/gongwen/{s}.html", st.integers(1, 10**6)),
    st.builds(lambda n: f"推荐度：{'★' * n}", st.integers(0, 5)),
    st.sampled_from(["点击下载文档", "展开更多", "分享", "免责声明：本文仅供学习交流。"]),
)


@st.composite
def prose(draw, index: int) -> str:
    clauses = draw(st.lists(st.sampled_from(CLAUSES), min_size=8, max_size=12, unique=True))
    text = f"第{index}项工作中，" + "，".join(clauses) + "，确保了各项工作任务的顺利完成和全面落实。"
    text = to_traditional(text) if draw(st.booleans()) else text
    assert is_prose(text)
    return text


@st.composite
def documents(draw):
    n = draw(st.integers(1, 8))
    paragraphs = [draw(prose(i)) for i in range(n)]
    parts: list[tuple[str, str]] = [("prose", p) for p in paragraphs]
    for _ in range(draw(st.integers(0, 10))):
        parts.insert(draw(st.integers(0, len(parts))), ("chrome", draw(GENERATED_CHROME)))
    for _ in range(draw(st.integers(0, 3))):
        heading = draw(st.sampled_from(["一、基本情况", "（二）主要做法", "3、存在问题", "二、下一步打算"]))
        parts.insert(draw(st.integers(0, len(parts))), ("heading", heading))
    indent = draw(st.sampled_from(["", "  ", "\u3000\u3000", "    "]))
    newline = draw(st.sampled_from(["\n", "\n\n"]))
    return parts, newline.join(indent + text for _, text in parts)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_cleaning_never_drops_a_body_paragraph(doc):
    parts, text = doc
    cleaned = clean(text)
    kept_text = [line.text for line in cleaned.lines]
    for kind, part in parts:
        if kind == "prose":
            assert part in kept_text
        elif kind == "chrome":
            assert part not in kept_text
    after_repeats = [line.text for line in drop_repeats(cleaned.lines)[0]]
    assert all(p in after_repeats for k, p in parts if k == "prose")
    assert all(text[line.start:line.end] == line.text for line in cleaned.lines)


def test_a_list_item_that_repeats_or_begins_another_stays():
    item = "1、加强安全教育，提高师生安全意识和自救能力"  # over min_excerpt, a prefix of the next line
    doc = lines("一、安全工作", item + "，全年开展演练12次。", "二、下一步打算", item, "3、完善制度。", "3、完善制度。")
    kept_lines, dropped = drop_repeats(doc)
    assert [line.text for line in kept_lines] == [line.text for line in doc] and not dropped


def test_a_repeated_stretch_of_several_lines_goes():
    doc = lines("一、基本情况", BODY, "二、做法", BODY2, "全县学校56所。", BODY2, "全县学校56所。")
    kept_lines, dropped = drop_repeats(doc)
    assert dropped == [BODY2, "全县学校56所。"]


def test_the_shipped_chrome_model_loads_with_its_provenance():
    from qa.ingest.chrome import FEATURES, load_model

    model = load_model()
    assert model.features == FEATURES and len(model.coef) == len(FEATURES) and 0 < model.threshold < 1
    assert {"data", "date", "command", "method"} <= set(model.provenance)


CHROME_PAGE = """某某文库 - 分享文档赚钱的网站
上传人：abc123  上传时间：2021-05-06  格式：DOCX  页数：12  大小：36KB
返回 下载 相关 举报
{title}.docx_第1页
第1页 / 共12页
{title}
{body}
{body2}
"""


def test_viewer_chrome_of_an_unseen_site_goes_and_the_body_stays():
    title = "某县教育局2021年工作总结"
    text = CHROME_PAGE.format(title=title, body=BODY, body2=BODY2)
    cleaned = clean(text)
    assert [line.text for line in cleaned.lines][-3:] == [title, BODY, BODY2]
    assert "返回 下载 相关 举报" in cleaned.dropped


# --- what the chrome classifier must leave alone ------------------------------------------------------
def test_a_records_header_fields_and_a_numbered_list_are_shielded_from_the_classifier():
    from qa.ingest.structure import structured

    record = ["某校第一学期校务会议记录", "时 间：上午10:00", "地 点：会议室", "主 席：张某", "报告事项"]
    assert structured(record) == [False, True, True, True, False]
    assert structured(["一、报告事项", "（二）安全工作", "1、报告事项"]) == [True, True, False]  # 公文 headings
    items = ["（1）11月14日校外教学", "（2）1月16日跳蚤市场", "（3）1月17日清洁家园", "（5）不在序列中"]
    assert structured(items) == [True, True, True, False]
    two = ["（1）校外教学", "（2）跳蚤市场"]  # two lines are not yet a list
    assert structured(two) == [False, False]


def test_a_flattened_table_is_shielded_but_a_menu_is_not():
    from qa.ingest.structure import structured

    table = ["项目", "本年新制作数量", "规章", "0", "规范性文件", "12", "行政许可", "3"]
    assert all(structured(table))
    menu = ["首页", "新闻中心", "政务公开", "办事服务", "互动交流", "专题专栏", "关于我们"]
    assert not any(structured(menu))


def test_header_fields_of_a_meeting_record_stay_in_the_text():
    text = "\n".join(["某校校务会议记录", "日 期：102年8月28日（星期三）", "时 间：上午10:00－12:00",
                      "地 点：视听教室", BODY, BODY2])
    assert kept(text)[1:4] == ["日 期：102年8月28日（星期三）", "时 间：上午10:00－12:00", "地 点：视听教室"]


def test_lines_above_a_title_the_classifier_chose_are_not_taken_for_a_site_slogan():
    """When the classifier drops the first title-like line, a later heading must not become the title that
    everything above it is dropped as a slogan of."""
    from qa.ingest.chrome import ChromeModel, load_model
    from qa.ingest.clean import is_title_like

    base = load_model()
    lines_ = ["某县教育局2021年工作总结.docx", "（节录）", "教导主任张某报告", BODY, BODY2]
    assert is_title_like(lines_[0])

    class DropFirst(ChromeModel):  # a classifier that drops only the file name line
        def chrome(self, rows, prose):
            return [i == 0 for i in range(len(rows))]

    model = DropFirst(base.features, base.mean, base.scale, base.coef, base.intercept, base.threshold, {})
    cleaned = clean("\n".join(lines_), model=model)
    assert [line.text for line in cleaned.lines] == lines_[1:]


def test_line_shapes_count_across_the_files_of_a_corpus():
    from qa.ingest.chrome import Boilerplate, line_features, shape

    assert shape("教育局2019年工作总结.doc_第1页") == shape("教育局2019年工作总结.doc_第12页")
    assert shape("首页 > 新闻") != shape("首页 > 通知")
    files = [["首页 > 新闻", "分享到：", BODY], ["分享到：", BODY2], ["分享到：", "全县学校56所。"]]
    common = Boilerplate.of(files)
    assert common.files_with(shape("分享到：")) == 3 and common.files_with(shape(BODY)) == 1
    at = list(line_features(files[0], rules=[False] * 3, titles=[False] * 3, title=None, corpus=common))
    alone = list(line_features(files[0], rules=[False] * 3, titles=[False] * 3, title=None))
    from qa.ingest.chrome import FEATURES

    k = FEATURES.index("corpus_repeats")
    assert at[1][k] > 0 and alone[1][k] == 0 and at[2][k] == 0
