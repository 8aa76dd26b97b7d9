"""The popular-names list: PyPI's most downloaded projects, shipped with spip.

``spip/data/hotlist.txt`` is written by ``hotlist/refresh.py``. Its first line is a
header, ``# spip-hotlist snapshot=DATE source=...``; after it, line N holds the PEP 503
name of the project ranked N (an empty line where the ranking has no name).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files

import msgspec
from packaging.utils import canonicalize_name

__all__ = ["EXTRA_RANK", "Hotlist", "HotlistError", "load", "parse", "snapshot_date"]

# The rank given to names from ``hotlist-extra``: above every ranked project.
EXTRA_RANK = 0
_HEADER = re.compile(r"^# spip-hotlist snapshot=(\S+)")


class HotlistError(Exception):
    """The shipped list cannot be read: a broken installation of spip."""


class Hotlist(msgspec.Struct, frozen=True):
    snapshot: str
    ranks: Mapping[str, int]
    digest: str = ""  # the sha256 of the list's text (what a prebuilt index was built from)

    def rank(self, name: str) -> int | None:
        """The rank of a PEP 503 normalised name (``EXTRA_RANK`` for user names), else None."""
        return self.ranks.get(name)

    def with_extra(self, names: Iterable[str]) -> Hotlist:
        """This list plus the user's own popular names (``hotlist-extra``)."""
        extra: dict[str, int] = {canonicalize_name(n): EXTRA_RANK for n in names if n.strip()}
        if not extra:
            return self
        return Hotlist(self.snapshot, {**self.ranks, **extra}, self.digest)


def parse(text: str) -> Hotlist:
    header, _, body = text.partition("\n")
    match = _HEADER.match(header)
    if not match:
        raise HotlistError(f"not a spip hotlist (header {header[:60]!r})")
    ranks: dict[str, int] = {}
    for rank, name in enumerate(body.splitlines(), start=1):
        if name:
            ranks.setdefault(name, rank)
    return Hotlist(match.group(1), ranks, hashlib.sha256(text.encode()).hexdigest())


@functools.cache
def load() -> Hotlist:
    """The shipped list, read once per process."""
    try:
        text = files("spip").joinpath("data/hotlist.txt").read_text(encoding="utf-8")
    except OSError as exc:
        raise HotlistError(f"cannot read spip's popular-names list: {exc}") from None
    return parse(text)


def snapshot_date() -> str:
    """The date of the download ranking the shipped list was built from."""
    return load().snapshot
