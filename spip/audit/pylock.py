"""A PEP 751 lock file (``pylock.toml``) as a plan: the exact files it pins.

Every package of the lock is audited, whatever its markers say (a lock serves several
platforms). Of a package's wheels, the one this interpreter would install is checked
(else the first listed); a package with only an sdist is also reported to the
``UNRESOLVABLE`` stage, since installing it means building it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from packaging.tags import sys_tags

from spip.audit.inputs import InputError, read_text
from spip.audit.locations import Location
from spip.core import toml
from spip.core.distfiles import parse_dist_filename
from spip.plan.report import PlannedDist


@dataclass
class Lock:
    plan: list[PlannedDist] = field(default_factory=list)
    sdist_only: list[str] = field(default_factory=list)  # index packages with no wheel
    locations: dict[str, Location] = field(default_factory=dict)


def read_lock(path: Path) -> Lock:
    text = read_text(path)
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    if not str(data.get("lock-version", "")).startswith("1."):
        raise InputError(f"{path}: not a PEP 751 lock file of version 1 (no lock-version 1.x)")
    packages = data.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise InputError(f"{path}: [[packages]] must be an array of tables")
    lines = _package_lines(text)
    lock = Lock()
    for number, package in enumerate(packages):
        dist = _planned(package, path)
        lock.plan.append(dist)
        if dist.source == "index" and not package.get("wheels") and package.get("sdist"):
            lock.sdist_only.append(dist.name)
        line = lines[number] if number < len(lines) else 0
        lock.locations.setdefault(dist.name, Location(path, line))
    return lock


def _package_lines(text: str) -> list[int]:
    """The line of each ``[[packages]]`` table's ``name =`` (else its header), in order."""
    found: list[int] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "[[packages]]":
            found.append(number)
            inside = True
        elif stripped.startswith("["):
            inside = False
        elif inside and stripped.startswith("name") and stripped[4:].lstrip().startswith("="):
            found[-1] = number
            inside = False
    return found


def _url(entry: dict[str, Any], base: Path, what: str) -> str:
    if isinstance(entry.get("url"), str):
        return str(entry["url"])
    if isinstance(entry.get("path"), str):
        return (base.parent / str(entry["path"])).resolve().as_uri()
    raise InputError(f"{base}: {what} has neither url nor path")


def _archive(entry: dict[str, Any], base: Path, what: str) -> dict[str, Any]:
    hashes = entry.get("hashes", {})
    if not isinstance(hashes, dict):
        raise InputError(f"{base}: {what}: hashes must be a table")
    return {"url": _url(entry, base, what), "archive_info": {"hashes": hashes}}


def _best_wheel(wheels: list[dict[str, Any]], base: Path, what: str) -> dict[str, Any]:
    supported = {tag: rank for rank, tag in enumerate(sys_tags())}

    def rank(wheel: dict[str, Any]) -> int:
        name = wheel.get("name") or _url(wheel, base, what).rsplit("/", 1)[-1]
        parsed = parse_dist_filename(str(name))
        ranks = [supported[t] for t in parsed.tags if t in supported] if parsed else []
        return min(ranks, default=len(supported))

    return min(wheels, key=rank)


def _planned(package: dict[str, Any], path: Path) -> PlannedDist:
    name = package.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{path}: a [[packages]] entry has no name")
    what = f"package {name}"
    version = str(package.get("version", "0+unknown"))
    info: dict[str, Any]
    direct = True
    if isinstance(package.get("vcs"), dict):
        vcs = package["vcs"]
        info = {
            "url": _url(vcs, path, what),
            "vcs_info": {
                "vcs": str(vcs.get("type", "git")),
                "commit_id": vcs.get("commit-id"),
                "requested_revision": vcs.get("requested-revision"),
            },
        }
    elif isinstance(package.get("directory"), dict):
        directory = package["directory"]
        editable = bool(directory.get("editable", False))
        info = {"url": _url(directory, path, what), "dir_info": {"editable": editable}}
    elif isinstance(package.get("archive"), dict):
        info = _archive(package["archive"], path, what)
    elif package.get("wheels"):
        if not isinstance(package["wheels"], list):
            raise InputError(f"{path}: {what}: wheels must be an array of tables")
        info = _archive(_best_wheel(package["wheels"], path, what), path, what)
        direct = False
    elif isinstance(package.get("sdist"), dict):
        info = _archive(package["sdist"], path, what)
        direct = False
    else:
        raise InputError(f"{path}: {what} names no wheels, sdist, archive, directory or vcs")
    record = {
        "download_info": info,
        "is_direct": direct,
        "requested": True,  # a lock names every package it installs
        "metadata": {"name": name, "version": version},
    }
    try:
        return msgspec.convert(record, PlannedDist)
    except msgspec.ValidationError as exc:  # a value of another type (an integer URL)
        raise InputError(f"{path}: {what}: {exc}") from None
