"""The TOML reader of this Python: ``tomllib`` (3.11+) or its backport ``tomli``."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError
load = tomllib.load
loads = tomllib.loads

__all__ = ["TOMLDecodeError", "load", "loads"]
