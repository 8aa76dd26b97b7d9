"""Reading a ``pip install`` command line without importing pip.

spip needs to know which arguments are its own, which of pip's options take a
value, which say where and how to install (carried into phase 2) and which only
shaped the plan, and which requirements the user typed (screened before pip
runs). Everything else is passed to pip untouched: pip stays the parser of
record and reports its own usage errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from spip.index.netconf import pip_flag, pip_list_setting, pip_setting

if TYPE_CHECKING:
    from packaging.requirements import Requirement

# pip's general options that take a value (they may also stand before the command).
GENERAL_VALUE_OPTIONS = frozenset(
    {
        "--python",
        "--log",
        "--log-file",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--keyring-provider",
        "--resume-retries",
    }
)


# All options of ``pip install`` that take a value, long and short forms.
def split_command(argv: Sequence[str]) -> tuple[str | None, int]:
    """pip's command name in ``argv`` and its index (None, -1 when there is none)."""
    i = 0
    while i < len(argv):
        tok = argv[i]
        if not tok.startswith("-"):
            return tok, i
        i += 2 if tok in GENERAL_VALUE_OPTIONS else 1
    return None, -1


_VALUE_OPTIONS = GENERAL_VALUE_OPTIONS | {
    "--progress-bar",
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-t",
    "--target",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--root",
    "--prefix",
    "--src",
    "--source",
    "--source-dir",
    "--source-directory",
    "--upgrade-strategy",
    "-C",
    "--config-settings",
    "--global-option",
    "--install-option",
    "--report",
    "--no-binary",
    "--only-binary",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--root-user-action",
    "--group",
    "--build-constraint",
    "--uploaded-prior-to",
    "--exclude-newer",
    "--extra",
    "--format",
}
_SHORT_WITH_VALUE = {"-r", "-c", "-e", "-t", "-i", "-f", "-C"}

# Options that only shaped the plan: phase 2 installs pinned, verified files
# with --no-deps, so these are not passed on (see :func:`PipInstallArgs.phase2_options`).
_PLAN_ONLY = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "--upgrade-strategy",
    "--report",
    "--no-binary",
    "--only-binary",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--group",
    "--build-constraint",
    "--uploaded-prior-to",
    "--exclude-newer",
    "-U",
    "--upgrade",
    "--no-deps",
    "--dry-run",
    "--require-hashes",
    "--prefer-binary",
    "--no-index",
}
# Of those, the ones that still matter when pip must fetch build dependencies
# (building a local project or an sdist in phase 2).
INDEX_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index"}

NETWORK_OPTIONS = ("proxy", "cert", "client-cert", "timeout", "trusted-host")


class ArgsError(Exception):
    """The command line or a requirements file could not be read."""


class Option(msgspec.Struct, frozen=True):
    """One option as typed: its canonical long-or-short name, value, and original tokens."""

    name: str
    value: str | None
    tokens: tuple[str, ...]


@dataclass
class PipInstallArgs:
    options: list[Option] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)  # positional arguments

    def values(self, *names: str) -> list[str]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    def last(self, name: str) -> str | None:
        """The value the option was given last (pip's rule), or None."""
        values = self.values(name)
        return values[-1] if values else None

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def tokens(self, *, drop: set[str] | frozenset[str] = frozenset()) -> list[str]:
        return [t for o in self.options if o.name not in drop for t in o.tokens]

    @property
    def all_tokens(self) -> list[str]:
        return self.tokens() + self.requirements

    def phase2_options(self, *, keep_index: bool) -> list[str]:
        """The user's options about where and how to install (never the plan's)."""
        drop = set(_PLAN_ONLY) | {"--python"}
        if keep_index:
            drop -= INDEX_OPTIONS
        return self.tokens(drop=drop)

    def network(self) -> dict[str, list[str]]:
        return {name: self.values("--" + name) for name in NETWORK_OPTIONS}

    @property
    def no_input(self) -> bool:
        return self.has("--no-input")

    def source_builds(self, allowed: Sequence[str]) -> tuple[set[str], bool]:
        """The projects pip may build from sdists under ``--only-binary :all:
        --no-binary <allowed>`` followed by the command line's own format options,
        as pip's ``FormatControl`` works it out: ``(names, every project)``.

        Requirement files' ``--no-binary``/``--only-binary`` lines are left out on
        purpose: they are not the user's typed choice, so their builds go to the gate.
        """
        from packaging.utils import canonicalize_name  # light, and not needed before here

        only: set[str] = {":all:"}
        no: set[str] = {canonicalize_name(n) for n in allowed}
        for option in self.options:
            if option.name == "--no-binary" and option.value is not None:
                _exclude(option.value, no, only, canonicalize_name)
            elif option.name == "--only-binary" and option.value is not None:
                _exclude(option.value, only, no, canonicalize_name)
        return {n for n in no - only if n != ":all:"}, ":all:" in no or ":all:" not in only


def _exclude(
    value: str, target: set[str], other: set[str], canonicalize: Callable[[str], str]
) -> None:
    """pip's ``handle_mutual_excludes``: ``value`` goes into ``target``, out of ``other``."""
    names = value.split(",")
    while ":all:" in names:
        other.clear()
        target.clear()
        target.add(":all:")
        del names[: names.index(":all:") + 1]
        if ":none:" not in names:
            return
    for name in names:
        if name == ":none:":
            target.clear()
            continue
        other.discard(canonicalize(name))
        target.add(canonicalize(name))


_LONG_ALIASES = {
    "--requirement": "-r",
    "--constraint": "-c",
    "--editable": "-e",
    "--target": "-t",
    "--index-url": "-i",
    "--find-links": "-f",
    "--config-settings": "-C",
    "--upgrade": "-U",
    "--ignore-installed": "-I",
    "--log-file": "--log",
}


class Grammar(msgspec.Struct, frozen=True):
    """An installer's option syntax: which options take a value, and their short forms."""

    value_options: frozenset[str] | set[str]
    short_with_value: frozenset[str] | set[str]
    aliases: dict[str, str]

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)


PIP = Grammar(_VALUE_OPTIONS, _SHORT_WITH_VALUE, _LONG_ALIASES)


def parse(args: list[str], grammar: Grammar = PIP) -> PipInstallArgs:
    """Split ``pip install`` (or another ``grammar``'s) arguments into options and
    positional requirements."""
    out = PipInstallArgs()
    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--":
            out.requirements.extend(args[i + 1 :])
            break
        if tok.startswith("--"):
            name, eq, value = tok.partition("=")
            if eq:
                out.options.append(Option(grammar.canonical(name), value, (tok,)))
            elif name in grammar.value_options:
                if i + 1 >= len(args):
                    raise ArgsError(f"option {name} requires a value")
                out.options.append(Option(grammar.canonical(name), args[i + 1], (tok, args[i + 1])))
                i += 1
            else:
                out.options.append(Option(grammar.canonical(name), None, (tok,)))
        elif tok.startswith("-") and len(tok) > 1:
            short = tok[:2]
            if short in grammar.short_with_value:
                if len(tok) > 2:
                    value = tok[2:].removeprefix("=")
                    out.options.append(Option(short, value, (tok,)))
                elif i + 1 < len(args):
                    out.options.append(Option(short, args[i + 1], (tok, args[i + 1])))
                    i += 1
                else:
                    raise ArgsError(f"option {short} requires a value")
            else:  # flags, possibly bundled: -qq, -vU
                for ch in tok[1:]:
                    out.options.append(Option(grammar.canonical("-" + ch), None, ()))
                out.options[-1] = Option(out.options[-1].name, None, (tok,))
        else:
            out.requirements.append(tok)
        i += 1
    return out


def _requirement_file_lines(path: Path, seen: set[Path]) -> Iterator[str]:
    """Requirement lines of a ``-r`` file, following nested ``-r`` files (not ``-c``)."""
    if path in seen:
        return
    seen.add(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArgsError(f"cannot read requirements file {path}: {exc}") from None
    # Backslash continuations join lines; comments start with whitespace + '#'.
    text = re.sub(r"\\\n", " ", text)
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line.startswith(("-r", "--requirement")):
            nested = re.sub(r"^(-r|--requirement)\s*=?\s*", "", line)
            if "://" not in nested:
                yield from _requirement_file_lines((path.parent / nested).resolve(), seen)
            continue
        if line.startswith("-"):
            continue  # options (-c, -e, --hash on its own, -i ...) are not typed names
        yield line.split(" --", 1)[0].split(" -", 1)[0]


PYPI_SIMPLE = "https://pypi.org/simple/"


def index_urls(parsed: PipInstallArgs, environ: Mapping[str, str], prefix: str | None) -> list[str]:
    """The simple APIs pip resolves from: ``--index-url`` (else ``PIP_INDEX_URL``, else
    pip's config files, else PyPI's) and every extra index (``PIP_EXTRA_INDEX_URL`` or the
    config files', then ``--extra-index-url``); none under ``--no-index``. ``prefix``:
    the target environment, whose ``pip.conf`` pip reads too."""
    if parsed.has("--no-index") or pip_flag("no-index", environ, prefix):
        return []
    main = parsed.last("-i") or pip_setting("index-url", environ, prefix) or PYPI_SIMPLE
    typed = parsed.values("--extra-index-url")
    extra = pip_list_setting("extra-index-url", environ, prefix, typed)
    return list(dict.fromkeys([main, *extra]))


# Where pip installs: also from PIP_TARGET/``target =`` and friends when not typed.
_LOCATION_SETTINGS = (("-t", "target"), ("--prefix", "prefix"), ("--root", "root"))


def with_location_settings(
    parsed: PipInstallArgs, environ: Mapping[str, str], prefix: str | None
) -> PipInstallArgs:
    """``parsed`` plus the install location pip takes from its environment and config
    files (``PIP_USER=1``, ``target = DIR``, ...) where the command line names none:
    what the after-install snapshot must watch, as pip would write there."""
    extra = [
        Option(name, value, (name, value))
        for name, key in _LOCATION_SETTINGS
        if not parsed.has(name) and (value := pip_setting(key, environ, prefix))
    ]
    if not parsed.has("--user") and pip_flag("user", environ, prefix):
        extra.append(Option("--user", None, ("--user",)))
    return PipInstallArgs([*parsed.options, *extra], parsed.requirements)


def _typed_requirements(parsed: PipInstallArgs, cwd: Path) -> list[Requirement]:
    """The requirements on the command line and in ``-r`` and ``-c`` files (readable ones)."""
    from spip.core.reqnames import bare_name

    lines = list(parsed.requirements)
    seen: set[Path] = set()
    for req_file in parsed.values("-r", "-c"):
        if "://" not in req_file:
            lines.extend(_requirement_file_lines((cwd / req_file).resolve(), seen))
    limited = [line for line in lines if bare_name(line) is None]  # a name alone limits nothing
    if not limited:
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    found = []
    for line in limited:
        try:
            found.append(Requirement(line))
        except InvalidRequirement:
            continue
    return found


class VersionLimits(msgspec.Struct, frozen=True):
    """What the user said of versions (command line, ``-r`` and ``-c`` files), by PEP 503
    name: ``pinned`` to one version (``==1.0``, ``===1.0``, no wildcard), and
    ``constrained`` by any specifier (the pinned ones included)."""

    pinned: frozenset[str] = frozenset()
    constrained: frozenset[str] = frozenset()


def version_limits(parsed: PipInstallArgs, cwd: Path) -> VersionLimits:
    """The :class:`VersionLimits` of these arguments (their files read once)."""
    from packaging.utils import canonicalize_name

    typed = _typed_requirements(parsed, cwd)
    return VersionLimits(
        pinned=frozenset(
            canonicalize_name(req.name)
            for req in typed
            if any(
                s.operator == "===" or (s.operator == "==" and "*" not in s.version)
                for s in req.specifier
            )
        ),
        constrained=frozenset(canonicalize_name(r.name) for r in typed if r.specifier),
    )


def typed_names(parsed: PipInstallArgs, cwd: Path) -> list[str]:
    """Project names the user asked for on the command line and in ``-r`` files."""
    from spip.core.reqnames import requirement_name  # packaging: not needed before pip starts

    lines = list(parsed.requirements)
    seen: set[Path] = set()
    for req_file in parsed.values("-r"):
        if "://" in req_file:
            continue  # a remote requirements file is pip's to fetch
        lines.extend(_requirement_file_lines((cwd / req_file).resolve(), seen))
    names: list[str] = []
    for line in lines:
        name = requirement_name(line)
        if name and name not in names:
            names.append(name)
    return names
