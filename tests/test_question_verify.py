import pytest

from qa.answer.evidence import best_clause, has_new_figure, sentences
from qa.answer.verify import unsupported_numbers, verify
from qa.errors import QuestionError
from qa.numbers import numbers_in
from qa.search.followup import contextualize, is_followup
from qa.search.question import analyze, check_question, english_terms
from qa.textnorm import match_key, normalize, script_of, strip_pinyin
from qa.types import Answer, Chunk, Citation, Document


def test_normalize_and_match_key():
    assert strip_pinyin("總結(jié)學(xué)校(a)") == "總結學校(a)"
    assert normalize("總結(jié)：２０２０年  學(xué)校") == "总结:2020年 学校"
    assert match_key(" 漢川 市\n") == "汉川市"


@pytest.mark.parametrize("q,lang", [("How many teachers?", "en"), ("石泉县2011年招聘了多少教师?", "zh"),
                                    ("漢川的學校食堂管理有哪些做法?", "zh-hant")])
def test_script_of(q, lang):
    assert script_of(q) == lang


def test_question_kinds_and_terms():
    assert analyze("How many safety hazards were found?").kind == "numeric"
    assert analyze("What steps did the schools take against fire?").kind == "list"
    assert analyze("石泉县2011年招聘了多少教师?").kind == "numeric"
    assert analyze("青禾乡的学校还面临哪些困难?").kind == "list"
    groups = english_terms("Teachers trained")
    assert len(groups) == 2 and "教师" in groups[0] and "培训" in groups[1]
    assert english_terms("Teachers trained", keep=lambda zh: zh == "教师") == [("教师",)]


def test_best_clause_picks_the_figure_about_what_was_asked():
    from qa.answer.evidence import TermWeights

    q = analyze("现有多少公办在职教师?")
    w = TermWeights.from_tokens([["教师"], ["学生"], ["学校"]])
    assert best_clause("现有在职教师1764人,学生23870人。", q, w).startswith("现有在职教师1764人")
    assert "23870" not in best_clause("现有在职教师1764人,学生23870人。", q, w)


def test_best_clause_prefers_the_figure_right_after_the_asked_word_over_one_inside_a_longer_word():
    from qa.answer.evidence import TermWeights

    q = analyze("青松县有多少所小学?")
    w = TermWeights.from_tokens([["小学"], ["中小学校"], ["初中"]])
    sentence = "全县现有中小学校48所,其中,小学29所,初中12所。"
    assert best_clause(sentence, q, w).startswith("小学29所")  # 中小学校 holds 小学 but counts more


def test_sentences_keep_offsets():
    text = "一是加强培训。二是开展演练!三"
    for s in sentences(text):
        assert text[s.start:s.end] == s.text


def test_numbers_in_reads_figures_not_masks():
    text = "累计排查安全隐患58项,生机比7.2:1,安排58.6亿元,20xx年,**次"
    assert numbers_in(text) == ["58", "7.2:1", "58.6"]


def _answer(text, para):
    chunk = Chunk("c1", "d1", "a.txt", 1, (), (0, len(para)), para, normalize(para))
    doc = Document("d1", "a.txt", "t")
    return Answer("q", text, (Citation(1, chunk, doc, para),))


def test_verify_drops_a_line_with_an_invented_number():
    para = "累计排查安全隐患58项,已完成整改41项"
    a = verify(_answer("lead\n- “累计排查安全隐患58项” [1]\n- “整改了85%” [1]", para))
    assert a is not None and "85" not in a.text and "58" in a.text
    assert verify(_answer("lead\n- “共排查安全隐患50项” [1]", para)) is None
    assert verify(_answer("lead\n- “累计排查安全隐患58项” [2]", para)) is None  # [2] is no source
    assert unsupported_numbers("58 and 41 [1]", {1: para}) == []


def test_check_question():
    with pytest.raises(QuestionError, match="empty"):
        check_question("   ")
    with pytest.raises(QuestionError, match="too long"):
        check_question("教" * 5000)
    with pytest.raises(QuestionError, match="no words"):
        check_question("???!!!")
    assert check_question(" 石泉县\x00招聘? ") == "石泉县招聘?"


def test_followups_use_the_conversation():
    assert is_followup("and in 2011?") and is_followup("那安全方面呢?")
    assert not is_followup("How many schools were rebuilt in 2020?")
    assert contextualize("and in 2011?", ["How many teachers were recruited in 2020?"], []) == \
        "How many teachers were recruited in 2011?"
    follow = contextualize("那安全方面呢?", ["石泉县2011年招聘了多少教师?"], ["石泉县"])
    assert follow.startswith("石泉县 2011年")
    fire = "What steps did the schools take against fire?"
    assert contextualize(fire, ["x"], []) == fire


