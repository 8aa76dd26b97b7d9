"""``spip install``: screen, resolve (phase 1), check, gate, install exactly what was checked (phase 2).

See MISSION.md, "How an install flows". Each step lives in its own module;
this one only puts them in order and keeps the books (findings, timings,
the decision, the exit status).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from spip import gate, output, pip_runner
from spip.checks import CHECKS, run_checks
from spip.checks.base import CheckContext
from spip.checks.sdist_build import sdist_findings
from spip.checks.typosquat import screen_names
from spip.cache import Cache
from spip.config import Config
from spip.fetch import Artifacts, IntegrityError, fetchable
from spip.findings import Finding
from spip.history import History
from spip.http import make_client
from spip.netconf import net_settings
from spip.pip_args import PipInstallArgs, typed_names
from spip.pypi import PyPIClient
from spip.report import PlannedDist, ReportError, parse_report
from spip.snapshot import take_snapshot
from spip.quarantine import review_after_install


@dataclass
class Run:
    """The books of one ``spip install``."""

    config: Config
    args: PipInstallArgs
    python: str
    interactive: bool
    dry_run: bool
    plan: list[PlannedDist] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    decided: set[tuple[str, str]] = field(default_factory=set)  # (package, check) already passed
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def finish(self, decision: str, status: int, **extra: object) -> int:
        self.timings["total"] = time.perf_counter() - self.started
        if self.config.findings_json is not None:
            output.write_findings_json(
                self.config.findings_json, sensitivity=self.config.sensitivity, plan=self.plan,
                findings=self.findings, decision=decision, exit_status=status,
                timings=self.timings, extra=extra or None,
            )
        return status

    def gate(self, findings: Sequence[Finding]) -> gate.Verdict:
        """Show new findings and pass them through the gate; remember what was passed."""
        new = [f for f in findings if (f.package, f.check) not in self.decided]
        self.findings.extend(new)
        output.show_findings(new, {d.name: d.version for d in self.plan})
        verdict = gate.decide(new, self.config, _ask if self.interactive else None)
        if verdict.proceed:
            self.decided.update((f.package, f.check) for f in new)
        return verdict

    def refuse(self, verdict: gate.Verdict) -> int:
        why = "nobody can answer the question here (no terminal or --no-input)" \
            if verdict.reason == "no-input" else "the install was refused"
        output.say(f"spip: nothing was installed: {why}.", fg="red", bold=True)
        output.say(f"spip: {gate.how_to_go_on(verdict)}")
        return self.finish("refused", gate.EXIT_REFUSED)


def _ask(findings: Sequence[Finding]) -> bool:
    try:
        return click.confirm("spip: install anyway?", default=False, err=True)
    except click.Abort:
        return False


def _interactive(args: PipInstallArgs) -> bool:
    no_input = os.environ.get("PIP_NO_INPUT", "").strip().lower() not in ("", "0", "false", "no", "off")
    return sys.stdin.isatty() and not args.no_input and not no_input


def run(args: PipInstallArgs, config: Config) -> int:
    python = pip_runner.target_python(args, os.environ)
    r = Run(config, args, python, _interactive(args), dry_run=args.has("--dry-run"))

    # Before pip runs anything: the names the user typed.
    screened = r.gate(screen_names(typed_names(args, Path.cwd()), config))
    if not screened.proceed:
        return r.refuse(screened)

    dirs_proc = None if r.dry_run else subprocess.Popen(
        pip_runner.install_dirs_command(python, args), stdout=subprocess.PIPE, text=True
    )
    net = net_settings(args.network(), prefix=str(Path(python).parent.parent))
    try:
        return asyncio.run(_resolve_check_install(r, net, dirs_proc))
    finally:
        if dirs_proc is not None and dirs_proc.poll() is None:
            dirs_proc.kill()


async def _resolve_check_install(r: Run, net, dirs_proc: subprocess.Popen[str] | None) -> int:
    async with make_client(net) as client:
        pypi = PyPIClient(client, r.config.pypi_url, Cache(r.config.cache_dir))
        history = History(r.config.cache_dir)
        artifacts = Artifacts(client, r.config.cache_dir)
        try:
            status = await _phases(r, client, pypi, history, artifacts, dirs_proc)
        finally:
            artifacts.cleanup()
    return status


async def _resolve(r: Run, pypi: PyPIClient):
    """Phase 1, wheels first: no sdist is built before its project passed the gate."""
    allowed: list[str] = []
    start = time.perf_counter()
    while True:
        res = await asyncio.to_thread(
            pip_runner.resolve, r.python, r.args, wheels_only=True, source_allowed=allowed
        )
        if res.returncode == 0:
            r.timings["phase1"] = time.perf_counter() - start
            return res, None
        missing = [canonicalize_name(n) for n in res.missing_wheels()]
        missing = [n for n in dict.fromkeys(missing) if n not in allowed]
        findings = await sdist_findings(missing, pypi, r.config) if missing else None
        if not findings:  # not a wheels problem, or no sdist either: pip's own error
            sys.stdout.write(res.stdout)
            sys.stderr.write(res.stderr)
            return res, res.returncode
        verdict = r.gate(findings)
        if not verdict.proceed:
            return res, r.refuse(verdict)
        allowed.extend(f.package for f in findings if f.check == "sdist-build")


async def _phases(r: Run, client, pypi: PyPIClient, history: History, artifacts: Artifacts,
                  dirs_proc: subprocess.Popen[str] | None) -> int:
    res, status = await _resolve(r, pypi)
    if status is not None:
        return status if r.findings or status == gate.EXIT_REFUSED else r.finish("pip-failed", status)
    try:
        r.plan = list(parse_report(res.report or "").install)
    except ReportError as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red")
        return r.finish("failed", gate.EXIT_UNSAFE)
    sys.stderr.write(res.stderr)
    if not r.plan:
        sys.stdout.write(res.stdout)  # what pip prints when everything is already satisfied
        return r.finish("nothing-to-install", 0)

    if not r.dry_run:
        artifacts.start(r.plan)  # downloads overlap the checks
    start = time.perf_counter()
    ctx = CheckContext(config=r.config, plan=r.plan, pypi=pypi, history=history, artifacts=artifacts)
    findings = await run_checks(ctx, CHECKS)
    r.timings["checks"] = time.perf_counter() - start
    verdict = await asyncio.to_thread(r.gate, findings)
    if r.dry_run:
        output.show_plan(r.plan)
        return r.finish("dry-run", 0 if verdict.proceed else gate.EXIT_REFUSED)
    if not verdict.proceed:
        return r.refuse(verdict)

    start = time.perf_counter()
    try:
        files = await artifacts.wait_all()
    except IntegrityError as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red", bold=True)
        return r.finish("refused", gate.EXIT_UNSAFE)
    r.timings["fetch_wait"] = time.perf_counter() - start
    for name, reason in artifacts.errors.items():
        output.say(f"spip: could not fetch {name} itself ({reason}); pip will download it "
                   "from the index, pinned to the checked sha256.")

    dirs = pip_runner.install_dirs(dirs_proc.communicate()[0], r.args) if dirs_proc else []
    before = take_snapshot(dirs)
    start = time.perf_counter()
    status = await asyncio.to_thread(_phase2, r, files, artifacts.folder)
    r.timings["phase2"] = time.perf_counter() - start
    if status != 0:
        return r.finish("pip-failed", status)
    await asyncio.to_thread(history.record_installed, r.plan)
    review = await asyncio.to_thread(
        review_after_install, before, take_snapshot(dirs), accepted=_accepted_startup_files(r),
        interactive=r.interactive, config=r.config, plan=r.plan,
    )
    r.findings.extend(review.findings)
    if review.quarantined:
        return r.finish("installed-quarantined", gate.EXIT_QUARANTINED,
                        quarantined=[q.to_json() for q in review.quarantined])
    return r.finish("installed", 0)


def _accepted_startup_files(r: Run) -> set[str]:
    """Startup files the pre-install checks showed and the gate let through."""
    return {
        name
        for f in r.findings
        if f.check == "pth-file" and (f.package, f.check) in r.decided
        for name in f.evidence.get("files", [])
    }


def _pinnable(dist: PlannedDist) -> bool:
    """Whether pip can find this file by ``name==version`` in a find-links folder."""
    try:
        if dist.is_wheel:
            name, version, *_ = parse_wheel_filename(dist.filename)
        else:
            name, version = parse_sdist_filename(dist.filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False
    return name == dist.name and version == Version(dist.version)


def _as_is(dist: PlannedDist, folder: Path) -> list[str]:
    """A requirement pip installs as the user gave it (directories, VCS, odd file names)."""
    if dist.source == "vcs":
        info = dist.download_info.vcs_info
        assert info is not None
        # PEP 610 records the URL without the ``git+`` prefix; pin the checked commit.
        url = f"{info.vcs}+{dist.url}@{info.commit_id or info.requested_revision or ''}".rstrip("@")
        subdir = getattr(dist.download_info, "subdirectory", None)
        # The bare URL form: older pips reject ``name @ git+file:///...``.
        url += f"#egg={dist.name}" + (f"&subdirectory={subdir}" if subdir else "")
        return ["-e", url] if dist.editable else [url]
    if dist.source == "dir":
        path = dist.local_path or dist.url
        return ["-e", path] if dist.editable else [path]
    return [f"{dist.name} @ {(folder / dist.filename).as_uri()}"]


def _phase2(r: Run, files: dict[str, Path | None], folder: Path) -> int:
    hashed, as_is = [], []
    needs_index = False
    # pip's report lists what was asked for first; installing in reverse puts
    # dependencies before their dependents, as a plain install would.
    for dist in reversed(r.plan):
        if fetchable(dist) and (files.get(dist.name) is None or _pinnable(dist)):
            hashed.append(f"{dist.name}=={dist.version} --hash=sha256:{dist.sha256}")
            needs_index |= files.get(dist.name) is None or not dist.is_wheel
        else:
            as_is.extend(_as_is(dist, folder))
    return pip_runner.install(r.python, r.args, hashed_requirements=hashed, folder=folder,
                              needs_index=needs_index, as_is=as_is)

