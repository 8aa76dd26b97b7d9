"""``pth-file``: a wheel that would put a startup file into site-packages, or an install
that did.

Before install, the bytes read are the ones phase 2 installs: spip's verified copy
of the planned file (or the user's local wheel); only when spip could not fetch it
is the wheel read from the index, with range requests. After install, the startup
files phase 2 added or changed are judged in place (sdists and directories have no
file list before they are built), except those the gate already let through.
Severity comes from the content (see :mod:`spip.checks.startup_rules`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks.base import RELEASES, Check, DataUnavailable
from spip.checks.startup_rules import ID, Seen, classify, editables, finding, startup_entry

if TYPE_CHECKING:
    import httpx

    from spip.checks.base import CheckContext, InstalledFile
    from spip.plan.report import PlannedDist
    from spip.policy.findings import Finding

__all__ = ["CHECK", "ID", "planned_location", "remote_client"]

READ_LIMIT = 1024 * 1024  # bytes of an installed startup file read to judge it


async def planned_location(dist: PlannedDist, ctx: CheckContext) -> Path | str:
    """Where to read the file phase 2 will install: spip's verified copy, else its URL."""
    from spip.index.artifacts import IntegrityError

    try:
        local = await ctx.artifacts.local_file(dist)
    except IntegrityError as exc:
        raise DataUnavailable(str(exc)) from None
    if local is None and not dist.url.startswith(("http://", "https://")):
        raise DataUnavailable(f"{dist.filename} could not be read")
    return local or dist.url


def remote_client(location: Path | str, ctx: CheckContext) -> httpx.AsyncClient | None:
    """The run's HTTP client when ``location`` is a URL (a local file needs none)."""
    return ctx.pypi.client if isinstance(location, str) else None


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    from spip.index.wheelzip import ArchiveError, Budget, open_wheel  # see spip.checks.base

    if not dist.is_wheel:
        return []
    location = await planned_location(dist, ctx)
    try:
        wheel = await open_wheel(location, Budget(), remote_client(location, ctx))
    except ArchiveError as exc:
        raise DataUnavailable(str(exc)) from None
    members: dict[str, list[str]] = defaultdict(list)
    for member in wheel.names:
        entry = startup_entry(member)
        if entry:
            members[entry].append(member)
    if not members:
        return []
    # A lone member named like its entry is a file; anything else is a package folder.
    files = {e: m[0] for e, m in members.items() if len(m) == 1 and Path(m[0]).name == e}
    try:
        contents = await wheel.read(files.values())
    except ArchiveError as exc:
        raise DataUnavailable(str(exc)) from None
    seen = []
    for entry in sorted(members):
        data = contents.get(files[entry]) if entry in files else None
        verdict = classify(entry, data, editables=editables(ctx.plan))
        if verdict.severity is not None:
            digest = hashlib.sha256(data).hexdigest() if data is not None else None
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


# Any wheel, wherever it comes from (directories and VCS checkouts have none).
SUMMARY = (
    "A wheel would install, or an install dropped, a `.pth`, `sitecustomize.py` or "
    "`usercustomize.py` that runs code at every Python start (MEDIUM; HIGH when it "
    "decodes or executes hidden code; LOW for a path-only `.pth`)."
)

CHECK = Check(ID, run=run, installed=installed, sources=RELEASES, summary=SUMMARY)
