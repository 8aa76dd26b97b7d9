"""Comparing versions as PEP 440 does, tolerating text that is no version."""

from __future__ import annotations

import functools

from packaging.version import InvalidVersion, Version


@functools.lru_cache(maxsize=8192)
def parse_version(text: str | None) -> Version | None:
    """``text`` as a PEP 440 version, None if it is none (memoised: the checks compare
    the same versions of a project many times a run)."""
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def same_version(a: str | None, b: str | None) -> bool:
    """``1.0`` and ``1.0.0`` are the same release (PEP 440), and so on."""
    va, vb = parse_version(a), parse_version(b)
    return va == vb if va is not None and vb is not None else a == b
