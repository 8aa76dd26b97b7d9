"""A check to start from (not registered): copy this file, give it an id, register it.

A check module defines ``CHECK = Check(...)`` with the functions of the stages it
takes part in (see :mod:`spip.checks.base`). This one takes part in the plan stage
only, for distributions from an index, and fires on a release whose version string
is longer than any real release's: the shape of every check in a dozen lines.

To make a new check of it:

1. copy it to ``spip/checks/my_check.py``, set ``ID``, write ``run`` and ``SUMMARY``
   (what fires it and at which severity: the docs and SARIF rules show it);
2. add ``my_check.CHECK`` to ``CHECKS`` in ``spip/checks/registry.py``;
3. copy ``tests/unit/checks/test_template.py`` and make it test a case that fires
   and a near miss that must not;
4. add the id to the README's table of checks.

Messages say what was found, why it matters and what to do; text from the
package goes through :func:`~spip.ui.sanitize.neutralise`; data that cannot be had
raises :class:`~spip.checks.base.DataUnavailable` (the registry reports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "long-version"
LONGEST = 40  # characters: longer than any release version of the popular projects


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if len(dist.version) <= LONGEST:
        return []
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=(
                f"its version {neutralise(dist.version, limit=60)} is {len(dist.version)} "
                "characters long, unlike any real release; make sure this is the project "
                "you meant."
            ),
            evidence={"length": len(dist.version)},
        )
    ]


SUMMARY = "The version string is longer than any real release's (LOW)."

CHECK = Check(ID, run=run, summary=SUMMARY)
