"""The ``spip`` command's entry point, kept tiny: for ``spip install``, pip's server
starts importing pip (~0.25 s) before click and the rest of spip load (~30 ms
sooner); then :func:`spip.cli.main.main` reads the command line as always, and its
``install`` takes that server when it is for the same interpreter.
"""

from __future__ import annotations

import os
import sys

from spip.installer.pip_args import ArgsError, parse, split_command
from spip.installer.pip_process import start_early, target_python


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    command, index = split_command(argv)
    if command == "install" and not {"-h", "--help"} & set(argv):
        try:
            parsed = parse(argv[:index] + argv[index + 1 :])
        except ArgsError:
            parsed = None  # spip's own reading reports it
        if parsed is not None:
            start_early(target_python(parsed, os.environ))
    from spip.cli.main import main as run

    run(argv)
