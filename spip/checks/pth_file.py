"""``pth-file``: a wheel that would put a startup file into site-packages.

The bytes read are the ones phase 2 installs: spip's verified copy of the
planned file (or the user's local wheel); only when spip could not fetch it
is the wheel read from the index, with range requests. Severity comes from
the content (see :mod:`spip.startup_files`). Sdists and directories have no
file list before they are built: the snapshot after install covers them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks.base import CheckDataUnavailable
from spip.startup_files import ID, Seen, classify, editables, finding, startup_entry
from spip.wheelzip import ArchiveError, Budget, open_wheel

if TYPE_CHECKING:
    import httpx

    from spip.checks.base import CheckContext
    from spip.findings import Finding
    from spip.report import PlannedDist

__all__ = ["ID", "planned_location", "remote_client", "run"]


async def planned_location(dist: PlannedDist, ctx: CheckContext) -> Path | str:
    """Where to read the file phase 2 will install: spip's verified copy, else its URL."""
    from spip.fetch import IntegrityError

    try:
        local = await ctx.artifacts.local_file(dist)
    except IntegrityError as exc:
        raise CheckDataUnavailable(str(exc)) from None
    if local is None and not dist.url.startswith(("http://", "https://")):
        raise CheckDataUnavailable(f"{dist.filename} could not be read")
    return local or dist.url


def remote_client(location: Path | str, ctx: CheckContext) -> httpx.AsyncClient | None:
    """The run's HTTP client when ``location`` is a URL (a local file needs none)."""
    return ctx.pypi.client if isinstance(location, str) else None


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if not dist.is_wheel:
        return []
    location = await planned_location(dist, ctx)
    try:
        wheel = await open_wheel(location, Budget(), remote_client(location, ctx))
    except ArchiveError as exc:
        raise CheckDataUnavailable(str(exc)) from None
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
        raise CheckDataUnavailable(str(exc)) from None
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
