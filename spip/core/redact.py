"""Credentials in URLs (``https://user:token@host/``) are never shown or written."""

from __future__ import annotations

import re

# The user-info part of any URL in a text, up to the ``@`` before the host.
_USERINFO = re.compile(r"(?<=://)[^/@\s?#]+@")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced by ``****``."""
    return _USERINFO.sub("****@", text) if "@" in text else text
