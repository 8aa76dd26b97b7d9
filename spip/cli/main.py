"""The ``spip`` command: ``install`` is guarded; every other command is plain pip
(``uv``, ``uvx``, ``pipx`` and ``shims``: :mod:`spip.cli.tools`).

Kept import-light: ``spip list`` or ``spip --version`` load nothing beyond
click; the install machinery (asyncio, httpx, the checks) is imported only
when an install runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from spip import __version__
from spip.cli.guard import fail, guarded_command, interrupted, run_guarded
from spip.cli.help import spip_commands_help, spip_options_help
from spip.installer.pip_args import split_command


@guarded_command(cooldown=True)
def install(
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    cooldown: bool | None,
    strict_cooldown: bool | None,
    tool_args: tuple[str, ...],
) -> None:
    """``pip install``, with every planned distribution checked before it lands."""
    from spip.installer.pip_process import passthrough, take_server, target_python

    args = list(tool_args)
    if "-h" in args or "--help" in args:
        passthrough(target_python(None, os.environ), ["install", "--help"])
        click.echo(spip_options_help())
        sys.exit(0)

    from spip.core.interrupts import interrupts
    from spip.installer.pip_args import ArgsError, parse

    interrupts.install()  # Ctrl-C and SIGTERM: one line and exit 130, from now on
    try:
        parsed = parse(args)
    except ArgsError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        interrupted()
    from spip.core.atomic import cannot_write
    from spip.core.logs import configure

    configure(verbose=parsed.has("-v", "--verbose"))
    for report in parsed.values("--report"):  # pip's report, which spip hands on
        if report != "-" and (why := cannot_write(Path(report))) is not None:
            fail(f"cannot write pip's report {report}: {why}")
    # Phase 1's pip takes ~0.2 s to import itself: it starts now, before spip loads
    # its installer (~40 ms), the rest of itself and screens the names (it gets its
    # orders after).
    python = target_python(parsed, os.environ)
    try:
        server = take_server(python)  # started by spip.cli.launch, when it could
        from spip.installer.pip import PipInstaller

        installer = PipInstaller.start(parsed, python, server)
    except OSError as exc:
        fail(f"cannot run the Python interpreter {python}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        interrupted()

    run_guarded(
        installer,
        sensitivity,
        ignore_warning,
        findings_json,
        cooldown="strict" if strict_cooldown else cooldown,
    )


def _version(argv: list[str]) -> int:
    from spip.checks import malicious_list
    from spip.checks.hotlist import snapshot_date
    from spip.installer.pip_process import passthrough, target_python

    status = passthrough(target_python(None, os.environ), argv)
    click.echo(
        f"spip {__version__} (popular-names list of {snapshot_date()}, "
        f"known-malicious list of {malicious_list.snapshot_date()})"
    )
    return status


def skip_unused_imports() -> None:
    """Keep out what spip's dependencies import for nothing of spip's, where installed.

    httpcore imports trio to serve trio's event loops (~55 ms of every start), and spip's
    requests run on asyncio only; httpx imports its command-line client, with rich and
    pygments (~25 ms), and without it defines a stub (its ImportError path).
    """
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    skip_unused_imports()
    argv = sys.argv[1:] if argv is None else argv
    command, index = split_command(argv)
    try:
        if command == "install":
            install.main(
                args=argv[:index] + argv[index + 1 :],
                prog_name="spip install",
                standalone_mode=True,
            )
        elif command == "audit":
            from spip.cli.audit import audit

            audit.main(args=argv[index + 1 :], prog_name="spip audit")
        elif command in ("uv", "uvx", "pipx", "shims"):
            from spip.cli import tools

            tools.main(command, argv[index + 1 :])
        elif command == "quarantine":
            from spip.cli.quarantine import quarantine

            quarantine.main(args=argv[index + 1 :], prog_name="spip quarantine")
        elif command is None and ("--version" in argv or "-V" in argv):
            sys.exit(_version(argv))
        elif (command is None and ("--help" in argv or "-h" in argv)) or argv == ["help"]:
            from spip.installer.pip_process import passthrough, target_python

            status = passthrough(target_python(None, os.environ), argv)
            click.echo(spip_commands_help())
            sys.exit(status)
        else:
            from spip.installer.pip_process import passthrough, target_python

            sys.exit(passthrough(target_python(None, os.environ), argv))
    except KeyboardInterrupt:
        click.echo("spip: interrupted; nothing more was done.", err=True)
        sys.exit(130)
