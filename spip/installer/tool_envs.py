"""What the tool installers (``pipx``, ``uv tool``) share: a tool's own venv.

- The pins: each typed spec as ``name[extras]==version`` of the checked plan, for a
  tool installer that resolves again from spip's folder of verified wheels alone;
- the snapshot of the tool's venv around the install;
- ``run`` (``pipx run``, ``uvx``): a tool folder under spip's cache per set of
  arguments, whose app runs again as it is for :data:`RUN_CACHE_DAYS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spip.core.atomic import atomic_write
from spip.core.logs import log
from spip.installer.install_dirs import install_dirs, install_dirs_command
from spip.installer.pip_args import parse as parse_pip_args
from spip.installer.tools import SHIM_DIRS

if TYPE_CHECKING:
    from spip.installer.base import BuildDeps, HoldBack, Installer, PendingResolution, Resolution
    from spip.installer.pip_args import VersionLimits
    from spip.plan.report import PlannedDist


class PlannedByAnother:
    """A tool installer (pipx, ``uv tool``) that lets another installer, its ``planner``
    (pip or ``uv pip`` in a venv of the tool's Python), resolve and read the command line;
    the tool itself then gets the verified wheels only."""

    planner: Installer
    _dirs: subprocess.Popen[str] | None  # the probe of the tool venv's directories

    def install_dirs(self) -> list[Path]:
        if self._dirs is None:
            return []
        return venv_dirs(self._dirs.communicate()[0])

    @property
    def no_input(self) -> bool:
        return self.planner.no_input

    @property
    def net_options(self) -> Mapping[str, Sequence[str]]:
        return self.planner.net_options

    def typed_names(self, cwd: Path) -> list[str]:
        return self.planner.typed_names(cwd)

    @property
    def index_urls(self) -> Sequence[str]:
        return self.planner.index_urls

    def version_limits(self, cwd: Path) -> VersionLimits:
        return self.planner.version_limits(cwd)

    def resolve(
        self,
        source_allowed: Sequence[str] = (),
        direct_allowed: Sequence[str] = (),
        hold_back: HoldBack | None = None,
        builds: Sequence[BuildDeps] = (),
    ) -> PendingResolution:
        return self.planner.resolve(source_allowed, direct_allowed, hold_back, builds)

    def resolved(self, resolution: Resolution) -> None:
        self.planner.resolved(resolution)


RUN_CACHE_DAYS = 14  # as pipx's own: a run venv younger than this is run again as it is
_MARKER = "spip-installed"


def pinned_specs(specs: Sequence[str], plan: Sequence[PlannedDist]) -> list[str]:
    """Each typed spec as ``name[extras]==version`` of the plan (a spec already satisfied,
    so not in the plan, as typed: the folder has no other file)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    versions = {d.name: d.version for d in plan}
    out = []
    for spec in specs:
        req = Requirement(spec)
        version = versions.get(canonicalize_name(req.name))
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        out.append(f"{req.name}{extras}=={version}" if version else spec)
    return out


def unverified_wheels(
    plan: Sequence[PlannedDist], files: Mapping[str, Path | None], tool: str
) -> bool:
    """Whether some of ``plan`` has no verified wheel (said, in red): a tool installer
    gets verified wheels only, so nothing is installed then."""
    from spip.ui import output

    unfetched = [d.name for d in plan if files.get(d.name) is None or not d.is_wheel]
    if unfetched:
        output.say(
            f"spip: error: spip has no verified wheel of {', '.join(unfetched)}, and {tool} "
            "installs only verified files; nothing was installed.",
            fg="red",
        )
    return bool(unfetched)


def venv_dirs_command(python: str, venv: Path) -> list[str]:
    """A command printing the directories an install into ``venv`` writes to (``python``:
    an interpreter of the venv's version; the venv need not exist yet)."""
    return install_dirs_command(python, parse_pip_args(["--prefix", str(venv)]))


def venv_dirs(output: str) -> list[Path]:
    return install_dirs(output, parse_pip_args([]))


def run_home(cache_dir: Path, kind: str, key: Sequence[object]) -> Path:
    """The tool folder under spip's cache for one ``run`` of ``kind`` (``pipx``, ``uv``):
    one per ``key`` (the package spec, extras, Python, index settings, ...)."""
    digest = hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:20]
    return cache_dir / f"{kind}-run" / digest


def app_path(venv: Path, app: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / app


def ready_app(home: Path, app: str, refresh: bool) -> Path | None:
    """The app of a ``run`` venv spip checked and installed less than
    :data:`RUN_CACHE_DAYS` ago (None: plan and install it first)."""
    marker = home / _MARKER
    try:
        venv = Path(marker.read_text(encoding="utf-8").strip())
        fresh = time.time() - marker.stat().st_mtime < RUN_CACHE_DAYS * 86400
    except OSError:
        return None
    path = app_path(venv, app)
    return path if fresh and not refresh and path.is_file() else None


def mark_installed(home: Path, venv: Path) -> None:
    """``venv``, in ``home``, was checked and installed now."""
    try:
        atomic_write(home / _MARKER, str(venv))
    except OSError as exc:
        log.debug("could not mark %s installed: %s", home, exc)


def path_without_shims() -> str:
    """PATH without spip's shim folders: a tool finds the real uv, never spip's shim."""
    skip = {d for d in os.environ.get(SHIM_DIRS, "").split(os.pathsep) if d}
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and f not in skip)
