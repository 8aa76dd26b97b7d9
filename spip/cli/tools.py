"""``spip uv``, ``spip uvx``, ``spip pipx`` and ``spip shims``.

The install commands of uv and pipx are guarded (the same pipeline as ``spip
install``, with uv or pipx behind the installer seam); every other command of theirs
runs the real tool unchanged: its output, its exit status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from spip.cli.guard import fail, guarded_command, run_built
from spip.installer.tools import ToolNotFound, find_tool

if TYPE_CHECKING:
    from spip.policy.config import Config

# uv's global options that take a value (they may stand before the command).
_UV_GLOBAL_VALUES = frozenset(
    {"--cache-dir", "--color", "--config-file", "--directory", "--project", "--python"}
)
# Commands spip guards, by the tool's first two words.
UV_GUARDED = {("pip", "install"), ("pip", "sync"), ("tool", "install"), ("tool", "run")}
# Install commands spip does not guard yet: refused rather than passed through unchecked.
UV_UNGUARDED = {("tool", "upgrade")}
PIPX_GUARDED = {"install", "inject", "run", "upgrade", "reinstall"}
PIPX_UNGUARDED = {"upgrade-all", "reinstall-all"}
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


@guarded_command(cooldown=True)
def uv_pip_install(
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    cooldown: bool | None,
    strict_cooldown: bool | None,
    tool_args: tuple[str, ...],
) -> None:
    """``uv pip install|sync``, with every planned distribution checked before it lands."""
    from spip.core.logs import configure
    from spip.installer.pip_args import ArgsError
    from spip.installer.uv import UvError, UvInstaller
    from spip.installer.uv_args import parse

    verb, args = tool_args[0], list(tool_args[1:])
    if "-h" in args or "--help" in args:
        passthrough("uv", ["pip", verb, *args])
    try:
        parsed = parse(args)
        if verb == "sync":  # its files are arguments: spip reads them as -r files
            files = [t for r in parsed.requirements for t in ("-r", r)]
            parsed = parse([*files, *parsed.tokens()])
    except ArgsError as exc:
        fail(str(exc))
    configure(verbose=parsed.has("-v"))
    uv_path = _tool("uv")

    def build(config: Config) -> UvInstaller:
        try:
            return UvInstaller.start(uv_path, parsed, config.cache_dir, sync=verb == "sync")
        except UvError as exc:
            fail(str(exc), 11)

    cooling = "strict" if strict_cooldown else cooldown
    run_built(build, sensitivity, ignore_warning, findings_json, cooling)


@guarded_command(cooldown=False)
def pipx_install(
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    tool_args: tuple[str, ...],
) -> None:
    """``pipx install|inject``, with every planned distribution checked before it lands."""
    from spip.installer.pipx import Pipx, PipxError, PipxInstaller, parse, run_home
    from spip.installer.tool_envs import app_path, ready_app

    command, args = tool_args[0], list(tool_args[1:])
    try:
        parsed = parse(command, args)
    except PipxError as exc:
        fail(str(exc), 11)
    pipx_path = _tool("pipx")
    installer: PipxInstaller | None = None

    def build(config: Config) -> PipxInstaller:
        nonlocal installer
        home = run_home(config.cache_dir, pipx_path, parsed) if command == "run" else None
        if home is not None and (app := ready_app(home, str(parsed.app), parsed.refresh)):
            _run_app(app, parsed.app_args)  # checked and installed before: run it as it is
        try:
            pipx = Pipx.find(pipx_path, parsed.has("--global"), home)
            installer = PipxInstaller(pipx, parsed, config.cache_dir, home)
        except PipxError as exc:
            fail(str(exc), 11)
        return installer

    def then(status: int) -> None:
        if command == "run" and status == 0 and installer is not None:
            _run_app(app_path(installer.venv, str(parsed.app)), parsed.app_args)

    run_built(build, sensitivity, ignore_warning, findings_json, then=then)


@guarded_command(cooldown=True)
def uv_tool(
    sensitivity: str | None,
    ignore_warning: bool | None,
    findings_json: Path | None,
    cooldown: bool | None,
    strict_cooldown: bool | None,
    tool_args: tuple[str, ...],
) -> None:
    """``uv tool install|run`` (``uvx``), with every planned distribution checked first."""
    from spip.core.logs import configure
    from spip.installer.pip_args import ArgsError
    from spip.installer.tool_envs import app_path, ready_app
    from spip.installer.uv import UvError
    from spip.installer.uv_tool import UvToolInstaller, run_home
    from spip.installer.uv_tool_args import UvToolError, parse

    verb, args = tool_args[0], list(tool_args[1:])
    try:
        parsed = parse(verb, args)
    except ArgsError as exc:
        fail(str(exc))
    except UvToolError as exc:
        fail(str(exc), 11)
    configure(verbose=parsed.options.has("-v"))
    uv_path = _tool("uv")
    installer: UvToolInstaller | None = None

    def build(config: Config) -> UvToolInstaller:
        nonlocal installer
        home = run_home(config.cache_dir, uv_path, parsed) if verb == "run" else None
        ready = ready_app(home, parsed.app, parsed.refresh) if home is not None else None
        if ready is not None and not parsed.dry_run:
            _run_app(ready, parsed.app_args)  # checked and installed before: run it as it is
        try:
            installer = UvToolInstaller(uv_path, parsed, config.cache_dir, home)
        except (UvError, UvToolError) as exc:
            fail(str(exc), 11)
        return installer

    def then(status: int) -> None:
        if verb == "run" and status == 0 and installer is not None and not parsed.dry_run:
            _run_app(app_path(installer.venv, parsed.app), parsed.app_args)

    cooling = "strict" if strict_cooldown else cooldown
    run_built(build, sensitivity, ignore_warning, findings_json, cooling, then=then)


def _run_app(app: Path, args: list[str]) -> NoReturn:
    """``pipx run``'s last step: the app in its checked venv, with the user's arguments."""
    if not app.is_file():
        fail(f"the package has no app {app.name!r} (it installs no such command)", 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(str(app), [str(app), *args])


def uv(args: list[str]) -> NoReturn:
    words = _words(args, _UV_GLOBAL_VALUES)
    command = tuple(w for w, _ in words)
    if command in UV_GUARDED:
        # uv takes its global options anywhere: those typed before ``pip install`` too.
        rest = args[: words[0][1]] + args[words[0][1] + 1 : words[1][1]] + args[words[1][1] + 1 :]
        verb = words[1][0]
        if command[0] == "pip":
            uv_pip_install.main(args=[verb, *rest], prog_name=f"spip uv pip {verb}")
        if not _asks_help(verb, rest):
            uv_tool.main(args=[verb, *rest], prog_name=f"spip uv tool {verb}")
    if command in UV_UNGUARDED and "--help" not in args and "-h" not in args:
        _not_guarded(f"uv {' '.join(command)}")
    passthrough("uv", args)


def _asks_help(verb: str, args: list[str]) -> bool:
    """``uv tool install|run`` asks for uv's help or version (``run``: not the command's)."""
    from spip.installer.uv_tool_args import first_positional

    own = args[: first_positional(args)] if verb == "run" else args
    return bool({"--help", "-h", "--version", "-V"} & set(own))


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
    if command == "uvx" and args and not _asks_help("run", args):
        uv_tool.main(args=["run", *args], prog_name="spip uvx")
    words = [(w, i) for w, i in _words(args, _PIPX_GLOBAL_VALUES)]
    asks_help = "--help" in args or "-h" in args
    if words and words[0][0] == "run":  # after the app, its own arguments: not pipx's
        after = args[words[0][1] + 1 :]
        app = next((i for i, t in enumerate(after) if not t.startswith("-")), len(after))
        asks_help = "--help" in after[:app] or "-h" in after[:app]
    if command == "pipx" and words and words[0][0] in PIPX_GUARDED and not asks_help:
        word, at = words[0]
        rest = [word, *args[:at], *args[at + 1 :]]
        pipx_install.main(args=rest, prog_name=f"spip pipx {word}", standalone_mode=True)
    if command == "pipx" and words and words[0][0] in PIPX_UNGUARDED and not asks_help:
        _not_guarded(f"pipx {words[0][0]}")
    passthrough(command, args)
