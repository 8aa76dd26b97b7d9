"""``fresh-release``: the file pip selected was uploaded only hours ago.

Hijacked accounts and malicious uploads do their damage in the first hours,
before anyone has noticed and the index has taken the release down; waiting a
day or two is the cheapest defence there is. The threshold is
``fresh-release-hours`` (default 48; 0 turns the check off).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "fresh-release"


def describe_age(seconds: float) -> str:
    """``"40 minutes"``, ``"3 hours"``, ``"2 days"``."""
    minutes = max(0, int(seconds // 60))
    if minutes >= 2 * 1440:
        count, unit = minutes // 1440, "day"
    elif minutes >= 60:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    threshold = ctx.config.fresh_release_hours
    if threshold <= 0:
        return []
    # The file pip chose, by its sha256: from the JSON API, else the index pip used.
    selected = await ctx.pypi.served_file(dist)
    uploaded = selected.upload_time
    assert uploaded is not None  # served_file() raises when no index gives one
    age = (datetime.now(timezone.utc) - uploaded).total_seconds()
    if age >= threshold * 3600:
        return []
    version = neutralise(dist.version)
    return [
        Finding.about(
            dist,
            ID,
            Severity.MEDIUM,
            message=(
                f"{version} was uploaded {describe_age(age)} ago; new releases are when hijacked "
                "accounts strike — wait a day or pin the previous version unless you expected "
                "this release."
            ),
            evidence={
                "filename": selected.filename,
                "uploaded": uploaded.isoformat(),
                "age_hours": round(max(age, 0) / 3600, 1),
                "threshold_hours": threshold,
            },
        )
    ]


SUMMARY = (
    "The selected file was uploaded less than `fresh-release-hours` (48) ago, when "
    "hijacked releases do their damage (MEDIUM)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
