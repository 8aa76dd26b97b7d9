"""The TOML reader of this Python (``tomllib`` 3.11+, or its backport ``tomli``), and a
small writer of tables of plain values (what spip rewrites of another tool's record)."""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError
load = tomllib.load
loads = tomllib.loads

__all__ = ["TOMLDecodeError", "dumps", "load", "loads"]


def dumps(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """``doc``'s tables as TOML: strings, numbers, booleans, dates, lists, tables."""
    return "\n".join(_table(name, table) for name, table in doc.items())


def _table(name: str, table: Mapping[str, Any]) -> str:
    """A table as TOML (``[name]``, its values, then its sub-tables)."""
    lines = [f"[{name}]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items() if not _is_table(v)]
    subs = [_table(f"{name}.{_key(k)}", v) for k, v in table.items() if _is_table(v)]
    return "\n".join(["\n".join(lines) + "\n", *subs])


def _is_table(value: object) -> bool:
    return isinstance(value, Mapping)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
