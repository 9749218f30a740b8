"""A report's own place read from its issuer in the title, for places jieba's gazetteer does not know."""

from qa.answer.compose import Answerer
from qa.ingest.meta import issuer_places, read_places
from qa.search.retrieve import Retriever
from qa.store.index import Index
from qa.store.update import update_index
from qa.textnorm import normalize


def test_the_issuer_at_the_head_of_the_title_is_the_place():
    assert issuer_places("柳溪县教育局2019年工作总结") == ("柳溪县",)
    assert issuer_places("2020年云岭市人民政府工作报告") == ("云岭市",)
    assert read_places("柳溪县教育局2019年工作总结", "我县共有学校20所。").about == ("柳溪县",)


def test_masked_generic_or_inner_names_are_not_places():
    assert issuer_places("XX县教育局2019年工作总结") == ()
    assert issuer_places("全县教育局系统工作总结") == ()
    assert issuer_places("教育局工作总结") == ()
    assert issuer_places("关于加强学校安全的通知") == ()


def test_a_question_naming_an_unknown_place_is_filtered_to_its_report(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("柳溪县教育局2019年工作总结\n\n2019年全县新招聘教师41名。\n", encoding="utf-8")
    (corpus / "b.txt").write_text("枫林市教育局2019年工作总结\n\n2019年全市新招聘教师63名。\n", encoding="utf-8")
    update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    answerer = Answerer(Retriever(Index.load(tmp_path / "index"), fake_embedder))
    a = answerer.ask("柳溪县2019年招聘了多少名教师?")
    assert not a.abstained and "41" in a.text and "63" not in a.text
    assert all(c.chunk.source == "a.txt" for c in a.citations)
    assert any("柳溪县" in n for n in a.notes)


def test_new_reading_rules_reach_unchanged_files_without_embedding_again(tmp_path, fake_embedder, monkeypatch):
    import qa.store.update as update

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("柳溪县教育局2019年工作总结\n\n2019年全县新招聘教师41名。\n", encoding="utf-8")
    first = update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    assert first.added == ("a.txt",)
    same = update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    assert not same.recleaned and same.unchanged == 1
    monkeypatch.setattr(update, "reading_rules", lambda: "an-upgrade")
    again = update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    assert again.recleaned == ("a.txt",) and again.embedded == 0  # read again; its vectors reused by content
    assert "read again" in again.summary()
    assert Index.load(tmp_path / "index").documents  # the index still answers


def test_a_mentioned_place_that_is_also_a_word_counts_only_as_a_place():
    from qa.search.filters import detect
    from qa.types import Document

    docs = [Document("a", "a.txt", "石泉县教育局工作总结", places=("石泉县",), mentions=("新建县", "汉中市"))]
    # 新建 is the verb here: no mention, so the question's unknown city is not masked by it
    assert detect("柳溪市去年新建了几所学校?", docs).mentioned == ()
    assert detect("新建县去年有几所学校?", docs).mentioned == ("新建县",)
    assert detect("汉中市有几所学校?", docs).mentioned == ("汉中市",)


def test_a_question_on_an_unknown_place_is_declined_even_when_a_verb_is_a_mentioned_place(tmp_path, fake_embedder):
    from qa.store.update import update_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "r.txt").write_text("石泉县教育局2019年工作总结\n\n一、办学条件\n石泉县2019年新建学校3所，"
                                  "与新建县、汉中市的学校结对帮扶。\n", encoding="utf-8")
    update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    answerer = Answerer(Retriever(Index.load(tmp_path / "index"), fake_embedder))
    answer = answerer.ask("兰州市2019年新建了几所学校?")  # a city of the gazetteer that no report names
    assert answer.abstained and "兰州" in answer.text


def test_a_governing_body_in_the_opening_or_the_voice_gives_the_place():
    from qa.ingest.meta import governing_places

    # a district whose name ends like a generic word (…城区), fused with 委
    assert read_places("中学学校工作总结", "一年来,我校在德城区委、区政府的正确领导下,规范办学。").about == ("德城区",)
    # a county of one character: only where an issuer follows, never after a conjunction
    body = "全县教育工作会议召开。全县各校长参加。宣读了《新县人民政府关于表彰的决定》。"
    assert read_places("庆祝教师节暨教育工作会议", body).about == ("新县",)
    assert governing_places("学习六中全会和县委全委会精神") == {}
    # a chain of divisions down to a school at the head of the title (a place jieba does not tag as one)
    assert read_places("花莲县富里乡学田国小期末校务会议记录", "一、各处室报告").about == ("花莲县",)


def test_a_place_above_the_reports_own_or_a_contradicted_title_is_not_the_place():
    body = ("打造寿光优质教育品牌。寿光市教育现代化。我市一本上线2445人,在潍坊市各县市区再夺第一名。"
            "全市中小学。我市被评为示范区。列潍坊市各县市区第一名。")
    assert read_places("教育局工作总结", body).about == ("寿光市",)
    # a page title naming a place the text never names, over a text about another place of that level: none
    body = "区教育局在区委、区政府的领导下,推进金湾教育。新建的金湾区第二小学已立项。为促进我区发展。"
    assert read_places("溧水区政府工作报告", body).about == ()


