"""``sdist-build``: a project with no usable wheel, whose build would run its code.

Unlike the other checks this one runs during phase 1, before there is a
plan: spip resolves with ``--only-binary :all:`` and, for each project pip
then cannot find, asks the index whether an sdist exists. Building it would
run the project's ``setup.py`` (or build backend) on this machine before any
check could look at it, so the gate must agree first. The name is also
screened for look-alikes, a check that needs no build.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from spip.checks.base import CheckDataUnavailable
from spip.checks.typosquat import screen_names
from spip.findings import Finding, Severity

if TYPE_CHECKING:
    from spip.config import Config
    from spip.pypi import PyPIClient

ID = "sdist-build"
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


async def _sdists(name: str, pypi: PyPIClient) -> list[str] | None:
    """The project's sdist file names, or None when the index has no such project."""
    try:
        project = await pypi.files(name)
    except CheckDataUnavailable:
        return None
    return [f.filename for f in project.files if f.filename.endswith(_SDIST_SUFFIXES)]


async def sdist_findings(names: Sequence[str], pypi: PyPIClient, config: Config) -> list[Finding]:
    """Findings for projects that only an sdist build can provide.

    Empty when any of ``names`` has no sdist either: then no build would
    help, and pip's own "no matching distribution" error is the answer.
    """
    found = await asyncio.gather(*(_sdists(name, pypi) for name in names))
    if not all(found):
        return []
    findings = []
    for name, sdists in zip(names, found, strict=True):
        findings.append(
            Finding(
                check=ID,
                severity=Severity.MEDIUM,
                package=name,
                version=None,
                message=(
                    "has no wheel for this platform; installing it means building its sdist, "
                    "which runs the project's own build code now. "
                    f"Continue only if you trust {name}."
                ),
                evidence={"sdists": sorted(sdists or [])[-3:]},
            )
        )
    findings.extend(screen_names(names, config))
    return findings
