"""``release-diff``: what the selected release adds compared with the one before it.

A hijacked project usually ships a normal-looking release with one addition
that runs code without anyone importing the package: the poisoned LiteLLM
1.82.8 added a ``.pth`` file its 1.82.7 did not have. So for each distribution
from an index, the comparable file of the previous release (by version,
skipping yanked; same kind, wheel tags as close as possible) is read with
range requests, never downloaded whole where the server allows ranges, and
this finding lists what is new: startup files, a console script named like a
system command, native binaries in a project that was pure Python, and for
an sdist a new or changed ``setup.py`` or build backend.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Awaitable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.tags import Tag

from spip.checks.base import Check, DataUnavailable
from spip.checks.pth_file import planned_location, remote_client
from spip.checks.startup_rules import site_root_path, startup_entry
from spip.core import toml
from spip.core.distfiles import parse_dist_filename
from spip.core.versions import same_version
from spip.index.cache import Cache
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import DistFile
    from spip.index.wheelzip import Wheel
    from spip.plan.report import PlannedDist

ID = "release-diff"

# Console scripts that would shadow a command people and scripts run without
# thinking (a wheel's scripts land in the environment's bin/, early on PATH),
# by why shadowing it pays off for an attacker.
_COMMAND_GROUPS = {
    "Python and its installers: a fake pip sees every later install": (
        "python python3 pip pip3 pipx uv virtualenv conda"
    ),
    "privilege and login: they are handed passwords and keys": (
        "sudo su doas passwd login ssh scp sftp ssh-agent gpg"
    ),
    "shells": "sh bash zsh fish dash ksh csh env cmd powershell pwsh",
    "core utilities that scripts call all the time": (
        "ls cd cp mv rm cat chmod chown ln mkdir find grep sed awk tar unzip ps kill which "
        "whoami id crontab"
    ),
    "network clients: they carry credentials and tokens": "curl wget nc openssl",
    "developer tools that hold credentials or run builds": (
        "git gh make gcc cc docker kubectl helm terraform npm node aws gcloud az"
    ),
    "the system's package and service managers": (
        "apt apt-get dpkg yum dnf rpm brew systemctl service"
    ),
}
SYSTEM_COMMANDS = frozenset(n for names in _COMMAND_GROUPS.values() for n in names.split())
_VERSIONED_COMMAND = re.compile(r"(?:python|pip)\d+(?:\.\d+)?")
# Native code by file name: extension modules, shared libraries, executables.
_NATIVE = re.compile(r"\.(?:so(?:\.\d+)*|pyd|dylib|dll|exe)$", re.IGNORECASE)
_SCRIPTS = re.compile(r"^[^/]+\.data/scripts/([^/]+)$")
_ENTRY_POINTS = re.compile(r"^[^/]+\.dist-info/entry_points\.txt$")
_SHOWN = 5  # names listed per change


def _is_system_command(name: str) -> bool:
    base = name.lower().removesuffix(".exe")
    return base in SYSTEM_COMMANDS or bool(_VERSIONED_COMMAND.fullmatch(base))


@dataclass(frozen=True)
class _Contents:
    """What one distribution file holds, as far as this check cares."""

    startup: frozenset[str] = frozenset()
    commands: frozenset[str] = frozenset()
    native: tuple[str, ...] = ()
    setup_py: bytes | None = None
    backend: str | None = None


def _console_scripts(text: bytes) -> set[str]:
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


async def _wheel_contents(wheel: Wheel) -> _Contents:
    names = wheel.names
    commands = {m[1] for n in names if (m := _SCRIPTS.match(n))}
    entry_points = [n for n in names if _ENTRY_POINTS.match(n)]
    if entry_points:
        text = (await wheel.read(entry_points[:1]))[entry_points[0]]
        commands |= _console_scripts(text or b"")
    native = tuple(
        n
        for n in names
        if _NATIVE.search(n) and (site_root_path(n) is not None or _SCRIPTS.match(n))
    )
    startup = frozenset(e for n in names if (e := startup_entry(n)))
    return _Contents(startup, frozenset(commands), native)


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


async def _contents(
    location: Path | str | PlannedDist, ctx: CheckContext, is_wheel: bool
) -> _Contents:
    """Read a wheel or an sdist (a planned one: the bytes phase 2 installs), with its own budget."""
    from spip.index.wheelzip import Budget, open_wheel, read_sdist  # see spip.checks.base

    if not isinstance(location, Path | str):
        location = await planned_location(location, ctx)
    client = remote_client(location, ctx)
    if is_wheel:
        return await _wheel_contents(await open_wheel(location, Budget(), client))
    sdist = await read_sdist(location, Budget(), client)
    return _Contents(
        setup_py=sdist.files.get("setup.py"), backend=_backend(sdist.files.get("pyproject.toml"))
    )


def _tags(filename: str) -> frozenset[Tag]:
    parsed = parse_dist_filename(filename)
    return parsed.tags if parsed else frozenset()


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


def _listed(names: Collection[str]) -> str:
    shown = sorted(names)[:_SHOWN]
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(neutralise(n, 80) for n in shown) + more


def _setup_changed(old: bytes, new: bytes, old_version: str, new_version: str) -> bool:
    """Whether setup.py changed beyond its own version string."""

    def norm(data: bytes) -> bytes:
        return data.replace(b"\r\n", b"\n").strip()

    return norm(old.replace(old_version.encode(), new_version.encode())) != norm(new)


def changes(old: _Contents, new: _Contents, old_version: str, new_version: str) -> list[str]:
    """What ``new`` adds or changes compared with ``old``, one phrase each."""
    found = []
    if added := new.startup - old.startup:
        found.append(f"adds {_listed(added)}, run at every Python start")
    if commands := {c for c in new.commands - old.commands if _is_system_command(c)}:
        found.append(f"adds the command {_listed(commands)}, named like a system command")
    if new.native and not old.native:
        found.append(f"adds native code to a project that was pure Python: {_listed(new.native)}")
    if new.setup_py is not None and old.setup_py is None:
        found.append("adds a setup.py, which runs when the sdist is built")
    elif (
        new.setup_py is not None
        and old.setup_py is not None
        and _setup_changed(old.setup_py, new.setup_py, old_version, new_version)
    ):
        found.append("changes setup.py, which runs when the sdist is built")
    if new.backend and old.backend and new.backend != old.backend:
        found.append(
            f"changes the build backend from {neutralise(old.backend, 80)} "
            f"to {neutralise(new.backend, 80)}"
        )
    return found


def _to_json(contents: _Contents) -> dict[str, object]:
    return {
        "startup": sorted(contents.startup),
        "commands": sorted(contents.commands),
        "native": list(contents.native),
        "setup_py": None
        if contents.setup_py is None
        else base64.b64encode(contents.setup_py).decode(),
        "backend": contents.backend,
    }


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return value


def _from_json(data: dict[str, object]) -> _Contents:
    setup_py, backend = data["setup_py"], data["backend"]
    return _Contents(
        frozenset(_strings(data["startup"])),
        frozenset(_strings(data["commands"])),
        tuple(_strings(data["native"])),
        None if setup_py is None else base64.b64decode(str(setup_py)),
        None if backend is None else str(backend),
    )


async def _previous_contents(older: DistFile, ctx: CheckContext, is_wheel: bool) -> _Contents:
    """The previous release's contents; a file with a known sha256 never changes, so
    what was read once is kept in the cache and not read again."""
    cache = Cache(ctx.config.cache_dir)
    key = f"release-diff:{older.sha256}"
    entry = cache.get(key) if older.sha256 else None
    if entry is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError, binascii.Error):
            return _from_json(entry.data)
    assert older.url
    contents = await _contents(older.url, ctx, is_wheel)
    if older.sha256:
        cache.put(key, _to_json(contents))
    return contents


async def _previous(
    name: str, version: str, filename: str, ctx: CheckContext
) -> tuple[str, DistFile, _Contents] | None:
    """The release before ``version``, its file comparable with ``filename``, and that
    file's contents; None when there is nothing to compare with."""
    project = await ctx.pypi.files(name)
    previous = project.previous_version(version)
    if previous is None:
        return None  # a first release has nothing to compare with
    older = comparable_file(
        filename,
        [f for f in project.files if same_version(f.version, previous) and not f.yanked and f.url],
    )
    if older is None:
        return None  # no file of the same kind: nothing comparable
    return previous, older, await _previous_contents(older, ctx, filename.endswith(".whl"))


