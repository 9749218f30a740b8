"""Documents, metadata and chunks: parts of compilations, headings, sizes, spans, ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.clean import Line, clean
from qa.ingest.meta import find_places, find_year
from qa.ingest.split import MAX_CHARS, MIN_CHARS, display, find_parts, heading_level, split_documents
from qa.numbers import chinese_number
from qa.textnorm import match_key, normalize

SENTENCES = """全县共有中小学校56所，在校学生21590人。
我局认真贯彻落实上级文件精神，进一步加强了校园安全管理。
组织开展了防溺水专题教育活动。
投入资金1000万元改造乡村学校教学用房。
全年培训教师6000人次；
校園安全牽動著每一個學生家庭的心！
顺利通过了省级“义务教育均衡”督导评估？""".split()


def read(text: str, source: str = "r.txt"):
    return split_documents(text, clean(text), source=source, fallback_title="r")


def para(n: int, start: int = 0) -> str:
    return "".join(SENTENCES[(start + i) % len(SENTENCES)] for i in range(n))


def test_display_strips_pinyin_and_folds_whitespace():
    raw = "  計(jì)劃是對未來  工(gōng)作[網-http://()找文章]\n\n\u3000\u3000的安排(pái)。 "
    assert display(raw) == "計劃是對未來 工作\n的安排。"


@pytest.mark.parametrize(("s", "n"), [("一", 1), ("十", 10), ("十四", 14), ("二十", 20), ("二十三", 23),
                                      ("3", 3)])
def test_chinese_number(s, n):
    assert chinese_number(s) == n


@pytest.mark.parametrize(("text", "level"), [
    ("一、主要工作", 1), ("第二部分 工作打算", 1), ("第三章 总则", 1), ("（二）安全工作", 2), ("(三)德育", 2),
    ("1、加强领导", 3), ("2.统筹实施", 3), ("（1）表彰", 4), ("⑿抓好安全", 4), ("②完善制度", 4),
    ("1.5万元用于", None), ("2011年上半年", None), ("一是加强培训", None), ("基本情况", None)])
def test_heading_levels(text, level):
    assert heading_level(text) == level


def _lines(*texts: str) -> list[Line]:
    out, pos = [], 0
    for t in texts:
        out.append(Line(pos, pos + len(t), t))
        pos += len(t) + 1
    return out


def test_parts_must_be_numbered_in_sequence():
    assert find_parts(_lines("总结篇一", "正文。", "总结篇二", "正文。", "总结篇三")) == [
        (0, 1, "总结 篇一"), (2, 2, "总结 篇二"), (4, 3, "总结 篇三")]
    assert find_parts(_lines("总结篇二", "正文。", "总结篇三")) == []  # does not start at one
    assert find_parts(_lines("总结篇一", "正文。")) == []  # a single part is no compilation
    assert find_parts(_lines("第一篇：春季工作", "正文。", "第二篇 秋季工作", "正文。")) == [
        (0, 1, "春季工作 第一篇"), (2, 2, "秋季工作 第二篇")]
    assert find_parts(_lines("名篇一读再读。", "名篇二读再读。")) == []  # sentences, not titles


def test_a_compilation_becomes_one_document_per_part_and_its_intro_is_dropped():
    intro = "總結(jié)是回顧一段時期工(gōng)作的文字，這裡收集了幾篇同類範文，希望對大家寫好總結有所幫助。"
    parts = [f"教育局學期安全工作總結(jié)篇{n}\n{para(3, i)}\n{para(2, i + 1)}"
             for i, n in enumerate("一二三")]
    text = "教育局學期安全工作總結(jié)(模板3篇)\n" + intro + "\n" + "\n".join(parts)
    docs, chunks, dropped = read(text)
    assert [(d.part, d.title) for d in docs] == [(n, f"教育局學期安全工作總結 篇{c}") for n, c in
                                                 [(1, "一"), (2, "二"), (3, "三")]]
    assert intro in dropped
    assert all(intro not in c.text for c in chunks)
    for doc in docs:
        assert text[doc.span[0]:doc.span[1]].startswith("教育局學期安全工作總結(jié)篇")
        assert {c.doc_id for c in chunks if doc.span[0] <= c.span[0] < doc.span[1]} == {doc.doc_id}


def test_text_before_the_first_part_is_a_document_unless_it_is_the_sites_blurb():
    docs, chunks, dropped = read(f"安全工作汇编\n{para(3)}\n总结篇一\n{para(3, 1)}\n总结篇二\n{para(3, 2)}")
    assert [(d.part, d.title) for d in docs] == [(None, "安全工作汇编"), (1, "总结 篇一"), (2, "总结 篇二")]
    assert not dropped and match_key(para(3)) in match_key(chunks[0].text)


def test_single_report_title_year_places_and_fallback_title():
    text = f"当前位置：首页 > 总结\n石泉县教育局2011年上半年工作总结\n{para(4)}\n石泉县各校{para(2)}"
    (doc,), _, _ = read(text)
    assert (doc.title, doc.year, doc.part) == ("石泉县教育局2011年上半年工作总结", 2011, None)
    assert doc.places[0] == "石泉县"
    (doc,), _, _ = read(para(4))
    assert doc.title == "r" and doc.year is None


def test_year_prefers_the_title_and_ignores_placeholders_and_dates():
    assert find_year("教育局2020年工作总结和2021年工作计划", "2019年") == 2020
    assert find_year("控辍保学工作总结", "201*-201*年控辍保学工作总结，20xx年全县，20XX年。") is None
    assert find_year("工作总结", "发布时间:2020-11-08，本学期") is None
    assert find_year("工作总结", "发布时间:2020-11-08，2020-2021学年") == 2020  # a school year is a year
    assert find_year("二〇一一年工作总结", "") == 2011
    assert find_year(normalize("２０１１年工作總結"), "") == 2011
    assert find_year("工作总结", "2011年上半年，我局以提高教育质量为中心。") == 2011
    assert find_year("工作总结", "x" * 400 + "2011年") is None  # only the first lines count


def test_places_are_named_places_most_frequent_first_in_simplified_form():
    body = "我市教育工作，乐陵县、新建县……乐陵教育正能量，乐陵市学校，乐陵人民。全市、城区、本县、各县区。"
    places = find_places("教育工作總結", body)
    assert places[0] == "乐陵市" and "新建县" in places
    assert not {"全市", "城区", "本县", "县区", "各县"} & set(places)
    assert find_places(normalize("漢川市教育局工作總結"), normalize("漢川市各學校")) == ("汉川市",)
    assert find_places("工作总结", "全市全县全区，城区市区，地市市直。") == ()
    assert len(find_places("", "广东 广西 湖南 湖北 江西 江苏 浙江 福建")) <= 5


def test_lone_heading_joins_the_paragraph_that_follows_and_heads_its_path():
    body = para(2)
    text = (f"一、主要工作及进展情况\n（二）安全工作\n1、加强领导。{body}\n"
            f"（1）落实责任。{para(2, 3)}\n二、存在问题\n{para(2, 1)}")
    _, chunks, _ = read(text)
    assert chunks[0].text == f"一、主要工作及进展情况\n（二）安全工作\n1、加强领导。{body}"
    assert chunks[0].heading == ("一、主要工作及进展情况", "（二）安全工作", "1、加强领导")
    assert chunks[1].heading == ("一、主要工作及进展情况", "（二）安全工作", "1、加强领导", "（1）落实责任")
    assert chunks[2].heading == ("二、存在问题",) and chunks[2].text.startswith("二、存在问题\n")
    assert [c.ordinal for c in chunks] == [1, 2, 3]


def test_long_paragraphs_are_cut_at_sentence_ends_into_bounded_pieces():
    long = para(80)
    _, chunks, _ = read(f"工作总结\n{long}")
    assert len(chunks) >= 5
    assert all(len(c.text) <= MAX_CHARS + MIN_CHARS for c in chunks)
    assert all(len(c.text) >= MIN_CHARS for c in chunks)
    assert all(c.text[-1] in "。；！？" for c in chunks)
    assert "".join(c.text for c in chunks) == f"工作总结\n{long}"
    assert len({c.ordinal for c in chunks}) == 1  # pieces of one paragraph share its number


def test_a_sentence_longer_than_a_chunk_is_cut_at_commas():
    sentence = "，".join(["全县共有中小学校56所"] * 60) + "。"
    _, chunks, _ = read(sentence)
    assert all(len(c.text) <= MAX_CHARS for c in chunks) and "".join(c.text for c in chunks) == sentence


@pytest.mark.parametrize("shift", range(6))
def test_a_hard_cut_never_splits_a_pinyin_annotation(shift):
    sentence = "安" * shift + "學校總結(jié)" * 120 + "。"
    _, chunks, _ = read(sentence)
    assert len(chunks) > 1 and all("(" not in c.text and ")" not in c.text for c in chunks)
    assert "".join(c.text for c in chunks) == "安" * shift + "學校總結" * 120 + "。"


def test_short_fragments_join_the_next_paragraph_but_not_across_sections():
    text = f"一、基本情况\n{para(3)}\n合计82场。\n{para(3, 2)}\n总计3次。\n二、问题\n{para(3, 4)}"
    _, chunks, _ = read(text)
    assert chunks[1].text.startswith("合计82场。\n")
    # a fragment under 20 characters at a section's end joins the paragraph before it, not the next section
    assert chunks[1].text.endswith("\n总计3次。") and chunks[2].text.startswith("二、问题\n")


def test_no_fragment_stands_alone_and_thousands_stay_whole():
    long = "全县投入资金" + "，".join(f"新建校舍{i}所" for i in range(60)) + "，合计3,000万元。"
    text = f"一、基本情况\n{para(3)}\n3\n半项\n{long}"
    _, chunks, _ = read(text)
    assert all(len(c.text) >= 20 for c in chunks)
    assert any("3,000万元" in c.text for c in chunks) and not any(c.text.startswith("000") for c in chunks)


def test_chunks_without_letters_are_dropped_and_ids_are_stable_and_unique():
    text = f"工作总结\n{para(3)}\n（3）\n……\n{para(3)}\n{para(3, 1)}"
    _, chunks, _ = read(text)
    _, again, _ = read(text)
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.text.strip("（）3…\n") for c in chunks)
    _, other, _ = read(text, source="other.txt")
    assert not {c.chunk_id for c in chunks} & {c.chunk_id for c in other}


# --- property: spans point back at the original text ------------------------------------------------

LINES = st.one_of(
    st.builds(lambda n, s: para(n, s), st.integers(1, 25), st.integers(0, 6)),
    st.sampled_from(["一、基本情况", "（二）安全工作", "1、加强领导", "基本情况", "⑴全力抓好质量",
                     "合计57场。",
                     "總結(jié)是回顧一段時期工(gōng)作的文字，能讓我們把得失看(kàn)得更清楚。",
                     "学(xué)校(xiào)工作", "推荐度：", "当前位置：首页 > 总结", "http://example.com/a.html",
                     "发布时间：2020-11-08 14:32:05", "（3）", "教育局學期安全工作總結(jié)篇一",
                     "教育局學期安全工作總結(jié)篇二"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=25), st.sampled_from(["\n", "\n\n", "\r\n"]),
       st.sampled_from(["", "  ", "\u3000\u3000"]))
def test_chunk_spans_point_back_at_the_original(lines, newline, indent):
    lines = [f"第{i}条，{line}" if len(line) > 60 else line for i, line in enumerate(lines)]  # distinct prose
    text = newline.join(indent + line for line in lines).replace("\r\n", "\n")
    docs, chunks, _ = read(text)
    ends = {d.doc_id: d.span for d in docs}
    previous_end = 0
    for c in chunks:
        a, b = c.span
        assert 0 <= a < b <= len(text) and a >= previous_end
        previous_end = b
        assert c.text == display(text[a:b])
        assert c.norm == normalize(c.text)
        assert c.text and "(jié)" not in c.text
        doc_a, doc_b = ends[c.doc_id]
        assert doc_a <= a and b <= doc_b
    body = match_key("".join(c.text for c in chunks))
    for line in lines:
        if len(line) > 60:  # long prose survives whole, whatever surrounds it
            assert match_key(line) in body
