"""What a distribution file holds, as the content checks (``pth-file``, ``release-diff``)
see it; not a check itself.

The planned file is read from spip's verified copy, never from the index: what
phase 2 installs is what is judged, and a server that mangles range requests
cannot change that. A planned wheel that cannot be read is marked unfit
(:meth:`spip.index.artifacts.Artifacts.refuse`): it never reaches the installer.
The previous release's comparable file is read from its index (range requests
where they can be trusted, else one download checked against the index's
sha256), kept in the cache by sha256. Each is read once per run and shared.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from packaging.tags import Tag
from packaging.version import InvalidVersion, Version

from spip.checks.base import DataUnavailable
from spip.checks.startup_rules import site_root_path, startup_entry
from spip.core import toml
from spip.core.distfiles import parse_dist_filename
from spip.core.versions import same_version
from spip.index.cache import Cache

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import DistFile
    from spip.index.wheelzip import Wheel
    from spip.plan.report import PlannedDist

# Native code by file name: extension modules, shared libraries, executables.
_NATIVE = re.compile(r"\.(?:so(?:\.\d+)*|pyd|dylib|dll|exe)$", re.IGNORECASE)
_ENTRY_POINTS = re.compile(r"^[^/]+\.dist-info/entry_points\.txt$")
_CACHE_KEY = "release-diff-2"


@dataclass(frozen=True)
class Contents:
    """What one distribution file holds, as far as the content checks care."""

    # site-packages root entry -> sha256 of the file (None: a package folder, unread)
    startup: dict[str, str | None] = field(default_factory=dict)
    commands: frozenset[str] = frozenset()
    native: tuple[str, ...] = ()
    has_code: bool = True  # False: a wheel with nothing but its .dist-info (a placeholder)
    setup_py: bytes | None = None
    backend: str | None = None
    # the startup files' bytes (the planned file only; not cached)
    startup_bytes: dict[str, bytes | None] = field(default_factory=dict, compare=False)


class Baseline(msgspec.Struct, frozen=True):
    """The previous release, its file comparable with the planned one, and its contents."""

    version: str
    file: DistFile
    contents: Contents
    platform_wheels: bool  # whether that release had platform-specific wheels at all


def console_scripts(text: bytes) -> set[str]:
    import configparser  # on first use (see spip.checks.base)

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text.decode("utf-8", errors="replace"))
    except configparser.Error:
        return set()
    return {
        k for s in ("console_scripts", "gui_scripts") if parser.has_section(s) for k in parser[s]
    }


async def _wheel_contents(wheel: Wheel, *, keep_bytes: bool) -> Contents:
    from spip.index.wheelzip import MEMBER_LIMIT

    files = [m for m in wheel.members if m.dest is not None]
    commands = {
        m.dest[1] for m in files if m.dest and m.dest[0] == "scripts" and "/" not in m.dest[1]
    }
    native = tuple(
        m.name
        for m in files
        if _NATIVE.search(m.name)
        and m.dest is not None
        and (site_root_path(m.dest) is not None or m.dest[0] == "scripts")
    )
    has_code = any(
        not (m.dest and m.dest[0] == "lib" and m.dest[1].split("/", 1)[0].endswith(".dist-info"))
        for m in files
    )
    entries: dict[str, list[str]] = {}
    for m in files:
        if entry := startup_entry(m.dest):
            entries.setdefault(entry, []).append(m.name)
    # A lone member named like its entry is a file; anything else is a package folder.
    by_name = {m.name: m for m in files}
    single = {
        e: ms[0]
        for e, ms in entries.items()
        if len(ms) == 1 and site_root_path(by_name[ms[0]].dest) == e
    }
    entry_points = [m.name for m in files if _ENTRY_POINTS.match(m.name)][:1]
    wanted = list(single.values()) + entry_points
    if not keep_bytes:  # the previous release: a startup file too large is just "changed"
        wanted = [n for n in wanted if by_name[n].size <= MEMBER_LIMIT]
    data = await wheel.read(wanted)
    if entry_points:
        commands |= console_scripts(data[entry_points[0]])
    startup_bytes = {e: data.get(single[e]) if e in single else None for e in entries}
    startup = {
        e: hashlib.sha256(b).hexdigest() if b is not None else None
        for e, b in startup_bytes.items()
    }
    return Contents(
        startup, frozenset(commands), native, has_code,
        startup_bytes=startup_bytes if keep_bytes else {},
    )  # fmt: skip


def _backend(pyproject: bytes | None) -> str:
    """The build backend an sdist declares (setuptools when none), and where it lives."""
    system = {}
    if pyproject is not None:
        try:
            system = toml.loads(pyproject.decode("utf-8", errors="replace")).get("build-system", {})
        except toml.TOMLDecodeError:
            return "(unreadable pyproject.toml)"
    # The legacy default and setuptools.build_meta run the same setup.py.
    backend = str(system.get("build-backend") or "setuptools.build_meta")
    backend = backend.removesuffix(":__legacy__")
    in_tree = system.get("backend-path")
    return f"{backend} (in the sdist itself: {in_tree})" if in_tree else backend


async def _read(
    location: Path | str, ctx: CheckContext, sha256: str | None, *, planned: bool
) -> Contents:
    from spip.index.wheelzip import Budget, open_wheel, read_sdist  # see spip.checks.base

    client = ctx.pypi.client if isinstance(location, str) else None
    name = location.name if isinstance(location, Path) else location.rsplit("/", 1)[-1]
    if name.split("#", 1)[0].endswith(".whl"):
        wheel = await open_wheel(location, Budget(), client, sha256)
        try:
            return await _wheel_contents(wheel, keep_bytes=planned)
        finally:
            wheel.close()
    sdist = await read_sdist(location, Budget(), client, sha256=sha256)
    return Contents(
        setup_py=sdist.files.get("setup.py"), backend=_backend(sdist.files.get("pyproject.toml"))
    )


async def planned_location(dist: PlannedDist, ctx: CheckContext) -> Path:
    """The file phase 2 will install: spip's verified copy (or the user's local file)."""
    from spip.index.artifacts import IntegrityError, UnfitFile

    ctx.artifacts.start([dist])  # whoever runs the checks (an install, an audit): fetched once
    try:
        local = await ctx.artifacts.local_file(dist)
    except (IntegrityError, UnfitFile) as exc:
        raise DataUnavailable(str(exc)) from None
    if local is None:
        why = ctx.artifacts.errors.get(dist.name, "pip's report gives no sha256 to verify it")
        raise DataUnavailable(
            f"spip could not get a verified copy of {dist.filename} ({why}), so its "
            "contents were not checked"
        )
    return local


def planned(dist: PlannedDist, ctx: CheckContext) -> Awaitable[Contents]:
    """The planned file's contents, read once per run from the verified copy; a wheel
    that cannot be read is marked unfit to install and raises :class:`DataUnavailable`."""

    async def read() -> Contents:
        from spip.index.wheelzip import ArchiveError

        location = await planned_location(dist, ctx)
        try:
            return await _read(location, ctx, dist.sha256, planned=True)
        except ArchiveError as exc:
            reason = f"{dist.filename} cannot be read: {exc}"
            if dist.is_wheel:
                ctx.artifacts.refuse(dist, reason)
            raise DataUnavailable(reason) from None

    return ctx.once(("contents", dist.name, dist.version, dist.filename), read)


def _to_json(c: Contents) -> dict[str, object]:
    return {
        "startup": c.startup,
        "commands": sorted(c.commands),
        "native": list(c.native),
        "has_code": c.has_code,
        "setup_py": None if c.setup_py is None else base64.b64encode(c.setup_py).decode(),
        "backend": c.backend,
    }


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return value


def _from_json(data: dict[str, object]) -> Contents:
    startup, setup_py, backend = data["startup"], data["setup_py"], data["backend"]
    if not isinstance(startup, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in startup.items()
    ):
        raise ValueError("not a startup map")
    return Contents(
        dict(startup),
        frozenset(_strings(data["commands"])),
        tuple(_strings(data["native"])),
        bool(data["has_code"]),
        None if setup_py is None else base64.b64decode(str(setup_py)),
        None if backend is None else str(backend),
    )


async def _previous_contents(older: DistFile, ctx: CheckContext) -> Contents:
    """A file with a known sha256 never changes: what was read once is kept in the cache."""
    cache = Cache(ctx.config.cache_dir)
    key = f"{_CACHE_KEY}:{older.sha256}"
    entry = cache.get(key) if older.sha256 else None
    if entry is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError, binascii.Error):
            return _from_json(entry.data)
    assert older.url
    contents = await _read(older.url, ctx, older.sha256, planned=False)
    if older.sha256:
        cache.put(key, _to_json(contents))
    return contents


def _tags(filename: str) -> frozenset[Tag]:
    parsed = parse_dist_filename(filename)
    return parsed.tags if parsed else frozenset()


def platform_kinds(filename: str) -> frozenset[str]:
    """The kinds of platform a wheel is for: ``any``, ``linux``, ``macos``, ``windows``..."""

    def kind(platform: str) -> str:
        for prefix, name in (
            ("any", "any"), ("manylinux", "linux"), ("musllinux", "linux"), ("linux", "linux"),
            ("macosx", "macos"), ("win", "windows"),
        ):  # fmt: skip
            if platform.startswith(prefix):
                return name
        return platform.split("_", 1)[0]

    return frozenset(kind(t.platform) for t in _tags(filename))


def comparable_file(planned: str, candidates: list[DistFile]) -> DistFile | None:
    """The previous release's file most like ``planned``: same kind, closest wheel tags."""
    if planned.endswith(".whl"):
        mine = _tags(planned)

        def closeness(f: DistFile) -> tuple[int, ...]:
            theirs = _tags(f.filename)
            shared = (
                len({getattr(t, a) for t in mine} & {getattr(t, a) for t in theirs})
                for a in ("platform", "interpreter", "abi")
            )
            return (len(mine & theirs), *shared)

        wheels = [f for f in candidates if f.filename.endswith(".whl")]
        return max(wheels, key=closeness, default=None)
    suffix = ".zip" if planned.endswith(".zip") else ".tar.gz"
    sdists = [f for f in candidates if f.filename.endswith((".tar.gz", ".zip"))]
    return max(sdists, key=lambda f: f.filename.endswith(suffix), default=None)


