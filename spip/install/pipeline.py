"""One guarded install, step by step, in the order they run (MISSION.md, "How an install
flows"), from the moment the installer has its orders (:mod:`spip.install.front` screened
the typed names and started it): resolve (wheels first), read the plan, check it, gate,
fetch and verify the files, install exactly those, review what landed.

The installer is behind :mod:`spip.installer.base`; every step but the last two works
on one HTTP client, and the head starts (:mod:`spip.install.headstart`) overlap the
steps with the installer's own work.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from spip.afterinstall.review import review as review_startup_files
from spip.afterinstall.snapshot import Snapshot, take_snapshot
from spip.checks import fresh_release, project_status, sdist_build
from spip.checks.base import CheckContext, DirectReference
from spip.checks.registry import check_direct, check_plan, check_unresolvable
from spip.checks.startup_rules import is_startup_name
from spip.core.interrupts import interrupts
from spip.core.logs import log
from spip.core.threads import in_daemon_thread
from spip.index.artifacts import Artifacts, IntegrityError, UnfitFile
from spip.index.cache import Cache
from spip.index.http import make_client
from spip.index.netconf import net_settings
from spip.index.pypi import PyPIClient
from spip.install import cooldown
from spip.install.builddeps import check_build_deps
from spip.install.headstart import HeadStart
from spip.install.outcome import finish, interrupted_install, letting_finish, pass_gate, refuse
from spip.install.wheel_metadata import with_wheel_metadata
from spip.installer.base import HoldBack
from spip.installer.pip_args import VersionLimits
from spip.installer.pip_process import python_version
from spip.local import journal
from spip.local.history import History
from spip.plan.report import PlannedDist, ReportError, parse_report
from spip.policy import gate
from spip.ui import output
from spip.ui.output import noting_wait
from spip.ui.sanitize import neutralise, neutralise_lines

if TYPE_CHECKING:
    from spip.install.state import InstallState
    from spip.installer.base import BuildDeps, Installer, PendingResolution, Resolution


def run(state: InstallState, installer: Installer, pending: PendingResolution) -> int:
    """Everything after phase 1 got its orders; returns the exit status."""
    return asyncio.run(_checked_install(state, installer, pending))


@dataclass
class _Session:
    """What the steps after phase 1's start share: the checks' context, the head starts."""

    ctx: CheckContext
    head: HeadStart
    allowed: list[str] = field(default_factory=list)  # projects the gate let build an sdist
    direct: list[str] = field(default_factory=list)  # dependencies' direct URLs it allowed
    # The young sdists of those allowed builds, left out of every planning run.
    sources: dict[str, fresh_release.Fresh] = field(default_factory=dict)
    builds: list[BuildDeps] = field(default_factory=list)  # builds' checked dependencies
    dirs: list[Path] = field(default_factory=list)  # the directories the install writes to
    before: Snapshot = field(default_factory=dict)  # and what they held before it
    build_files: list[Artifacts] = field(default_factory=list)  # builds' dependencies
    journal: Path | None = None  # the note of the install under way (local/journal.py)
    budget: float | None = None  # the seconds the index requests after phase 1 share
    limits: VersionLimits = field(default_factory=VersionLimits)  # the user's, read once

    @property
    def artifacts(self) -> Artifacts:
        return self.ctx.artifacts


async def _checked_install(
    state: InstallState, installer: Installer, pending: PendingResolution
) -> int:
    """The steps on one HTTP client, which closes when the run ends."""
    # Phase 2's installer starts once spip has loaded, not sooner, so that on a small
    # machine it does not slow phase 1 down (its orders come after the gate anyway).
    installer.prepare_install()
    config = state.config
    net = net_settings(installer.net_options, prefix=str(Path(installer.python).parent.parent))
    async with make_client(net) as client:
        client.load_closing()
        pypi = PyPIClient(
            client, config.pypi_url, Cache(config.cache_dir), indexes=installer.index_urls
        )
        history = History(config.cache_dir)
        artifacts = Artifacts(client, config.cache_dir)
        ctx = CheckContext(config, [], pypi, history, artifacts, state.passed)
        session = _Session(ctx, HeadStart(ctx, fetch=not state.dry_run))
        try:
            return await _steps(state, installer, pending, session)
        finally:
            artifacts.cleanup()
            for files in session.build_files:
                files.cleanup()
            history.close()
            await session.head.drop()
            for warning in history.warnings:  # the history is a help, never a reason to fail
                output.say(f"spip: warning: {warning}")


async def _steps(
    state: InstallState, installer: Installer, pending: PendingResolution, session: _Session
) -> int:
    session.head.histories(state.requested)
    resolution = await resolve(state, installer, pending, session)
    if state.decision:
        return state.status
    assert resolution is not None
    session.budget = session.ctx.pypi.start_budget()
    session.limits = installer.version_limits(Path.cwd())
    session.ctx.constrained = session.limits.constrained
    resolution = await noting_wait(
        cool_down(state, installer, resolution, session), _index_wait(session)
    )
    if resolution is None:
        return state.status
    if not plan(state, installer, resolution, session.ctx):
        return state.status
    verdict = await check(state, session, resolution.metadata_from_files)
    if verdict is None:
        return state.status
    if state.dry_run:
        output.show_plan(state.plan)
        return finish(state, "dry-run", 0 if verdict.proceed else gate.EXIT_REFUSED)
    if not verdict.proceed:
        return refuse(state, verdict)
    files = await fetch(state, session)
    if files is None:
        return state.status
    # From here a Ctrl-C or SIGTERM lets pip finish and spip review what landed.
    with interrupts.deferred(functools.partial(letting_finish, installer.name)):
        status = await install(state, installer, files, session)
        if status != 0:
            status = interrupted_install(state, "pip-failed", status)
        else:
            status = await review(state, session)
    journal.end(session.journal)
    return status


async def resolve(
    state: InstallState, installer: Installer, pending: PendingResolution, session: _Session
) -> Resolution | None:
    """Phase 1, wheels first: no build code runs before the gate agreed to it.

    A project with no usable wheel but an sdist, or whose sdist pip was about to build
    (a requirements file's ``--no-binary``), goes to the gate (``UNRESOLVABLE`` stage);
    a direct reference a dependency declared, which pip was about to fetch and build,
    too (``DIRECT`` stage). A build (a local project, an allowed sdist) about to fill
    its build environment: those build dependencies are checked as planned distributions
    (:mod:`spip.install.builddeps`). If the gate agrees, the installer resolves again,
    allowed to build that, with those files. Returns the resolution, or None when the run
    ended here (``state.decision`` says how).
    """
    allowed, direct, builds = session.allowed, session.direct, session.builds
    start = state.timings["startup"]
    while True:
        res = await _finished(pending, session)
        if res.error:
            output.say(f"spip: error: {res.error}; nothing was installed.", fg="red")
            finish(state, "failed", gate.EXIT_UNSAFE)
            return None
        if res.returncode == 0:
            state.timings["phase1"] = state.since_start() - start
            return res
        stopped = res.stopped
        if stopped is not None and stopped.kind == "unguarded":
            output.say(
                f"spip: error: this pip cannot be watched while it resolves ({stopped.url}), "
                "so build code could run unchecked; nothing was installed. Upgrade pip.",
                fg="red",
            )
            finish(state, "failed", gate.EXIT_UNSAFE)
            return None
        if stopped is not None and stopped.kind == "direct" and stopped.url not in direct:
            ref = DirectReference(canonicalize_name(stopped.name), stopped.url)
            verdict = pass_gate(state, await check_direct([ref], session.ctx))
            if not verdict.proceed:
                refuse(state, verdict)
                return None
            direct.append(stopped.url)
            pending = installer.resolve(allowed, direct, _source_hold(session), builds)
            continue
        if stopped is not None and stopped.kind == "build":
            if any(b.requires == stopped.requires for b in builds):
                output.say("spip: error: a build was refused its checked dependencies.", fg="red")
                finish(state, "failed", gate.EXIT_UNSAFE)
                return None
            build = await check_build_deps(state, res, session.ctx, session.build_files)
            if build is None:
                return None
            builds.append(build)
            pending = installer.resolve(allowed, direct, _source_hold(session), builds)
            continue
        found: list[str] = []
        if stopped is not None and stopped.kind == "sdist":
            found = [canonicalize_name(stopped.name)]  # pip was about to build its sdist
        elif res.missing or res.conflicts:  # the target's version, for Requires-Python
            python = await asyncio.to_thread(python_version, installer.python)
            found = await sdist_build.needs_build(
                res.missing, res.conflicts, res.python_ignored, python, session.ctx
            )
        missing = [n for n in found if n not in allowed]
        if not missing:
            # not a wheels problem (no such version, another Python, a conflict): pip's error
            sys.stdout.write(neutralise_lines(res.stdout))
            sys.stderr.write(neutralise_lines(res.stderr))
            names = [canonicalize_name(n) for n in res.missing]
            for line in await project_status.why_unresolvable(names, session.ctx):
                output.say(line)
            finish(state, "pip-failed", res.returncode)
            return None
        findings = await check_unresolvable(missing, session.ctx)
        verdict = pass_gate(state, findings)
        if not verdict.proceed:
            refuse(state, verdict)
            return None
        allowed.extend(missing)
        session.sources.update(await sdist_build.held_sources(missing, session.ctx))
        pending = installer.resolve(allowed, direct, _source_hold(session), builds)


def _source_hold(session: _Session) -> HoldBack | None:
    """The planning runs' orders to leave out the young sdists of the allowed builds."""
    cutoff = session.ctx.config.cooldown_cutoff()
    if not session.sources or cutoff is None:
        return None
    return HoldBack(cutoff, {n: f.versions for n, f in session.sources.items()}, False)


async def _finished(pending: PendingResolution, session: _Session) -> Resolution:
    """The planning run's result; the head starts follow its progress meanwhile."""
    follower = asyncio.ensure_future(session.head.follow(pending.lines))
    res = await noting_wait(in_daemon_thread(pending.wait), "pip to resolve the plan")
    await follower
    return res


def _planned(resolution: Resolution) -> list[PlannedDist]:
    try:
        return list(parse_report(resolution.report or "").install)
    except ReportError:
        return []  # the plan step says so


async def cool_down(
    state: InstallState, installer: Installer, resolution: Resolution, session: _Session
) -> Resolution | None:
    """The cooldown (:mod:`spip.install.cooldown`) on the plan: re-resolve with every
    release younger than ``fresh-release-hours`` left out, so the plan takes the newest
    release old enough; report each one held back.

    A release the user pinned, or one no plan can do without, stays in the plan for the
    ``fresh-release`` check to ask about. Returns the plan's resolution (the first one
    when nothing was held back); None when the gate stopped at the notes
    (``--sensitivity high``).
    """
    config, ctx = state.config, session.ctx
    cutoff = config.cooldown_cutoff()
    if cutoff is None:
        return resolution
    pinned = session.limits.pinned

    async def replan(hold: HoldBack) -> tuple[Resolution, list[PlannedDist]] | None:
        pending = installer.resolve(session.allowed, session.direct, hold, session.builds)
        res = await _finished(pending, session)
        if res.returncode != 0 or res.error:
            log.debug("the cooldown's re-resolution failed:\n%s", res.stderr)
            return None
        return res, _planned(res)

    everywhere = not config.cooldown_exclude and not pinned
    sources = session.sources  # left out of every planning run already (resolve)
    held = await cooldown.held_plan(
        _planned(resolution), replan, ctx, cutoff, pinned, everywhere, sources
    )
    kept, kept_held = held or (resolution, dict(sources))
    if not kept_held:
        return resolution  # nothing older fits: the check asks about the first plan
    verdict = pass_gate(state, await cooldown.report(state, kept_held, _planned(kept), ctx))
    if not verdict.proceed:
        refuse(state, verdict)
        return None
    return kept


def plan(
    state: InstallState, installer: Installer, resolution: Resolution, ctx: CheckContext
) -> bool:
    """Read the installer's plan, and what the checks need to know of where and what it
    installs; False when the run ended here."""
    try:
        report = parse_report(resolution.report or "")
    except ReportError as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red")
        finish(state, "failed", gate.EXIT_UNSAFE)
        return False
    state.plan = list(report.install)
    ctx.environment = report.environment
    sys.stderr.write(neutralise_lines(resolution.stderr))  # pip's warnings, with index text
    installer.resolved(resolution)
    if not state.plan:
        sys.stdout.write(
            neutralise_lines(resolution.stdout)
        )  # what pip prints when everything is satisfied
        finish(state, "nothing-to-install", 0)
        return False
    return True


async def check(
    state: InstallState, session: _Session, metadata_from_files: bool = False
) -> gate.Verdict | None:
    """Every check on every planned distribution, while the files download; then the gate.

    A dry run fetches and verifies the files too: the content checks read those copies.
    ``metadata_from_files``: the plan's metadata is read from those copies first (uv's).
    None when the run ended here: a planned wheel must not be installed whatever the gate
    says (pip would refuse it or leave it half-installed, or a check could not read it).
    """
    session.artifacts.start(state.plan)  # downloads overlap the checks
    start = state.since_start()
    if metadata_from_files:
        state.plan = await with_wheel_metadata(state.plan, session.artifacts)
    session.ctx.plan = state.plan
    findings = await noting_wait(check_plan(session.ctx), _index_wait(session))
    state.timings["checks"] = state.since_start() - start
    unfit = await session.artifacts.unfit()
    if unfit:
        state.findings.extend(findings)
        output.show_findings(findings, {d.name: d.version for d in state.plan})
        for reason in unfit.values():
            output.say(f"spip: error: {reason}; nothing was installed.", fg="red", bold=True)
        finish(state, "refused", gate.EXIT_UNSAFE)
        return None
    # In a thread: the downloads go on while a person reads the question. A daemon
    # thread: a Ctrl-C at the question ends the run without waiting for an answer.
    return await in_daemon_thread(pass_gate, state, findings)


def _index_wait(session: _Session) -> str:
    """What the checks wait for, and for how long at most."""
    host = urlsplit(session.ctx.config.pypi_url).netloc.rpartition("@")[2]
    limit = session.ctx.pypi.client.deadline
    in_all = f", {session.budget:g} s in all" if session.budget else ""
    return f"the index at {neutralise(host, 60)} to answer (at most {limit:g} s a request{in_all})"


async def fetch(state: InstallState, session: _Session) -> dict[str, Path | None] | None:
    """Wait for every planned file, verified against its sha256; None when the run ended."""
    start = state.since_start()
    try:
        files = await noting_wait(session.artifacts.wait_all(), "the planned files to download")
    except (IntegrityError, UnfitFile) as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red", bold=True)
        finish(state, "refused", gate.EXIT_UNSAFE)
        return None
    state.timings["fetch_wait"] = state.since_start() - start
    for name, reason in session.artifacts.errors.items():
        output.say(
            f"spip: could not fetch {name} itself ({reason}); pip will download it "
            "from the index, pinned to the checked sha256."
        )
    return files


async def install(
    state: InstallState, installer: Installer, files: dict[str, Path | None], session: _Session
) -> int:
    """Phase 2: the installer installs exactly the verified files, snapshots around it."""
    session.dirs = installer.install_dirs()
    session.before = take_snapshot(session.dirs)
    startup = [
        d / n for d, entries in session.before.items() for n in entries if is_startup_name(n)
    ]
    planned = [f"{d.name} {d.version}" for d in state.plan]
    session.journal = journal.begin(state.config.cache_dir, planned, session.dirs, startup)
    start = state.since_start()
    folder = session.artifacts.folder
    job = asyncio.ensure_future(asyncio.to_thread(installer.install, state.plan, files, folder))
    # Phase 2 needs no network: spip closes its connections while the installer works
    # (what closing imports was loaded while phase 1 ran: Client.load_closing).
    await session.head.drop(keep=job)
    await session.ctx.pypi.client.aclose()
    status = await job
    state.timings["phase2"] = state.since_start() - start
    return status


async def review(state: InstallState, session: _Session) -> int:
    """What landed: record it in the history, judge new startup files, quarantine."""

    await asyncio.to_thread(session.ctx.history.record_installed, state.plan)
    after = take_snapshot(session.dirs)
    asking = state.interactive and interrupts.received is None
    ask = (lambda path: output.confirm(f"spip: keep {path}?")) if asking else None
    found = await review_startup_files(session.before, after, session.ctx, ask)
    state.findings.extend(found.findings)
    if found.quarantined or found.not_moved:
        # Installed, but a startup file was refused: quarantined, or (if it could
        # not be moved) still in place, which the review has said.
        state.extra["quarantined"] = [q.to_json() for q in found.quarantined]
        state.extra["not_moved"] = [str(p) for p in found.not_moved]
        return interrupted_install(state, "installed-quarantined", gate.EXIT_QUARANTINED)
    return interrupted_install(state, "installed", 0)
