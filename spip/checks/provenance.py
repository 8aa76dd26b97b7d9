"""``provenance``: the release lost the PEP 740 attestations its predecessor had, or they
name another publisher.

A project that publishes from CI with a trusted publisher gets attestations on every
file, naming the repository and workflow that built it. A release without them, after
one with them, was likely uploaded by hand with a stolen token; attestations naming
another repository or publisher kind mean someone else built it. Both are MEDIUM.
Provenance alone proves nothing (a poisoned build has valid provenance): this check is
about regressions only, and is silent for projects that never had attestations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.checks.base import Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import Publisher
    from spip.plan.report import PlannedDist

ID = "provenance"


def _identity(publisher: Publisher) -> tuple[str, str]:
    return ((publisher.kind or "").lower(), (publisher.repository or "").lower())


def _describe(publisher: Publisher) -> str:
    where = publisher.repository or "an unnamed repository"
    return neutralise(f"{publisher.kind or 'an unknown publisher'} {where}", limit=100)


def _evidence(publisher: Publisher | None) -> dict[str, str | None] | None:
    import msgspec.structs

    return msgspec.structs.asdict(publisher) if publisher is not None else None


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    project = await ctx.pypi.files(dist.name)
    previous = project.previous_version(dist.version)
    if previous is None:
        return []
    before = next(
        (f.provenance for f in project.files if f.version == previous and f.provenance), None
    )
    if before is None:
        return []  # the previous release had no attestations: nothing regressed
    selected = project.file(dist.sha256, dist.filename)
    old = next(iter(await ctx.pypi.publishers(before)), None)
    if selected is None or selected.provenance is None:
        message = (
            f"the previous release {neutralise(previous)} was published with attestations "
            f"from {_describe(old) if old else 'a trusted publisher'}, this one has none: it "
            "was not built by the project's CI; check the release is genuine before installing."
        )
        return [_finding(dist, message, previous, old, None)]
    new = next(iter(await ctx.pypi.publishers(selected.provenance)), None)
    if old is None or new is None or _identity(old) == _identity(new):
        return []
    message = (
        f"its attestations name {_describe(new)}, the previous release's named "
        f"{_describe(old)}: someone else built this release; check the project moved "
        "before installing."
    )
    return [_finding(dist, message, previous, old, new)]


def _finding(
    dist: PlannedDist, message: str, previous: str, old: Publisher | None, new: Publisher | None
) -> Finding:
    return Finding.about(
        dist,
        ID,
        Severity.MEDIUM,
        message=message,
        evidence={
            "previous_version": previous,
            "previous_publisher": _evidence(old),
            "publisher": _evidence(new),
        },
    )


SUMMARY = (
    "PEP 740: the previous release had attestations and this one has none, or they name "
    "another repository or publisher (MEDIUM)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
