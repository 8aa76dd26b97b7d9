"""``spip uv``, ``spip uvx``, ``spip pipx`` and ``spip shims``.

The install commands of uv and pipx are guarded (the same pipeline as ``spip
install``, with uv or pipx behind the installer seam); every other command of theirs
runs the real tool unchanged: its output, its exit status.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import click

from spip.cli.guard import fail, run_guarded
from spip.installer.tools import ToolNotFound, find_tool

# uv's global options that take a value (they may stand before the command).
_UV_GLOBAL_VALUES = frozenset(
    {"--cache-dir", "--color", "--config-file", "--directory", "--project", "--python"}
)
# Commands spip guards, by the tool's first two words.
UV_GUARDED = {("pip", "install")}
# Install commands spip does not guard yet: refused rather than passed through unchecked.
UV_UNGUARDED = {("pip", "sync"), ("tool", "install"), ("tool", "run"), ("tool", "upgrade")}
PIPX_UNGUARDED = {
    "install",
    "inject",
    "upgrade",
    "upgrade-all",
    "reinstall",
    "reinstall-all",
    "run",
}
# pipx's global options that take a value.
_PIPX_GLOBAL_VALUES: frozenset[str] = frozenset()


def _tool(name: str) -> str:
    try:
        return find_tool(name)
    except ToolNotFound as exc:
        fail(str(exc), 127)


def passthrough(tool: str, args: list[str]) -> NoReturn:
    """The real tool with the user's arguments and stdio; its exit status is spip's."""
    sys.exit(subprocess.call([_tool(tool), *args]))


def _words(args: list[str], value_options: frozenset[str]) -> list[tuple[str, int]]:
    """The first two non-option words of ``args`` with their positions."""
    words: list[tuple[str, int]] = []
    i = 0
    while i < len(args) and len(words) < 2:
        tok = args[i]
        if not tok.startswith("-"):
            words.append((tok, i))
        elif tok in value_options:
            i += 1
        i += 1
    return words


@click.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_interspersed_args": True,
        "help_option_names": [],
    },
    add_help_option=False,
)
@click.option("--sensitivity", type=click.Choice(["low", "medium", "high"], case_sensitive=False))
@click.option("--ignore-warning", is_flag=True, default=None)
@click.option("--findings-json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("tool_args", nargs=-1, type=click.UNPROCESSED)
def uv_pip_install(
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    tool_args: tuple[str, ...],
) -> None:
    """``uv pip install``, with every planned distribution checked before it lands."""
    from spip.core.logs import configure
    from spip.installer.pip_args import ArgsError
    from spip.installer.uv import UvError, UvInstaller
    from spip.installer.uv_args import parse

    args = list(tool_args)
    if "-h" in args or "--help" in args:
        passthrough("uv", ["pip", "install", *args])
    try:
        parsed = parse(args)
        configure(verbose=parsed.has("-v"))
        installer = UvInstaller.start(_tool("uv"), parsed)
    except ArgsError as exc:
        fail(str(exc))
    except UvError as exc:
        fail(str(exc), 11)
    run_guarded(installer, sensitivity, ignore_warning, findings_json)


def uv(args: list[str]) -> NoReturn:
    words = _words(args, _UV_GLOBAL_VALUES)
    if tuple(w for w, _ in words) in UV_GUARDED:
        # uv takes its global options anywhere: those typed before ``pip install`` too.
        rest = args[: words[0][1]] + args[words[0][1] + 1 : words[1][1]] + args[words[1][1] + 1 :]
        uv_pip_install.main(args=rest, prog_name="spip uv pip install", standalone_mode=True)
    command = tuple(w for w, _ in words)
    if command in UV_UNGUARDED and "--help" not in args and "-h" not in args:
        _not_guarded(f"uv {' '.join(command)}")
    passthrough("uv", args)


def _not_guarded(command: str) -> NoReturn:
    fail(
        f"spip does not check `{command}` yet, and will not run it unchecked; run the real "
        'tool yourself if you accept that (see README, "uv and pipx")',
        11,
    )


def shims(args: list[str]) -> NoReturn:
    from spip.cli.shims import write_shims

    if len(args) != 1 or args[0].startswith("-"):
        fail("usage: spip shims DIR (writes pip, pip3, uv, uvx and pipx shims into DIR)")
    try:
        written = write_shims(Path(args[0]))
    except (OSError, ValueError) as exc:
        fail(str(exc))
    click.echo(f"spip: wrote {', '.join(p.name for p in written)} into {written[0].parent}")
    click.echo(f'spip: put it first on PATH: export PATH="{written[0].parent}:$PATH"')
    sys.exit(0)


def main(command: str, args: list[str]) -> NoReturn:
    if command == "uv":
        uv(args)
    if command == "shims":
        shims(args)
    if command == "uvx" and not {"--version", "-V", "--help", "-h"} & set(args):
        _not_guarded("uvx")
    words = [w for w, _ in _words(args, _PIPX_GLOBAL_VALUES)]
    if words and words[0] in PIPX_UNGUARDED and "--help" not in args and "-h" not in args:
        _not_guarded(f"pipx {words[0]}")
    passthrough(command, args)
