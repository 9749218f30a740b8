"""Reading a report file into text: plain text in any of the usual Chinese encodings, HTML, Word, PDF.

>>> from pathlib import Path
>>> extract_text(Path("corpus/zhaoping_2012.txt"))[:18]  # doctest: +SKIP
'昭平县教育局2012年上半年工作总结'

A file that cannot be read raises ``UnreadableFile`` whose message says why ("empty file",
"binary data (not text)", "truncated multi-byte text at byte 1021 (utf-8)", ...).
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from pathlib import Path

from qa.errors import MAX_FILE_BYTES, MAX_TEXT_CHARS, UnreadableFile

SUPPORTED = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
SAMPLE_BYTES = 64 * 1024  # what encoding detection reads
MIN_PLAUSIBILITY = 0.7  # share of common characters a decoding needs (real text scores above 0.9)

_TEXT_SUFFIXES = (".txt", ".md")
_HTML_SUFFIXES = (".html", ".htm")
_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CANDIDATES = ("utf-8", "gb18030", "cp950", "utf-16-le", "utf-16-be")
_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"%PDF", b"\x7fELF", b"MZ", b"\x1f\x8b",
          b"Rar!", b"7z\xbc\xaf", b"\xd0\xcf\x11\xe0", b"ID3", b"OggS", b"RIFF")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b") + b"\x7f"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_NEWLINES_RE = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "big5": "cp950", "big5-hkscs": "big5hkscs", "x-big5": "cp950"}


def extract_text(path: Path) -> str:
    """The text of a report file, newlines normalized to ``\\n``.

    >>> extract_text(Path("report.docx"))  # doctest: +SKIP
    '昭平县教育局2012年上半年工作总结\\n2012年上半年，我局...'
    """
    path = Path(path)
    check_supported(path)
    return extract_from_bytes(read_bytes(path), path.suffix)


def check_supported(path: Path) -> None:
    """Raise ``UnreadableFile`` unless the file's suffix is one of ``SUPPORTED``."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UnreadableFile(f"unsupported type {suffix or '(no extension)'}")


def read_bytes(path: Path) -> bytes:
    """The raw bytes of ``path``, refusing empty and oversized files before reading them."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise UnreadableFile("empty file")
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(f"file too large: {size:,} bytes (limit {MAX_FILE_BYTES:,})")
        return path.read_bytes()
    except OSError as e:
        raise UnreadableFile(f"cannot read file ({e.strerror or e})") from e


def extract_from_bytes(raw: bytes, suffix: str) -> str:
    """``extract_text`` for bytes already read; ``suffix`` chooses the format (``".txt"``, ...)."""
    suffix = suffix.lower()
    if not raw:
        raise UnreadableFile("empty file")
    from qa.ingest import formats  # imported on use: bs4, python-docx and pypdf load slowly

    if suffix in _TEXT_SUFFIXES:
        text = formats.text_with_markup(decode_text(raw))  # a page's source pasted into a text file
    elif suffix in _HTML_SUFFIXES:
        text = formats.html_to_text(_decode_html(raw))
    elif suffix == ".docx":
        text = formats.docx_text(raw)
    elif suffix == ".pdf":
        text = formats.pdf_text(raw)
    else:
        raise UnreadableFile(f"unsupported type {suffix or '(no extension)'}")
    text = _NEWLINES_RE.sub("\n", text)
    if len(text) > MAX_TEXT_CHARS:
        raise UnreadableFile(f"text too long: {len(text):,} characters (limit {MAX_TEXT_CHARS:,})")
    if not text.strip():
        raise UnreadableFile("no text" if suffix != ".pdf" else "no text layer (scanned images?)")
    return text


def decode_text(raw: bytes) -> str:
    """Decode the bytes of a text file: strict UTF-8 first, then a byte-order mark, then detection.

    Detection weighs UTF-8 with a few bad bytes, GB18030, Big5 (cp950), UTF-16 without BOM and
    charset-normalizer's guess by how much of a sample decodes to common characters.

    >>> decode_text("教育局年度工作總結".encode("big5"))
    '教育局年度工作總結'
    """
    if not raw:
        raise UnreadableFile("empty file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.end == len(raw) and not raw[: e.start].isascii():
            raise UnreadableFile(f"truncated multi-byte text at byte {e.start} (utf-8)") from e
    else:
        if "\x00" not in text:
            return _checked(text.removeprefix("\ufeff"))
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _checked(_strict(raw[len(bom):], encoding))
    if raw.startswith(_MAGIC) or (b"\x00" not in raw and _control_share(raw) > 0.01):
        raise UnreadableFile("binary data (not text)")
    ranked = _rank_encodings(raw)
    best_encoding, best_score = ranked[0]
    controls = _control_share(raw) > 0.01  # NULs count: only UTF-16 text may have many
    if controls and (not best_encoding.startswith("utf-16") or best_score < MIN_PLAUSIBILITY):
        raise UnreadableFile("binary data (not text)")
    if best_score < MIN_PLAUSIBILITY:
        tried = ", ".join(["utf-8", *(enc for enc, _ in ranked)])
        raise UnreadableFile(f"undecodable text (tried {tried})")
    return _checked(_strict(raw, best_encoding))


def _strict(raw: bytes, encoding: str) -> str:
    """Decode strictly, except that a few bad bytes inside a long, clearly identified text become U+FFFD."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        if e.end >= len(raw) - 1 and e.reason in ("unexpected end of data", "incomplete multibyte sequence",
                                                  "truncated data"):
            raise UnreadableFile(f"truncated multi-byte text at byte {e.start} ({encoding})") from e
        text = raw.decode(encoding, errors="replace")
        if text.count("\ufffd") > 8 + len(text) // 10_000:
            raise UnreadableFile(f"undecodable text (not valid {encoding} at byte {e.start})") from e
        return text


