"""After phase 2: the ``.dist-info`` folders as a plain ``pip install`` would have left them.

Phase 2 hands pip every planned distribution as a requirement of its own, from
spip's verified copies, so pip marks each one ``REQUESTED`` and records none of
their origins. Two fixes make ``pip freeze``, ``pip list --not-required`` and
the like see what they see after pip:

- ``REQUESTED`` stays only on what the user asked for (``requested`` in pip's
  plan); a marker is removed only if this run wrote it (it was not there, the
  same file, before phase 2);
- a distribution pip planned from a URL or a local archive gets the
  ``direct_url.json`` pip would have written: the plan's ``download_info``,
  which pip's report takes from the same record (PEP 610).

``RECORD`` is kept true to the files, so that uninstalling removes them.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spip.core.atomic import atomic_write

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

# REQUESTED file -> (inode, mtime): what was there before phase 2
Markers = dict[Path, tuple[int, int]]


def requested_markers(dirs: Iterable[Path]) -> Markers:
    """The ``REQUESTED`` files in ``dirs`` before phase 2 (one glob per directory)."""
    found: Markers = {}
    for directory in dirs:
        for marker in directory.glob("*.dist-info/REQUESTED"):
            try:
                st = marker.stat()
            except OSError:
                continue
            found[marker] = (st.st_ino, st.st_mtime_ns)
    return found


def as_pip_would(
    plan: Sequence[PlannedDist],
    dirs: Sequence[Path],
    before: Markers,
    origins: Mapping[str, Mapping[str, object]],
) -> None:
    """Remove the markers phase 2 wrote on dependencies; record direct origins.

    ``origins``: by planned URL, the record to write instead of the plan's own
    (a wheel spip had built from a local sdist records that sdist).
    """
    for dist in plan:
        for info in _dist_infos(dist, dirs):
            if not dist.requested:
                _unmark(info, before)
            if dist.is_direct and dist.source in ("url", "file"):
                origin = origins.get(dist.url)
                record = msgspec.to_builtins(dist.download_info) if origin is None else origin
                _record_origin(info, record)


def _dist_infos(dist: PlannedDist, dirs: Sequence[Path]) -> list[Path]:
    found = []
    for directory in dirs:
        for info in directory.glob("*.dist-info"):
            name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
            try:
                same = Version(version) == Version(dist.version)
            except InvalidVersion:
                same = version == dist.version
            if same and canonicalize_name(name) == dist.name:
                found.append(info)
    return found


def _unmark(info: Path, before: Markers) -> None:
    marker = info / "REQUESTED"
    try:
        st = marker.stat()
    except OSError:
        return
    if before.get(marker) == (st.st_ino, st.st_mtime_ns):
        return  # there before this run: not pip's doing today
    marker.unlink()
    _update_record(info, "REQUESTED", None)


def _record_origin(info: Path, origin: Mapping[str, object]) -> None:
    data = json.dumps(origin, sort_keys=True).encode()  # as pip writes it
    _write_like(info / "direct_url.json", data, info / "RECORD")
    _update_record(info, "direct_url.json", data)


def _update_record(info: Path, filename: str, data: bytes | None) -> None:
    """Drop ``filename``'s row from RECORD, and add it back for ``data`` (if given)."""
    record = info / "RECORD"
    try:
        text = record.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return  # no RECORD pip could read: nothing to keep true
    rows = list(csv.reader(io.StringIO(text, newline="")))
    path = f"{info.name}/{filename}"
    rows = [row for row in rows if row and row[0] != path]
    if data is not None:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append([path, f"sha256={digest}", str(len(data))])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
    _write_like(record, out.getvalue().encode("utf-8"), record)


def _write_like(path: Path, data: bytes, model: Path) -> None:
    """Write ``path`` whole, with the permissions pip gave ``model``."""
    mode = model.stat().st_mode & 0o777
    atomic_write(path, data)
    os.chmod(path, mode)
