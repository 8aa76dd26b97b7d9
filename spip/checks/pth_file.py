"""``pth-file``: a wheel that would put a startup file into site-packages, or an install
that did.

Before install, the bytes read are the ones phase 2 installs: spip's verified copy
of the planned file (or the user's local wheel), never the index's answers to range
requests; a wheel that cannot be read is an ``unverified`` MEDIUM and is not
installed. A startup file the previous release installed byte for byte is LOW at
most (coverage's hook, for one). After install, the startup
files phase 2 added or changed are judged in place (sdists and directories have no
file list before they are built), except those the gate already let through.
Severity comes from the content (see :mod:`spip.checks.startup_rules`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks import contents
from spip.checks.base import RELEASES, Check, DataUnavailable
from spip.checks.startup_rules import ID, Seen, classify, editables, finding
from spip.core.logs import log
from spip.policy.findings import Severity

if TYPE_CHECKING:
    from spip.checks.base import CheckContext, InstalledFile
    from spip.plan.report import PlannedDist
    from spip.policy.findings import Finding

__all__ = ["CHECK", "ID"]

READ_LIMIT = 1024 * 1024  # bytes of an installed startup file read to judge it


async def _baseline(dist: PlannedDist, ctx: CheckContext) -> contents.Baseline | None:
    """The previous release, to recognise startup files it installed unchanged; without
    it every file keeps its full severity."""
    from spip.index.wheelzip import ArchiveError  # see spip.checks.base

    if dist.source != "index":
        return None
    try:
        return await contents.previous(dist.name, dist.version, dist.filename, ctx)
    except (DataUnavailable, ArchiveError):  # only a discount: without it the verdict stands
        log.debug("no previous release of %s to compare with", dist.name, exc_info=True)
        return None


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if not dist.is_wheel:
        return []
    mine = await contents.planned(dist, ctx)
    if not mine.startup:
        return []
    base = await _baseline(dist, ctx)
    seen = []
    for entry in sorted(mine.startup):
        digest = mine.startup[entry]
        same = (
            base is not None and digest is not None and base.contents.startup.get(entry) == digest
        )
        verdict = classify(
            entry,
            mine.startup_bytes.get(entry),
            editables=editables(ctx.plan),
            unchanged_since=base.version if same and base else None,
        )
        if verdict.severity is not None:
            seen.append(Seen(entry, verdict, digest))
    if not seen:
        return []
    return [finding(dist.name, dist.version, seen)]


def _read(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(READ_LIMIT + 1)
    except OSError:
        return None
    return data if len(data) <= READ_LIMIT else None


async def installed(files: Sequence[InstalledFile], ctx: CheckContext) -> list[Finding]:
    """A finding, with its ``path``, for each new startup file that is not known benign
    and that no finding the gate passed before install showed."""
    accepted = {n for f in ctx.passed if f.check == ID for n in f.evidence.get("files", [])}
    editable = editables(ctx.plan)
    found = []
    for file in files:
        if file.path.name in accepted:
            continue
        data = _read(file.path)
        verdict = classify(file.path.name, data, sitedir=file.path.parent, editables=editable)
        if verdict.severity is None:
            continue
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
        seen = Seen(file.path.name, verdict, digest)
        where = f"seen in {file.path.parent} after install"
        package = file.package or "(unknown package)"
        found.append(replace(finding(package, file.version, [seen], where=where), path=file.path))
    return found


SUMMARY = (
    "A wheel would install, or an install dropped, a `.pth`, `sitecustomize.py` or "
    "`usercustomize.py` that runs code at every Python start, wherever pip's normalised "
    "member names put it (MEDIUM; HIGH when it decodes or executes hidden code; LOW for a "
    "path-only `.pth`, and LOW at most for one the previous release installed unchanged)."
)

# Any wheel, wherever it comes from (directories and VCS checkouts have none). A wheel
# whose contents cannot be seen is refused (fail closed).
CHECK = Check(
    ID,
    run=run,
    installed=installed,
    sources=RELEASES,
    unverified=Severity.MEDIUM,
    summary=SUMMARY,
)
