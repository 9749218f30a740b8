"""Answers on the web-copy question sets through ``bench/unseen_eval.py``: the questions of a set over the pages of
its folder with the shipped reports beside them.

- ``webdev`` (default): ``bench/webdev/questions.jsonl`` over ``$QA_WEBDEV_PAGES``, the development set. Unlike the
  kept-aside set of ``bench/unseen``, these questions are for diagnosing answers on web pages: read the misses,
  work on them, measure again (bench/webdev/README.md).
- ``webcheck``: ``bench/webcheck/questions.jsonl`` over ``$QA_WEBCHECK_PAGES``, the held-out set of the same kind:
  measure on it, do not tune on it (bench/webcheck/README.md).

The page texts are third-party and not in the repository; without them the script says so and stops.

    QA_WEBDEV_PAGES=DIR .venv/bin/python bench/webdev_eval.py [--work DIR] [--details FILE] [--no-readme]
    QA_WEBCHECK_PAGES=DIR .venv/bin/python bench/webdev_eval.py --set webcheck [--work DIR] [--no-readme]

Any other option is passed on to ``bench/unseen_eval.py`` (``--code``, ``--label``, ``--skip-absent``...).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from benchlib import ROOT
from unseen_eval import main as unseen_main


@dataclass(frozen=True)
class QuestionSet:
    """A web-copy question set: its folder under bench/, the README section and the pages' variable."""

    name: str
    section: str
    env: str

    @property
    def questions(self):
        return ROOT / "bench" / self.name / "questions.jsonl"


SETS = {
    "webdev": QuestionSet("webdev", "Web-copy development questions", "QA_WEBDEV_PAGES"),
    "webcheck": QuestionSet("webcheck", "Web-copy held-out questions", "QA_WEBCHECK_PAGES"),
}
QUESTIONS = SETS["webdev"].questions
SECTION = SETS["webdev"].section


def split_set(argv: list[str]) -> tuple[QuestionSet, list[str]]:
    """The question set named by ``--set NAME`` (default webdev) and the other arguments.

    >>> s, rest = split_set(["--set", "webcheck", "--no-readme"])
    >>> s.name, rest
    ('webcheck', ['--no-readme'])
    >>> split_set(["--set=webdev"])[0].env
    'QA_WEBDEV_PAGES'
    """
    rest, name, i = [], "webdev", 0
    while i < len(argv):
        a = argv[i]
        if a == "--set" and i + 1 < len(argv):
            name, i = argv[i + 1], i + 2
            continue
        if a.startswith("--set="):
            name = a.split("=", 1)[1]
        else:
            rest.append(a)
        i += 1
    if name not in SETS:
        raise SystemExit(f"--set: one of {', '.join(SETS)}, not {name!r}")
    return SETS[name], rest


def webdev_argv(argv: list[str], env: dict[str, str], qset: QuestionSet = SETS["webdev"]) -> list[str]:
    """The unseen_eval arguments for a question set; options given on the command line win.

    >>> webdev_argv(["--no-readme"], {"QA_WEBDEV_PAGES": "P"})[-4:]
    ['--by-lang', '--no-readme', '--pages', 'P']
    >>> "--pages" in webdev_argv([], {})
    False
    >>> a = webdev_argv([], {"QA_WEBDEV_PAGES": "D", "QA_WEBCHECK_PAGES": "C"}, SETS["webcheck"])
    >>> a[1].endswith("webcheck/questions.jsonl"), a[3], a[-1]
    (True, 'Web-copy held-out questions', 'C')
    """
    given = {a.split("=", 1)[0] for a in argv}
    out = []
    if "--questions" not in given:
        out += ["--questions", str(qset.questions)]
    if "--section" not in given:
        out += ["--section", qset.section]
    out += ["--by-lang", *argv]
    if "--pages" not in given and env.get(qset.env):
        out += ["--pages", env[qset.env]]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    qset, rest = split_set(argv)
    if "--pages" not in {a.split("=", 1)[0] for a in rest} and not os.environ.get(qset.env):
        print(f"skipped: the {qset.name} pages folder is not here (give --pages DIR or set {qset.env}); "
              f"bench/{qset.name}/README.md says how to get the texts")
        return 0
    return unseen_main(webdev_argv(rest, dict(os.environ), qset), shown_argv=argv)


if __name__ == "__main__":
    sys.exit(main())
