"""``index-confusion``: a name both a private or extra index and PyPI serve, resolved to PyPI.

Dependency confusion: an attacker uploads to PyPI a project named like one of your
private index's, with a higher version, and pip (which merges every index it looks in)
takes the public one (``torchtriton``, 2022: PyTorch's nightly index had it, a public
upload won). For each distribution the installer took from PyPI, every other index it
looks in is asked whether it serves the name too (a private index only sees the names
it might hold). MEDIUM; HIGH when the PyPI project is young
(``young_project.YOUNG_DAYS``), the attack's signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks import malicious, young_project
from spip.checks.base import Check
from spip.core import clock
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "index-confusion"


def other_indexes(dist: PlannedDist, ctx: CheckContext) -> list[str]:
    """The indexes besides PyPI the installer looks in (none when ``dist`` is not PyPI's)."""
    if not malicious.from_pypi(dist, ctx.config):
        return []
    public = malicious.PUBLIC_PYPI_HOSTS | {
        malicious.host(ctx.config.pypi_url),
        malicious.host(dist.url),
    }
    return [url for url in ctx.pypi.indexes if malicious.host(url) not in public]


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    others = other_indexes(dist, ctx)
    if not others:
        return []
    import asyncio

    answers = await asyncio.gather(*(ctx.pypi.serves(url, dist.name) for url in others))
    also = [url for url, yes in zip(others, answers, strict=True) if yes]
    if not also:
        return []
    first = (await ctx.pypi.files(dist.name)).first_upload()
    days = (clock.now() - first).days if first else None
    young = days is not None and days < young_project.YOUNG_DAYS
    where = ", ".join(neutralise(malicious.host(url), limit=60) for url in also)
    age = f" (a project {days} day{'' if days == 1 else 's'} old there)" if young else ""
    return [
        Finding.about(
            dist,
            ID,
            Severity.HIGH if young else Severity.MEDIUM,
            message=(
                f"{where} serves {neutralise(dist.name)} too, but the installer took "
                f"{neutralise(dist.version)} from PyPI{age}: this is how dependency-confusion "
                "attacks win; pin the index for this name, or check the public project is yours."
            ),
            evidence={
                "also_served_by": [malicious.host(url) for url in also],
                "resolved_from": malicious.host(dist.url),
                "pypi_first_upload": first.isoformat() if first else None,
            },
        )
    ]


SUMMARY = (
    "A name that an extra or private index serves too was resolved to PyPI (dependency "
    "confusion): MEDIUM; HIGH when the PyPI project is young."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
