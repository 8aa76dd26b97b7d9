"""The one contract every check implements, whatever stage it runs at.

A check is a module under ``spip/checks/`` that defines ``CHECK = Check(...)``:

- ``id``: its check id (part of the interface, see MISSION.md);
- ``summary``: one or two sentences on what fires it and at which severity, for
  people: the generated check reference (``docs/``) and the SARIF rules of
  ``spip audit --format sarif`` show it (a test holds every registered check to one);
- the stages it takes part in, each as the function that does it (give only those):

  - ``screen(names, config)``: the names the user typed, before anything is
    resolved; no network (a mistyped name must not reach a resolver);
  - ``unresolvable(names, ctx)``: projects the wheels-only resolution found no
    wheel for, that only building an sdist can provide;
  - ``direct(refs, ctx)``: direct references (``name @ url``) a dependency declared,
    that the installer would fetch and build to read their metadata, before it does;
  - ``run(dist, ctx)``: one planned distribution, for each of the plan;
  - ``installed(files, ctx)``: the startup files phase 2 added or changed;

- ``sources``: which planned distributions ``run`` is for (``index``: from an
  index; ``url``/``file``: an archive named by URL / local path; ``dir``: a local
  directory; ``vcs``: a VCS checkout); the registry filters, the check need not;
- ``unverified``: the severity of the ``unverified`` finding when the check
  cannot get its data (LOW for metadata heuristics; content checks fail closed);
- ``prefetch(name, version, filename, ctx)``: optional, starts fetching what ``run``
  will need of a file the installer names while it still resolves (share the work
  with ``run`` through :meth:`CheckContext.once`).

A check gets its data through ``ctx`` (``ctx.pypi``, ``ctx.artifacts``, ``ctx.once``),
which wait for it in tasks of their own: a check starts in the registry's task
(:mod:`spip.core.eager`), so it must not make a request itself.
A check that cannot get its data raises :class:`DataUnavailable`; the registry
turns that (and any bug) into an ``unverified`` finding, so the check never has to.
Check modules import nothing heavy at import time (asyncio, httpx, the models, zip
and tar readers): the registry imports them all for the name screen, which runs before the
installer has its orders. Register a new check with one line in
``spip/checks/registry.py``; ``spip/checks/template.py`` is a check to start from.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from spip.index.errors import DataUnavailable
from spip.policy.findings import Finding, Severity

if TYPE_CHECKING:
    import asyncio

    from spip.index.artifacts import Artifacts
    from spip.index.pypi import PyPIClient
    from spip.local.history import History
    from spip.plan.report import PlannedDist, Source
    from spip.policy.config import Config

__all__ = [
    "Check",
    "CheckContext",
    "DataUnavailable",
    "DirectReference",
    "InstalledFile",
    "Stage",
]

T = TypeVar("T")


class Stage(enum.Enum):
    """When a check runs, in the order an install reaches them."""

    NAMES = "names"
    UNRESOLVABLE = "unresolvable"
    DIRECT = "direct"
    PLAN = "plan"
    INSTALLED = "installed"


class DirectReference(msgspec.Struct, frozen=True):
    """A direct reference (``name @ url``) a planned dependency declared, not yet fetched."""

    name: str
    url: str


class InstalledFile(msgspec.Struct, frozen=True):
    """A startup file phase 2 added or changed, and the distribution whose RECORD lists it."""

    path: Path
    package: str | None
    version: str | None


@dataclass
class CheckContext:
    """What every check may use; one per install, shared by all checks and stages."""

    config: Config
    plan: Sequence[PlannedDist]
    pypi: PyPIClient
    history: History
    artifacts: Artifacts
    # Findings the gate let through so far (an after-install check need not repeat them).
    passed: list[Finding] = field(default_factory=list)
    # The target's environment markers, from the installer's report (python_full_version).
    environment: Mapping[str, str] = field(default_factory=dict)
    # The projects whose versions the user limited (command line, -r and -c files).
    constrained: frozenset[str] = frozenset()
    _shared: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    def once(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """``make()``, started once per ``key`` in this run and shared by all who ask."""
        import asyncio  # not at import time: the name screen runs before asyncio is needed

        if key not in self._shared:
            self._shared[key] = asyncio.ensure_future(make())
        return self._shared[key]


Screen = Callable[[Sequence[str], "Config"], list[Finding]]
Unresolvable = Callable[[Sequence[str], CheckContext], Awaitable[list[Finding]]]
Direct = Callable[[Sequence[DirectReference], CheckContext], Awaitable[list[Finding]]]
Run = Callable[["PlannedDist", CheckContext], Awaitable[list[Finding]]]
Installed = Callable[[Sequence[InstalledFile], CheckContext], Awaitable[list[Finding]]]
Prefetch = Callable[[str, str, str, CheckContext], Awaitable[object]]

INDEX: frozenset[Source] = frozenset({"index"})
RELEASES: frozenset[Source] = frozenset({"index", "url", "file", "vcs"})  # all but local dirs
EVERY_SOURCE: frozenset[Source] = RELEASES | {"dir"}


@dataclass(frozen=True)
class Check:
    """One check: its id, what it applies to, and a function per stage it runs at."""

    id: str
    screen: Screen | None = None
    unresolvable: Unresolvable | None = None
    direct: Direct | None = None
    run: Run | None = None
    installed: Installed | None = None
    prefetch: Prefetch | None = None
    sources: frozenset[Source] = INDEX
    unverified: Severity = Severity.LOW
    summary: str = ""  # what fires it, at which severity (the docs, SARIF rules)

    def __post_init__(self) -> None:
        if not self.stages:
            raise TypeError(f"check {self.id} runs at no stage")
        if self.prefetch is not None and self.run is None:
            raise TypeError(f"check {self.id} prefetches for a run it does not have")

    @property
    def stages(self) -> frozenset[Stage]:
        given = {
            Stage.NAMES: self.screen,
            Stage.UNRESOLVABLE: self.unresolvable,
            Stage.DIRECT: self.direct,
            Stage.PLAN: self.run,
            Stage.INSTALLED: self.installed,
        }
        return frozenset(stage for stage, fn in given.items() if fn is not None)

    def applies_to(self, dist: PlannedDist) -> bool:
        return self.run is not None and dist.source in self.sources