def is_stub_version(version: str) -> bool:
    """``0``, ``0.0.0``, ``0.0.1``, ``0.0.0a0``...: the versions of name-holding placeholders."""
    try:
        release = (*Version(version).release, 0, 0, 0)
    except InvalidVersion:
        return False
    return release[0] == release[1] == 0 and release[2] <= 1 and not any(release[3:])


async def _previous(name: str, version: str, filename: str, ctx: CheckContext) -> Baseline | None:
    project = await ctx.pypi.files(name)
    previous = project.previous_version(version)
    if previous is None or is_stub_version(previous):
        return None  # a first release, or a placeholder before it: nothing to compare with
    files = [
        f for f in project.files if same_version(f.version, previous) and not f.yanked and f.url
    ]
    older = comparable_file(filename, files)
    if older is None:
        return None  # no file of the same kind: nothing comparable
    contents = await _previous_contents(older, ctx)
    if not contents.has_code:
        return None  # a wheel with no code: a placeholder, no baseline
    platform = any(platform_kinds(f.filename) - {"any"} for f in files)
    return Baseline(previous, older, contents, platform)


def previous(
    name: str, version: str, filename: str, ctx: CheckContext
) -> Awaitable[Baseline | None]:
    """The baseline to compare ``filename`` with, read once per run (started while pip
    still resolves, as ``release-diff``'s prefetch); None when there is none."""
    return ctx.once(
        ("previous", name, version, filename), lambda: _previous(name, version, filename, ctx)
    )
