"""A made-up report's title and body lines, shared by the chrome tests, and what cleaning keeps of a page."""

from qa.ingest.clean import clean

TITLE = "青松县教育局2021年工作总结"
BODY = ("2021年，我局以办好群众满意的教育为目标，坚持立德树人，全县共有中小学61所，在校学生27315人，"
        "专任教师2000人，各项工作取得了较好的成绩。")
BODY2 = ("下半年，全县新建校舍12所，改造薄弱学校8所，投入资金3,000万元，办学条件明显改善，"
         "城乡教育差距进一步缩小，群众满意度明显提高。")


def kept(text: str) -> list[str]:
    return [line.text for line in clean(text).lines]
