"""The one small interface every check implements.

A check is a module under ``spip/checks/`` with:

- ``ID``: its check id (part of the interface, see MISSION.md);
- ``async def run(dist, ctx) -> list[Finding]``: what it finds about one
  planned distribution, given the shared :class:`CheckContext`;
- optionally ``prefetch(name, version, filename, ctx) -> Awaitable``: start
  fetching what ``run`` will need of a file pip names while it still resolves
  (share the work with ``run`` through :meth:`CheckContext.once`).

A check that cannot get its data raises :class:`CheckDataUnavailable`; the
runner turns that into an ``unverified`` finding, so the check never has to.
Register a new check with one line in ``spip/checks/registry.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from spip.config import Config
    from spip.fetch import Artifacts
    from spip.findings import Finding
    from spip.history import History
    from spip.pypi import PyPIClient
    from spip.report import PlannedDist


T = TypeVar("T")


class CheckDataUnavailable(Exception):
    """The data a check needs could not be had (server down, garbage answer, timeout)."""


@dataclass
class CheckContext:
    """What every check may use; one per ``spip install`` run, shared by all checks."""

    config: Config
    plan: Sequence[PlannedDist]
    pypi: PyPIClient
    history: History
    artifacts: Artifacts
    _shared: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    def once(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """``make()``, started once per ``key`` in this run and shared by all who ask."""
        if key not in self._shared:
            self._shared[key] = asyncio.ensure_future(make())
        return self._shared[key]


class Check(Protocol):
    ID: str

    async def run(self, dist: PlannedDist, ctx: CheckContext) -> list[Finding]: ...
