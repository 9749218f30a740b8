"""The errors a user can be shown, and the size limits that raise them. A leaf: imports nothing of ``qa``."""

MAX_FILE_BYTES = 64 * 1024 * 1024  # a report file is refused before reading
MAX_TEXT_CHARS = 4_000_000  # refused after extraction: ~50 long reports in one file is not a report
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # the XML inside a .docx (zip bombs)
MAX_QUESTION_CHARS = 1000


class UnreadableFile(Exception):
    """A file that yields no text; ``str(e)`` is the reason."""


class QuestionError(ValueError):
    """A question that cannot be asked as it is; the message says why."""
