"""The known-malicious PyPI releases shipped with spip, for use offline and when OSV is down.

``spip/data/malicious.txt`` is written by ``hotlist/malicious.py`` (``make malicious``)
from OpenSSF's malicious-packages records (the OSV ``MAL-`` advisories for PyPI). Its
first line is a header, ``# spip-malicious snapshot=DATE source=... records=N``; after
it one line per advisory, tab-separated: the PEP 503 name, the versions it names
(comma-separated, or ``*`` for every version), the advisory id, its publication date.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files

import msgspec
from packaging.utils import canonicalize_version

from spip.index.errors import DataUnavailable

__all__ = ["EVERY_VERSION", "Entry", "KnownMalicious", "load", "parse", "snapshot_date"]

EVERY_VERSION = "*"
_HEADER = re.compile(r"^# spip-malicious snapshot=(\S+)")


class Entry(msgspec.Struct, frozen=True):
    """One advisory: the versions it names (None: every version), its id and date."""

    versions: frozenset[str] | None
    id: str
    date: str

    def names(self, version: str) -> bool:
        return self.versions is None or canonicalize_version(version) in self.versions


class KnownMalicious(msgspec.Struct, frozen=True):
    snapshot: str
    entries: dict[str, list[Entry]]

    def matching(self, name: str, version: str) -> list[Entry]:
        """The advisories naming release ``version`` of PEP 503 name ``name``."""
        return [e for e in self.entries.get(name, ()) if e.names(version)]


def parse(text: str) -> KnownMalicious:
    header, _, body = text.partition("\n")
    match = _HEADER.match(header)
    if not match:
        raise ValueError(f"not a spip known-malicious list (header {header[:60]!r})")
    entries: dict[str, list[Entry]] = {}
    for line in body.splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or line.startswith("#"):
            continue
        name, versions, advisory, date = fields
        named = (
            None
            if versions == EVERY_VERSION
            else frozenset(canonicalize_version(v) for v in versions.split(","))
        )
        entries.setdefault(name, []).append(Entry(named, advisory, date))
    return KnownMalicious(match.group(1), entries)


@functools.cache
def load() -> KnownMalicious:
    """The shipped list, read once per process; DataUnavailable if it cannot be read
    (a broken installation: the check reports it)."""
    try:
        text = files("spip").joinpath("data/malicious.txt").read_text(encoding="utf-8")
        return parse(text)
    except (OSError, ValueError) as exc:
        raise DataUnavailable(
            f"spip's list of known-malicious releases is unreadable: {exc}"
        ) from None


def snapshot_date() -> str:
    """The date the shipped list was built, read from its header alone (for ``--version``)."""
    try:
        with files("spip").joinpath("data/malicious.txt").open(encoding="utf-8") as fh:
            match = _HEADER.match(fh.readline())
    except OSError:
        return "missing"
    return match.group(1) if match else "missing"
