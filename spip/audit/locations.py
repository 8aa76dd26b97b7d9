"""Where a package is named in an audited file, for findings that point at a line."""

from __future__ import annotations

from pathlib import Path

import msgspec

from spip.core.reqnames import requirement_name


class Location(msgspec.Struct, frozen=True):
    """A file an audit read, and the line (1-based) that names a package (0: none)."""

    path: Path
    line: int = 0


def requirement_lines(path: Path, text: str) -> dict[str, Location]:
    """The line of each project a requirements file names (its first mention)."""
    found: dict[str, Location] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        name = requirement_name(line)
        if name is not None:
            found.setdefault(name, Location(path, number))
    return found


def quoted_lines(path: Path, text: str, requirements: list[str]) -> dict[str, Location]:
    """The line of each requirement string quoted in a TOML file (``pyproject.toml``)."""
    lines = text.splitlines()
    found: dict[str, Location] = {}
    for requirement in requirements:
        name = requirement_name(requirement)
        if name is None or name in found:
            continue
        number = next((i for i, line in enumerate(lines, 1) if requirement in line), 0)
        found[name] = Location(path, number)
    return found
