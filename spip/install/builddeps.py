"""A build's own dependencies, checked before the build environment is filled.

Building a local project or an allowed sdist first installs its ``[build-system]
requires`` (and its backend's ``get_requires_for_build_*``) into an isolated
environment, and runs them. The installer stops before that (``build``) with the
requirements and its plan of them (wheels only); here they are judged as planned
distributions: every plan check, the same gate, spip's own verified copy of every file.
The installer then fills that build environment with exactly those files
(:class:`spip.installer.base.BuildDeps`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from spip.checks.registry import check_plan
from spip.core.logs import log
from spip.index.artifacts import Artifacts, IntegrityError
from spip.install import cooldown
from spip.install.outcome import finish, pass_gate, refuse
from spip.installer.base import BuildDeps
from spip.plan.report import ReportError, parse_report
from spip.policy import gate
from spip.ui import output
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.install.state import InstallState
    from spip.installer.base import HoldBack, Resolution
    from spip.plan.report import PlannedDist
    from spip.policy.findings import Finding


def builder(name: str) -> str:
    """What is being built, for people: a project name, or a local project's path."""
    if name.startswith("file:"):
        return unquote(urlsplit(name).path)
    return name or "a project"


async def check_build_deps(
    state: InstallState, res: Resolution, ctx: CheckContext, files: list[Artifacts]
) -> BuildDeps | None:
    """Check, gate and fetch the build dependencies ``res`` stopped before; None when the
    run ended here. Their verified copies go into a folder of their own (appended to
    ``files``, which the caller cleans up)."""
    stopped = res.stopped
    assert stopped is not None and stopped.kind == "build"
    who = neutralise(builder(stopped.name), 200)
    plan, notes = await _cool_down(state, res, ctx, _wheels(res.build_plan))
    if not plan:
        why = neutralise(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "")
        output.say(
            f"spip: error: building {who} needs {neutralise(', '.join(stopped.requires))}, "
            "which spip could not plan as wheels from the index, so it cannot check what the "
            f"build would run; nothing was installed.{' (' + why + ')' if why else ''}",
            fg="red",
        )
        finish(state, "failed", gate.EXIT_UNSAFE)
        return None
    names = ", ".join(f"{d.name} {d.version}" for d in plan)
    output.say(f"spip: building {who} first installs {neutralise(names)}; checking them too.")
    state.extra.setdefault("build_dependencies", []).append(
        {
            "for": builder(stopped.name),
            "requires": list(stopped.requires),
            "plan": [
                {"name": d.name, "version": d.version, "url": d.url, "sha256": d.sha256}
                for d in plan
            ],
        }
    )
    artifacts = Artifacts(ctx.pypi.client, state.config.cache_dir)
    files.append(artifacts)
    artifacts.start(plan)
    findings = await check_plan(dataclasses.replace(ctx, plan=plan, artifacts=artifacts))
    verdict = await asyncio.to_thread(pass_gate, state, notes + findings)
    if not verdict.proceed:
        refuse(state, verdict)
        return None
    if not await _verified(state, artifacts, plan):
        return None
    return BuildDeps(stopped.requires, tuple(plan), artifacts.folder)


def _wheels(report: str | None) -> list[PlannedDist] | None:
    """The build plan, when it is all wheels spip can fetch and verify."""
    try:
        plan = list(parse_report(report).install) if report else None
    except ReportError:
        return None
    return plan if plan and all(d.is_wheel and d.fetchable and d.sha256 for d in plan) else None


async def _cool_down(
    state: InstallState, res: Resolution, ctx: CheckContext, plan: list[PlannedDist] | None
) -> tuple[list[PlannedDist] | None, list[Finding]]:
    """The cooldown on a build's dependencies, as on the plan (:mod:`spip.install.cooldown`):
    the plan with the young releases held back, and the notes on them."""
    config, replan_build = state.config, res.replan_build
    cutoff = config.cooldown_cutoff()
    if not plan or replan_build is None or cutoff is None:
        return plan, []

    async def replan(hold: HoldBack) -> tuple[list[PlannedDist], list[PlannedDist]] | None:
        report, why = await asyncio.to_thread(replan_build, hold)
        held = _wheels(report)
        if held is None:
            log.debug("the cooldown's build plan failed:\n%s", why)
            return None
        return held, held

    # A user's pins do not reach a build environment: nothing is spared.
    held = await cooldown.held_plan(
        plan, replan, ctx, cutoff, everywhere=not config.cooldown_exclude
    )
    if held is None:
        return plan, []
    plan, fresh = held
    return plan, await cooldown.report(state, fresh, plan, ctx)


async def _verified(state: InstallState, artifacts: Artifacts, plan: list[PlannedDist]) -> bool:
    """Every build dependency's file fetched by spip and matching its sha256: the build
    environment is filled from those copies only, so one spip could not fetch stops."""
    try:
        fetched = await artifacts.wait_all()
    except IntegrityError as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red", bold=True)
        finish(state, "refused", gate.EXIT_UNSAFE)
        return False
    missing = [d.name for d in plan if fetched.get(d.name) is None]
    if missing:
        reasons = "; ".join(f"{n}: {artifacts.errors.get(n, 'not fetched')}" for n in missing)
        output.say(
            f"spip: error: could not fetch the build dependencies {neutralise(reasons)}; "
            "a build is filled only from files spip verified; nothing was installed.",
            fg="red",
        )
        finish(state, "failed", gate.EXIT_UNSAFE)
        return False
    return True
