"""General chrome signals of page layout (issue #13, recall on unseen sites): viewer furniture, site notices and
contact lines, decorated titles, a site's lead excerpt, widget columns, footers, site templates across a folder;
and the guards that keep the report's own lines (an addressee, a headline, a compilation's part heading).

Made-up lines in the shapes the labelled pages show; no site's phrase is matched.
"""

from __future__ import annotations

import pytest
from chrome_text import BODY, BODY2, TITLE, kept  # noqa: E402

from qa.ingest.chrome import Boilerplate, file_shapes
from qa.ingest.clean import _chrome_rule, clean
from qa.ingest.structure import shielded, structured


@pytest.mark.parametrize(("line", "rule"), [
    ("青松县教育局2021年工作总结.doc_第3页", "page thumbnail"),
    ("文档简介", "viewer label"),
    ("资源描述：", "viewer label"),
    ("已阅读3页，还剩9页未读 继续免费阅读", "viewer notice"),
    ("《青松县教育局2021年工作总结》由会员分享，可在线阅读，更多相关《青松县教育局工作总结(12页)》请在某某文库上搜索。",
     "viewer notice"),
    ("青松县教育局2021年工作总结(20211230).docx", "file name"),
    ("青松县教育局2021年工作总结.docVIP", "file name"),
    ("申明敬告：本站不保证该用户上传的文档完整性。", "disclaimer"),
    ("2. 本文档由用户上传，本站整理发布。", "disclaimer"),
    ("1、凡本网注明“来源：某某网”的所有作品，均为本网所有，", "disclaimer"),
    ("投稿热线：0123-4567890 李老师", "contact"),
    ("4. 网站客服QQ:12345678", "contact"),
    ("（张小明 李四）", "byline"),
    ("(记者 王五)", "byline"),
    ("工作总结/工作汇报", "category path"),
    ("2021-03-25 工作总结", "metadata"),
    ("侵权投诉", "widget"),
])
def test_furniture_of_viewers_and_sites_goes_by_rule(line, rule):
    assert _chrome_rule(line) == rule


@pytest.mark.parametrize("line", [
    "(节录)",  # a record's heading: one word in brackets
    "（语文 数学）",  # subjects: two-character words, but no names
    "附件：青松县教育局2021年工作总结.doc",
    "该版权属于发行的邮政局，但临摹内容是可以的。",  # a sentence about rights, no site speaking of itself
    "全县开通心理健康服务热线，全年接听来电1200余次。",
    "学生可在线阅读经典名著，全年借阅图书3万册。",
    "男/女",
    "学校名称/学生人数",
    "联系人：王明 联系电话：13912345678",
    "校园安全举报热线：0719-1234567",
    "心理援助热线：12355",
    BODY,
])
def test_report_lines_that_share_a_word_with_furniture_stay(line):
    assert _chrome_rule(line) is None


def test_a_title_the_page_also_prints_plain_loses_its_decoration_only():
    for decorated in [TITLE + " 9页", TITLE + "1500字通用。", TITLE + "【精选推荐】", TITLE + "-青松教育网-- 门户"]:
        assert kept("\n".join([decorated, TITLE, BODY, BODY2])) == [TITLE, BODY, BODY2], decorated
    # a tag on a title whose year the site rewrote
    assert kept("\n".join(["2022年青松县教育局工作总结【精选推荐】", "青松县教育局2021年工作总结", BODY])) == \
        ["青松县教育局2021年工作总结", BODY]
    # a part heading, a compilation's count and a subtitle are the report's
    for line in [TITLE + "【篇一】", TITLE + "(精选5篇)", TITLE + "——在全县教育工作会议上的讲话"]:
        assert line in kept("\n".join([line, TITLE, BODY])), line
    # no plain copy: the decorated line is the only title, and stays
    assert kept("\n".join([TITLE + " 9页", BODY])) == [TITLE + " 9页", BODY]


def test_a_sentence_with_a_dash_inside_is_no_decorated_title():
    line = "克什米尔马鹿以2-18头的群族聚居在河边密林、山谷及山区。"
    assert line in kept("\n".join(["克什米尔马鹿", line, BODY]))


def test_a_sites_lead_excerpt_goes_when_the_text_follows_whole():
    lead = BODY[:40]  # cut mid-sentence
    assert kept("\n".join([TITLE, lead, BODY, BODY2])) == [TITLE, BODY, BODY2]
    assert kept("\n".join([TITLE, BODY[:30] + "...", BODY, BODY2])) == [TITLE, BODY, BODY2]
    across = BODY + BODY2[:30]  # runs on into the next paragraph
    assert kept("\n".join([TITLE, across, BODY, BODY2])) == [TITLE, BODY, BODY2]
    # a whole sentence that a longer paragraph repeats, and a title that opens one, are not cut: they stay
    first = "全县共有中小学61所。"
    assert kept("\n".join([TITLE, first, first + "在校学生27315人。"])) == [TITLE, first, first + "在校学生27315人。"]
    assert kept("\n".join([TITLE, TITLE + " " + BODY])) == [TITLE, TITLE + " " + BODY]