def test_english_measure_is_the_phrase_after_how_many():
    measure = analyze("How many nurses were hired in 2019?").measure
    assert len(measure) == 1 and "护士" in measure[0]
    measure = analyze("How many nurses does the town have?").measure
    assert len(measure) == 1 and measure[0][0] == "护士"


def test_a_concept_weighs_what_its_main_word_weighs():
    from qa.answer.evidence import TermWeights

    docs = [["教师"], ["教师", "培训"], ["教师"], ["老师"], ["在校学生", "学生"], ["学生"], ["学生"]]
    w = TermWeights.from_tokens(docs)
    assert w.group_weight(("教师", "老师")) == w.idf("教师") < w.idf("老师")  # a rare synonym does not inflate
    assert w.group_weight(("在校学生", "在校", "学生")) == w.idf("在校学生") > w.idf("学生")  # a compound is specific
    assert w.group_weight(("教员", "学生", "老师")) == w.idf("学生")  # unseen main word: the commonest seen one


def test_clauses_keep_ratios_and_lists_whole():
    from qa.answer.evidence import clauses

    assert clauses("全市有学生500人，生机比达到9.5:1。") == ["全市有学生500人，", "生机比达到9.5:1。"]
    assert clauses("小学、初中各3所") == ["小学、初中各3所"]


def test_chinese_numerals_are_figures_a_lone_one_is_a_word():
    from qa.numbers import chinese_number

    assert numbers_in("培训五十人次，新建三所学校，投入1,200万元") == ["1200", "50", "3"]
    assert numbers_in("报告中没有给出这一项的单一总数，统一部署，一是加强") == []
    assert [chinese_number(s) for s in ("十四", "二十", "三千零五", "二〇一一", "两万")] == [14, 20, 3005, 2011, 20000]


def test_a_figure_written_in_digit_groups_between_magnitudes_is_one_number():
    # Taiwan and Hong Kong print 3萬6,217 for 36217: never the figures 3 and 6217
    assert numbers_in("國小新生3萬6,217人,經費1億4千萬元,另撥3000萬元") == ["36217", "140000000", "3000"]
    source = {1: "今年國小新生共1萬5,347人報到"}
    assert unsupported_numbers("5347 first graders [1]", source) == ["5347"]  # a part is no figure of the source
    assert unsupported_numbers("15347 first graders [1]", source) == []
    assert unsupported_numbers("“今年國小新生共1萬5,347人報到” [1]", source) == []


def test_an_english_lead_reads_a_figure_written_in_groups_whole():
    from qa.answer.lead import figure_lead

    q = analyze("How many pupils does the county have?")
    lead = figure_lead("全縣國小學生共1萬5347人", q, None, 1)  # was "5347 people [1]"
    assert lead.startswith("15,347 ") and "5347" not in lead.replace("15,347", "")
    assert unsupported_numbers(lead, {1: "全縣國小學生共1萬5347人"}) == []
    money = figure_lead("每年編列1億4千萬元補助午餐", analyze("How much is budgeted each year for lunches?"), None, 1)
    assert money == "140,000,000 yuan [1]"
    assert figure_lead("全縣國小學生共15347人", q, None, 1).startswith("15347 ")  # written whole, as written


def test_what_is_counted_stops_at_a_comma_before_an_aside():
    # "Primary" here belongs to a name in the aside, not to what is counted
    measure = analyze("How many nurses, including those of Dongshan Primary, were hired?").measure
    assert len(measure) == 1 and "护士" in measure[0]


def test_words_jieba_made_up_that_no_paragraph_holds_are_no_concepts():
    from qa.store.keyword import tokenize

    question = "那个乡有多少护士调进了医院?"
    made = [t for t in tokenize(normalize(question), normalized=True) if not t.isascii()]
    unseen = frozenset(made)  # as if the index held none of the question's words
    terms = analyze(question, unseen=unseen).flat_terms
    assert "乡有" in analyze(question).flat_terms and "乡有" not in terms  # the unknown-word model's pair
    assert "护士" in terms  # a dictionary word the reports never use stays: that is evidence


def test_an_english_questions_pinyin_names_are_concepts():
    q = analyze("How many pupils does Dongshan Primary have?", names=(("东山",),))
    assert ("东山",) in q.terms
    assert ("东山",) not in analyze("How many pupils does Dongshan Primary have?").terms
    # ... and of what is asked, though the focus text ends before it
    assert ("东山",) in analyze("How much aid went to Dongshan town in May?", names=(("东山",),)).focus


