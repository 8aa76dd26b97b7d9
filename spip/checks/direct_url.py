"""``direct-url``: a distribution that comes from a URL instead of an index.

A direct reference skips the index's release history, hashes and takedowns, so
an attacker who controls the URL controls what is installed. A dependency that
declares one is worse than a user who typed one: nobody chose it. Local paths
and directories the user typed are their own code and raise nothing.

A dependency's direct reference to an sdist or a VCS checkout is raised before the
installer fetches it (stage ``DIRECT``): reading its metadata means running its build
code. The gate's answer then holds for the planned distribution too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spip.checks.base import CheckContext, DirectReference
    from spip.plan.report import PlannedDist

ID = "direct-url"


def _is_local_vcs(dist: PlannedDist) -> bool:
    return dist.source == "vcs" and dist.local_path is not None


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if _is_local_vcs(dist):
        return []
    url = neutralise(dist.url)
    kind = "a VCS URL" if dist.source == "vcs" else "a direct URL"
    if dist.requested:
        message = (
            f"installs from {kind} ({url}), bypassing the index's history and takedowns; "
            "make sure you trust that location, or install a released version from the index."
        )
    else:
        message = (
            f"is pulled in as a dependency from {kind} ({url}) that a package declared, "
            "not one you chose; review why it is needed before installing."
        )
    return [
        Finding.about(
            dist,
            ID,
            Severity.MEDIUM,
            message=message,
            evidence={"url": dist.url, "source": dist.source, "requested": dist.requested},
        )
    ]


async def direct(refs: Sequence[DirectReference], ctx: CheckContext) -> list[Finding]:
    return [
        Finding(
            check=ID,
            severity=Severity.MEDIUM,
            package=ref.name,
            version=None,
            message=(
                f"is pulled in as a dependency from a direct reference ({neutralise(ref.url)}) "
                "that a package declared, not one you chose; reading it means running its "
                "build code now. Continue only if you trust that location."
            ),
            evidence={"url": ref.url, "requested": False},
        )
        for ref in refs
    ]


SUMMARY = (
    "A requirement or, worse, a dependency comes from a direct URL or VCS reference "
    "instead of an index, skipping its history, hashes and takedowns; a dependency's "
    "reference to an sdist or VCS checkout is raised before it is fetched and built (MEDIUM)."
)

CHECK = Check(ID, run=run, direct=direct, sources=frozenset({"url", "vcs"}), summary=SUMMARY)
