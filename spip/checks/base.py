"""The one small interface every check implements.

A check is a module under ``spip/checks/`` with:

- ``ID``: its check id (part of the interface, see MISSION.md);
- ``async def run(dist, ctx) -> list[Finding]``: what it finds about one
  planned distribution, given the shared :class:`CheckContext`.

A check that cannot get its data raises :class:`CheckDataUnavailable`; the
runner turns that into an ``unverified`` finding, so the check never has to.
Register a new check with one line in ``spip/checks/registry.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from spip.config import Config
    from spip.fetch import Artifacts
    from spip.findings import Finding
    from spip.history import History
    from spip.pypi import PyPIClient
    from spip.report import PlannedDist


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


class Check(Protocol):
    ID: str

    async def run(self, dist: PlannedDist, ctx: CheckContext) -> list[Finding]: ...
