"""The registry of checks and the runner that fans them out over a plan.

Kept out of ``spip/checks/__init__.py`` so that importing one check (the
typosquat screen runs before phase 1) does not import them all.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from spip.checks import (
    direct_url,
    email_drift,
    empty_description,
    fresh_release,
    pth_file,
    release_diff,
    repo_mismatch,
    suspicious_url,
    typosquat,
    vulnerability,
    yanked,
    zero_version,
)
from spip.checks.base import Check, CheckContext, CheckDataUnavailable
from spip.findings import Finding, Severity

if TYPE_CHECKING:
    from spip.report import PlannedDist

# One line per check; each module implements spip.checks.base.Check.
CHECKS: tuple[Check, ...] = (
    typosquat,
    direct_url,
    pth_file,
    release_diff,
    fresh_release,
    yanked,
    vulnerability,
    zero_version,
    empty_description,
    suspicious_url,
    repo_mismatch,
    email_drift,
)

UNVERIFIED = "unverified"


async def _run_one(check: Check, dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    try:
        return await check.run(dist, ctx)
    except CheckDataUnavailable as exc:
        reason = str(exc)
    except Exception as exc:  # a bug in one check must not take the install down with it
        reason = f"internal error in the check: {type(exc).__name__}: {exc}"
    return [
        Finding(
            check=UNVERIFIED,
            severity=Severity.LOW,
            package=dist.name,
            version=dist.version,
            message=f"could not run the {check.ID} check: {reason}",
            evidence={"check": check.ID, "reason": reason},
        )
    ]


async def run_checks(ctx: CheckContext, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Run every check on every planned distribution concurrently; findings in plan order."""
    jobs = [_run_one(check, dist, ctx) for dist in ctx.plan for check in checks]
    results = await asyncio.gather(*jobs)
    return [finding for found in results for finding in found]
