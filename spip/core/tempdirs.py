"""spip's temporary folders (``spip-*`` under the temp dir): each records the pid that
made it, so that the next run can sweep the ones a crashed or killed run left behind."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from spip.core.pids import alive

PREFIX = "spip-"
OWNER_FILE = ".spip-owner"
# A folder younger than this is left alone even when its owner is gone: a run that
# just started may not have recorded its pid yet.
STALE_SECONDS = 3600.0


def make_temp_dir(prefix: str) -> Path:
    """A new private folder ``<prefix>XXXX`` under the temp dir, owned by this process."""
    assert prefix.startswith(PREFIX)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    return folder


def _owner(folder: Path) -> int | None:
    try:
        return int((folder / OWNER_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def sweep(now: float | None = None) -> list[Path]:
    """Remove stale ``spip-*`` folders: older than an hour, whose owner is gone (or
    unknown). One listing of the temp dir; returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or now - st.st_mtime < STALE_SECONDS:
                continue
        except OSError:
            continue
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            continue  # another user's
        owner = _owner(Path(entry.path))
        if owner is not None and alive(owner):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed
