"""What an audit reads: the four kinds of input, and how each becomes a plan to check.

- ``requirements``: requirement files, resolved by pip as an install would (wheels only);
- ``pyproject``: ``[project] dependencies`` (and the optional ones asked for), resolved
  by pip the same way;
- ``pylock``: a PEP 751 lock file, whose exact files are the plan (nothing resolved);
- ``environment``: what is installed in the target environment (nothing resolved).

A path named on the command line is told apart by its name: ``pylock.toml`` and
``pylock.*.toml`` are lock files, ``pyproject.toml`` is a project, anything else is a
requirements file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spip.audit.locations import Location, quoted_lines, requirement_lines
from spip.core import toml
from spip.core.reqnames import requirement_name

Kind = Literal["requirements", "pyproject", "pylock", "environment"]
_PYLOCK = re.compile(r"pylock(\.[^.]+)?\.toml")


class InputError(Exception):
    """An audited file cannot be read or is not what its name says; the message says which."""


def kind_of(path: Path) -> Kind:
    if _PYLOCK.fullmatch(path.name):
        return "pylock"
    if path.name == "pyproject.toml":
        return "pyproject"
    return "requirements"


@dataclass
class Manifest:
    """Requirements for pip to resolve: ``args`` for ``pip install``, the names they
    type, and where each name is written."""

    args: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def add(self, other: Manifest) -> None:
        self.args += other.args
        self.names += [n for n in other.names if n not in self.names]
        for name, where in other.locations.items():
            self.locations.setdefault(name, where)
        self.files += other.files


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def requirements_file(path: Path) -> Manifest:
    """A requirements file: pip reads it (``-r``, options and nested files included)."""
    from spip.installer.pip_args import parse, typed_names

    text = read_text(path)
    args = ["-r", str(path)]
    return Manifest(
        args, typed_names(parse(args), Path.cwd()), requirement_lines(path, text), [path]
    )


def pyproject(path: Path, extras: tuple[str, ...], all_extras: bool) -> Manifest:
    """``[project] dependencies`` and the optional dependencies of ``extras``.

    A project's extra that names the project itself (``me[test]``) brings in that extra's
    dependencies rather than the project.
    """
    text = read_text(path)
    try:
        project = toml.loads(text).get("project", {})
    except toml.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise InputError(f"{path}: [project.optional-dependencies] must be a table")
    unknown = [e for e in extras if e not in optional]
    if unknown:
        known = ", ".join(sorted(optional)) or "none"
        raise InputError(f"{path}: no optional dependencies {', '.join(unknown)} (known: {known})")
    wanted = list(optional) if all_extras else list(extras)
    own = requirement_name(str(project.get("name", ""))) if project.get("name") else None
    requirements: list[str] = []
    pending = [_strings(project.get("dependencies", []), path, "dependencies")]
    pending += [_strings(optional[e], path, f"optional-dependencies.{e}") for e in wanted]
    seen_extras = set(wanted)
    while pending:
        for requirement in pending.pop(0):
            if own is not None and requirement_name(requirement) == own:
                for extra in re.findall(r"[A-Za-z0-9._-]+", requirement.partition("[")[2]):
                    if extra in optional and extra not in seen_extras:
                        seen_extras.add(extra)
                        pending.append(_strings(optional[extra], path, extra))
                continue
            requirements.append(requirement)
    names = [str(n) for n in dict.fromkeys(map(requirement_name, requirements)) if n]
    return Manifest(requirements, names, quoted_lines(path, text, requirements), [path])


def _strings(value: object, path: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: [project] {key} must be a list of requirement strings")
    return list(value)
