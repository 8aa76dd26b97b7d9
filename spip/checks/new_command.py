"""``new-command``: the wheel installs a command that shadows one already on ``PATH``.

A console script named ``ls``, ``git``, ``python`` or ``pip``, or named like another
installed distribution's command, runs instead of the real one whenever its folder comes
first on ``PATH`` (a virtual environment's always does): every later ``git push`` or
``pip install`` is the package's code. The wheel's scripts (``entry_points.txt`` and
``.data/scripts``, read by :func:`spip.checks.contents.planned`) are
looked up on ``PATH``; a hit that the same distribution installed (an upgrade) is
fine, any other is MEDIUM: the message names the command shadowed and its owner.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks import contents, hotlist, release_diff
from spip.checks.base import RELEASES, Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "new-command"
SHOWN = 3


def owner(command: Path) -> str | None:
    """The distribution whose RECORD lists ``command`` (a script of an environment), if any.

    An environment's ``bin/`` (``Scripts\\`` on Windows) sits beside its site-packages,
    whose ``*.dist-info/RECORD`` files name the scripts they installed.
    """
    from packaging.utils import canonicalize_name

    prefix = command.parent.parent
    sites = [*prefix.glob("lib/python*/site-packages"), prefix / "Lib" / "site-packages"]
    for record in (r for site in sites for r in site.glob("*.dist-info/RECORD")):
        try:
            text = record.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            parts = line.split(",", 1)[0].replace("\\", "/").split("/")
            if parts[-1] == command.name and ("bin" in parts or "Scripts" in parts):
                return canonicalize_name(record.parent.name.split("-", 1)[0])
    return None


@functools.cache
def on_path(path: str) -> dict[str, str]:
    """Every name in the folders of ``path`` (a ``PATH`` value), each with the first place
    it is found: listed once per run, so a lookup costs nothing."""
    found: dict[str, str] = {}
    for folder in path.split(os.pathsep):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            found.setdefault(name, os.path.join(folder, name))
    return found


def _which(command: str) -> str | None:
    """``shutil.which`` through :func:`on_path` (executables only)."""
    path = os.environ.get("PATH", os.defpath)
    candidates = [command] + [command + e for e in os.environ.get("PATHEXT", "").split(";") if e]
    for name in candidates:
        hit = on_path(path).get(name)
        if hit is not None and os.access(hit, os.X_OK) and not os.path.isdir(hit):
            return hit
    return None


def shadowed(commands: set[str], name: str) -> list[dict[str, str | None]]:
    """The commands of ``commands`` that would shadow one on ``PATH``: a system command
    (``release_diff.SYSTEM_COMMANDS``), or a script another installed distribution owns.

    A popular project's command named after itself (``pip`` of pip) is its own.
    """
    from packaging.utils import canonicalize_name

    found = []
    for command in sorted(commands):
        hit = _which(command)
        if hit is None:
            continue
        holder = owner(Path(hit))
        system = release_diff.is_system_command(command)
        if holder == name or (holder is None and not system):
            continue  # its own script (an upgrade), or a same-named tool of the system's own
        if system and canonicalize_name(command) == name and hotlist.load().rank(name):
            continue
        found.append({"command": command, "path": hit, "owner": holder})
    return found


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if not dist.is_wheel or not dist.filename:
        return []
    commands = set((await contents.planned(dist, ctx)).commands)
    hits = shadowed(commands, dist.name)
    if not hits:
        return []
    described = [
        f"`{neutralise(str(h['command']), limit=40)}` ("
        + (
            f"{neutralise(str(h['owner']), limit=60)}'s"
            if h["owner"]
            else f"{neutralise(str(h['path']), limit=80)}"
        )
        + ")"
        for h in hits
    ]
    listed = ", ".join(described[:SHOWN]) + (
        f" and {len(described) - SHOWN} more" if len(described) > SHOWN else ""
    )
    return [
        Finding.about(
            dist,
            ID,
            Severity.MEDIUM,
            message=(
                f"it installs a command that shadows one already on PATH: {listed}; once "
                "installed, typing that command runs this package's code instead — make sure "
                "that is what you want."
            ),
            evidence={"shadowed": hits},
        )
    ]


SUMMARY = (
    "The wheel installs a console script that shadows a command already on PATH (a system "
    "command such as `ls`, `git` or `pip`, or another installed distribution's) (MEDIUM)."
)

CHECK = Check(ID, run=run, sources=RELEASES, summary=SUMMARY)
