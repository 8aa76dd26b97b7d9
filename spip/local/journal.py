"""The install journal: a note under the cache dir while the installer installs.

Written before phase 2 starts and removed once spip has reviewed what landed. A note
whose run is gone (``kill -9``, a crash, a power cut) means an install nobody reviewed:
the next run reports it (:func:`left_behind`) and removes the note.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import msgspec

from spip.core.atomic import atomic_write
from spip.core.pids import alive

FOLDER = "journal"


class Entry(msgspec.Struct, frozen=True):
    """An install under way: who, when, what, where, and the startup files there before."""

    pid: int
    started: float
    plan: list[str]  # "name version"
    dirs: list[str]
    startup_before: list[str]  # paths

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "started": self.started,
            "plan": self.plan,
            "dirs": self.dirs,
            "startup_before": self.startup_before,
        }


def begin(cache_dir: Path, plan: list[str], dirs: list[Path], startup: list[Path]) -> Path | None:
    """Note the install about to run; None when the note cannot be written (the install
    goes on: the journal is a help for a later run, never a reason to fail)."""
    entry = Entry(os.getpid(), time.time(), plan, [str(d) for d in dirs], [str(p) for p in startup])
    note = cache_dir / FOLDER / f"{entry.pid}-{time.monotonic_ns()}.json"
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(note, json.dumps(entry.to_json()))
    except OSError:
        return None
    return note


def end(note: Path | None) -> None:
    if note is not None:
        with contextlib.suppress(OSError):
            note.unlink()


def left_behind(cache_dir: Path) -> list[Entry]:
    """The notes of runs that ended during their install without a review (removed now)."""
    folder = cache_dir / FOLDER
    try:
        notes = sorted(folder.glob("*.json"))
    except OSError:
        return []
    found = []
    for note in notes:
        try:
            raw = json.loads(note.read_text(encoding="utf-8"))
            entry = Entry(**raw)
        except (OSError, ValueError, TypeError):
            entry = None  # unreadable: a run killed while writing it wrote nothing yet
        if entry is not None and entry.pid != os.getpid() and alive(entry.pid):
            continue  # still running (another spip at work)
        with contextlib.suppress(OSError):
            note.unlink()
        if entry is not None:
            found.append(entry)
    return found
