"""A cheap before/after picture of the directories an install writes to.

Only the top level of each directory is looked at (names, sizes, mtimes): that
is where Python looks for startup files, and it costs one ``scandir`` per
directory however many packages are installed.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

import msgspec
from packaging.utils import canonicalize_name

from spip.checks.startup_rules import is_startup_name


class Entry(msgspec.Struct, frozen=True):
    size: int
    mtime_ns: int
    is_dir: bool


# directory -> top-level name -> entry (a directory that does not exist is empty)
Snapshot = dict[Path, dict[str, Entry]]


def take_snapshot(dirs: Iterable[Path]) -> Snapshot:
    """Names, sizes and mtimes of the top level of each directory."""
    snap: Snapshot = {}
    for directory in dirs:
        entries: dict[str, Entry] = {}
        try:
            with os.scandir(directory) as it:
                for item in it:
                    try:
                        st = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries[item.name] = Entry(st.st_size, st.st_mtime_ns, item.is_dir())
        except OSError:
            pass  # not there (yet): --target creates it
        snap[Path(directory)] = entries
    return snap


def _changed(before: Snapshot, after: Snapshot) -> list[Path]:
    out = []
    for directory, entries in after.items():
        old = before.get(directory, {})
        out += [directory / n for n, entry in sorted(entries.items()) if old.get(n) != entry]
    return out


def new_startup_files(before: Snapshot, after: Snapshot) -> list[Path]:
    """Startup files (``.pth``, ``sitecustomize``, ...) that are new or changed."""
    return [p for p in _changed(before, after) if is_startup_name(p.name)]


def owners(before: Snapshot, after: Snapshot) -> dict[Path, tuple[str, str]]:
    """Which new or changed distribution installed each top-level path, from its RECORD.

    Maps a top-level path to ``(name, version)`` as the ``.dist-info`` folder names them.
    """
    found: dict[Path, tuple[str, str]] = {}
    for path in _changed(before, after):
        if not path.name.endswith(".dist-info"):
            continue
        name, _, version = path.name[: -len(".dist-info")].partition("-")
        try:
            record = (path / "RECORD").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for row in csv.reader(io.StringIO(record)):
            if row and row[0] and not row[0].startswith(".."):
                owner = (canonicalize_name(name), version)
                found.setdefault(path.parent / row[0].split("/", 1)[0], owner)
    return found
