"""Neutralise text that comes from package metadata before it reaches a terminal."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC starts ANSI sequences), DEL, and the
# Unicode controls that reorder or hide text (bidi overrides, zero-width).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def neutralise(text: object, limit: int | None = 200) -> str:
    """Return ``text`` printable on one line: control characters become ``\\xNN`` escapes.

    Long text is shortened to ``limit`` characters with an ellipsis.
    """
    s = _UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        str(text),
    )
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s
