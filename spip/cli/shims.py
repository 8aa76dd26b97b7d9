"""``spip shims DIR``: ``pip``, ``pip3``, ``uv``, ``uvx`` and ``pipx`` scripts that run
spip, for CI images and scripts where aliases do not expand (put DIR first on PATH).

A shim runs ``python -m spip.cli.shim_run TOOL ARGS`` with the interpreter spip lives in.
It adds DIR to ``SPIP_SHIM_DIRS``, and every script it writes carries a marker line:
spip skips both when it looks for the real tool (:mod:`spip.installer.tools`), so a
shim never runs itself. A ``pip`` shim targets the interpreter the real ``pip`` past
DIR would (the one in its ``#!`` line); its commands other than ``install`` run that
real pip directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spip.installer.tools import SHIM_MARKER

TOOLS = ("pip", "pip3", "uv", "uvx", "pipx")

_SH = """#!/bin/sh
# {marker}
SPIP_SHIM_DIRS='{folder}'"${{SPIP_SHIM_DIRS:+:$SPIP_SHIM_DIRS}}"
export SPIP_SHIM_DIRS
exec '{python}' -m spip.cli.shim_run {tool} "$@"
"""
_CMD = """@echo off
rem {marker}
set "SPIP_SHIM_DIRS={folder};%SPIP_SHIM_DIRS%"
"{python}" -m spip.cli.shim_run {tool} %*
"""


def write_shims(folder: Path) -> list[Path]:
    """Write the shims into ``folder`` (created if needed); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    if "'" in str(folder) or "'" in sys.executable:
        raise ValueError(f"cannot write a shell script for a path with a quote: {folder}")
    written = []
    for tool in TOOLS:
        if sys.platform == "win32":
            path = folder / f"{tool}.cmd"
            text = _CMD.format(marker=SHIM_MARKER, folder=folder, python=sys.executable, tool=tool)
        else:
            path = folder / tool
            text = _SH.format(marker=SHIM_MARKER, folder=folder, python=sys.executable, tool=tool)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
        written.append(path)
    return written
