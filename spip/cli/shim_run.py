"""What a shim written by ``spip shims`` runs: ``python -m spip.cli.shim_run TOOL ARGS``."""

from __future__ import annotations

import subprocess
import sys
from typing import NoReturn

from spip.cli import launch
from spip.cli.shims import TOOLS
from spip.installer.pip_args import split_command
from spip.installer.tools import ToolNotFound, find_tool, interpreter_of


def run_shim(tool: str, args: list[str]) -> NoReturn:
    if tool in ("pip", "pip3"):
        try:
            real = find_tool(tool)
        except ToolNotFound as exc:
            print(f"spip: error: {exc}", file=sys.stderr)
            sys.exit(127)
        if split_command(args)[0] != "install":
            sys.exit(subprocess.call([real, *args]))
        python = interpreter_of(real)
        launch.main(["--python", python, *args] if python else args)
    else:
        launch.main([tool, *args])
    sys.exit(0)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS:
        print(f"usage: python -m spip.cli.shim_run {{{','.join(TOOLS)}}} ARGS", file=sys.stderr)
        sys.exit(2)
    run_shim(sys.argv[1], sys.argv[2:])
