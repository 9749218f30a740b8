import json
from dataclasses import replace

import pytest
from llm_server import FakeLLMServer

from qa import cli
from qa.answer.compose import Answerer
from qa.answer.evidence import best_clause
from qa.answer.features import Candidate
from qa.answer.render import render_text, to_json
from qa.answer.scope import asked_years_first, of_other_years
from qa.config import Settings
from qa.numbers import numbers_in
from qa.search.question import analyze
from qa.search.retrieve import Retriever, question_info
from qa.store.index import Index
from qa.store.update import update_index
from qa.textnorm import to_simplified


@pytest.fixture
def answerer(tiny_corpus, tmp_path, fake_embedder):
    update_index(tiny_corpus, tmp_path / "index", fake_embedder, progress=False)
    return Answerer(Retriever(Index.load(tmp_path / "index"), fake_embedder))


def _numbers_supported(answer):
    cited = "".join(c.chunk.text for c in answer.citations)
    text = answer.text.replace("[1]", "").replace("[2]", "").replace("[3]", "").replace("[4]", "")
    return all(n in numbers_in(cited) for n in numbers_in(text))


def test_figure_question_gets_the_figure_with_its_citation(answerer):
    a = answerer.ask("石泉县上半年累计排查安全隐患多少项?")
    assert not a.abstained and "58" in a.text and "[1]" in a.text
    assert a.citations[0].chunk.source == "shiquan_2011.txt"
    assert a.citations[0].sentence in a.citations[0].chunk.text
    assert _numbers_supported(a)


def test_the_figure_about_what_was_asked(answerer):
    question = "汉川全市中小学有多少名在校学生?"
    res = answerer.retriever.search(question, k=10)
    best = answerer.candidates(question_info(question, res), res)[0][0]
    assert "28457" in best.quote and "2916" not in best.quote  # the clause that counts the students
    a = answerer.ask(question)
    # quoted with the clause beside it, which tells the students' figure from the staff's
    assert "在校學生28457人" in a.text and "在職教職工2916人" in a.text


def test_a_figure_question_is_declined_when_no_quote_gives_a_figure(answerer):
    question = "汉川全市中小学有多少名在校学生?"
    res = answerer.retriever.search(question, k=10)
    q = question_info(question, res)
    cands, reading = answerer.candidates(q, res)
    assert not answerer.extractive(q, res, []).abstained
    # the sentence with the figure is a likely one, but the sentence quoted (rated far above it) gives none
    talk = "学校坚持每天放学前提醒学生注意安全。"
    rated = [replace(cands[0], quote=talk, sentence=talk), replace(cands[0], score=0.0)]
    answerer.candidates = lambda *_: (rated, reading)
    assert answerer.extractive(q, res, []).abstained


def test_a_figure_part_whose_quotes_give_no_figure_is_left_out_of_a_two_part_answer(answerer):
    question = "石泉县累计排查安全隐患多少项，新录用教师多少名？"
    assert "58" in answerer.ask(question).text
    found = answerer.candidates
    talk = "学校坚持每天放学前提醒学生注意安全。"

    def rated(part, res):  # one part's sentence with the figure is rated far below a sentence without one
        cands, reading = found(part, res)
        if "隐患" not in part.text:
            return cands, reading
        return [replace(cands[0], quote=talk, sentence=talk), replace(cands[0], score=0.0)], reading

    answerer.candidates = rated
    a = answerer.ask(question)
    assert not a.abstained and "37" in a.text  # the other part is still answered
    assert talk not in a.text and "58" not in a.text


def test_traditional_question_gets_a_traditional_answer(answerer):
    a = answerer.ask("漢川組織安全隱患集中排查,累計查出多少處隱患?")
    assert "260" in a.text
    assert to_simplified(a.text) != a.text  # the lead and quotes are in Traditional script


def test_quotes_keep_the_reports_glyphs_whatever_the_questions_script(answerer):
    a = answerer.ask("石泉縣2011年招聘了多少教師?")  # Traditional question, Simplified report
    assert "37" in a.text and not a.abstained
    lead, *lines = a.text.splitlines()
    assert to_simplified(lead) != lead  # the lead speaks the asker's script
    quotes = [line.split("“", 1)[1].rsplit("”", 1)[0] for line in lines if "“" in line]
    assert quotes and all(any(q.rstrip("…") in c.chunk.text for c in a.citations) for q in quotes)


