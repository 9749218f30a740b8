"""Lines made whole before cleaning: viewer page markers, hard wrapping, page headers, one-block files."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.unwrap import unwrap

SENTENCES = ["全县共有中小学校56所，在校学生21590人。", "投入资金3,000万元改善办学条件。",
             "组织开展了防溺水专题教育活动，参加师生12000人次。", "进一步完善了校园安全管理制度和应急预案。",
             "全年培训教师6000人次，其中骨干教师300人。"]


def test_viewer_page_markers_are_undone_and_the_split_word_rejoined():
    text = ("教育局2022年工作总结\n1、今年全市新建学校5所，名生培\n2、养实现新突破，一本上线2445人，改扩\n"
            "3、建任务全部完成。")
    out = unwrap(text)
    assert out.text == ("教育局2022年工作总结\n今年全市新建学校5所，名生培养实现新突破，一本上线2445人，"
                        "改扩建任务全部完成。")
    assert out.removed == ("1、", "2、", "3、")


def test_a_real_numbered_list_keeps_its_numbers():
    text = "一、主要做法\n1、加强领导。\n2、落实责任。\n3、强化督查。"
    assert unwrap(text).text == text


def test_hard_wrapped_lines_join_and_a_figure_stays_with_its_sentence():
    body = "".join(SENTENCES * 2)
    wrapped = "\n".join(body[i:i + 30] for i in range(0, len(body), 30))
    text = "某县教育局工作总结\n一、基本情况\n" + wrapped
    out = unwrap(text).text.split("\n")
    assert out[:2] == ["某县教育局工作总结", "一、基本情况"] and "".join(out[2:]) == body
    assert all(any(s in line for line in out) for s in SENTENCES)  # no sentence, no figure cut in two


def test_a_page_number_between_the_halves_of_a_sentence_goes():
    body = "".join(SENTENCES)
    lines = [body[i:i + 30] for i in range(0, len(body), 30)]
    text = "\n".join([*lines[:2], "- 2 -", *lines[2:]])
    out = unwrap(text)
    assert out.text == body and out.removed == ("- 2 -",)


def test_a_one_block_file_is_cut_at_its_own_numbering():
    block = "教育局工作总结。" + "".join(SENTENCES) + "一、基本情况" + "".join(SENTENCES) + \
        "二、主要做法" + "".join(SENTENCES) + "（一）加强领导" + "".join(SENTENCES)
    parts = unwrap(block).text.split("\n")
    assert [p[:6] for p in parts[1:]] == ["一、基本情况", "二、主要做法", "（一）加强领"]
    assert "".join(parts) == block


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=30),
       st.sampled_from([0, 25, 30, 38]), st.booleans())
def test_unwrapping_never_loses_a_character_of_text(sentences, width, markers):
    body = "".join(sentences)
    lines = [body[i:i + width] for i in range(0, len(body), width)] if width else [body]
    if markers:
        lines = [f"{n}、{line}" for n, line in enumerate(lines, 1)]
    out = unwrap("\n".join(lines))
    removed = "".join(out.removed)
    assert sorted(out.text.replace("\n", "") + removed) == sorted("".join(lines))


def test_rows_of_a_plain_text_table_are_never_joined():
    rows = ["学校        新建教室(间)    新增图书(册)", "桃源小学    8               3200",
            "杏林中学    12              5100", "梅岭小学    5               1800"]
    text = "\n".join(["某县工作汇报", *rows, "二、存在问题"])
    assert unwrap(text).text == text


def test_figures_a_pdf_copy_put_on_lines_of_their_own_rejoin_their_sentences():
    # invented, in the layout of PDF-converted web copies: each figure on a line between the halves of its sentence
    text = ("某县教育局工作总结\n全年发放助学金\n1286\n万元,受益学生\n14529\n人次。为\n1464\n名大学生办理了贷款。\n"
            "全县\n316\n所学校开展营养餐。")
    out = unwrap(text).text.split("\n")
    assert out == ["某县教育局工作总结", "全年发放助学金1286万元,受益学生14529人次。为1464名大学生办理了贷款。",
                   "全县316所学校开展营养餐。"]
    # one such figure alone is not the layout (a page number may sit there): the lines stay
    single = "某县教育局工作总结\n全年发放助学金\n12\n万元。"
    assert unwrap(single).text == single
