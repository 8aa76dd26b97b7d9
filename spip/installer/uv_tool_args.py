"""Reading a ``uv tool install|run`` (``uvx``) command line without running uv.

uv's grammar of ``uv pip install`` (:data:`spip.installer.uv_args.UV`) plus the tool
commands' own options. spip plans the package and every ``--with`` and
``--with-executables-from`` spec; the options that shape a resolution go to the
planning run, those that say how to install go to ``uv tool install`` of the verified
files, and what a ``name==version`` pin cannot stand for is refused. ``run``: the
first word that is no option is the command; what follows it is the command's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spip.core.reqnames import requirement_name
from spip.installer.pip_args import ArgsError, Grammar, PipInstallArgs
from spip.installer.pip_args import parse as parse_args
from spip.installer.uv_args import UV, direct_references

_TOOL_VALUES = {"-w", "--with", "--with-executables-from", "--from", "--with-requirements"}
_TOOL_VALUES |= {"--with-editable", "--env-file"}
# ``-e`` is a flag of ``uv tool install`` (a value of ``uv pip install``).
UV_TOOL = Grammar(
    (UV.value_options - {"-e", "--editable"}) | _TOOL_VALUES,
    (UV.short_with_value - {"-e"}) | {"-w"},
    {**UV.aliases, "--with": "-w"},
)
_NO_PIN = "an editable or Git install has no name==version pin"
_REFUSED = {
    "-e": _NO_PIN,
    "--with-editable": _NO_PIN,
    "--lfs": _NO_PIN,
    "--with-requirements": "spip guards the specs typed on the command line; give them as --with",
    "--env-file": "spip runs the command itself; set the variables in its environment",
    "--python-platform": "spip plans for the interpreter the tool runs in",
}
# The tool commands' options (and spip's --dry-run): not for the planning run.
_TOOL_ONLY = frozenset(
    {
        "-w",
        "--from",
        "--with-executables-from",
        "--force",
        "-p",
        "--isolated",
        "--no-env-file",
        "--dry-run",
        "--reinstall",
        "--reinstall-package",
        "--link-mode",
        "--compile-bytecode",
    }
)
# What ``uv tool install`` of the verified files keeps: how to install, how loud.
_INSTALL_OPTIONS = frozenset(
    {
        "--force",
        "--reinstall",
        "--reinstall-package",
        "--link-mode",
        "--compile-bytecode",
        "-q",
        "-v",
        "--color",
        "--no-progress",
    }
)
# ``run``: plan and install again rather than run what spip installed before.
_REFRESH = frozenset({"--refresh", "-n", "-U", "--reinstall"})


class UvToolError(Exception):
    """The uv tool command cannot be guarded (spip stops, exit 11)."""


@dataclass
class UvToolArgs:
    """``uv tool install|run`` as typed: ``package`` (the main spec), the extra specs,
    the options, and for ``run`` the command and its own arguments."""

    command: str
    options: PipInstallArgs
    package: str
    with_specs: list[str] = field(default_factory=list)
    executables_from: list[str] = field(default_factory=list)
    app: str = ""
    app_args: list[str] = field(default_factory=list)
    refresh: bool = False

    @property
    def specs(self) -> list[str]:
        return [self.package, *self.with_specs, *self.executables_from]

    @property
    def dry_run(self) -> bool:
        return self.options.has("--dry-run")

    def plan_tokens(self) -> list[str]:
        """The options of the planning run (``uv pip install --dry-run``)."""
        return self.options.tokens(drop=_TOOL_ONLY)

    def install_tokens(self) -> list[str]:
        return [t for o in self.options.options if o.name in _INSTALL_OPTIONS for t in o.tokens]


def first_positional(tokens: Sequence[str]) -> int:
    """Where the first word that is no option (nor an option's value) stands."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--" or not tok.startswith("-"):
            return i
        if tok in UV_TOOL.value_options or tok in UV_TOOL.short_with_value:
            i += 1
        i += 1
    return len(tokens)


def parse(command: str, args: Sequence[str]) -> UvToolArgs:
    """Read ``uv tool COMMAND ARGS`` (``command``: ``install`` or ``run``)."""
    tokens, rest = list(args), []
    if command == "run":
        at = first_positional(tokens)
        tokens, rest = tokens[:at], tokens[at:]
        rest = rest[1:] if rest[:1] == ["--"] else rest
        if not rest:
            raise ArgsError("uv tool run needs a command to run")
    options = parse_args(tokens, UV_TOOL)
    for option in options.options:
        if option.name in _REFUSED:
            why = _REFUSED[option.name]
            raise UvToolError(f"spip cannot guard `uv tool {command} {option.name}`: {why}")
    if command == "run":
        package, app, latest = _run_target(rest[0], options.last("--from"))
        refresh = latest or options.has(*_REFRESH)
    elif len(options.requirements) != 1:
        raise ArgsError("uv tool install takes one package")
    else:
        package, app, refresh = _at_version(options.requirements[0])[0], "", False
    out = UvToolArgs(command, options, package, app=app, app_args=rest[1:], refresh=refresh)
    out.with_specs = [s for v in options.values("-w") for s in _split(v)]
    out.executables_from = [s for v in options.values("--with-executables-from") for s in _split(v)]
    direct = direct_references(PipInstallArgs([], out.specs))
    if direct:
        raise UvToolError(
            f"spip cannot guard {direct[0]!r} through uv tool (only index projects: a path, "
            "URL or Git source has no name==version pin); use the real uv if you accept that"
        )
    return out


def _run_target(command: str, from_: str | None) -> tuple[str, str, bool]:
    """``uvx COMMAND`` / ``--from SPEC``: the package spec, the command, and whether the
    latest release was asked for (``@latest``)."""
    if "/" in command or "\\" in command or command.endswith(".py"):
        raise UvToolError(f"spip cannot guard `uvx {command}`: it runs packages' commands only")
    if from_ is not None:
        spec, latest = _at_version(from_)
        return spec, command, latest
    spec, latest = _at_version(command)
    name = command.partition("@")[0]
    return spec, requirement_name(name) or name, latest


def _at_version(spec: str) -> tuple[str, bool]:
    """uv's ``name@version`` as ``name==version`` (``name@latest``: the name, and True)."""
    name, at, version = spec.partition("@")
    if not at or " " in spec or "://" in spec or not name:
        return spec, False
    return (name, True) if version == "latest" else (f"{name}=={version}", False)


def _split(value: str) -> list[str]:
    """A comma-separated list of specs, as uv reads ``--with a[x,y],b>=1,<2``: a comma
    starts a spec when a name follows it, outside extras' brackets."""
    parts = re.split(r",(?![^\[]*\])(?=\s*[A-Za-z0-9])", value)
    return [s.strip() for s in parts if s.strip()]