def test_declines_when_the_reports_do_not_say(answerer):
    a = answerer.ask("石泉县给每名乡村教师发了多少取暖费?")
    assert a.abstained and not a.citations and a.related
    assert "没有" in a.text


def test_json_and_text_rendering(answerer):
    a = answerer.ask("乐陵市教育财政投入安排了多少?")
    j = to_json(a)
    assert j["citations"] and {"n", "title", "section", "paragraph", "file", "span", "text"} <= set(j["citations"][0])
    c = j["citations"][0]
    assert c["file"] == "leling_plan.txt" and c["text"]
    assert "Sources:" in render_text(a) and "»" in render_text(a)


def _llm_answerer(answerer, server, timeout=5.0):
    settings = Settings(llm_base_url=server.base_url, llm_model="m", llm_timeout=timeout)
    return Answerer(answerer.retriever, settings=settings)


def test_llm_answer_is_used_when_it_checks_out(answerer):
    with FakeLLMServer(reply="上半年累计排查安全隐患58项，已完成整改41项 [1]。") as srv:
        a = _llm_answerer(answerer, srv).ask("石泉县上半年累计排查安全隐患多少项?")
    assert "58" in a.text and "written by a language model" in a.notes
    assert srv.requests and "石泉县" in json.dumps(srv.requests[0].body, ensure_ascii=False)


def test_llm_made_up_number_falls_back_to_extractive(answerer):
    with FakeLLMServer(reply="共排查安全隐患85项 [1]。") as srv:
        a = _llm_answerer(answerer, srv).ask("石泉县上半年累计排查安全隐患多少项?")
    assert "85" not in a.text and "58" in a.text
    assert any("语言模型" in n for n in a.notes)


def test_llm_unreachable_or_slow_falls_back(answerer):
    with FakeLLMServer(reply="x [1]", delay=2.0) as srv:
        a = _llm_answerer(answerer, srv, timeout=0.3).ask("石泉县上半年累计排查安全隐患多少项?")
    assert "58" in a.text and any("timed out" in n for n in a.notes)
    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_timeout=1.0)
    a = Answerer(answerer.retriever, settings=settings).ask("石泉县上半年累计排查安全隐患多少项?")
    assert "58" in a.text and a.notes


