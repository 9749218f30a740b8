"""How a fitting script records the command it was run with, without the paths of the machine it ran on.

A relative path is kept as written (``bench/webdev/questions.jsonl``); an absolute one, which names a folder
of one machine, becomes a placeholder that says what it was: the option it follows (``<features>``), or, after
a questions file, the index it is asked of (``<index of webdev>``).

>>> recorded_command("fit.py", ["--features", "/tmp/fc", "--set", "bench/webdev/questions.jsonl",
...                             "/data/wd/index", "--check=/data/wc", "--write"])
'python fit.py --features <features> --set bench/webdev/questions.jsonl <index of webdev> --check=<check> --write'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath


def _placeholder(previous: str | None) -> str:
    if previous and previous.endswith(".jsonl") and not previous.startswith("-"):
        return f"<index of {PurePath(previous).parent.name or PurePath(previous).stem}>"
    if previous and previous.startswith("--"):
        return f"<{previous[2:].split('=')[0]}>"
    return "<path>"


def recorded_command(script: str, argv: Sequence[str]) -> str:
    """``python SCRIPT ARGS`` with each absolute path replaced by what it stands for."""
    out, previous = [], None
    for a in argv:
        if "=" in a and a.startswith("--") and PurePath(a.split("=", 1)[1]).is_absolute():
            out.append(f"{a.split('=', 1)[0]}=<{a[2:].split('=')[0]}>")
        else:
            out.append(_placeholder(previous) if PurePath(a).is_absolute() else a)
        previous = a
    return " ".join(["python", script, *out])
