"""``dormant-revival``: a project silent for years publishes again, or an old release gets
a new file.

Abandoned projects are taken over: an expired e-mail domain is re-registered, the
account reset, and a new release (or a new file of an old release) pushed to everyone
who still depends on it (``ctx``, 2022: 0.1.2 from 2014, then 0.2.2 and 0.2.6). Two
index-data signals, both MEDIUM:

- the selected release came ``DORMANT_DAYS`` or more after the release before it;
- the selected file was added to a release that was already out before a newer one:
  the release's first file came before the newer release, the selected file after it.
  Platform wheels added to old releases (new Python versions, new platforms) are
  routine and not counted; an sdist or a pure wheel is. A whole release that comes
  after a newer one is a maintenance release (Django 5.2.19 after 6.0), not a new file
  for an old release; and a pre-release does not make the final releases before it old
  (google-auth 2.x after 3.0.0a1: ``make eval-ci`` refused 25 plans for it).

A revival of a project on the popular list is a LOW note: its return is news that many
eyes follow (python-dateutil 3.0.0 came 2.6 years after 2.9.0; every CI job installing
it for two weeks would have been refused), where a taken-over small project (``ctx``)
comes back unnoticed; and PyPI has required two-factor uploads since 2024, which closes
the expired-domain route. A new file for an old release stays MEDIUM everywhere.

Either only while the upload is less than ``RECENT_DAYS`` old: a hostile revival is
found and taken down within days (``ctx`` lasted ten), so one that has stood for two
weeks is history, not an attack in progress (with a year, ``make eval-ci`` refused
boto3 and pydantic for jmespath's and annotated-types' real revivals; with a month,
sglang and aiomqtt for easydict's and paho-mqtt's, three and four weeks old). The
cooldown holds every release of its first two days back anyway.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from spip.checks import hotlist
from spip.checks.base import Check, DataUnavailable
from spip.core import clock
from spip.core.versions import parse_version
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "dormant-revival"
DORMANT_DAYS = 730
RECENT_DAYS = 14


def _portable(filename: str) -> bool:
    """An sdist or a wheel for any platform: not a routine platform backfill."""
    return not filename.endswith(".whl") or filename.endswith("-none-any.whl")


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    from spip.index.pypi import DistFile  # loaded by then: the run has its index client

    project = await ctx.pypi.files(dist.name)
    current = parse_version(dist.version)
    if current is None:
        return []
    mine: list[DistFile] = []  # the files of this release
    older: list[datetime] = []
    newer: list[datetime] = []
    for f in project.files:
        parsed = parse_version(f.version)
        if parsed is None or f.upload_time is None:
            continue
        if parsed == current:
            mine.append(f)
        elif parsed < current:
            older.append(f.upload_time)
        elif current.is_prerelease or not parsed.is_prerelease:
            newer.append(f.upload_time)
    selected = project.file(dist.sha256, dist.filename)
    if selected is not None and selected not in mine:
        selected = None  # without an upload time, or listed under another version
    if selected is None:  # a release newer than the project's cached file list
        release = await ctx.pypi.release(dist.name, dist.version, dist.sha256)
        chosen = release.file(dist.sha256, dist.filename)
        uploads = [f.uploaded for f in release.urls if f.uploaded]
        if chosen is None or chosen.uploaded is None or not uploads:
            raise DataUnavailable(neutralise(f"the index gives no upload time for {dist.filename}"))
        mine = [DistFile(filename=chosen.filename, upload_time=min(uploads))]
        selected = DistFile(filename=chosen.filename, upload_time=chosen.uploaded)
    uploaded = selected.upload_time or clock.now()  # every file of ``mine`` has one
    released = min(f.upload_time for f in mine if f.upload_time)
    version = neutralise(dist.version)
    first_newer = min(newer, default=None)
    recent = (clock.now() - uploaded).days < RECENT_DAYS
    if (
        recent
        and first_newer is not None
        and released < first_newer < uploaded
        and _portable(selected.filename)
    ):
        message = (
            f"its file {neutralise(selected.filename, limit=80)} was uploaded on "
            f"{_day(uploaded)}, after a newer release was out ({_day(first_newer)}): "
            f"a new file for the old release {version} is how taken-over projects reach those "
            "who pinned it; check the project's news before installing."
        )
        evidence = {
            "kind": "reupload",
            "filename": selected.filename,
            "uploaded": uploaded.isoformat(),
            "newer_release_uploaded": first_newer.isoformat(),
        }
        return [Finding.about(dist, ID, Severity.MEDIUM, message=message, evidence=evidence)]
    before = max(older, default=None)
    now = clock.now()
    if before is None or (released - before).days < DORMANT_DAYS:
        return []
    if (now - released).days >= RECENT_DAYS:
        return []
    years = (released - before).days / 365.25
    message = (
        f"{version} came out on {_day(released)} after {years:.1f} years without a release "
        f"(the one before: {_day(before)}); abandoned projects are taken over and revived "
        "with malware — check the maintainers are the same people before installing."
    )
    revival: dict[str, str | int] = {
        "kind": "revival",
        "released": released.isoformat(),
        "previous_release": before.isoformat(),
        "dormant_days": (released - before).days,
    }
    if hotlist.load().with_extra(ctx.config.hotlist_extra).rank(dist.name) is None:
        return [Finding.about(dist, ID, Severity.MEDIUM, message=message, evidence=revival)]
    message = (
        f"{version} came out on {_day(released)} after {years:.1f} years without a release "
        f"(the one before: {_day(before)}); a popular project's return is news: a note."
    )
    finding = Finding.about(dist, ID, Severity.LOW, message=message, evidence=revival)
    return [dataclasses.replace(finding, informational=True)]


SUMMARY = (
    "The release came two years or more after the one before it, or a file was added to an "
    "old release after a newer one was out, within the last two weeks (MEDIUM; a popular "
    "project's revival is a LOW note)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