def test_a_long_sentence_is_quoted_where_it_answers_not_only_from_its_start():
    """A made-up run-on sentence of a dozen projects: the one asked about comes last. The quote is the run of
    clauses that names it, marked as cut, and its words are the sentence's own."""
    from qa.answer.evidence import TermWeights, quote_window

    items = [f"第{n}中学新校区完成主体工程并交付使用" for n in range(1, 9)]
    sentence = "，".join([*items, "甲乙图书馆新馆选址确定在城东滨河地带"]) + "。"
    q = analyze("甲乙图书馆的新馆选址在哪里?")
    w = TermWeights.from_tokens([["图书馆", "新馆"], ["中学"], ["中学", "校区"], ["选址"]])
    got = quote_window(sentence, q, w, 60)
    assert got is not None and got.startswith("…") and "城东滨河地带" in got and len(got) <= 62
    assert got.strip("…") in sentence
    assert quote_window(sentence[:50], q, w, 60) is None  # short enough: quoted whole
    q_first = analyze("第1中学新校区完成了什么?")  # the opening run answers: cut from the start as before
    assert quote_window(sentence, q_first, w, 60) is None


def test_an_english_what_is_the_question_asks_for_a_figure_only_when_a_quantity_word_follows():
    assert analyze("What was the total cost of the new library?").kind == "numeric"
    assert analyze("What is the pupil-teacher ratio in the county's primary schools?").kind == "numeric"
    assert analyze("What pupil-to-teacher ratio did the county reach?").kind == "numeric"
    assert analyze("What is the pupil council planning for the spring?").kind != "numeric"
    assert analyze("What is the name of the new library?").kind != "numeric"
    assert analyze("What happened to the rate of enrolment after 2015?").kind != "numeric"
    # a sum of money, and "what was" without "the" before the owner's name
    assert analyze("What was Qingsong County's total health spending in 2015?").kind == "numeric"
    assert analyze("What is the budget for the new clinic?").kind == "numeric"
    assert analyze("What is the main idea of the investment policy?").kind != "numeric"


def test_a_date_and_an_item_number_are_no_figure_for_a_how_much_question():
    q = analyze("How much did the city spend on the new clinic?")
    assert has_new_figure("9月28日移交卫生局", q) and not has_new_figure("9月28日移交卫生局", q, strict=True)
    assert not has_new_figure("1.推进2023年诊所建设", q, strict=True)
    assert has_new_figure("共投入资金1200万元", q, strict=True)
    assert has_new_figure("工期3年、9个月完成", q, strict=True)  # durations are figures
    assert has_new_figure("城关一中 · 经费(万元): 156", q, strict=True)  # a figure that ends the text
    # a long address numbers its paragraphs into the hundreds; a school year is a date, in either form
    assert not has_new_figure("128. 由2019/20学年起推行新计划", q, strict=True)
    assert not has_new_figure("2023-2024学年开设课程", q, strict=True)
    assert has_new_figure("128. 由2019/20学年起拨款3亿元", q, strict=True)
    assert has_new_figure("128.5万元用于改造", q, strict=True)  # a decimal opens no item


def test_an_english_question_asks_for_a_list_by_a_plural_after_what_or_which_not_by_listed_nouns():
    assert analyze("Which villages got new clinics?").kind == "list"
    assert analyze("What flood-control projects were finished?").kind == "list"
    assert analyze("What equipment did the clinics buy?").kind == "fact"  # no plural: one thing asked
    assert analyze("Which Hornets player scored last?").kind == "fact"  # a name, not a plural
    assert analyze("What does the new library cost?").kind != "list"


def test_which_ones_in_chinese_asks_for_a_list_not_a_count():
    assert analyze("这款饮料有哪几种口味?").kind == "list"
    assert analyze("全县有几所学校?").kind == "numeric"


def test_a_question_for_a_share_is_quoted_at_its_percentage():
    from qa.answer.evidence import TermWeights, quote_window

    w = TermWeights(100, lambda t: 1)
    sentence = "全区新建校舍12所,投入资金3000万元,改造运动场8块,学校标准化达标率升至95%,比上年提高3个百分点。"
    share = analyze("What share of the district's schools met the standard?")
    assert best_clause(sentence, share, w).startswith("学校标准化达标率升至95%")  # not the whole sentence
    assert "95%" in best_clause(sentence, analyze("学校标准化达标的比例是多少?"), w)
    long = "成功处置36起学校安全事件,加强统筹协调,各项工作稳步推进,全区学校合格率升至95%。"
    assert "95%" in quote_window(long, share, w, 24)


def test_a_chinese_question_for_money_takes_a_sum_not_a_count_of_schools():
    from qa.answer.figures import another_measure, asked_kind

    q = analyze("这个县去年改造操场一共花了多少钱?")
    assert asked_kind(q) == "money" and asked_kind(analyze("这个县去年改造了多少操场?")) is None
    assert another_measure("完成了2所学校操场改造", q)  # schools counted, no sum
    assert not another_measure("改造操场投入资金50万元", q)
    assert not another_measure("門票價格為3000日圓", analyze("門票要多少錢?"))  # 日圓 is a currency after t2s


