"""``zero-version``: the version is all zeros (``0``, ``0.0``, ``0.0.0``, ``0.0.0.dev1``).

Real releases count up from something; an all-zero version is what a template
or a throw-away upload carries, and name-squatting packages often do. A local
source tree (``pip install .``) is the user's own work and is not judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from spip.checks.base import RELEASES, Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "zero-version"


def is_zero(version: str) -> bool:
    try:
        return not any(Version(version).release)
    except InvalidVersion:
        return False


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if not is_zero(dist.version):
        return []
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=(
                f"its version {neutralise(dist.version, limit=40)} is a placeholder, typical of "
                "test uploads and name-squatting packages rather than real releases; make sure "
                "this is the project you meant."
            ),
            evidence={"version": dist.version},
        )
    ]


# A local source tree is the user's own work, not a release.
SUMMARY = (
    "The version is all zeros (`0.0`, `0.0.0`), as templates and throw-away uploads carry (LOW)."
)

CHECK = Check(ID, run=run, sources=RELEASES, summary=SUMMARY)
