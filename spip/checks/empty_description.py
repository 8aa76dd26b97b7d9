"""``empty-description``: the release says nothing about itself.

A real project describes what it does; throw-away and malicious uploads often
carry no summary and no description at all. Placeholders such as ``UNKNOWN``
(what old setuptools wrote for a missing field) count as empty. Projects on the
popular-names list are left alone: nobody else can upload under their names, and
a few of them (protobuf, py-spy) really publish no description.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from spip.checks import hotlist
from spip.checks.base import RELEASES, Check
from spip.policy.findings import Finding, Severity

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "empty-description"

# Compared after lower-casing and dropping everything but letters and digits.
PLACEHOLDERS = frozenset(
    {
        "",
        "unknown",  # setuptools' value for a missing field
        "none",
        "null",
        "na",
        "todo",
        "tbd",
        "description",
        "summary",
        "addashortdescriptionhere",  # PyScaffold's template
        "addyourdescriptionhere",  # uv init's template
        "ashortdescriptionoftheproject",
    }
)


def is_empty(text: str | None) -> bool:
    """True for missing, blank and placeholder text."""
    return re.sub(r"[\W_]+", "", (text or "").lower()) in PLACEHOLDERS


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if dist.source == "index" and hotlist.load().rank(dist.name) is not None:
        return []
    info = await ctx.pypi.info(dist)
    if not (is_empty(info.summary) and is_empty(info.description)):
        return []
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=(
                "has neither a summary nor a description; real projects say what they do, "
                "throw-away and malicious uploads often don't — check it is the project you meant."
            ),
            evidence={"summary": info.summary, "description": (info.description or "")[:200]},
        )
    ]


# A local source tree is the user's own work, not a release.
SUMMARY = (
    "The release has neither summary nor description (`UNKNOWN` counts as empty), as "
    "throw-away and malicious uploads often do (LOW)."
)

CHECK = Check(ID, run=run, sources=RELEASES, summary=SUMMARY)
