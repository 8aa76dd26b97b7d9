"""``direct-url``: a distribution that comes from a URL instead of an index.

A direct reference skips the index's release history, hashes and takedowns, so
an attacker who controls the URL controls what is installed. A dependency that
declares one is worse than a user who typed one: nobody chose it. Local paths
and directories the user typed are their own code and raise nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
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


SUMMARY = (
    "A requirement or, worse, a dependency comes from a direct URL or VCS reference "
    "instead of an index, skipping its history, hashes and takedowns (MEDIUM)."
)

CHECK = Check(ID, run=run, sources=frozenset({"url", "vcs"}), summary=SUMMARY)
