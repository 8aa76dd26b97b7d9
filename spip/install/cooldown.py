"""The cooldown's rounds, for the install's plan and for a build's dependencies alike.

Every release younger than ``fresh-release-hours`` is left out and the installer plans
again, until the plan holds none (each new plan may bring in other young releases); a
release nothing older can replace (the planning fails) stays, for ``fresh-release`` to
ask about. Each release held back is reported: a LOW note and a ``held_back`` entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from spip.checks import fresh_release
from spip.installer.base import HoldBack

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.install.state import InstallState
    from spip.plan.report import PlannedDist
    from spip.policy.findings import Finding

MAX_ROUNDS = 4  # re-plannings: each one may bring in new young releases

R = TypeVar("R")
Fresh = fresh_release.Fresh
# Plan again under the hold: what it gave and its distributions; None when it failed.
Replan = Callable[[HoldBack], Awaitable["tuple[R, Sequence[PlannedDist]] | None"]]


async def held_plan(
    first: Sequence[PlannedDist],
    replan: Replan[R],
    ctx: CheckContext,
    cutoff: datetime,
    spared: Collection[str] = (),
    everywhere: bool = True,
    already: Mapping[str, Fresh] | None = None,
) -> tuple[R, dict[str, Fresh]] | None:
    """The plan with the young releases of ``first`` held back, and what it held back;
    None when ``first`` holds none or nothing older fits. ``spared``: the names the user
    pinned; ``already``: releases the planning runs leave out anyway (reported too);
    ``everywhere``: see :class:`HoldBack`."""
    already = already or {}
    held = await fresh_release.fresh_releases(first, ctx, cutoff, spared)
    kept: tuple[R, dict[str, Fresh]] | None = None
    for _ in range(MAX_ROUNDS if held else 0):
        versions = {name: f.versions for name, f in {**already, **held}.items()}
        planned = await replan(HoldBack(cutoff, versions, everywhere))
        if planned is None:
            break
        kept = (planned[0], {**already, **held})
        young = await fresh_release.fresh_releases(planned[1], ctx, cutoff, spared)
        young = {n: f for n, f in young.items() if n not in held}
        if not young:
            break
        held.update(young)
    return kept


async def report(
    state: InstallState,
    held: Mapping[str, Fresh],
    plan: Sequence[PlannedDist],
    ctx: CheckContext,
) -> list[Finding]:
    """The LOW notes on ``held`` (what ``plan`` takes instead), for the gate; their
    entries go to the findings document's ``held_back``."""
    instead = {d.name: d for d in plan}
    notes = await asyncio.gather(
        *(
            fresh_release.held_back(f, instead.get(name), ctx, state.dry_run)
            for name, f in held.items()
        )
    )
    state.held_back.extend(entry for _, entry in notes)
    return [note for note, _ in notes]
