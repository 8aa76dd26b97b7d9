"""The heavy part of ``spip install``, after phase 1 started: the wheels-first
resolution loop, the concurrent checks and downloads, the gate, phase 2 and
the review after it. Imported by :mod:`spip.install` while pip resolves.
"""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from urllib.parse import unquote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from spip import gate, output, pip_runner
from spip.cache import Cache
from spip.checks.base import CheckContext
from spip.checks.registry import CHECKS, run_checks
from spip.checks.sdist_build import sdist_findings
from spip.fetch import Artifacts, IntegrityError, fetchable
from spip.history import History
from spip.http import make_client
from spip.install import STARTED, Run
from spip.netconf import NetSettings, net_settings
from spip.pypi import PyPIClient
from spip.quarantine import review_after_install
from spip.report import PlannedDist, ReportError, parse_report
from spip.snapshot import take_snapshot


def run(
    r: Run,
    pending: pip_runner.PendingResolution,
    installer: pip_runner.WarmPip | None,
    dirs_proc: subprocess.Popen[str] | None,
) -> int:
    """Resolve, check, gate and (with an ``installer``; none for --dry-run) install."""
    net = net_settings(r.args.network(), prefix=str(Path(r.python).parent.parent))
    return asyncio.run(_resolve_check_install(r, net, pending, installer, dirs_proc))


async def _resolve_check_install(
    r: Run,
    net: NetSettings,
    pending: pip_runner.PendingResolution,
    installer: pip_runner.WarmPip | None,
    dirs_proc: subprocess.Popen[str] | None,
) -> int:
    async with make_client(net) as client:
        pypi = PyPIClient(client, r.config.pypi_url, Cache(r.config.cache_dir))
        history = History(r.config.cache_dir)
        artifacts = Artifacts(client, r.config.cache_dir)
        try:
            status = await _phases(r, pending, installer, pypi, history, artifacts, dirs_proc)
        finally:
            artifacts.cleanup()
            history.close()
            await _drop_head_starts()
    for warning in history.warnings:  # the history is a help, never a reason to fail
        output.say(f"spip: warning: {warning}")
    return status


# A file pip names while it resolves: "Obtaining dependency information for x from
# URL.metadata", "Downloading URL (12 kB)"; newer pips (and pypi.org's files in any
# pip) show the file name only: "Downloading x-1.0-py3-none-any.whl.metadata (2 kB)".
_FILE = re.compile(r"(\S+?\.(?:whl|tar\.gz|zip))(?:\.metadata)?(?=\s|$)")


def _name_version(file: str) -> tuple[str, str, str] | None:
    """The project, version and file name of a file pip names (a URL or a file name)."""
    filename = unquote(file.rsplit("/", 1)[-1])
    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return name, str(version), filename


async def _drop_head_starts(keep: asyncio.Future[object] | None = None) -> None:
    """Cancel the lookups still running (head starts the plan did not need), so that
    closing the client does not wait for their answers; ``keep`` goes on."""
    leftovers = asyncio.all_tasks() - {asyncio.current_task(), keep}
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


def _background(job: Awaitable[object]) -> None:
    task = asyncio.ensure_future(job)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # failures: for the checks


async def _follow(lines: queue.SimpleQueue[str | None], ctx: CheckContext, fetch: bool) -> None:
    """While pip resolves, start what the checks (and phase 2) will need of each
    file it reports: the index's documents, what checks prefetch and, unless
    ``fetch`` is off, the file itself. Only a head start: the plan decides."""
    while (line := await asyncio.to_thread(lines.get)) is not None:
        for file in _FILE.findall(line):
            found = _name_version(file)
            if found:
                name, version, filename = found
                _background(ctx.pypi.release(name, version))
                _background(ctx.pypi.previous_release(name, version))
                for check in CHECKS:
                    if hasattr(check, "prefetch"):
                        _background(check.prefetch(name, version, filename, ctx))
            if fetch and file.startswith(("https://", "http://")):
                ctx.artifacts.prefetch(file)
            elif fetch and found:
                _background(_prefetch_named(ctx, *found))


async def _prefetch_named(ctx: CheckContext, name: str, version: str, filename: str) -> None:
    """Start downloading a file pip names without its URL (newer pips; pypi.org's files):
    the index's release document has it."""
    found = (await ctx.pypi.release(name, version)).file(None, filename)
    if found is not None and found.url:
        ctx.artifacts.prefetch(found.url, filename)