def prefetch(
    name: str, version: str, filename: str, ctx: CheckContext
) -> Awaitable[tuple[str, DistFile, _Contents] | None]:
    """Read the previous release's contents while pip still resolves (it takes a few
    round trips); :func:`run` picks up the same work."""
    return ctx.once((ID, name, version, filename), lambda: _previous(name, version, filename, ctx))


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    from spip.index.wheelzip import ArchiveError  # see spip.checks.base

    if not dist.filename:
        return []
    try:
        prior = await prefetch(dist.name, dist.version, dist.filename, ctx)
        if prior is None:
            return []
        previous, older, old = prior
        new = await _contents(dist, ctx, dist.is_wheel)
    except ArchiveError as exc:
        raise DataUnavailable(f"could not compare with the previous release: {exc}") from None
    found = changes(old, new, previous, dist.version)
    if not found:
        return []
    return [
        Finding.about(
            dist,
            ID,
            Severity.MEDIUM,
            message=f"compared with {neutralise(previous, 40)}, this release "
            + "; ".join(found)
            + ". Hijacked releases add such things (LiteLLM 1.82.8 added a .pth); "
            "check that the project announced this change.",
            evidence={
                "previous_version": previous,
                "compared_with": older.filename,
                "changes": found,
                "startup_files_added": sorted(new.startup - old.startup),
            },
        )
    ]


SUMMARY = (
    "Compared with the previous release: a new startup file, a changed `setup.py` or "
    "build backend, a console script named like a system command, or new native binaries "
    "in a pure-Python project (MEDIUM)."
)

CHECK = Check(ID, run=run, prefetch=prefetch, summary=SUMMARY)
