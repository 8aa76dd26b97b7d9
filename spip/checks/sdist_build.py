"""``sdist-build``: a project with no usable wheel, whose build would run its code.

Unlike most checks this one runs during resolution, before there is a plan: the
installer resolves wheels only and, for each project it then cannot find that the
index has an sdist of, this check says what building it means. Building runs the
project's ``setup.py`` (or build backend) on this machine before any check could
look at its files, so the gate must agree first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity

if TYPE_CHECKING:
    from spip.checks.base import CheckContext

ID = "sdist-build"


async def unresolvable(names: Sequence[str], ctx: CheckContext) -> list[Finding]:
    import asyncio  # not at import time (see spip.checks.base)

    projects = await asyncio.gather(*(ctx.pypi.files(name) for name in names))
    return [
        Finding(
            check=ID,
            severity=Severity.MEDIUM,
            package=name,
            version=None,
            message=(
                "has no wheel pip may use here (none for this platform, or a requirements "
                "file's --no-binary); installing it means building its sdist, which runs the "
                "project's own build code now. "
                f"Continue only if you trust {name}."
            ),
            evidence={"sdists": project.sdists()[-3:]},
        )
        for name, project in zip(names, projects, strict=True)
    ]


SUMMARY = (
    "A project has no usable wheel, so installing it would run its build code on this "
    "machine before any check saw its files (MEDIUM)."
)

CHECK = Check(ID, unresolvable=unresolvable, summary=SUMMARY)
