"""One audit, step by step: read the inputs, make the plan (pip resolves requirements and
projects, wheels only, building nothing; a lock's files and an environment's contents are
the plan as they are), run the checks' stages on it, and let the gate give the verdict
(no question is ever asked: a finding that would ask is a refusal, as in CI).
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from spip.audit.environment import Environment, locate_files, read_environment, site_dirs
from spip.audit.inputs import Kind, Manifest, kind_of, pyproject, requirements_file
from spip.audit.locations import Location
from spip.audit.pylock import read_lock
from spip.checks.base import CheckContext
from spip.checks.registry import check_installed, check_plan, check_unresolvable, screen_names
from spip.index.artifacts import Artifacts
from spip.index.cache import Cache
from spip.index.http import make_client
from spip.index.netconf import net_settings
from spip.index.pypi import PyPIClient
from spip.install.outcome import finish, pass_gate
from spip.install.state import InstallState
from spip.installer.pip import PipInstaller
from spip.installer.pip_args import parse
from spip.installer.pip_process import target_python
from spip.local.history import History
from spip.plan.report import ReportError, parse_report
from spip.policy import gate
from spip.policy.config import Config
from spip.policy.findings import Finding
from spip.ui import output


class AuditRequest(msgspec.Struct, frozen=True):
    """What to audit: ``files`` (their kind told by name), or the environment if none.

    ``pip_options``: index and target options for pip's resolution (``--index-url``,
    ``--python``, ...); ``extras``/``all_extras``: optional dependencies of a project.
    """

    files: tuple[Path, ...] = ()
    pip_options: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    all_extras: bool = False


@dataclass
class Audit:
    """An audit's inputs and what came of it: the state is the findings document's."""

    state: InstallState
    kinds: list[Kind] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    sdist_only: list[str] = field(default_factory=list)
    environment: Environment | None = None

    def where(self, finding: Finding) -> Location | None:
        """The file and line a finding is about, when the audit read one."""
        if finding.path is not None:
            return Location(finding.path)
        return self.locations.get(finding.package) or (
            Location(self.files[0]) if self.files else None
        )


def run(request: AuditRequest, config: Config) -> Audit:
    """Audit ``request`` under ``config``; the verdict is in ``audit.state``."""
    state = InstallState(config, "pip", interactive=False, dry_run=True)
    audit = Audit(state)
    python = target_python(parse(list(request.pip_options)), os.environ)
    manifest = _read_inputs(request, audit, python)
    state.extra["audit"] = {"inputs": audit.kinds, "files": [str(p) for p in audit.files]}
    # Stage NAMES: the names written in the inputs, as an install screens the typed ones.
    screened = screen_names(state.requested, config)
    if manifest.args and not _resolve(manifest, request, audit):
        return audit
    asyncio.run(_check(audit, screened))
    return audit


def _read_inputs(request: AuditRequest, audit: Audit, python: str) -> Manifest:
    manifest = Manifest()
    for path in request.files:
        kind = kind_of(path)
        audit.kinds.append(kind)
        audit.files.append(path)
        if kind == "pylock":
            lock = read_lock(path)
            audit.state.plan += lock.plan
            audit.sdist_only += lock.sdist_only
            audit.state.requested += [d.name for d in lock.plan]
            _merge(audit.locations, lock.locations)
        else:
            read = (
                pyproject(path, request.extras, request.all_extras)
                if kind == "pyproject"
                else requirements_file(path)
            )
            manifest.add(read)
            audit.state.requested += [n for n in read.names if n not in audit.state.requested]
            _merge(audit.locations, read.locations)
    if not request.files:
        audit.kinds.append("environment")
        audit.environment = read_environment(site_dirs(python))
        audit.state.requested += [d.name for d in audit.environment.plan]
        _merge(audit.locations, audit.environment.locations)
    return manifest


def _merge(into: dict[str, Location], more: dict[str, Location]) -> None:
    for name, where in more.items():
        into.setdefault(name, where)


def _resolve(manifest: Manifest, request: AuditRequest, audit: Audit) -> bool:
    """pip's plan for the requirements (wheels only, ignoring what is installed, so the
    whole plan is checked); False when the audit ended here (pip's own failure)."""
    args = parse([*request.pip_options, "--ignore-installed", *manifest.args])
    installer = PipInstaller.start(args)
    try:
        resolution = installer.resolve().wait()
    finally:
        installer.cancel()
    if resolution.returncode != 0:
        if resolution.missing:  # only a build could provide these: nothing is built
            audit.sdist_only += resolution.missing
            output.say(
                "spip: pip found no wheel of "
                f"{', '.join(resolution.missing)}; the rest of the plan cannot be "
                "resolved without building, which an audit never does."
            )
            return True
        sys.stdout.write(resolution.stdout)
        sys.stderr.write(resolution.stderr)
        finish(audit.state, "pip-failed", resolution.returncode)
        return False
    try:
        audit.state.plan += parse_report(resolution.report or "").install
    except ReportError as exc:
        output.say(f"spip: error: {exc}", fg="red")
        finish(audit.state, "failed", gate.EXIT_UNSAFE)
        return False
    return True


async def _check(audit: Audit, screened: list[Finding]) -> None:
    state = audit.state
    config = state.config
    async with make_client(net_settings({}, prefix=sys.prefix)) as client:
        pypi = PyPIClient(client, config.pypi_url, Cache(config.cache_dir))
        history = History(config.cache_dir)
        artifacts = Artifacts(client, config.cache_dir)
        try:
            if audit.environment is not None:
                await locate_files(audit.environment, pypi)
                state.plan += audit.environment.plan
            ctx = CheckContext(config, state.plan, pypi, history, artifacts)
            found = []
            if audit.sdist_only:
                found += await check_unresolvable(sorted(set(audit.sdist_only)), ctx)
            found += await check_plan(ctx)
            # A name the screen flagged is reported once, by the plan (with its version).
            again = {(f.check, f.package) for f in found}
            found[:0] = [f for f in screened if (f.check, f.package) not in again]
            if audit.environment is not None:
                found += await check_installed(audit.environment.startup, ctx)
        finally:
            artifacts.cleanup()
            history.close()
    verdict = pass_gate(state, found)
    if verdict.proceed:
        finish(state, "passed", 0)
    else:
        finish(state, "refused", gate.EXIT_REFUSED)
