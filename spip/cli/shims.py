"""``spip shims DIR``: ``pip``, ``pip3``, ``uv``, ``uvx`` and ``pipx`` scripts that run
spip, for CI images and scripts where aliases do not expand (put DIR first on PATH).

A shim runs ``python -m spip.cli.shims TOOL ARGS`` with the interpreter spip lives in.
It adds DIR to ``SPIP_SHIM_DIRS``, and every script it writes carries a marker line:
spip skips both when it looks for the real tool (:mod:`spip.installer.tools`), so a
shim never runs itself. A ``pip`` shim targets the interpreter the real ``pip`` past
DIR would (the one in its ``#!`` line); its commands other than ``install`` run that
real pip directly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from spip.installer.tools import SHIM_MARKER, ToolNotFound, find_tool

TOOLS = ("pip", "pip3", "uv", "uvx", "pipx")

_SH = """#!/bin/sh
# {marker}
SPIP_SHIM_DIRS='{folder}'"${{SPIP_SHIM_DIRS:+:$SPIP_SHIM_DIRS}}"
export SPIP_SHIM_DIRS
exec '{python}' -m spip.cli.shims {tool} "$@"
"""
_CMD = """@echo off
rem {marker}
set "SPIP_SHIM_DIRS={folder};%SPIP_SHIM_DIRS%"
"{python}" -m spip.cli.shims {tool} %*
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


def run_shim(tool: str, args: list[str]) -> NoReturn:
    from spip.cli import main as cli_main

    if tool in ("pip", "pip3"):
        try:
            real = find_tool(tool)
        except ToolNotFound as exc:
            print(f"spip: error: {exc}", file=sys.stderr)
            sys.exit(127)
        if cli_main._split_command(args)[0] != "install":
            sys.exit(subprocess.call([real, *args]))
        python = interpreter_of(real)
        cli_main.main(["--python", python, *args] if python else args)
    else:
        cli_main.main([tool, *args])
    sys.exit(0)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS:
        print(f"usage: python -m spip.cli.shims {{{','.join(TOOLS)}}} ARGS", file=sys.stderr)
        sys.exit(2)
    run_shim(sys.argv[1], sys.argv[2:])
