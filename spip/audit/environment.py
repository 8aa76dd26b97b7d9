"""What an environment holds, as a plan: one entry per installed ``*.dist-info``.

Each entry carries the installed metadata (``METADATA``) and where the distribution
came from: ``direct_url.json`` (PEP 610) when there is one, else the index when pip or
uv installed it (``INSTALLER``), whose release file is then found by the wheel tags the
installed ``WHEEL`` lists; anything else (another installer, no record) is audited as a
local file, by its metadata only. The startup files already in the environment's
directories (``.pth``, ``sitecustomize.py``, ...) go to the ``INSTALLED`` stage, owned
by the distribution whose ``RECORD`` lists them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import msgspec.structs
from packaging.tags import parse_tag

from spip.afterinstall.snapshot import Snapshot, new_startup_files, owners, take_snapshot
from spip.audit.inputs import InputError
from spip.audit.locations import Location
from spip.checks.base import InstalledFile
from spip.core.distfiles import parse_dist_filename
from spip.index.errors import DataUnavailable
from spip.installer.install_dirs import install_dirs, install_dirs_command
from spip.installer.pip_args import parse
from spip.plan.metadata import metadata_json
from spip.plan.report import DownloadInfo, PlannedDist

if TYPE_CHECKING:
    from spip.index.pypi import PyPIClient

INDEX_INSTALLERS = ("pip", "uv")


@dataclass
class Environment:
    dirs: list[Path]
    plan: list[PlannedDist] = field(default_factory=list)
    startup: list[InstalledFile] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    wheel_tags: dict[str, list[str]] = field(default_factory=dict)  # by name, index only


def site_dirs(python: str) -> list[Path]:
    """The directories ``python`` installs packages to (purelib, platlib)."""
    args = parse([])
    try:
        out = subprocess.run(
            install_dirs_command(python, args), capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InputError(f"cannot ask {python} where it installs packages: {exc}") from None
    return install_dirs(out, args)


def read_environment(dirs: Sequence[Path]) -> Environment:
    env = Environment(list(dirs))
    for directory in dirs:
        for info in sorted(directory.glob("*.dist-info")):
            dist = _planned(info)
            if dist is None or any(d.name == dist.name for d in env.plan):
                continue
            env.plan.append(dist)
            env.locations[dist.name] = Location(info / "METADATA", 1)
            if dist.source == "index":
                env.wheel_tags[dist.name] = _wheel_tags(info)
    present = take_snapshot(dirs)
    empty: Snapshot = {d: {} for d in present}
    owner_of = owners(empty, present)
    env.startup = [
        InstalledFile(path, *owner_of.get(path, (None, None)))
        for path in new_startup_files(empty, present)
    ]
    return env


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _planned(info: Path) -> PlannedDist | None:
    text = _read(info / "METADATA")
    if text is None:
        return None
    meta = metadata_json(text)
    if not meta.get("name") or not meta.get("version"):
        return None
    record: dict[str, Any] = {"metadata": meta, "requested": (info / "REQUESTED").exists()}
    direct = _read(info / "direct_url.json")
    installer = (_read(info / "INSTALLER") or "").strip()
    if direct is not None:
        try:
            record["download_info"] = json.loads(direct)
            record["is_direct"] = True
            return msgspec.convert(record, PlannedDist)
        except ValueError:
            pass  # an unreadable record: audited by its metadata only, below
    elif installer in INDEX_INSTALLERS:
        record["download_info"] = {"url": ""}  # the release file is found on the index
        return msgspec.convert(record, PlannedDist)
    record["download_info"] = {"url": info.as_uri()}
    record["is_direct"] = True
    return msgspec.convert(record, PlannedDist)


def _wheel_tags(info: Path) -> list[str]:
    text = _read(info / "WHEEL") or ""
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]


async def locate_files(env: Environment, pypi: PyPIClient) -> None:
    """Give each index-installed entry the release file it was installed from (its URL
    and sha256), found on the index by the tags of its ``WHEEL``; an entry whose file
    cannot be found keeps no file, and the checks that need one say so."""
    import asyncio

    async def locate(dist: PlannedDist) -> PlannedDist:
        if dist.source != "index":
            return dist
        tags = {t for text in env.wheel_tags.get(dist.name, []) for t in parse_tag(text)}
        try:
            release = await pypi.release(dist.name, dist.version)
        except DataUnavailable:
            return dist
        for file in release.urls:
            parsed = parse_dist_filename(file.filename)
            if file.url and parsed is not None and parsed.tags & tags:
                info = {"url": file.url, "archive_info": {"hashes": dict(file.digests)}}
                return msgspec.structs.replace(
                    dist, download_info=msgspec.convert(info, DownloadInfo)
                )
        return dist

    env.plan = list(await asyncio.gather(*(locate(d) for d in env.plan)))
