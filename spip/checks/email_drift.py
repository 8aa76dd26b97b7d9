"""``email-drift``: the maintainers' e-mail domain is not the one seen before.

An attacker who takes over a project often puts an address of their own in the
next release. The author/maintainer e-mail domains of the selected release are
compared with those recorded in spip's local history for the project and with
the previous release's on the index. A release without addresses, or a project
that had none before, is no drift; sub-domains of the same organisation
(``cs.example.edu`` and ``example.edu``) count as the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check, DataUnavailable
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "email-drift"


def organisation(domain: str) -> str:
    """The registrable part of a domain, roughly: ``mail.example.co.uk`` -> ``example.co.uk``."""
    labels = domain.lower().strip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


def new_domains(current: set[str], before: set[str]) -> set[str]:
    """Domains of ``current`` from an organisation not in ``before`` (none when either is empty)."""
    if not before:
        return set()
    known = {organisation(d) for d in before}
    return {d for d in current if organisation(d) not in known}


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    current = (await ctx.pypi.info(dist)).email_domains()
    if not current:
        return []
    recorded = ctx.history.domains(dist.name)
    try:
        previous = await ctx.pypi.previous_release(dist.name, dist.version)
    except DataUnavailable:
        if not recorded:
            raise
        previous = None
    previous_info = previous.info if previous else None
    previous_domains = previous_info.email_domains() if previous_info else set()
    previous_version = (previous_info.version if previous_info else None) or "the previous release"
    drifted = new_domains(current, recorded) | new_domains(current, previous_domains)
    if not drifted:
        return []
    seen = []
    if recorded:
        seen.append(f"{', '.join(sorted(recorded))} in your earlier installs")
    if previous_domains:
        seen.append(f"{', '.join(sorted(previous_domains))} in {previous_version}")
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=neutralise(
                f"the maintainers' e-mail domain is now {', '.join(sorted(drifted))} "
                f"(seen before: {'; '.join(seen)}); a hijacked account often swaps in an address "
                "of its own — check the project announced the change before installing.",
                limit=400,
            ),
            evidence={
                "domains": sorted(current),
                "new_domains": sorted(drifted),
                "history_domains": sorted(recorded),
                "previous_version": previous_info.version if previous_info else None,
                "previous_domains": sorted(previous_domains),
            },
        )
    ]


SUMMARY = (
    "The maintainer/author e-mail domain differs from the one in spip's history or in the "
    "previous release: a sign of an account takeover (LOW)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
