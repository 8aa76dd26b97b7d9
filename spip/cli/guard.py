"""Running one guarded install, whichever installer is behind it (pip, uv, pipx):
spip's settings, the findings file's folder, the question of who can answer, the
exit. Kept import-light like the rest of the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from spip.installer.base import Installer
    from spip.policy.config import Config


def fail(message: str, status: int = 2) -> NoReturn:
    click.echo(f"spip: error: {message}", err=True)
    sys.exit(status)


def interrupted() -> NoReturn:
    """Ctrl-C or SIGTERM before the install began."""
    click.echo("spip: interrupted; nothing was installed.", err=True)
    sys.stderr.flush()
    os._exit(130)  # no waiting on a thread that reads the terminal


def run_guarded(
    installer: Installer,
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    cooldown: str | bool | None = None,
) -> NoReturn:
    """Install through ``installer``, checked; leaves the process with the exit status.
    ``cooldown``: ``--cooldown``/``--no-cooldown`` (True/False) or ``"strict"``."""
    run_built(
        lambda _: installer, sensitivity, ignore_warning, findings_json, cooldown, started=installer
    )


def run_built(
    build: Callable[[Config], Installer],
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    cooldown: str | bool | None = None,
    then: Callable[[int], None] | None = None,
    started: Installer | None = None,
) -> NoReturn:
    """:func:`run_guarded` with an installer that needs spip's settings (its cache folder)
    to start: ``build`` gets them, and exits with its own message when it cannot.
    ``then`` gets the exit status once the install is over (``pipx run`` runs the app).
    ``started``: an installer already running (its pips), stopped if the settings fail."""
    from spip.core.atomic import cannot_write
    from spip.core.interrupts import interrupts
    from spip.core.tempdirs import sweep
    from spip.index.errors import ClientSettingsError
    from spip.install import front
    from spip.installer.pip_args import ArgsError
    from spip.policy import config as config_mod

    installer = started
    interrupts.install()
    if started is not None:
        interrupts.on_stop(started.cancel)  # a signal stops its processes at once
    try:
        sweep()  # what earlier runs that crashed or were killed left in the temp dir
        settings = config_mod.load(
            {
                "sensitivity": sensitivity,
                "ignore_warning": ignore_warning,
                "findings_json": findings_json,
                "cooldown": cooldown,
            }
        )
        target = settings.findings_json
        if target is not None and (why := cannot_write(target)) is not None:
            raise ArgsError(f"cannot write the findings file {target}: {why}")
        installer = build(settings)
        if installer is not started:
            interrupts.on_stop(installer.cancel)
        interactive = sys.stdin.isatty() and not installer.no_input
        status = front.run(installer, settings, interactive)
    except (config_mod.ConfigError, ArgsError, ClientSettingsError) as exc:
        if installer is not None:
            installer.cancel()
        fail(str(exc))
    except KeyboardInterrupt:  # before the install began
        if installer is not None:
            installer.cancel()
        interrupted()
    # The install is over: its files are closed and its temporary folders gone.
    # Tearing down the interpreter with asyncio and the checks loaded costs ~0.1 s
    # that buys the user nothing, so leave at once (measured in `make bench`).
    sys.stdout.flush()
    sys.stderr.flush()
    if then is not None:
        then(status)
    os._exit(status)


def guarded_command(cooldown: bool) -> Callable[[Callable[..., None]], click.Command]:
    """A guarded command (``spip install``, ``spip uv pip install``, ...): spip's options
    anywhere among the installer's arguments (and, with ``cooldown``, the cooldown's),
    every other argument the installer's, as ``tool_args``."""
    levels = click.Choice(["low", "medium", "high"], case_sensitive=False)
    options = [
        click.option("--sensitivity", type=levels),
        click.option("--ignore-warning", is_flag=True, default=None),
        click.option("--findings-json", type=click.Path(dir_okay=False, path_type=Path)),
    ]
    if cooldown:
        options.append(click.option("--cooldown/--no-cooldown", default=None))
        options.append(click.option("--strict-cooldown", is_flag=True, default=None))
    settings = {"ignore_unknown_options": True, "allow_interspersed_args": True}

    def command(fn: Callable[..., None]) -> click.Command:
        fn = click.argument("tool_args", nargs=-1, type=click.UNPROCESSED)(fn)
        for option in reversed(options):
            fn = option(fn)
        return click.command(
            context_settings={**settings, "help_option_names": []}, add_help_option=False
        )(fn)

    return command
