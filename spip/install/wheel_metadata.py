"""The plan's metadata read from the verified wheels, for an installer whose plan names
only files (uv's: :attr:`spip.installer.base.Resolution.metadata_from_files`).

Each wheel's ``METADATA`` comes from spip's copy of the very file phase 2 installs
(what is judged is what lands, not a separate ``.metadata`` file), as pip and uv
find it: in the wheel's one top-level ``*.dist-info`` folder. The copy is being
fetched already (the head starts follow the planning run), so this waits for no
request of its own. A wheel whose METADATA cannot be found that way is unfit to
install: the checks would see nothing of what it declares (pip and uv refuse such a
wheel too, tried with uv 0.13; spip does not count on it). A plan entry whose file
spip could not fetch keeps its name and version only: the fetch step says why it is
not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import msgspec.structs

from spip.core.logs import log
from spip.index.artifacts import Artifacts, IntegrityError, UnfitFile
from spip.plan.metadata import metadata_json
from spip.plan.report import CoreMetadata, PlannedDist
from spip.ui.sanitize import neutralise


async def with_wheel_metadata(
    plan: Sequence[PlannedDist], artifacts: Artifacts
) -> list[PlannedDist]:
    """``plan`` with each wheel's metadata read from its verified copy (started with
    :meth:`Artifacts.start`)."""
    return list(await asyncio.gather(*(_read(dist, artifacts) for dist in plan)))


async def _read(dist: PlannedDist, artifacts: Artifacts) -> PlannedDist:
    if not dist.is_wheel:
        return dist
    try:
        path = await artifacts.local_file(dist)
    except (IntegrityError, UnfitFile):
        return dist  # the file is never installed: the next steps say why
    if path is None:
        return dist
    text = await wheel_metadata(path)
    if text is None:
        why = "it has no single .dist-info folder with a METADATA file spip can read"
        artifacts.refuse(dist, f"{neutralise(dist.filename)} cannot be checked: {why}")
        return dist
    fields = {**metadata_json(text), "name": dist.metadata.name, "version": dist.version}
    return msgspec.structs.replace(dist, metadata=CoreMetadata(**fields))


async def wheel_metadata(path: Path) -> str | None:
    """The METADATA file of a local wheel, as pip finds it: in its one top-level
    ``*.dist-info`` folder; None when there is no such single folder with one, or it
    cannot be read."""
    from spip.index.wheelzip import ArchiveError, open_wheel

    try:
        wheel = await open_wheel(path)
    except ArchiveError as exc:
        log.debug("cannot read the metadata of %s: %s", path, exc)
        return None
    try:
        folders = {n.split("/", 1)[0] for n in wheel.names if "/" in n}
        info = [f for f in folders if f.endswith(".dist-info")]
        member = f"{info[0]}/METADATA" if len(info) == 1 else ""
        if member not in wheel.names:
            return None
        data = (await wheel.read([member]))[member]
    except ArchiveError as exc:
        log.debug("cannot read the metadata of %s: %s", path, exc)
        return None
    finally:
        wheel.close()
    return data.decode("utf-8", "replace")
