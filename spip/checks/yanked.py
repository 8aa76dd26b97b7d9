"""``yanked``: the selected release was yanked by its maintainers.

A yanked release is one its maintainers asked people not to install (broken,
or worse); pip still selects it for an exact pin. pip's own report and the
index's data are both consulted, so a yank the cached data has not seen yet is
caught too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check, DataUnavailable
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "yanked"


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    yanked, reason = dist.is_yanked, None
    try:
        release = await ctx.pypi.release(dist.name, dist.version, dist.sha256)
    except DataUnavailable:
        if not yanked:
            raise
    else:
        selected = release.file(dist.sha256, dist.filename)
        if selected is not None and selected.yanked:
            yanked, reason = True, selected.yanked_reason
        elif release.info is not None and release.info.yanked:
            yanked, reason = True, release.info.yanked_reason
    if not yanked:
        return []
    because = f" (reason given: {neutralise(reason, limit=120)})" if reason else ""
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=(
                f"{neutralise(dist.version, limit=40)} was yanked by its maintainers{because}; "
                "they ask people not to use it — pick another version unless you pinned this "
                "one on purpose."
            ),
            evidence={"reason": reason},
        )
    ]


SUMMARY = "The selected release was yanked by its maintainers, with their reason (LOW)."

CHECK = Check(ID, run=run, summary=SUMMARY)