async def _resolve(
    r: Run, pending: pip_runner.PendingResolution, ctx: CheckContext
) -> tuple[pip_runner.Resolution, int | None]:
    """Phase 1, wheels first: no sdist is built before its project passed the gate.

    Returns pip's resolution, and an exit status when the run ends here.
    """
    allowed: list[str] = []
    start = r.timings["startup"]
    while True:
        follower = asyncio.ensure_future(_follow(pending.lines, ctx, not r.dry_run))
        res = await asyncio.to_thread(pending.wait)
        await follower
        if res.returncode == 0:
            r.timings["phase1"] = time.perf_counter() - STARTED - start
            return res, None
        missing = [canonicalize_name(n) for n in res.missing_wheels()]
        missing = [n for n in dict.fromkeys(missing) if n not in allowed]
        findings = await sdist_findings(missing, ctx.pypi, r.config) if missing else None
        if not findings:  # not a wheels problem, or no sdist either: pip's own error
            sys.stdout.write(res.stdout)
            sys.stderr.write(res.stderr)
            return res, r.finish("pip-failed", res.returncode)
        verdict = r.gate(findings)
        if not verdict.proceed:
            return res, r.refuse(verdict)
        allowed.extend(f.package for f in findings if f.check == "sdist-build")
        pip = pip_runner.WarmPip(r.python, capture=True)
        pending = pip_runner.resolve(pip, r.args, wheels_only=True, source_allowed=allowed)


async def _phases(
    r: Run,
    pending: pip_runner.PendingResolution,
    installer: pip_runner.WarmPip | None,
    pypi: PyPIClient,
    history: History,
    artifacts: Artifacts,
    dirs_proc: subprocess.Popen[str] | None,
) -> int:
    ctx = CheckContext(r.config, [], pypi, history, artifacts)  # the plan comes with phase 1
    for name in r.requested:  # pip starts with these: their history is needed first
        _background(pypi.files(canonicalize_name(name)))
    res, status = await _resolve(r, pending, ctx)
    if status is not None:
        return status
    try:
        r.plan = list(parse_report(res.report or "").install)
    except ReportError as exc:
        output.say(f"spip: error: {exc}; nothing was installed.", fg="red")
        return r.finish("failed", gate.EXIT_UNSAFE)
    sys.stderr.write(res.stderr)
    for path in r.args.values("--report"):  # the user asked pip for its report too
        Path(path).write_text(res.report or "", encoding="utf-8")
    if not r.plan:
        sys.stdout.write(res.stdout)  # what pip prints when everything is already satisfied
        return r.finish("nothing-to-install", 0)

    if installer is not None:
        artifacts.start(r.plan)  # downloads overlap the checks
    start = time.perf_counter()
    ctx.plan = r.plan
    findings = await run_checks(ctx, CHECKS)
    r.timings["checks"] = time.perf_counter() - start
    verdict = await asyncio.to_thread(r.gate, findings)
    if installer is None:  # --dry-run
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
        output.say(
            f"spip: could not fetch {name} itself ({reason}); pip will download it "
            "from the index, pinned to the checked sha256."
        )

    dirs = pip_runner.install_dirs(dirs_proc.communicate()[0], r.args) if dirs_proc else []
    before = take_snapshot(dirs)
    start = time.perf_counter()
    install = asyncio.ensure_future(
        asyncio.to_thread(_phase2, r, installer, files, artifacts.folder)
    )
    # Phase 2 needs no network: spip closes its connections while pip installs
    # (closing loads part of httpx's async machinery, ~25 ms, off the critical path).
    await _drop_head_starts(keep=install)
    await pypi.client.aclose()
    status = await install
    r.timings["phase2"] = time.perf_counter() - start
    if status != 0:
        return r.finish("pip-failed", status)
    await asyncio.to_thread(history.record_installed, r.plan)
    review = await asyncio.to_thread(
        review_after_install,
        before,
        take_snapshot(dirs),
        accepted=_accepted_startup_files(r),
        interactive=r.interactive,
        config=r.config,
        plan=r.plan,
    )
    r.findings.extend(review.findings)
    if review.quarantined or review.not_moved:
        # Installed, but a startup file was refused: quarantined, or (if it could
        # not be moved) still in place, which the review has said.
        return r.finish(
            "installed-quarantined",
            gate.EXIT_QUARANTINED,
            quarantined=[q.to_json() for q in review.quarantined],
            not_moved=[str(p) for p in review.not_moved],
        )
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


def _phase2(
    r: Run, installer: pip_runner.WarmPip, files: dict[str, Path | None], folder: Path
) -> int:
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
    return pip_runner.install(
        installer,
        r.args,
        hashed_requirements=hashed,
        folder=folder,
        needs_index=needs_index,
        as_is=as_is,
    )
