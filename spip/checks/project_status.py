"""``project-status``: the index marks the project quarantined, archived or deprecated.

PEP 792 status markers come with the project's simple page (JSON: a top-level
``project-status`` object, or ``meta["project-status"]``; HTML: the
``pypi:project-status`` meta tag). PyPI quarantines a project while it investigates a
malware report: its files are hidden, so pip usually cannot resolve it at all, and
:func:`why_unresolvable` says so after pip's "no matching distribution". A quarantined
project that still reaches the plan (from a cache or a mirror) is HIGH. An archived or
deprecated project gets no more fixes: LOW, with the maintainers' reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from spip.checks.base import Check, DataUnavailable
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "project-status"
QUARANTINED = "quarantined"
# status -> (severity, what it means for the user)
STATUSES = {
    QUARANTINED: (
        Severity.HIGH,
        "the index has quarantined it (usually while a malware report is investigated); "
        "do not install it until the index lifts the quarantine",
    ),
    "archived": (
        Severity.LOW,
        "its maintainers archived it: it gets no more releases or fixes; look for a successor",
    ),
    "deprecated": (
        Severity.LOW,
        "its maintainers deprecated it; plan to move to what they recommend",
    ),
}


def _reason(reason: str | None) -> str:
    return f' (reason given: "{neutralise(reason, limit=200)}")' if reason else ""


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    status = (await ctx.pypi.files(dist.name)).status
    if status is None or status.status not in STATUSES:
        return []
    severity, meaning = STATUSES[status.status]
    return [
        Finding.about(
            dist,
            ID,
            severity,
            message=f"{status.status}{_reason(status.reason)}: {meaning}.",
            evidence={"status": status.status, "reason": status.reason},
        )
    ]


async def why_unresolvable(names: Sequence[str], ctx: CheckContext) -> list[str]:
    """One line for each of ``names`` (projects pip found nothing of) that is quarantined."""
    import asyncio

    async def line(name: str) -> str | None:
        try:
            status = (await ctx.pypi.files(name)).status
        except DataUnavailable:
            return None
        if status is None or status.status != QUARANTINED:
            return None
        return (
            f"spip: {neutralise(name)} is quarantined by the index{_reason(status.reason)}, "
            "which hides its files while a malware report is investigated: do not install it "
            "from elsewhere."
        )

    return [text for text in await asyncio.gather(*map(line, names)) if text]


SUMMARY = (
    "The index marks the project (PEP 792) quarantined (HIGH) or archived or deprecated "
    "(LOW, with the reason)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
