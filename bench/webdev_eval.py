"""Answers on the web-copy development set: ``bench/webdev/questions.jsonl`` over the pages of
``$QA_WEBDEV_PAGES`` (or ``--pages``) with the shipped reports beside them, through ``bench/unseen_eval.py``.

Unlike the kept-aside set of ``bench/unseen``, these questions are for diagnosing answers on web pages: read the
misses, work on them, measure again (bench/webdev/README.md). The page texts are third-party and not in the
repository; without them the script says so and stops.

    QA_WEBDEV_PAGES=DIR .venv/bin/python bench/webdev_eval.py [--work DIR] [--details FILE] [--no-readme]

Any other option is passed on to ``bench/unseen_eval.py`` (``--code``, ``--label``, ``--skip-absent``...).
"""

from __future__ import annotations

import os
import sys

from benchlib import ROOT
from unseen_eval import main as unseen_main

QUESTIONS = ROOT / "bench" / "webdev" / "questions.jsonl"
SECTION = "Web-copy development questions"


def webdev_argv(argv: list[str], env: dict[str, str]) -> list[str]:
    """The unseen_eval arguments for the development set; options given on the command line win.

    >>> webdev_argv(["--no-readme"], {"QA_WEBDEV_PAGES": "P"})[-4:]
    ['--by-lang', '--no-readme', '--pages', 'P']
    >>> "--pages" in webdev_argv([], {})
    False
    """
    given = {a.split("=", 1)[0] for a in argv}
    out = []
    if "--questions" not in given:
        out += ["--questions", str(QUESTIONS)]
    if "--section" not in given:
        out += ["--section", SECTION]
    out += ["--by-lang", *argv]
    if "--pages" not in given and env.get("QA_WEBDEV_PAGES"):
        out += ["--pages", env["QA_WEBDEV_PAGES"]]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--pages" not in {a.split("=", 1)[0] for a in argv} and not os.environ.get("QA_WEBDEV_PAGES"):
        print("skipped: the web-copy pages folder is not here (give --pages DIR or set QA_WEBDEV_PAGES); "
              "bench/webdev/README.md says how to get the texts")
        return 0
    return unseen_main(webdev_argv(argv, dict(os.environ)), shown_argv=argv)


if __name__ == "__main__":
    sys.exit(main())
