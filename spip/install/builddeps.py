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
from spip.index.artifacts import Artifacts, IntegrityError
from spip.install.outcome import finish, pass_gate, refuse
from spip.installer.base import BuildDeps
from spip.plan.report import ReportError, parse_report
from spip.policy import gate
from spip.ui import output
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.install.state import InstallState
    from spip.installer.base import Resolution
    from spip.plan.report import PlannedDist


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
    try:
        plan = list(parse_report(res.build_plan).install) if res.build_plan else None
    except ReportError:
        plan = None
    if not plan or not all(d.is_wheel and d.fetchable and d.sha256 for d in plan):
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
    verdict = await asyncio.to_thread(pass_gate, state, findings)
    if not verdict.proceed:
        refuse(state, verdict)
        return None
    if not await _verified(state, artifacts, plan):
        return None
    return BuildDeps(stopped.requires, tuple(plan), artifacts.folder)


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
