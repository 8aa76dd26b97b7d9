"""What the signal checks (``malicious``, ``project-status``, ``provenance``,
``dormant-revival``, ``index-confusion``, ``new-command``, ``young-project``) add to the
checks of a big plan with a warm spip cache: the registry's checks with and without
them, in one process, alternating, on the plan the ``checks`` measure installs.

In process, and in CPU time of the thread that runs the checks (the event loop: the
checks, their HTTP client, their parsing; not the index serving them in other threads),
so that the difference is the checks' own work and not the noise of two whole ``spip
install`` runs on a busy machine; every round builds its client, index client, history
and verified-file store afresh, as one run does, over the one warm cache.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from spip.checks.base import Check
    from spip.plan.report import PlannedDist
    from tests.fakeindex import FakeIndex

SIGNAL_IDS = frozenset(
    {
        "malicious",
        "project-status",
        "provenance",
        "dormant-revival",
        "index-confusion",
        "new-command",
        "young-project",
    }
)
SIGNALS_TARGET = 0.020  # issue 17: at most 20 ms more for a 100-distribution plan


def _newest_wheels(index: FakeIndex, names: list[str]) -> list[Path]:
    """The newest wheel of each project (the one a plan takes)."""
    wheels = []
    for name in names:
        folder = index.workdir / canonicalize_name(name)
        wheels.append(max(folder.glob("*.whl"), key=lambda p: p.stat().st_mtime))
    return wheels


def signals_cost(
    index: FakeIndex, names: list[str], cache: Path, rounds: int
) -> tuple[list[float], list[float]]:
    """The checks' times (seconds) with the signals and without them, ``rounds`` each,
    taken in turns."""
    from spip.checks.registry import CHECKS
    from tests.support import planned_wheel

    plan = [planned_wheel(index, wheel) for wheel in _newest_wheels(index, names)]
    without = tuple(c for c in CHECKS if c.id not in SIGNAL_IDS)
    asyncio.run(_timed(index, plan, cache, CHECKS))  # warms the cache
    with_signals: list[float] = []
    without_signals: list[float] = []
    for _ in range(rounds):
        with_signals.append(asyncio.run(_timed(index, plan, cache, CHECKS)))
        without_signals.append(asyncio.run(_timed(index, plan, cache, without)))
    return with_signals, without_signals


async def _timed(
    index: FakeIndex, plan: list[PlannedDist], cache: Path, checks: tuple[Check, ...]
) -> float:
    from spip.checks.base import CheckContext
    from spip.checks.registry import check_plan
    from spip.index.artifacts import Artifacts
    from spip.index.cache import Cache
    from spip.index.http import make_client
    from spip.index.netconf import NetSettings
    from spip.index.pypi import PyPIClient
    from spip.local.history import History
    from spip.policy.config import Config

    async with make_client(NetSettings()) as http:
        pypi = PyPIClient(http, index.url, Cache(cache), indexes=[index.simple_url])
        history = History(cache)
        artifacts = Artifacts(http, cache)
        config = Config(cache_dir=cache, osv_url=index.osv_url)
        ctx = CheckContext(config, plan, pypi, history, artifacts)
        artifacts.start(plan)
        try:
            await artifacts.wait_all()  # in a run, the files arrive while pip resolves
            gc.collect()  # a collection landing in one sample was most of the spread
            gc.disable()
            started = time.thread_time()
            await check_plan(ctx, checks)
            return time.thread_time() - started
        finally:
            gc.enable()
            artifacts.cleanup()
            history.close()