def test_a_sites_publisher_line_gives_the_place_when_the_text_names_none(tmp_path):
    from qa.ingest.corpus import read_corpus

    body = "全县教育发展稳中有进，新建学校5所，招聘教师120名，全年培训教师3000人次，各项工作顺利完成。"
    (tmp_path / "a.txt").write_text("2019年度教育工作总结\n\n青林县人民政府门户网站 发布时间:2020-01-11 11:22\n\n"
                                    + body + "\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("2019年度教育工作总结\n\n" + body + "\n", encoding="utf-8")
    docs = {d.source: d for r in read_corpus(tmp_path)[0] for d in r.documents}
    assert docs["a.txt"].places == ("青林县",) and docs["b.txt"].places == ()


def test_a_file_named_after_a_place_gives_the_place_when_the_text_names_none(tmp_path):
    from qa.ingest.corpus import read_corpus

    body = "全县教育发展稳中有进，新建学校5所，招聘教师120名，全年培训教师3000人次，各项工作顺利完成。"
    (tmp_path / "灵璧县").mkdir()
    (tmp_path / "灵璧县" / "summary.txt").write_text("2019年度教育工作总结\n\n" + body + "\n", encoding="utf-8")
    (tmp_path / "anfu_2019.txt").write_text("2019年度教育工作总结\n\n" + body + "\n", encoding="utf-8")
    (tmp_path / "site_2019.txt").write_text("2019年度教育工作总结\n\n" + body + "\n", encoding="utf-8")
    # an English word read as pinyin or Wade-Giles names no place (gui de: 贵德县; Wade-Giles po le: 博乐市)
    (tmp_path / "guide_pole.txt").write_text("2019年度教育工作总结\n\n" + body + "\n", encoding="utf-8")
    # a file name never overrides the place the text names as its own
    (tmp_path / "lingbi_2.txt").write_text("青林县教育局2019年度工作总结\n\n" + body + "\n", encoding="utf-8")
    docs = {d.source: d for r in read_corpus(tmp_path)[0] for d in r.documents}
    assert docs["灵璧县/summary.txt"].places == ("灵璧县",)
    assert docs["anfu_2019.txt"].places == ("安福县",) and "安福县" in docs["anfu_2019.txt"].mentions
    assert docs["site_2019.txt"].places == () and docs["guide_pole.txt"].places == ()
    assert docs["lingbi_2.txt"].places == ("青林县",)


def test_a_local_outlets_dateline_names_the_place_before_a_county_named_in_passing():
    # invented: the county's news site datelines the item; the only county named, past the opening, is one its
    # bureau visited
    opening = "".join(f"今年,我县实施第{n}项教育民生工程,拨付公用经费{n}千万元,受惠学生{n}万人,各项工作扎实推进。"
                      for n in range(1, 7))
    body = "灵璧新闻网讯 " + opening + "\n县教体局到安福县教育局等兄弟单位考察学习。我县受惠学生8万人。全县学校120所。"
    assert read_places("", normalize(body)).about == ("灵璧县",)
    # without the dateline the county named most at the report's level stands, as before
    assert read_places("", normalize(body.replace("灵璧新闻网讯 ", ""))).about == ("安福县",)
    # a national outlet, or a name several divisions share, names no place
    assert read_places("", normalize(body.replace("灵璧新闻网讯", "中国教育新闻网讯"))).about == ("安福县",)


def test_a_taiwan_county_or_city_issuing_at_the_head_of_the_opening_is_the_place():
    # Taiwan's counties and cities are divisions too (the code table lists only 台湾省); a school with its chain of
    # divisions heading a line of the opening issues the report, written in either script
    body = normalize("• 臺中市東區臺中國民小學\n102 學年度第一學期校務會議\n一、行政 推展民主化之校務運作。")
    assert read_places(normalize("校務實施計畫"), body).about == ("台中市",)
    body = normalize("106年教育優先區成果 南投縣中寮鄉永康國民小學106年度推動教育優先區執行成果 全縣說明會。")
    assert read_places("", body).about == ("南投县",)
    # inside a sentence, or a name no gazetteer holds, it is not the issuer
    assert read_places("", "现将县教育局工作总结如下。全县学校20所。").about == ()
    assert read_places("", "我们参观了台中市东区台中国民小学,收获很大。").about == ()
    assert read_places("", "全县教育稳步发展。台中市东区台中国民小学来访交流。").about == ()


def test_a_local_outlet_credited_in_a_dropped_header_line_gives_the_place_when_the_text_names_none(tmp_path):
    from qa.ingest.corpus import read_corpus

    # invented: a news item that says only 我区, under its site's credit line to the district's own paper
    body = "今年暑期,我区投入800余万元维修改造全区20所中小学,各校校容校貌焕然一新,所有工程已进入扫尾阶段。"
    credits = {"a": "来源:萧山日报", "b": "来源:凤凰网", "c": "来源:中国教育新闻网", "d": "来源：新华日报"}
    for name, credit in credits.items():
        (tmp_path / f"{name}.txt").write_text(f"暑期校舍维修\n\n2019-08-23 10:51 {credit} 作者:记者 王明\n\n{body}\n",
                                               encoding="utf-8")
    docs = {d.source: d for r in read_corpus(tmp_path)[0] for d in r.documents}
    # 萧山 was a county, then a city, now a district: the code table keeps all three, one place
    assert docs["a.txt"].places == ("萧山区",)
    # a portal (凤凰网 is no outlet of 凤凰县), a national outlet, or a name several provinces' districts share
    # (新华日报 is a provincial paper; 新华区 are districts of Hebei, Henan, Guangdong, Hainan) names no place
    assert docs["b.txt"].places == () and docs["c.txt"].places == () and docs["d.txt"].places == ()


def test_a_county_government_named_in_a_dropped_header_line_is_the_publisher():
    from qa.ingest.split import publisher_places

    assert publisher_places(["date 2025-12-15 县长重视教育(图片来源/新竹县政府)"]) == ("新竹县",)
    assert publisher_places(["首页", "分享到:"]) == ()


def test_hong_kong_or_macau_speaking_for_itself_is_the_place_but_a_mention_is_not():
    macau = normalize("教青局教育廳廳長回顧2020年施政。教青局將持續提升教學質量,推進澳門教育的持續發展。")
    assert read_places("", macau).about == ("澳门",)
    hong_kong = normalize("全港中小學將於九月復課。本港學生須完成疫苗接種,香港教育局表示歡迎。")
    assert read_places("", hong_kong).about == ("香港",)
    # named in full by a text from elsewhere, once in its voice, or both regions speaking: none
    assert read_places("", "两地学生交流活动在香港举行,本港学校代表出席。").about == ()
    assert read_places("", "本港学生与本澳学生交流。香港、澳门两地学校。全港全澳").about == ()
    assert read_places("", "国家支持香港、澳门融入国家发展大局,香港特别行政区和澳门特别行政区。").about == ()


def test_a_government_above_the_level_the_report_speaks_for_is_not_its_place():
    # a city's report that names its province's or a region's government in its opening: a superior, none
    assert read_places("", "我市认真贯彻湖南省人民政府的部署,全市教育工作取得新进展。我市新建学校5所。").about == ()
    assert read_places("教育局工作总结", "我市与香港特别行政区教育局签订合作协议。全市学校……").about == ()
    assert read_places("", "在宜昌市教育局的指导下,我县教育稳步发展。全县学校……").about == ()
    # the province's or the region's own report still reads as its own
    assert read_places("", "湖南省人民政府关于教育工作的报告。全省教育……我省").about == ("湖南",)
    # a municipality that is also a province speaks as a city
    assert read_places("", "北京市人民政府关于教育工作的报告。我市教育稳步发展。").about[0].startswith("北京")


def test_a_county_level_city_whose_name_ends_like_an_ordinary_word_is_a_place():
    """聊城市 ends like 城市 ("city") and 嘉兴市 like 兴市 (as in 科教兴市); they are official divisions, read as
    places in a title, an opening and a question in pinyin. A generic phrase (文明城市) and an ambiguous 区
    (新城区, also "the new town area") stay no places."""
    assert read_places("聊城市教育局2019年工作总结", "全市共有学校200所。").about == ("聊城市",)
    assert "嘉兴市" in read_places("2019年工作总结", "嘉兴市教育局召开会议。全市学校……").about + \
        read_places("2019年工作总结", "嘉兴市教育局召开会议。全市学校……").mentions
    assert read_places("2019年工作总结", "我县创建全国文明城市。新城区建设加快。").about == ()
    assert read_places("2019年工作总结", "我县创建全国文明城市。新城区建设加快。").mentions == ()


def test_a_question_naming_such_a_city_in_pinyin_is_read_as_naming_it(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("镇教育办工作总结\n\n今年，聊城市教育工作会议召开，全镇新招聘教师41名。\n",
                                  encoding="utf-8")
    (corpus / "b.txt").write_text("枫林县教育局工作总结\n\n全县新招聘教师63名。\n", encoding="utf-8")
    update_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    retriever = Retriever(Index.load(tmp_path / "index"), fake_embedder)
    res = retriever.search("How many teachers were hired near Liaocheng?", k=2)
    assert "聊城市" in res.filters.places + res.filters.mentioned
    assert any("聊城" in n for n in res.notes)  # the reports naming it are ranked first, and the answer says so


def test_an_autonomous_county_is_a_place_by_its_short_name_too():
    from qa.ingest.gazetteer import autonomous_short, suffixed_places

    # the code table lists only the full names; reports and questions mostly write the short ones
    assert autonomous_short("秀山土家族苗族自治县") == "秀山县"
    assert autonomous_short("恩施土家族苗族自治州") == "恩施州"
    assert autonomous_short("东乡族自治县") == "东乡县"  # named after its people
    assert autonomous_short("西宁市") is None
    assert suffixed_places("秀山县2018年新增就业多少人?", divisions=True) == ["秀山县"]
    assert suffixed_places("秀山土家族苗族自治县教育局", divisions=True) == ["秀山土家族苗族自治县"]