def _checked(text: str) -> str:
    if "\x00" in text or len(_CONTROL_RE.findall(text[:SAMPLE_BYTES])) > 0.01 * min(len(text), SAMPLE_BYTES):
        raise UnreadableFile("binary data (not text)")
    return text


def _control_share(raw: bytes) -> float:
    sample = raw[:SAMPLE_BYTES]
    return (len(sample) - len(sample.translate(None, _CONTROL_BYTES))) / len(sample)


def _rank_encodings(raw: bytes) -> list[tuple[str, float]]:
    """Candidate encodings with their plausibility on a sample, best first (ties keep candidate order)."""
    sample = raw[:SAMPLE_BYTES]
    candidates = list(_CANDIDATES)
    guess = _charset_normalizer_guess(sample)
    if guess and guess not in candidates:
        candidates.append(guess)
    scored = []
    for encoding in candidates:
        if encoding.startswith("utf-16") and b"\x00" not in raw and len(raw) % 2:
            continue
        try:
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            text = decoder.decode(sample, final=len(sample) == len(raw))
        except LookupError:
            continue
        scored.append((encoding, plausibility(text)))
    return sorted(scored, key=lambda pair: -pair[1])


def _charset_normalizer_guess(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    return _ALIASES.get(name, name)


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """GB2312 level-1 hanzi (the 3755 commonest Simplified) and Big5 level-1 (5401 commonest Traditional)."""
    chars = set()
    for lead, trails, encoding in ((range(0xB0, 0xD8), range(0xA1, 0xFF), "gb2312"),
                                   (range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)], "big5")):
        for hi in lead:
            for lo in trails:
                try:
                    chars.add(bytes((hi, lo)).decode(encoding))
                except UnicodeDecodeError:
                    pass
    return frozenset(chars)


def plausibility(text: str) -> float:
    """Share (0..1) of the non-space characters that are common in Chinese or Western text.

    A wrong decoding gives rare ideographs, replacement characters and controls, and scores low.
    """
    common = _common_chars()
    total = score = 0.0
    for ch in text:
        if ch.isspace():
            continue
        total += 1
        o = ord(ch)
        if 0x21 <= o <= 0x7E or ch in common or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E \
                or 0x2010 <= o <= 0x2027 or 0x2460 <= o <= 0x24FF or 0xC0 <= o <= 0xFF or o == 0xB7:
            score += 1
        elif 0x3400 <= o <= 0x9FFF or 0x3040 <= o <= 0x30FF:
            score += 0.25
    return score / total if total else 0.0


def _decode_html(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _strict(raw[len(bom):], encoding)
    m = _META_CHARSET_RE.search(raw[:4096])
    if m:
        try:
            name = codecs.lookup(m.group(1).decode("ascii")).name
            return raw.decode(_ALIASES.get(name, name))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(raw)
