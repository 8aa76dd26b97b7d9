"""Neutralising text for the terminal."""

from __future__ import annotations

from spip.ui.sanitize import neutralise


def test_neutralise_escapes_controls_and_shortens():
    assert neutralise("a\x1b[31mred\x07\u202e") == "a\\x1b[31mred\\x07\\u202e"
    assert neutralise("x" * 300, 10) == "x" * 9 + "…"
