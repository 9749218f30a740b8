"""What a question asks: its language and script, its kind (a figure, a list, a fact), its key terms.

English questions get Chinese key terms from a general dictionary read in reverse (``qa.search.lexicon``,
built from CC-CEDICT), so that sentences in Chinese reports can be matched to them without a translation model.

>>> q = analyze("How many nurses were hired?")
>>> q.lang, q.kind, "护士" in q.flat_terms
('en', 'numeric', True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.errors import MAX_QUESTION_CHARS, QuestionError
from qa.numbers import english_numbers, numbers_in
from qa.search.filters import place_core
from qa.search.lexicon import match, stopwords
from qa.store.keyword import tokenize
from qa.textnorm import mandarin_reading, normalize, script_of

# a figure is asked by "how many/much", or by "what (is the) ..." with a word that names a quantity within the
# next few words ("what was the total investment", "what pupil-teacher ratio", "what was the county's budget"):
# general English nouns of a share, a count or a sum of money
_QUANTITY_EN = (r"(percentage|proportion|share|ratio|number|amount|sum|rate|total|count|figure|"
                r"budget|cost|spending|expenditure|investment|funding|price|income|revenue|salary|population)")
_NUMERIC_EN = re.compile(r"\b(how (many|much|long|often)|what ((is|was|are|were) (the )?)?(?P<between>([\w'-]+ ){0,3}?)"
                         + _QUANTITY_EN + r")\b", re.I)


def _asks_for_figure(text: str) -> bool:
    """ "how many/much/long/often", or "what (is the)" and a quantity word with only content words between
    ("what was the total cost", "what pupil-teacher ratio"; not "what happened to the rate")."""
    stop = stopwords()
    return any(not any(w.lower() in stop for w in (m.group("between") or "").split())
               for m in _NUMERIC_EN.finditer(text))


_LIST_EN = re.compile(r"\bwhat (did|does|do|will|has|have)\b.*\b(do|done|carry out|take|plan|focus)\b|"
                      r"\b(list|name the)\b", re.I)
# the first "what/which" of a question and the two words after it: "which villages", "what flood-control works"
_WHICH_NEXT_EN = re.compile(r"\b(?:what|which)((?:\s+[A-Za-z][A-Za-z-]*){1,2})", re.I)


def _asks_for_several(text: str) -> bool:
    """Whether an English question's first "what/which" is followed by a plural noun, at once or after one
    other word: a lowercase word ending in -s that is no -ss/-us/-is word, reached before any function word
    ("what steps", "what flood-control projects", "which villages"; not "what does", "what status",
    "which Panthers player").

    >>> _asks_for_several("What road repairs were finished?"), _asks_for_several("What does it cost?")
    (True, False)
    """
    m = _WHICH_NEXT_EN.search(text)
    if not m:
        return False
    stop = stopwords()
    for word in m.group(1).split():
        if word[0].isupper() or word.lower() in stop:
            return False
        last = word.lower().split("-")[-1]
        if len(last) >= 4 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
            return True
    return False


# 哪几 asks which ones ("哪几种口味"), not how many
_NUMERIC_ZH = re.compile(r"多少|(?<!哪)几[个所名次人项天年位]?|(?<!哪)幾|多大|比例|比率|百分之|多高|多长|多久")
_LIST_ZH = re.compile(r"哪些|什么措施|什么活动|哪几|有何|做了什么|措施|具体指|分别")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    norm: str
    lang: str  # "en", "zh", "zh-hant"
    kind: str  # "numeric", "list" or "fact"
    terms: tuple[tuple[str, ...], ...]  # key concepts: each a group of Chinese (Simplified) alternatives
    focus: tuple[tuple[str, ...], ...] = ()  # the concepts of the clause that holds the question word
    numbers: tuple[str, ...] = ()  # figures the question itself states (never the answer)
    measure: tuple[tuple[str, ...], ...] = ()  # for a figure question: the concepts of what is counted

    @property
    def flat_terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for group in self.terms for t in group))


def english_terms(text: str, keep: Callable[[str], bool] | None = None,
                  compounds: Callable[[str], Sequence[str]] | None = None) -> list[tuple[str, ...]]:
    """Chinese alternatives for the English words and phrases of ``text`` that the lexicon knows (longest first).

    Each group lists a word's dictionary headwords best first; ``keep`` (e.g. "the index holds it") filters them;
    ``compounds``: see ``qa.search.lexicon.match``.
    """
    return list(dict.fromkeys(tuple(e.zh for e in m.entries) for m in match(text, keep=keep, compounds=compounds)))


_QUESTION_TOKEN = re.compile(r"^(几|幾|哪|多少|多大|多长|什么|怎么|怎样|如何|是否)")
# "each county", "every school": a distributive word asks across reports, it is nothing a sentence names
# (a report says 青松县…, not 各县…); with it as a concept no sentence covered the question
_DISTRIBUTIVE_TOKEN = re.compile(r"^(各|每个?)[\u4e00-\u9fff]{1,2}$")


def chinese_terms(tokens: list[str]) -> list[tuple[str, ...]]:
    """Group jieba search-mode tokens: the short words inside a longer one go with it (昭平, 平县 -> 昭平县).

    Question words ("几次", "哪三大") and distributive words ("各县", "每所") are not concepts to look for.

    >>> chinese_terms(["各县", "新建", "学校"])
    [('新建',), ('学校',)]
    """
    tokens = [t for t in tokens if not _QUESTION_TOKEN.match(t) and not _DISTRIBUTIVE_TOKEN.match(t)]
    longest = sorted(set(tokens), key=len, reverse=True)
    groups: list[list[str]] = []
    for tok in longest:
        for g in groups:
            if tok in g[0]:
                g.append(tok)
                break
        else:
            groups.append([tok])
    order = {t: i for i, t in enumerate(tokens)}
    groups.sort(key=lambda g: min(order[t] for t in g))
    return [tuple(g) for g in groups]


# jieba's part-of-speech tags (the ICTCLAS set) of words that name nothing a sentence must hold: adverbs (已经),
# prepositions (由), pronouns (那个), conjunctions, particles, modal words, interjections, onomatopoeia
_FUNCTION_TAGS = ("d", "p", "r", "c", "u", "y", "e", "o")


def made_up(group: tuple[str, ...], unseen: frozenset[str]) -> bool:
    """A concept that jieba's unknown-word model made from a question's characters (no dictionary word) and that
    no paragraph holds: "县有" from 这个县有几所医院. No sentence can hold it, so as a concept
    it only lowered every sentence's coverage, by the largest weight (a term no paragraph holds is the rarest)
    and declined answers. A dictionary word that no paragraph holds stays: that the reports never use it is
    evidence. Figures and Latin words stay too.

    >>> made_up(("县有",), frozenset({"县有"})), made_up(("藏书",), frozenset({"藏书"}))
    (True, False)
    >>> made_up(("县有",), frozenset())  # a paragraph holds it
    False
    """
    if not group or group[0].isascii() or not all(t in unseen for t in group):
        return False
    from qa.store.keyword import _jieba

    return not _jieba().dt.FREQ.get(group[0])


def is_function_word(word: str) -> bool:
    """Whether jieba's dictionary tags ``word`` as a function word (``_FUNCTION_TAGS``): a dictionary headword
    of an English word such as "according" (按照) names nothing a paragraph is about, as the function words of
    a Chinese question do not.

    >>> is_function_word("按照"), is_function_word("学校")
    (True, False)
    """
    return (_tags().get(word) or "x")[:1] in _FUNCTION_TAGS


@lru_cache(maxsize=1)
def _tags() -> dict[str, str]:
    import jieba.posseg as pseg

    from qa.store.keyword import _jieba

    _jieba()
    return pseg.dt.word_tag_tab


def function_words(norm: str) -> frozenset[str]:
    """The words of a Chinese question that jieba tags as function words (``_FUNCTION_TAGS``).

    >>> sorted(function_words("那个市的学校已经建好了几所?"))
    ['了', '已经', '的', '那个']
    """
    import jieba.posseg as pseg

    return frozenset(w for w, tag in pseg.lcut(norm) if tag[:1] in _FUNCTION_TAGS and not w.isdigit())


def kind_of(text: str, lang: str) -> str:
    if lang == "en":
        if _asks_for_figure(text):
            return "numeric"
        return "list" if _LIST_EN.search(text) or _asks_for_several(text) else "fact"
    norm = normalize(text)
    if _NUMERIC_ZH.search(norm):
        return "numeric"
    return "list" if _LIST_ZH.search(norm) else "fact"


_QWORD_ZH = re.compile(r"多少|几|幾|哪|什么|何|怎样|怎么|如何|是否|吗")
_QWORD_EN = re.compile(r"\b(how|what|which|who|whom|where|when|did|does|is|are|was|were)\b", re.I)
_EN_BREAK = re.compile(r",|;|\?|\b(whose|that|according to|in the|of the|with the|for the|during|since|after|before)\b",
                       re.I)
_CLAUSE_SPLIT = re.compile(r"[,，;；?？!！。:：]")


def focus_text(question: str, lang: str) -> str:
    """The part of the question that says what is asked, without the descriptive context around it."""
    if lang == "en":
        m = _QWORD_EN.search(question)
        start = m.start() if m else 0
        rest = question[start:]
        cut = _EN_BREAK.search(rest, 4)
        return rest[: cut.start()] if cut else rest
    norm = normalize(question)
    for clause in _CLAUSE_SPLIT.split(norm):
        if _QWORD_ZH.search(clause):
            return clause
    return norm


_HOW_MANY_EN = re.compile(r"\bhow (many|much)\b|\bwhat (percentage|proportion|share|ratio|number|amount|sum|rate)\b",
                          re.I)
_HOW_MANY_ZH = re.compile(r"多少|几|幾|多大|比例")


_EN_PHRASE_END = re.compile(r"\b(?:were|was|are|is|am|be|been|did|do|does|have|has|had|will|would|could|can|"
                            r"should|got|get|in|during|by|at|on|from|for|with|between|since|after|before)\b|[,;(]",
                            re.I)


def measure_text(question: str, lang: str) -> str:
    """For a figure question, the words after "how many" / "多少": what is being counted."""
    if lang == "en":
        m = _HOW_MANY_EN.search(question)
    else:
        question = normalize(question)
        m = _HOW_MANY_ZH.search(question)
        if m:  # what is counted stands in the same clause, right after the question word
            clause = re.split(r"[,，;；?？!！。]", question[m.end():], maxsplit=1)[0]
            return counted_phrase(clause) or clause
    return question[m.end():] if m else ""


_NOUN_TAGS = ("n", "vn", "j", "l")  # jieba's tags of nouns, verbal nouns, abbreviations, set phrases


def counted_phrase(clause: str) -> str:
    """The noun phrase that opens ``clause`` (what follows 多少/几 in a question), past its measure word:
    ``"名特岗教师被录用"`` -> ``"特岗教师"``, ``"钱用于购买图书"`` -> ``"钱"``; "" when it opens with no noun.

    >>> counted_phrase("名特岗教师被录用"), counted_phrase("钱汰换校车"), counted_phrase("项改革"), counted_phrase("所")
    ('特岗教师', '钱', '改革', '')
    """
    import jieba.posseg as pseg

    words = pseg.lcut(clause)
    i = 0
    while i < len(words) and words[i].flag[:1] in ("m", "q"):
        i += 1
    # a one-character word before a noun is a measure word jieba tags otherwise (项改革)
    if i + 1 < len(words) and len(words[i].word) == 1 and words[i + 1].flag.startswith(_NOUN_TAGS):
        i += 1
    out = []
    while i < len(words) and words[i].flag.startswith(_NOUN_TAGS):
        out.append(words[i].word)
        i += 1
    return "".join(out)


def analyze(question: str, keep: Callable[[str], bool] | None = None,
            unseen: frozenset[str] = frozenset(), names: tuple[tuple[str, ...], ...] = (),
            compounds: Callable[[str], Sequence[str]] | None = None) -> QuestionInfo:
    """What ``question`` asks; ``keep`` filters the Chinese headwords of an English question's words (e.g. to
    the ones retrieval searched: ``SearchResult.keywords``); ``unseen``: the question's tokens no paragraph
    holds (``SearchResult.unseen``), of which the made-up ones are no concepts (``made_up``); ``names``: an
    English question's pinyin names as index tokens (``SearchResult.names``), concepts of the question;
    ``compounds``: the searched words holding a character (``qa.search.lexicon.match``)."""

    question = mandarin_reading(question)  # Cantonese question and function words read as Mandarin
    lang = script_of(question)
    norm = normalize(question)
    tokens = tokenize(norm, normalized=True)
    focus_src = focus_text(question, lang)
    if lang == "en":
        terms = (english_terms(question, keep, compounds) + chinese_terms([t for t in tokens if not t.isascii()])
                 + list(names))
        # a name narrows what is asked ("how much aid went to X town"); the lexicon never reads it among the words
        focus = english_terms(focus_src, keep, compounds) + list(names)
    else:
        function = function_words(norm)
        terms = [g for g in chinese_terms([t for t in tokens if t not in function]) if not made_up(g, unseen)]
        ftoks = set(tokenize(focus_src, normalized=True))
        focus = [g for g in terms if any(t in ftoks for t in g)]
    terms = list(dict.fromkeys(terms))
    focus = [g for g in dict.fromkeys(focus) if g in terms]
    mtext = measure_text(question, lang)
    if lang == "en":
        # "how many schools were built": what is counted is the phrase before the verb or preposition
        measure = (english_terms(_EN_PHRASE_END.split(mtext, maxsplit=1)[0], keep, compounds)
                   or english_terms(mtext, keep, compounds))
    else:
        mtoks = set(tokenize(mtext, normalized=True))
        measure = [g for g in terms if any(t in mtoks for t in g)]
    return QuestionInfo(question, norm, lang, kind_of(question, lang), tuple(terms), tuple(focus),
                        tuple(numbers_in(question) + (english_numbers(question) if lang == "en" else [])),
                        tuple(g for g in dict.fromkeys(measure) if g in terms))


def check_question(question: str | None) -> str:
    """The question, stripped; a clear error for an empty, huge or malformed one.

    >>> check_question("  全县有几所中学? ")
    '全县有几所中学?'
    """
    if question is None or not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not q:
        raise QuestionError("the question is empty: type a question about the reports")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is too long ({len(q)} characters; at most {MAX_QUESTION_CHARS}): "
                            "ask about one thing at a time")
    if not any(ch.isalnum() for ch in q):
        raise QuestionError("the question has no words in it")
    return q


# "how much" and then its verb (not a noun: "how much land"): a sum of money, unless the question asks by how much
# something changed ("how much did enrolment grow": a share or a count). General English usage.
_HOW_MUCH_VERB_RE = re.compile(r"\bhow much\s+(?:did|does|do|had|has|have|was|were|is|are|will|would|could|can|"
                               r"went|goes|go|came|comes|cost|costs)\b", re.I)
_CHANGED_RE = re.compile(r"\b(?:grow|grew|grown|rise|rose|risen|increased?|fall|fell|fallen|drop(?:ped)?|declined?|"
                         r"decreased?|changed?|more|less|higher|lower|larger|smaller|bigger|faster)\b", re.I)


def asks_sum(question: str) -> bool:
    """An English "how much" put straight to a verb asks for a sum of money, unless it asks by how much something
    changed.

    >>> asks_sum("How much had the county put into its projects?"), asks_sum("How much did enrolment grow?")
    (True, False)
    >>> asks_sum("How much land was sown?"), asks_sum("How many were paid?")
    (False, False)
    """
    return bool(_HOW_MUCH_VERB_RE.search(question)) and not asks_change(question)


def asks_change(question: str) -> bool:
    """An English question asks by how much something changed ("grow", "more", "higher")."""
    return bool(_CHANGED_RE.search(question))


def place_terms(question: str, terms: Iterable[tuple[str, ...]], places: Iterable[str]) -> frozenset[str]:
    """The words of ``question`` (its ``terms``: ``QuestionInfo.terms``) that no sentence needs to repeat, nor names
    what a figure counts: the places it names (``places``: the search's place filter, whose reports scoping keeps),
    in each form, and every term the question writes only within them (a name the tokenizer does not know is cut
    into pieces, the last one glued to the next word).

    >>> sorted(place_terms("青松岭区有多少专任教师?", [("青松",), ("岭区",), ("专任教师", "教师")], ("青松岭区",)))
    ['岭区', '青松', '青松岭', '青松岭区']
    """
    forms = {p for place in places for p in (place, normalize(place), place_core(place))}
    text, terms = normalize(question), list(terms)
    spans = [(m.start(), m.end()) for f in forms if len(f) >= 2 for m in re.finditer(re.escape(f), text)]
    pieces = set()
    for t in {t for g in terms for t in g if len(t) >= 2 and t not in forms}:
        at = [m.start() for m in re.finditer(re.escape(t), text)]
        if at and all(any(a < o + len(t) and o < b for a, b in spans) for o in at):
            pieces.add(t)
    return frozenset(forms | pieces)
