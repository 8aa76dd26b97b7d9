"""The seam between spip's pipeline and an installer (pip, uv, pipx).

The pipeline asks an installer for three things: resolve a plan without installing
anything (wheels only, except the projects the gate allowed to build), install
exactly the verified files of that plan, and say which directories that install
writes to. Everything an installer starts (processes, temporary folders) is its
own to stop in :meth:`Installer.cancel`, which the pipeline always calls.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:
    from spip.installer.pip_args import VersionLimits
    from spip.installer.pip_guard import Stopped
    from spip.plan.report import PlannedDist


class Resolution(msgspec.Struct, frozen=True):
    """What a planning run gave.

    ``report``: the plan as pip's installation report (JSON text; None on failure);
    ``missing``: requirements (``dep==1.0``) it found no usable wheel for (a
    wheels-only resolution); ``conflicts``: the requirements of a conflict it could not
    resolve (one may be a source-only pin); ``python_ignored``: versions it left out
    for their Requires-Python; ``stdout``/``stderr``: the installer's own output,
    shown when it failed;
    ``error``: why spip cannot read the plan the installer gave (spip stops, exit 11);
    ``metadata_from_files``: the report's ``metadata`` holds each name and version only,
    the rest is read from each planned wheel's verified copy (uv writes no report);
    ``stopped``: what the installer was stopped before building (its code would have
    run before the gate): an sdist, a direct reference a dependency declared, or a
    build's build dependencies; for those, ``build_plan`` is the installer's plan of
    them (a report, wheels only, into an empty environment), None when it found none
    (``stderr`` says why), and ``replan_build`` plans them again under the cooldown's
    orders (the report, or None and why not).
    """

    returncode: int
    report: str | None
    stdout: str
    stderr: str
    missing: list[str] = msgspec.field(default_factory=list)
    conflicts: list[str] = msgspec.field(default_factory=list)
    python_ignored: list[str] = msgspec.field(default_factory=list)
    error: str = ""
    metadata_from_files: bool = False
    stopped: Stopped | None = None
    build_plan: str | None = None
    replan_build: Callable[[HoldBack], tuple[str | None, str]] | None = None


class BuildDeps(msgspec.Struct, frozen=True):
    """The checked build dependencies of builds asking for ``requires``: ``plan``, whose
    files spip verified into ``folder``. The installer fills such a build environment
    with exactly those files."""

    requires: tuple[str, ...]
    plan: tuple[PlannedDist, ...]
    folder: Path


class HoldBack(msgspec.Struct, frozen=True):
    """The cooldown's orders for a planning run: leave out every release uploaded after
    ``cutoff``. ``versions``: those releases, per project (PEP 503 name), for an
    installer that cannot filter by upload time; ``everywhere``: the cutoff may apply to
    every project (no ``cooldown-exclude``, nothing pinned by the user)."""

    cutoff: datetime
    versions: Mapping[str, Sequence[str]]
    everywhere: bool


class PendingResolution(Protocol):
    """A planning run under way: the installer resolves while spip gets ready."""

    @property
    def lines(self) -> queue.SimpleQueue[str | None]:
        """The installer's progress lines as it prints them; ``None`` when it is done."""
        ...

    def wait(self) -> Resolution: ...


class Installer(Protocol):
    """One installer behind spip's pipeline."""

    name: str  # "pip", "uv" or "pipx": recorded in the findings document
    python: str  # the interpreter whose environment the install targets

    @property
    def dry_run(self) -> bool:
        """The user asked only to see what would be installed."""
        ...

    @property
    def no_input(self) -> bool:
        """The user (or the installer's configuration) said nobody may be asked."""
        ...

    @property
    def net_options(self) -> Mapping[str, Sequence[str]]:
        """The network options typed for the installer (``proxy``, ``cert``, ...)."""
        ...

    @property
    def index_urls(self) -> Sequence[str]:
        """The simple APIs the installer resolves from (main index first)."""
        ...

    def typed_names(self, cwd: Path) -> list[str]:
        """The project names the user asked for (command line and requirement files)."""
        ...

    def version_limits(self, cwd: Path) -> VersionLimits:
        """What the user said of versions (command line, requirement and constraint
        files): the cooldown leaves the pinned projects alone, and a plan that takes an
        older release of a constrained one is what they asked for."""
        ...

    def resolve(
        self,
        source_allowed: Sequence[str] = (),
        direct_allowed: Sequence[str] = (),
        hold_back: HoldBack | None = None,
        builds: Sequence[BuildDeps] = (),
    ) -> PendingResolution:
        """Start a planning run: wheels only, except ``source_allowed`` projects and the
        ``direct_allowed`` URLs a dependency declared; the installer stops before building
        anything else, and before filling a build environment with anything but
        ``builds`` (:attr:`Resolution.stopped`). ``hold_back``: the cooldown's releases
        left out. :meth:`install` builds with ``builds`` of the last run too."""
        ...

    def resolved(self, resolution: Resolution) -> None:
        """The plan was accepted for checking: hand the report on where the user asked."""
        ...

    def prepare_install(self) -> None:
        """Get ready for :meth:`install` (called once the pipeline is loaded)."""
        ...

    def install_dirs(self) -> list[Path]:
        """The directories the install writes to (for the snapshots around it)."""
        ...

    def install(
        self, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
    ) -> int:
        """Install exactly ``plan``: each archive from its verified copy in ``files``
        (by project name, all inside ``folder``; None where spip could not fetch it,
        which the installer then fetches pinned to the checked sha256). Returns the
        installer's exit status."""
        ...

    def cancel(self) -> None:
        """Stop everything this installer started that is still running."""
        ...
