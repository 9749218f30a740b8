"""The web chat: ``python app.py`` (same as ``qa serve``). All logic lives in the ``qa`` package."""

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
