"""``fresh-release``: a release uploaded only hours ago, and the cooldown that holds it back.

Hijacked accounts and malicious uploads do their damage in the first hours, before
anyone has noticed and the index has taken the release down; waiting a day or two is
the cheapest defence there is. The threshold is ``fresh-release-hours`` (default 48;
0 turns the check off).

By default (``cooldown = true``) the install step re-resolves with every release
younger than the threshold left out (:func:`fresh_releases` says which) and reports
each release it held back (:func:`held_back`, a LOW note). A release still in the plan
when the check runs is one the cooldown could not hold back (the user asked for it by
name, or nothing older fits): MEDIUM, asked as without a cooldown; HIGH under
``cooldown = "strict"``, which refuses rather than install an older version.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from spip.checks.base import Check, DataUnavailable
from spip.core import clock
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import ProjectFiles
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


class Fresh(msgspec.Struct, frozen=True):
    """A planned release younger than the cooldown, and what to leave out to avoid it."""

    name: str
    version: str
    uploaded: datetime
    # Every version of the project with a file younger than the cooldown (this one too).
    versions: tuple[str, ...]


def _uploaded(files: ProjectFiles, dist: PlannedDist) -> datetime | None:
    """The upload time of the file pip selected, from the project's release history."""
    by_hash = next((f for f in files.files if dist.sha256 and f.sha256 == dist.sha256), None)
    chosen = by_hash or next((f for f in files.files if f.filename == dist.filename), None)
    return chosen.upload_time if chosen else None


async def fresh_releases(
    plan: Sequence[PlannedDist], ctx: CheckContext, cutoff: datetime, spared: Collection[str]
) -> dict[str, Fresh]:
    """The planned releases the cooldown holds back: from the index, selected file
    uploaded after ``cutoff``, the project neither in ``cooldown-exclude`` nor in
    ``spared`` (the names the user pinned). A project whose history cannot be read is
    left to :func:`run`, which reports it."""
    import asyncio  # not at import time (see spip.checks.base)

    candidates = [
        d
        for d in plan
        if d.source == "index" and ctx.config.cooled(d.name) and d.name not in spared
    ]

    async def one(dist: PlannedDist) -> Fresh | None:
        try:
            files = await ctx.pypi.files(dist.name)
        except DataUnavailable:
            return None
        uploaded = _uploaded(files, dist)
        if uploaded is None or uploaded <= cutoff:
            return None
        young = {
            f.version for f in files.files if f.version and f.upload_time and f.upload_time > cutoff
        }
        versions = tuple(sorted(young | {dist.version}))
        return Fresh(dist.name, dist.version, uploaded, versions)

    found = await asyncio.gather(*(one(d) for d in candidates))
    return {f.name: f for f in found if f is not None}


async def held_back(
    fresh: Fresh, installed: PlannedDist | None, ctx: CheckContext, dry_run: bool
) -> tuple[Finding, dict[str, Any]]:
    """The LOW note and the findings document's ``held_back`` entry for a release the
    cooldown left out; ``installed``: what the plan has of the project instead."""
    now = clock.now()
    age = (now - fresh.uploaded).total_seconds()
    hours = ctx.config.fresh_release_hours
    version = neutralise(fresh.version)
    verb = "would install" if dry_run else "installed"
    if installed is None:
        instead = "no longer needed by the plan"
    else:
        try:
            uploaded = _uploaded(await ctx.pypi.files(installed.name), installed)
        except DataUnavailable:
            uploaded = None
        when = (
            f", uploaded {describe_age((now - uploaded).total_seconds())} ago" if uploaded else ""
        )
        instead = f"{verb} {neutralise(installed.version)}{when}"
    message = (
        f"{version} is {describe_age(age)} old; {instead}: held back by the {hours:g} h "
        "cooldown (--no-cooldown or cooldown-exclude takes it)."
    )
    entry = {
        "name": fresh.name,
        "version": fresh.version,
        "installed": installed.version if installed else None,
        "age_hours": round(max(age, 0) / 3600, 1),
    }
    note = Finding(
        ID,
        Severity.LOW,
        fresh.name,
        fresh.version,
        message,
        evidence={**entry, "uploaded": fresh.uploaded.isoformat(), "threshold_hours": hours},
        informational=True,
    )
    return note, entry


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    config = ctx.config
    threshold = config.fresh_release_hours
    if threshold <= 0 or (config.cooldown == "true" and not config.cooled(dist.name)):
        return []  # off, or the project is in cooldown-exclude
    # The file pip chose, by its sha256: from the JSON API, else the index pip used.
    selected = await ctx.pypi.served_file(dist)
    uploaded = selected.upload_time
    assert uploaded is not None  # served_file() raises when no index gives one
    age = (clock.now() - uploaded).total_seconds()
    if age >= threshold * 3600:
        return []
    version = neutralise(dist.version)
    found = f"{version} was uploaded {describe_age(age)} ago; new releases are when hijacked "
    if config.cooldown == "strict":
        severity = Severity.HIGH
        advice = (
            "accounts strike, and the strict cooldown refuses releases younger than "
            f"{threshold:g} h: pin an older version, or wait."
        )
    else:
        severity = Severity.MEDIUM
        advice = "accounts strike — wait a day or pin the previous version unless you expected "
        advice += "this release."
        if config.cooldown == "true":
            advice += " The cooldown kept it: you asked for this version, or nothing older fits."
    return [
        Finding.about(
            dist,
            ID,
            severity,
            message=found + advice,
            evidence={
                "filename": selected.filename,
                "uploaded": uploaded.isoformat(),
                "age_hours": round(max(age, 0) / 3600, 1),
                "threshold_hours": threshold,
            },
        )
    ]


SUMMARY = (
    "A release younger than `fresh-release-hours` (48), when hijacked releases do their "
    "damage: held back by the cooldown (a LOW note); MEDIUM when asked for by name or "
    "nothing older fits (HIGH under the strict cooldown)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
