"""The number check reads a report's label in an answer as the report's, not as a figure of the answer."""

from qa.answer.verify import verify
from qa.types import Answer, Chunk, Citation, Document


def _citation(n: int, text: str, title: str, part: int | None, places: tuple[str, ...] = ()) -> Citation:
    chunk = Chunk(chunk_id=f"c{n}", doc_id=f"d{n}", source="compilation.txt", ordinal=1, heading=(), span=(0, 1),
                  text=text, norm=text)
    doc = Document(doc_id=f"d{n}", source="compilation.txt", title=title, part=part, places=places)
    return Citation(n, chunk, doc, text)


def test_a_compilation_part_numbered_in_chinese_numerals_does_not_fail_the_figure_check():
    c1 = _citation(1, "全区教育经费预计投入6.4亿元。", "教育工作总结汇编 篇十三", 13)
    c2 = _citation(2, "新建校舍5栋。", "某县2015年工作总结", 14, ("白沙县",))
    text = ("各报告给出的数字不同，按报告列出：\n- 教育工作总结汇编 篇十三：“全区教育经费预计投入6.4亿元。” [1]\n"
            "- 白沙县 (篇十四)：“新建校舍5栋。” [2]")
    checked = verify(Answer("问题", text, (c1, c2), (), False, ()))
    assert checked is not None and checked.text == text and not checked.notes


def test_a_figure_in_no_cited_paragraph_still_fails():
    c1 = _citation(1, "全区教育经费预计投入6.4亿元。", "教育工作总结汇编 篇十三", 13)
    text = "报告中写道：\n- “全区教育经费预计投入7.5亿元。” [1]"
    assert verify(Answer("问题", text, (c1,), (), False, ())) is None