def test_a_widget_column_goes_with_its_counters_but_a_tables_cells_stay():
    page = [TITLE, "VIP专享", "2021-12-30", "999+", "22KB", "5 页", "海报", "侵权投诉", TITLE, BODY]
    assert kept("\n".join(page)) == [TITLE, BODY]
    table = [TITLE, BODY, "项目", "数量", "规章", "0", "规范性文件", "12", "行政许可", "3", "备注", "无", BODY2]
    assert kept("\n".join(table)) == table


def test_a_footer_after_the_body_goes_but_a_signature_and_date_stay():
    footer = ["------------------", "✅立即订阅：", "https://example.org/subscribe", "💎成为会员 📧订阅电子报"]
    assert kept("\n".join([TITLE, BODY, BODY2, *footer])) == [TITLE, BODY, BODY2]
    signed = [TITLE, BODY, BODY2, "青松县教育局", "2021年12月30日"]
    assert kept("\n".join(signed)) == signed
    attached = [TITLE, BODY, BODY2, "分享到：", "附件：", "抄送：县委办公室"]
    assert kept("\n".join(attached)) == [TITLE, BODY, BODY2, "附件：", "抄送：县委办公室"]


def test_an_addressee_a_headline_and_a_part_heading_are_shielded():
    lines = ["各位代表：", "主任、副主任、各位委员:", "我县召开义务教育优质均衡发展推进会", "区教育局XX年工作要点",
             "【篇一】教育局年终工作总结", "九九范文帮", "教育新闻", TITLE + " 9页"]
    assert shielded(lines, [True] * len(lines), [False] * len(lines)) == [True] * 5 + [False] * 3
    assert structured(["【篇二】教育局工作计划"]) == [True]


def test_a_part_heading_after_its_title_is_shielded_but_a_count_of_parts_is_not():
    parts = ["教育局安全工作总结【篇1】", "学校安全工作总结 篇2", "教育局年度工作计划篇一", "篇三：教育局工作计划"]
    assert structured(parts) == [True] * 4
    counts = ["2023教育局年度工作总结7篇", "校长工作总结范文(精选5篇)", "学校安全工作总结范文六篇", "撰写心得体会 8 篇"]
    assert structured(counts) == [False] * 4
    assert shielded(parts, [True] * 4, [False] * 4) == [True] * 4


def test_a_line_above_the_title_below_the_reports_first_paragraph_stays():
    lines = [BODY, "其中，关于教育的内容，大图如下——", "【两会】关于教育，政府工作报告这样说——", BODY2]
    assert kept("\n".join(lines)) == lines


def test_an_editors_pointer_to_the_samples_below_goes_with_its_opener():
    opener = "计划是行动的指南，它让我们的工作更有条理。"
    pointer = "看看以下的工作计划范文，或许能为你制定计划提供一些有益的思路。"
    assert kept("\n".join([TITLE, opener + pointer, BODY])) == [TITLE, BODY]
    # a report pointing to its own cases for a lesson, not for the reader's benefit, stays
    own = "以下典型案例，请大家引以为戒。"
    assert own in kept("\n".join([TITLE, BODY, own, BODY2]))


def test_a_site_template_outside_the_body_goes_from_three_pages_of_a_folder():
    pages = ["\n".join([f"青松县教育局{y}年工作总结", BODY, BODY2, "好文章值得慢慢读", "青松县教育局"])
             for y in (2019, 2020, 2021)]
    corpus = Boilerplate.of_shapes(file_shapes(text) for text in pages)
    read = clean(pages[0], corpus=corpus)
    assert "好文章值得慢慢读" in read.dropped
    assert [line.text for line in read.lines] == ["青松县教育局2019年工作总结", BODY, BODY2, "青松县教育局"]
    two = Boilerplate.of_shapes(file_shapes(text) for text in pages[:2])
    assert "好文章值得慢慢读" not in clean(pages[0], corpus=two).dropped


def test_a_block_of_other_articles_titles_after_the_body_goes():
    others = ["柳河县教育局召开秋季开学工作会议", "青松县第二中学开展防溺水安全教育活动",
              "全市中小学教师培训工作推进会召开"]
    assert kept("\n".join([TITLE, BODY, BODY2, *others])) == [TITLE, BODY, BODY2]
    # two are not a block; a signature, a date and attachments under the report stay
    assert kept("\n".join([TITLE, BODY, BODY2, *others[:2]])) == [TITLE, BODY, BODY2, *others[:2]]
    signed = [TITLE, BODY, BODY2, "附件：全县中小学名单", "青松县教育局", "2021年12月30日"]
    assert kept("\n".join(signed)) == signed
    # headlines between paragraphs are the report's
    inside = [TITLE, BODY, *others, BODY2]
    assert kept("\n".join(inside)) == inside


def test_a_page_without_a_title_line_takes_its_title_from_the_viewers_file_name(tmp_path):
    from qa.ingest.corpus import read_file

    page = tmp_path / "viewer_page.txt"
    page.write_text("柳溪县教育局2019年度工作总结.doc_第1页\n柳溪县教育局2019年度工作总结.doc_第2页\n"
                    f"{BODY}\n{BODY2}\n", encoding="utf-8")
    doc = read_file(page, tmp_path).documents[0]
    assert doc.title == "柳溪县教育局2019年度工作总结" and 2019 in doc.years
    plain = tmp_path / "plain.txt"
    plain.write_text(f"{BODY}\n{BODY2}\n", encoding="utf-8")
    assert read_file(plain, tmp_path).documents[0].title == "plain"  # no file name shown: the file's own name
