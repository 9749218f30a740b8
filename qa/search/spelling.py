"""English spelling: British forms -> the American ones the dictionary (CC-CEDICT) writes; capitalized names."""

from __future__ import annotations

import re

# British spellings -> American ones (general English orthography), tried only for a word the dictionary lacks:
# a form no rule should have made finds no entry and changes nothing
_AMERICAN = tuple((re.compile(p), r) for p, r in (
    (r"(?<=[a-z]{2})our(?=(?:s|ed|ing|ite|ites|able|ably|er|ers|hood|hoods|ful|less)?$)", "or"),  # labour
    (r"(?<=[a-z]{3})is(?=(?:e|ed|es|ing|ation|ations|er|ers)$)", "iz"),  # organisation, subsidised
    (r"(?<=[a-z]{2}[^aeiou])re(?=s?$)", "er"),  # centre, kilometres
    (r"(?<=[a-z]{3})mme(?=s?$)", "m"),  # programme
    (r"(?<=[a-z][aeiou])lment(?=s?$)", "llment"),  # enrolment
    (r"(?<=[a-z][^aeiou][aeiou])l(?=s?$)", "ll"),  # enrol (not school)
    (r"(?<=[a-z]{2}[aeiou])ll(?=(?:ed|ing|er|ers)$)", "l"),  # travelled, counselling
    (r"(?<=[a-z]{2})ence(?=s?$)", "ense"),  # defence
    (r"(?<=[a-z]{2})ogue(?=s?$)", "og"),  # catalogue
    (r"(?<=[a-z]{2})yse(?=(?:s|d)?$)", "yze"),  # analyse
    (r"(?<=[a-z])[ao]e(?=[a-z]{2})", "e"),  # paediatric
))


def american(word: str) -> str:
    """``word`` spelled as American English spells it (the dictionary's spelling).

    >>> [american(w) for w in ("programmes", "organisation", "kilometres", "enrolment", "labour", "school")]
    ['programs', 'organization', 'kilometers', 'enrollment', 'labor', 'school']
    """
    for rx, rep in _AMERICAN:
        word = rx.sub(rep, word)
    return word


_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+")


def capitalized_names(text: str) -> set[str]:
    """The capitalized words of ``text`` past its first word, lowercased: names (places reach the index through
    the gazetteer), not words for the dictionary.

    >>> sorted(capitalized_names("What did Anfu County build?"))
    ['anfu', 'county']
    """
    return {m.group(0).lower() for m in _CAPITALIZED.finditer(text) if text[:m.start()].strip()}