def test_cli_ask_search_and_bad_questions(tiny_corpus, tmp_path, fake_embedder, monkeypatch, capsys):
    monkeypatch.setattr("qa.runtime.load_embedder", lambda settings: fake_embedder)
    args = ["--index", str(tmp_path / "idx")]
    monkeypatch.setenv("QA_CORPUS", str(tiny_corpus))
    assert cli.main(["index", *args, "--corpus", str(tiny_corpus)]) == 0
    assert "added" in capsys.readouterr().out
    assert cli.main(["ask", "石泉县上半年累计排查安全隐患多少项?", "--json", *args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "58" in out["answer"] and out["citations"][0]["file"] == "shiquan_2011.txt"
    assert cli.main(["search", "漢川在校學生", "--json", *args, "-k", "2"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 2 and hits[0]["source"] == "hanchuan_trad.txt"
    assert cli.main(["ask", "   ", *args]) == 2
    assert "empty" in capsys.readouterr().err
    assert cli.main(["ask", "问" * 3000, *args]) == 2
    assert "too long" in capsys.readouterr().err


def test_cli_eval_reports_metrics(tiny_corpus, tmp_path, fake_embedder, monkeypatch, capsys):
    monkeypatch.setattr("qa.runtime.load_embedder", lambda settings: fake_embedder)
    monkeypatch.setenv("QA_CORPUS", str(tiny_corpus))
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "t1", "lang": "zh", "type": "numeric", "question": "石泉县上半年累计排查安全隐患多少项?",
             "evidence": ["累计排查安全隐患58项"], "answers": ["58"]},
            {"id": "t2", "lang": "zh", "type": "unanswerable", "question": "石泉县给每名乡村教师发了多少取暖费?",
             "evidence": [], "answers": []}]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert cli.main(["eval", str(gold), "--index", str(tmp_path / "idx"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 1 and out["recall@1"] == 1.0 and out["by_lang"]["zh"]["recall@5"] == 1.0
    assert out["answer_hit"] == 1.0 and out["abstain_accuracy"] == 1.0 and out["unsupported_numbers"] == 0


def test_shared_run_is_the_longest_common_run_of_the_question():
    from qa.answer.features import shared_run

    assert shared_run("新建河东小学图书室花了多少钱", "投入5万元新建河东小学图书室,改善条件") == 9
    assert shared_run("新建河东小学图书室花了多少钱", "新建河西小学、河东小学图书角") == 6  # 河东小学图书
    assert shared_run("教师培训", "学生") == 0 and shared_run("", "任何") == 0


def _answerer_over(tmp_path, emb, reports: dict[str, str]) -> Answerer:
    """An answerer over a corpus of the given reports (file name -> text), indexed with ``emb``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in reports.items():
        (corpus / name).write_text(text, encoding="utf-8")
    update_index(corpus, tmp_path / "index", emb, progress=False)
    return Answerer(Retriever(Index.load(tmp_path / "index"), emb))


def test_a_masked_count_in_the_report_asked_about_is_reported_as_masked(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {
        "company.txt": "青松公司2020年消防宣传周活动总结\n\n一、消防检查\n"
                       "公司制定了消防检查方案，检查覆盖各车间和仓库。\n\n"
                       "二、宣传培训\n本周累计开展**次隐患自查，举办**次灭火器使用培训。\n",
        "school.txt": "青山县教育局2020年安全工作总结\n\n全县学校组织安全大检查，累计发现安全隐患120多处。\n"})
    a = answerer.ask("青松公司消防宣传周开展了多少次隐患自查?")
    assert a.abstained and "**次" in a.text and "120" not in a.text
    assert "**次隐患自查" in a.related[0].chunk.text  # the passage with the masked figure comes first


def test_a_figure_masked_by_one_letter_is_reported_as_masked(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"summary.txt": (
        "青松区教育局2018年工作总结\n\n一、教育投入\n2018年度一般公共预算教育投入x万元，较上年增加x万元。\n\n"
        "二、队伍建设\n全年培训教师3200人次，新招聘教师85名。\n")})
    a = answerer.ask("青松区2018年一般公共预算教育投入多少万元?")
    assert a.abstained and "x万元" in a.text and "3200" not in a.text
    assert not answerer.ask("青松区全年培训教师多少人次?").abstained  # a real figure is still answered


def _asked(answerer: Answerer, question: str):
    """The search result, the question's analysis, and the top hits by report file."""
    res = answerer.retriever.search(question)
    return res, question_info(question, res), {h.chunk.source: h for h in res.hits}


def test_a_mask_does_not_hide_a_figure_the_scorer_ranks_above_it(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {
        "a.txt": "青松区教育局2020年工作总结\n\n全年资助学生1869人次。\n",
        "b.txt": "青山县教育局2020年工作总结\n\n全年资助学生xx人次。\n"})
    question = "全年资助学生多少人次?"
    res, q, hit = _asked(answerer, question)
    given = Candidate(0, hit["a.txt"], "全年资助学生1869人次。", "全年资助学生1869人次。", 0.6, score=0.3)
    # the masked sentence names more of the question, so it is the one the mask check reads
    masked = Candidate(1, hit["b.txt"], "全年资助学生xx人次。", "全年资助学生xx人次。", 0.9, score=0.2)
    assert answerer._masked(q, [given, masked]) is None  # the scorer ranks the figure a report gives first
    masked_first = replace(masked, score=0.4)
    mask, where = answerer._masked(q, [masked_first, given])  # ... and when it ranks the mask first, it is said
    assert mask == "xx人次" and where is masked_first


def test_a_runner_up_whose_figures_count_in_another_measure_word_is_not_quoted(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松市教育局2020年工作总结\n\n一、基本情况\n全市现有中小学校48所，其中小学27所，初中12所。"
        "现有在岗教职工2410人，其中小学980人，初中860人。\n")})

    def runner_up(question: str) -> str | None:
        res = answerer.retriever.search(question)
        q = question_info(question, res)
        hit = res.hits[0]
        best = Candidate(0, hit, "全市现有中小学校48所，其中小学27所，初中12所。", "其中小学27所", 0.8, score=0.5)
        staff = "现有在岗教职工2410人，其中小学980人，初中860人。"
        second = Candidate(0, hit, staff, "其中小学980人", 0.8, score=0.49)
        chosen = answerer._runner_up(q, best, [best, second])
        return chosen.quote if chosen else None

    assert runner_up("青松市有多少所小学?") is None  # asked in 所: a count of people answers something else
    assert runner_up("青松市有多少小学?") == "其中小学980人"  # no measure word asked: the scorer decides


def test_the_best_sentence_masking_its_figure_declines_unless_it_speaks_of_another_year(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {
        "a.txt": "青松区教育局2018年工作总结\n\n2018年度一般公共预算教育投入x万元，较上年增加x万元。\n",
        "b.txt": "青山县教育局工作总结\n\n目前全县财政性教育经费支出超过2亿元。\n"})
    question = "How much did the district's public budget put into education in 2018?"
    res, q, hit = _asked(answerer, question)
    # the masked sentence names little of what the question counts in English, yet the scorer ranks it first
    budget = "2018年度一般公共预算教育投入x万元，较上年增加x万元。"
    masked = Candidate(0, hit["a.txt"], budget, "投入x万元", 0.2, score=0.4)
    given = Candidate(0, hit["b.txt"], "目前全县财政性教育经费支出超过2亿元。", "支出超过2亿元", 0.2, score=0.3)
    mask, where = answerer._masked(q, [masked, given])
    assert mask == "x万元" and where is masked
    other = "How much did the district's public budget put into education in 2013?"  # the mask is of 2018
    assert answerer._masked(question_info(other, res), [masked, given]) is None


def test_a_mask_in_another_measure_than_asked_declines_nothing(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"a.txt": (
        "青松区教育局2018年工作总结\n\n全区连续十二年获评教育工作先进单位，教育投入x万元。\n")})
    sentence = "全区连续十二年获评教育工作先进单位，教育投入x万元。"

    def masked(question: str):
        res = answerer.retriever.search(question)
        c = Candidate(0, res.hits[0], sentence, sentence, 0.5, score=0.5)
        return answerer._masked(question_info(question, res), [c])

    assert masked("How many years running has the district been rated an advanced unit?") is None  # asked in 年
    assert masked("How many days did the district spend on inspections?") is None
    mask, _ = masked("How much did the district put into education?")  # a sum of money: the mask is the answer
    assert mask == "x万元"


def _no_figure_of(answerer: Answerer):
    """``no_figure(question, sentence)``: whether the answerer finds no figure for the question in that sentence."""

    def no_figure(question: str, sentence: str) -> bool:
        res = answerer.retriever.search(question)
        c = Candidate(0, res.hits[0], sentence, sentence, 0.5, score=0.5)
        return answerer._no_figure(question_info(question, res), [c])

    return no_figure


def test_an_english_figure_question_is_not_answered_by_figures_of_another_measure(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县卫生局2020年工作总结\n\n全县现有小学6所、初中3所、注册幼儿园22所。全年共培训医生1200人次。培训资金由县财政保障。\n")})
    schools = "全县现有小学6所、初中3所、注册幼儿园22所。"
    trained = "全年共培训医生1200人次。"

    no_figure = _no_figure_of(answerer)

    assert no_figure("How many doctors worked in the county last year?", schools)  # 所 counts no doctors
    assert not no_figure("How many doctors attended training last year?", trained)
    assert not no_figure("How many primary schools does the county have?", schools)
    assert no_figure("How much funding did the county give training in 2020?", trained)  # a sum, not attendances


def test_a_sum_is_said_with_its_currency_and_item_numbers_and_quoted_names_are_no_figures(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县教育局2021年工作总结\n\n全年购置校车20辆，落实“3+2”帮扶措施12条。"
        "全年投入校车资金360万元。\n")})

    no_figure = _no_figure_of(answerer)

    buses = "全年购置校车20辆，落实“3+2”帮扶措施12条。"
    assert no_figure("How much funding went to school buses?", buses)  # 辆 and 条 are no currency
    assert not no_figure("How much funding went to school buses?", "全年投入校车资金360万元。")
    assert not no_figure("How many school buses did the county buy?", buses)
    assert no_figure("How many support measures were there?", "落实“3+2”帮扶措施。")  # a quoted name
    assert no_figure("How many items were on the agenda?", "会议议程:(2)表彰先进集体。")  # an item's number


def test_a_count_written_in_chinese_numerals_before_years_and_measure_words_is_a_figure(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县文化馆2018年工作总结\n\n本馆连续十一年获评省级先进单位，落实五年发展规划。新建两座分馆。\n")})

    no_figure = _no_figure_of(answerer)

    assert not no_figure("For how many years in a row was the centre rated?", "本馆连续十一年获评省级先进单位。")
    assert not no_figure("How many branches were built?", "新建两座分馆。")
    assert no_figure("For how many years in a row was the centre rated?", "落实五年发展规划。")  # a plan's name
    assert no_figure("For how many years in a row was the centre rated?", "二〇一八年获评先进。")  # a year
    assert no_figure("For how many years in a row was the centre rated?", "三年级学生获奖。")  # a grade


def test_an_approximate_count_in_chinese_numerals_is_a_figure(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县教育局2022年工作总结\n\n全年受惠学生六千四百多名，涉及金额三千七百多万元。新建学校三十余所。\n")})

    no_figure = _no_figure_of(answerer)

    assert not no_figure("青松县有多少名学生受惠?", "全年受惠学生六千四百多名，涉及金额三千七百多万元。")
    assert not no_figure("青松县新建了多少所学校?", "新建学校三十余所。")
    assert not no_figure("How many pupils benefited?", "全年受惠学生六千四百多名。")
    assert no_figure("青松县新建了多少所学校?", "新建学校多所。")  # 多 alone is no figure


def test_a_share_is_answered_by_a_share_and_names_what_a_share_question_counts(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县教育局2019年工作总结\n\n全县寄宿制学校占42%。全县寄宿学生1200人。合格率达57﹪。每班廿五人。\n")})

    no_figure = _no_figure_of(answerer)

    assert not no_figure("What share of schools are boarding schools?", "全县寄宿制学校占42%。")
    assert no_figure("What share of schools are boarding schools?", "全县寄宿学生1200人。")  # a count, no share
    assert not no_figure("What share of pupils passed?", "合格率达57﹪。")  # the small per-cent sign
    assert not no_figure("How many boarding pupils are there?", "全县寄宿学生1200人。")
    assert not no_figure("全县寄宿制学校占多大比例?", "全县寄宿制学校占42%。")  # 42% names the 比例 asked
    assert not no_figure("每班多少人?", "每班廿五人。")  # 廿五: 25


def test_what_a_chinese_question_counts_sets_the_kind_of_its_figure():
    from qa.answer.evidence import TermWeights, best_clause
    from qa.answer.figures import another_measure
    from qa.search.question import analyze

    fees = analyze("青松县给困难学生减免了多少学杂费?")  # names 学生, counts 学杂费: a sum of money
    assert best_clause("免收困难学生学杂费40.2万元,受惠学生631人。", fees, TermWeights(9, len)).startswith("免收")
    shows = analyze("青松县今年搞了几场网上直播?")
    assert not another_measure("开展6次网络直播", shows)  # 场 and 次 both count events
    assert another_measure("直播观看20万人", shows)


def test_a_sentence_of_another_year_in_another_report_does_not_answer_first(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {
        "a.txt": "青松县教育局2014年工作总结\n\n全年全县新建学校食堂7所。\n",
        "b.txt": "白桦县教育局“十二五”工作总结\n\n2011年全县新建学校食堂9所。\n"})  # covers 2011-2015
    docs = answerer.retriever.index.documents
    question = "How many school canteens were built in 2014?"
    res = answerer.retriever.search(question)
    q = question_info(question, res)
    hit = {h.chunk.source: h for h in res.hits}
    assert set(hit) == {"a.txt", "b.txt"}  # both reports may answer (the plan covers 2014)

    def cand(source: str, sentence: str, support: float) -> Candidate:
        return Candidate(0, hit[source], sentence, sentence, 0.5, score=support, support=support)

    other = cand("b.txt", "2011年全县新建学校食堂9所。", 0.6)
    assert of_other_years(q, other, docs)
    assert not of_other_years(q, cand("b.txt", "全县新建学校食堂9所。", 0.6), docs)  # no year said
    assert not of_other_years(q, cand("a.txt", "2013年新建学校食堂7所。", 0.6), docs)  # the 2014 report's own
    assert not of_other_years(analyze("How many canteens were built?"), other, docs)  # no year asked
    asked = cand("a.txt", "全年全县新建学校食堂7所。", 0.3)
    floor = answerer.params.support_floor("en")
    assert asked_years_first(q, [other, asked], docs, floor) == [asked, other]
    weak = replace(asked, support=floor / 2)  # no answer in its own right: the order stays
    assert asked_years_first(q, [other, weak], docs, floor) == [other, weak]


def test_a_fragment_left_by_lost_characters_is_never_a_candidate(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "青松县教育局2020年工作总结\n\n一、学生资助\n1.家?全年资助家庭经济困难学生860人。20xx年,我們?\n")})
    question = "How many students from poor families were helped?"
    res = answerer.retriever.search(question)
    quoted = [c.sentence for c in answerer.candidates(question_info(question, res), res)[0]]
    assert any("860人" in s for s in quoted)
    assert not any(s.startswith(("1.家", "20xx")) for s in quoted)


def test_a_sentence_announcing_what_follows_is_not_quoted(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"summary.txt": (
        "青松区教育局2019年应急管理工作总结\n\n"
        "今年以来，我局高度重视学校安全和应急管理工作，在各方面取得了明显成效，现将一年来的应急管理工作总结如下：\n\n"
        "一、健全组织机构\n我局成立了以张明局长为组长、其他班子成员为副组长的应急管理工作领导小组，"
        "机关各科室负责人为成员，全面部署教育系统应急管理工作。\n")})
    question = "青松区教育局一年来的应急管理工作领导小组的组长是谁?"
    res = answerer.retriever.search(question)
    quoted = [c.sentence for c in answerer.candidates(question_info(question, res), res)[0]]
    assert any("总结如下" in c.text for c in answerer.retriever.index.chunks) and any("张明" in s for s in quoted)
    assert not any("总结如下" in s for s in quoted)
    a = answerer.ask(question)
    assert not a.abstained and "张明" in a.text and "总结如下" not in a.text


def test_an_english_how_much_asks_for_a_sum_and_the_question_s_own_count_names_the_group(tmp_path, fake_embedder):
    # invented: the sum for "its seven projects" follows the clause naming them; the other clauses count projects
    report = ("青松县教育局2020年工作总结\n\n在农村,实施7个中小学建设项目,累计投入资金2350万元,"
              "河东小学教学楼等3个项目建成投用,河西中学教学楼等4个项目完成主体工程建设。\n")
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": report})
    question = "How much had Qingsong County put into its seven rural primary school building projects?"
    answer = answerer.ask(question)
    assert not answer.abstained and "2350" in answer.text
    assert "23.5 million yuan" in answer.text.split("\n")[0]  # the lead states the sum (2350万元)
    clause = best_clause(report.split("\n")[-2], question_info(question, answerer.retriever.search(question)),
                         answerer.weights)
    assert clause == "实施7个中小学建设项目,累计投入资金2350万元,"  # not a count of projects


def test_a_figure_of_a_sentence_telling_of_other_years_is_no_figure_for_the_year_asked(tmp_path, fake_embedder):
    answerer = _answerer_over(tmp_path, fake_embedder, {"report.txt": (
        "教育发展调研报告\n\n2002-2004年全县教育经费支出总额分别为13595万元、13563万元、16620万元。\n")})
    no_figure = _no_figure_of(answerer)
    sentence = "2002-2004年全县教育经费支出总额分别为13595万元、13563万元、16620万元。"
    assert no_figure("How much did the county spend on education in 2008?", sentence)
    assert not no_figure("How much did the county spend on education in 2003?", sentence)
    # a school year (2019/20) names no other year than the one asked
    assert not no_figure("How much did the county spend on education in 2019?", "2019/20年度教育经费支出806亿元。")


def test_the_note_that_a_place_filter_was_set_aside_is_dropped_only_when_every_citation_is_of_the_place():
    from qa.answer.wording import kept_notes
    from qa.search.filters import Filters, filter_note
    from qa.types import Document

    here, there = Document("a", "a.txt", "t", places=("青松县",)), Document("b", "b.txt", "t", places=("河西县",))
    for script in ("en", "zh", "zh-hant"):
        note = filter_note("outside", Filters(places=("青松县",)), script, "青松县")
        other = filter_note("no_match", Filters(places=("青松县",)), script, "青松县")
        assert kept_notes([note, other], [here], ("青松县",)) == (other,)
        assert kept_notes([note, other], [here, there], ("青松县",)) == (note, other)
        assert kept_notes([note], [], ("青松县",)) == (note,)
