"""Finding the real ``uv``, ``pipx`` or ``pip`` on PATH, past spip's own shims.

``spip shims DIR`` writes small scripts named like the tools that run spip instead.
spip itself must then run the real tool: it skips every directory named in
``SPIP_SHIM_DIRS`` (the shims add their own) and every file that carries the shim
marker, so a shim can never end up running itself, however PATH is ordered.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

SHIM_MARKER = "spip-shim: runs the real tool through spip"
SHIM_DIRS = "SPIP_SHIM_DIRS"


class ToolNotFound(Exception):
    """The real tool is not on PATH (shims excepted)."""


def is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return SHIM_MARKER.encode() in handle.read(512)
    except OSError:
        return False


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def find_tool(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """The first ``name`` on PATH that is not a spip shim."""
    skip = [d for d in environ.get(SHIM_DIRS, "").split(os.pathsep) if d]
    for folder in environ.get("PATH", "").split(os.pathsep):
        if not folder or any(_same(folder, d) for d in skip):
            continue
        found = shutil.which(name, path=folder)
        if found and not is_shim(Path(found)):
            return found
    # The tool beside spip's own interpreter (installed with spip, not on PATH).
    beside = shutil.which(name, path=str(Path(sys.executable).parent))
    if beside and not is_shim(Path(beside)):
        return beside
    raise ToolNotFound(f"{name} was not found on PATH (spip's shims excepted); install {name}")


def interpreter_of(script: str) -> str | None:
    """The interpreter in a console script's ``#!`` line, when it is one that exists."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline(4096).decode(errors="replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    return (
        parts[0] if parts and "python" in Path(parts[0]).name and Path(parts[0]).exists() else None
    )
