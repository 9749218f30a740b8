"""Names an English question writes in pinyin that no gazetteer holds, read against the corpus's own tokens."""

from qa.search.names import NameFinder, latin_names, name_groups, name_tokens, segmentations, syllable_chars


def test_a_pinyin_name_finds_the_tokens_that_read_so_with_or_without_an_administrative_suffix():
    finder = NameFinder(["王家湾", "黄家湾", "柳家沟镇", "柳家沟", "学校", "abc", "王家"])
    assert finder.tokens("wangjiawan") == ("王家湾",)
    assert set(finder.tokens("liujiagou")) == {"柳家沟", "柳家沟镇"}
    assert finder.tokens("zhangjiawan") == ()  # no token reads so


def test_only_capitalized_pinyin_words_inside_the_question_that_are_no_english_words_are_names():
    assert latin_names("Did Wangjiawan Primary get a new library?") == ("wangjiawan",)
    assert latin_names("Wangjiawan school: how many pupils?") == ()  # the first word: a sentence start
    assert latin_names("How many pupils does the School of Music have?") == ()  # English words
    assert latin_names("how many pupils in wangjiawan?") == ()  # not capitalized: not taken for a name


def test_syllables_split_with_a_vowel_each_and_fewest_first():
    assert segmentations("wangjiawan")[0] == ("wang", "jia", "wan")
    assert all(all(any(v in s for v in "aeiouv") for s in parts) for parts in segmentations("zhuang"))
    assert "辛" in syllable_chars()["xin"] and "堡" in syllable_chars()["bu"]  # every reading of a character


class _Keywords:
    def __init__(self, vocab):
        self.vocab = {t: i for i, t in enumerate(vocab)}


def test_name_tokens_reads_the_index_vocabulary_once_per_index():
    kw = _Keywords(["王家湾", "学校", "柳家沟镇"])
    assert name_tokens("How many pupils does Wangjiawan Primary have?", kw) == ("王家湾",)
    assert name_tokens("How many pupils does the school have?", kw) == ()
    assert set(name_tokens("Were schools merged in Liujiagou and Wangjiawan?", kw)) == {"柳家沟镇", "王家湾"}


def test_a_place_the_gazetteer_knows_is_left_to_the_filters():
    from qa.search.filters import cores_by_pinyin

    place = next(k for k in sorted(cores_by_pinyin()) if len(k) >= 6 and k.isalpha())
    assert latin_names(f"How many schools does {place.capitalize()} County have?") == ()


def test_a_store_whose_vocabulary_cannot_be_listed_finds_no_names():
    class Hashed:  # membership only, as a store that keeps term hashes
        vocab = type("Terms", (), {"__contains__": lambda self, t: True, "__len__": lambda self: 1})()

    assert name_tokens("How many pupils does Wangjiawan Primary have?", Hashed()) == ()


def test_a_possessive_is_taken_off_a_name():
    assert latin_names("What did Wangjiawan's school build?") == ("wangjiawan",)


def test_a_capitalized_function_word_is_no_name():
    assert latin_names("How many pupils does Wangjiawan No. 1 Primary School have?") == ("wangjiawan",)
    assert latin_names("Which teachers were named among the Ten Best Teachers?") == ()


def _gazetteer_homophone() -> tuple[str, str, str]:
    """A gazetteer place of two characters read in pinyin, and another two-character word that reads the same and
    is no place the gazetteer lists under that reading: (pinyin, the place, the homophone)."""
    from qa.search.filters import cores_by_pinyin

    chars = syllable_chars()
    for latin, cores in sorted(cores_by_pinyin().items()):
        parts = segmentations(latin)[0] if latin.isalpha() and len(latin) >= 6 else ()
        if len(parts) != 2 or any(len(c) != 2 for c in cores):
            continue
        first = sorted(chars[parts[0]] - {c[0] for c in cores})
        if first:
            return latin, cores[0], first[0] + cores[0][1]
    raise AssertionError("the gazetteer has no two-syllable place to test with")


def test_a_name_the_gazetteer_reads_as_a_place_no_report_names_is_searched_as_the_corpus_writes_it():
    """The gazetteer lists divisions down to county level: its reading of a town's name may be another place, or a
    place the reports do not name. Then every corpus word that reads so is searched; a place the reports are
    about or mention is left to the filters."""
    latin, place, homophone = _gazetteer_homophone()
    question = f"How many teachers work in {latin.capitalize()} town's schools?"
    assert latin_names(question) == () and latin_names(question, gazetteer=True) == (latin,)
    kw = _Keywords([place + "县", homophone + "镇", "学校"])
    assert set(name_tokens(question, kw)) == {place + "县", homophone + "镇"}
    assert name_groups(question, kw, known={latin}) == ()


def test_the_reports_that_write_a_name_of_the_question_are_weighed_as_mentioning_a_place():
    from qa.search.filters import Filters, YearBoost, year_boosts
    from qa.types import Document

    docs = [Document("a", "a.txt", "甲"), Document("b", "b.txt", "乙")]
    boost = YearBoost(mentioned=0.25)
    add = year_boosts(Filters(), docs, [frozenset()] * 3, [0, 1, 1], boost, naming=frozenset({1}))
    assert add.tolist() == [0.0, boost.mentioned, boost.mentioned]
    assert year_boosts(Filters(), docs, [frozenset()] * 3, [0, 1, 1], boost).tolist() == [0.0, 0.0, 0.0]


def test_the_report_that_writes_a_town_the_gazetteer_reads_elsewhere_is_searched_first(tmp_path, fake_embedder):
    """Two reports; the town's passage names it only in Chinese. Its pinyin, which the gazetteer reads as
    another place that no report names, reaches it through the keyword side and the mentioned-place boost."""
    from test_answer_model import answerer_over

    latin, _, homophone = _gazetteer_homophone()
    answerer = answerer_over(tmp_path, fake_embedder, {
        "district.txt": "某区教育局2023年工作总结\n\n全区现有中小学46所，在校学生38210人，专任教师2960人。\n",
        "towns.txt": (f"各镇学校情况汇编\n\n{homophone}镇中心校下辖小学7所，教职工总数214名。\n\n"
                      "另一镇中心校下辖小学5所。\n")})
    res = answerer.retriever.search(f"How many staff work in the {latin.capitalize()} town school system?")
    assert res.names and homophone + "镇" in res.hits[0].chunk.text
