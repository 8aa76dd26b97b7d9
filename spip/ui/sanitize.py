"""Neutralise text that comes from package metadata, an index or pip before it reaches
a terminal: nothing in it can move the cursor, reorder, hide or split what is shown,
and no URL in it shows its credentials."""

from __future__ import annotations

import re

from spip.core.redact import redact

# C0 and C1 control characters (ESC starts ANSI sequences) and DEL; the Unicode line
# and paragraph separators; bidi controls; zero-width, invisible-operator and filler
# characters (Hangul fillers, the Mongolian vowel separator, the BOM); tag characters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\u3164\ufeff\uffa0\U000e0000-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def neutralise(text: object, limit: int | None = 200) -> str:
    """Return ``text`` printable on one line: control and invisible characters become
    ``\\xNN``/``\\uNNNN`` escapes, URL credentials ``****``.

    Long text is shortened to ``limit`` characters with an ellipsis.
    """
    s = _UNSAFE.sub(_escape, redact(str(text)))
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def neutralise_lines(text: str) -> str:
    """Multi-line output (pip's) neutralised line by line, its ``\\n`` line breaks kept
    (not ``str.splitlines``: a U+2028 is no line break to pip, and must be escaped)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return "".join(neutralise(line.removesuffix("\r"), None) + "\n" for line in lines)
