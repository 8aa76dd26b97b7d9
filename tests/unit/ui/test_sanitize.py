"""Neutralising text for the terminal."""

from __future__ import annotations

from spip.ui.sanitize import neutralise, neutralise_lines


def test_neutralise_escapes_controls_and_shortens():
    assert neutralise("a\x1b[31mred\x07\u202e") == "a\\x1b[31mred\\x07\\u202e"
    assert neutralise("x" * 300, 10) == "x" * 9 + "…"


def test_invisible_and_line_separator_characters_are_escaped():
    hidden = "a\u2028b\u2029c\U000e0041d\u202ee\u2066f\u200bg\u115fh\u1160i\u3164j\uffa0k"
    hidden += "\u2060l\u2061m\u2064n\u180eo"
    out = neutralise(hidden, None)
    assert out.isascii() and out.isprintable()
    assert "\\u2028" in out and "\\U000e0041" in out and "\\u3164" in out


def test_credentials_in_urls_are_hidden():
    out = neutralise("fetching https://alice:s3cret@example.org/simple/ failed")
    assert "s3cret" not in out and "alice" not in out
    assert "https://****@example.org/simple/" in out


def test_pips_lines_are_neutralised_one_by_one():
    assert neutralise_lines("WARNING: x\x1b[2J\nERROR: \u2028y\n") == (
        "WARNING: x\\x1b[2J\nERROR: \\u2028y\n"
    )