def test_best_clause_reads_the_counted_noun_after_the_figure():
    from qa.answer.evidence import TermWeights

    # invented: the clause naming most of the question's words gives another count; the counted noun (机房)
    # follows its figure and measure word in the other clause
    q = analyze("青松县第三期校园改造计划共新建多少间机房?")
    w = TermWeights.from_tokens([["校园"], ["改造"], ["计划"], ["机房"], ["项目"]])
    sentence = "青松县第三期校园改造计划涵盖项目14个,新建约52间机房。"
    assert best_clause(sentence, q, w).startswith("新建约52间机房")


def test_best_clause_skips_the_clause_that_only_restates_the_question():
    from qa.answer.evidence import TermWeights

    w = TermWeights(9, len)
    # invented: "一所" is no figure, and 300 is the question's own number; the sum is in the next clause
    q = analyze("新政策下,一所招收300名学生的幼儿园可获多少补助?")
    sentence = "局长举例说,新政策下,以一所招收300名学生的幼儿园为例,可获450万元补助,较目前多30%。"
    # the sum's clause, with the example it is for (the clause naming the question's own count) before it
    assert best_clause(sentence, q, w) == "以一所招收300名学生的幼儿园为例,可获450万元补助,"
    # the counted words, a bracketed qualifier and 共有 before the figure
    q = analyze("2030学年青松市共有几所特殊教育学校?")
    sentence = "2030学年全市普通学校共有98所,特殊教育学校(含康复部)共有7所。"
    assert best_clause(sentence, q, w).startswith("特殊教育学校(含康复部)共有7所")


def test_best_clause_takes_the_figure_in_the_unit_the_question_asks_in():
    from qa.answer.evidence import TermWeights

    # invented: the first clause holds more of the question's words; only the last gives square metres
    q = analyze("上半年争取到的项目要新建多少平方米校舍?")
    sentence = "上半年争取到校舍新建、操场改造等项目共12个,总资金8600万元,新建校舍面积3.4万平方米。"
    assert best_clause(sentence, q, TermWeights(9, len)).startswith("新建校舍面积3.4万平方米")
    # attendances are no count of people
    q = analyze("全年培训了多少人?")
    assert best_clause("全年培训教师3200人次,新招聘教师86人。", q, TermWeights(9, len)).startswith("新招聘教师86人")


def test_a_comma_grouping_thousands_does_not_cut_a_clause():
    from qa.answer.evidence import TermWeights, clauses

    assert clauses("补助计2,510校次、4萬4,611人次,计1,200万元。") == ["补助计2,510校次、4萬4,611人次,", "计1,200万元。"]
    assert clauses("新建学校3所,投入12,5所") == ["新建学校3所,", "投入12,", "5所"]  # no group of three digits
    # the clause quoted for a count of attendances is the whole figure, not its last three digits
    q = analyze("共有多少人次受惠?")
    assert best_clause("补助计2,510校次、13萬8,596人次,计4億元。", q, TermWeights(9, len)).startswith("补助计2,510校次")


def test_a_question_in_cantonese_is_read_with_mandarin_question_and_function_words():
    from qa.textnorm import mandarin_reading

    q = analyze("2030年喺青松區讀書嘅學生有幾多人?")
    assert q.kind == "numeric"
    assert not {"喺", "嘅", "多个", "几多"} & {t for g in q.terms for t in g}
    assert mandarin_reading("佢哋冇交學費") == "他們沒有交學費"
    assert mandarin_reading("關係到幾多間學校?") == "關係到多少間學校?"  # 係 of 關係 is Mandarin too
    # a share asked as 百分比 is a share
    from qa.answer.evidence import asks_share

    assert asks_share(analyze("學生人數會跌幾多個百分比?"))


def test_a_share_asked_in_tenths_or_per_cent_is_a_share():
    from qa.answer.evidence import asks_share

    assert asks_share(analyze("外来务工人员子女大概占几成?"))
    assert asks_share(analyze("达标学校占百分之几?"))
    assert not asks_share(analyze("全县有几所学校?"))


def test_a_question_asking_how_many_classes_takes_the_figure_in_classes():
    from qa.answer.evidence import TermWeights, asked_unit

    q = analyze("青松县2030学年初中一共有几班?")
    assert asked_unit(q) == "班"
    sentence = "2030学年全县初中12所,七至九年级共380班、学生1万4020人。"
    assert "380班" in best_clause(sentence, q, TermWeights(9, len))


def test_the_quoted_figure_keeps_the_clause_naming_the_questions_own_count():
    from qa.answer.evidence import TermWeights

    # invented: the figure's clause alone would not say which projects it is for
    q = analyze("青松县今年新开工的6个项目计划投资多少?")
    assert best_clause("另有12个项目完工,启动6个新建项目,计划投资980万元。", q, TermWeights(9, len)) == \
        "启动6个新建项目,计划投资980万元。"
