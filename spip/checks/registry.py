"""The registry of checks and the runners that fan each stage out.

Kept out of ``spip/checks/__init__.py`` so that importing one check does not import
them all. The runners turn a check that cannot get its data, or that fails, into an
``unverified`` finding (the traceback goes to the debug log), so one broken check
never takes an install down with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from spip.checks import (
    direct_url,
    dormant_revival,
    email_drift,
    empty_description,
    fresh_release,
    index_confusion,
    malicious,
    new_command,
    project_status,
    provenance,
    pth_file,
    release_diff,
    repo_mismatch,
    sdist_build,
    suspicious_url,
    typosquat,
    vulnerability,
    yanked,
    young_project,
    zero_version,
)
from spip.checks.base import (
    Check,
    CheckContext,
    DataUnavailable,
    DirectReference,
    InstalledFile,
    Stage,
)
from spip.core.logs import log
from spip.index.errors import ClientSettingsError
from spip.policy.findings import Finding, Severity

if TYPE_CHECKING:
    from spip.policy.config import Config

# One line per check, in the order their findings are listed.
CHECKS: tuple[Check, ...] = (
    malicious.CHECK,
    project_status.CHECK,
    index_confusion.CHECK,
    typosquat.CHECK,
    sdist_build.CHECK,
    direct_url.CHECK,
    pth_file.CHECK,
    release_diff.CHECK,
    new_command.CHECK,
    provenance.CHECK,
    dormant_revival.CHECK,
    fresh_release.CHECK,
    young_project.CHECK,
    yanked.CHECK,
    vulnerability.CHECK,
    zero_version.CHECK,
    empty_description.CHECK,
    suspicious_url.CHECK,
    repo_mismatch.CHECK,
    email_drift.CHECK,
)

UNVERIFIED = "unverified"
UNVERIFIED_SUMMARY = (
    "A check could not get its data (index down, garbage answer, timeout): LOW for a "
    "metadata check; MEDIUM when a content check (`pth-file`, `release-diff`) could not "
    "see a file's contents, when no index describes the file pip chose, or when spip "
    "could not connect to an index pip resolved from: spip fails closed."
)


def summaries() -> dict[str, str]:
    """Every check id the findings may carry, with what fires it (the docs, SARIF rules)."""
    return {**{c.id: c.summary for c in CHECKS}, UNVERIFIED: UNVERIFIED_SUMMARY}


def at(stage: Stage, checks: Sequence[Check] = CHECKS) -> list[Check]:
    """The checks that take part in ``stage``."""
    return [c for c in checks if stage in c.stages]


def unverified(
    check: Check, package: str, version: str | None, reason: str, floor: Severity = Severity.LOW
) -> Finding:
    """The finding for a check that could not see what it needs (at least ``floor``)."""
    severity = max(check.unverified, floor)
    return Finding(
        check=UNVERIFIED,
        severity=severity,
        package=package,
        version=version,
        message=f"could not run the {check.id} check: {reason}",
        evidence={"check": check.id, "reason": reason},
        # A metadata heuristic without data is a note; a content check's gap, or a file
        # no index describes (fail closed), is a risk.
        informational=severity is Severity.LOW,
    )


async def _guarded(
    check: Check, package: str, version: str | None, job: Awaitable[list[Finding]]
) -> list[Finding]:
    floor = Severity.LOW
    try:
        return await job
    except ClientSettingsError:
        raise  # the user's certificate cannot be used: one clear error, not a finding
    except DataUnavailable as exc:
        log.debug("%s on %s: data unavailable", check.id, package, exc_info=True)
        reason = str(exc)
        if exc.fails_closed:  # nothing is known about the file pip chose, or pip's index
            floor = Severity.MEDIUM  # answered pip and not spip
    except Exception as exc:  # a bug in one check must not take the install down with it
        log.debug("%s on %s failed", check.id, package, exc_info=True)
        reason = f"internal error in the check: {type(exc).__name__}: {exc}"
    return [unverified(check, package, version, reason, floor)]


async def _all(jobs: Iterable[Coroutine[Any, Any, list[Finding]]]) -> list[Finding]:
    """The findings of ``jobs`` run concurrently, in their order."""
    from spip.core.eager import gather_eagerly  # asyncio: not for the name screen

    return [f for found in await gather_eagerly(jobs) for f in found]


def screen_names(
    names: Sequence[str], config: Config, checks: Sequence[Check] = CHECKS
) -> list[Finding]:
    """Stage ``NAMES``: the typed names, before the installer resolves anything."""
    return [f for c in at(Stage.NAMES, checks) if c.screen for f in c.screen(names, config)]


async def check_unresolvable(
    names: Sequence[str], ctx: CheckContext, checks: Sequence[Check] = CHECKS
) -> list[Finding]:
    """Stage ``UNRESOLVABLE``: projects only a source build can provide."""
    jobs = [
        _guarded(c, ", ".join(names), None, c.unresolvable(names, ctx))
        for c in at(Stage.UNRESOLVABLE, checks)
        if c.unresolvable
    ]
    return await _all(jobs)


async def check_direct(
    refs: Sequence[DirectReference], ctx: CheckContext, checks: Sequence[Check] = CHECKS
) -> list[Finding]:
    """Stage ``DIRECT``: direct references a dependency declared, before they are fetched."""
    names = ", ".join(ref.name for ref in refs)
    jobs = [_guarded(c, names, None, c.direct(refs, ctx)) for c in checks if c.direct]
    return await _all(jobs)


async def check_plan(ctx: CheckContext, checks: Sequence[Check] = CHECKS) -> list[Finding]:
    """Stage ``PLAN``: every check on every planned distribution it applies to,
    concurrently; findings in plan order."""
    jobs = [
        _guarded(c, dist.name, dist.version, c.run(dist, ctx))
        for dist in ctx.plan
        for c in checks
        if c.run and c.applies_to(dist)
    ]
    return await _all(jobs)


async def check_installed(
    files: Sequence[InstalledFile], ctx: CheckContext, checks: Sequence[Check] = CHECKS
) -> list[Finding]:
    """Stage ``INSTALLED``: what phase 2 put on disk."""
    if not files:
        return []
    jobs = [
        _guarded(c, "(installed files)", None, c.installed(files, ctx))
        for c in at(Stage.INSTALLED, checks)
        if c.installed
    ]
    return await _all(jobs)


def prefetch(
    name: str, version: str, filename: str, ctx: CheckContext, checks: Sequence[Check] = CHECKS
) -> list[Awaitable[object]]:
    """Head starts of the checks for a file the installer names while it resolves."""
    return [c.prefetch(name, version, filename, ctx) for c in checks if c.prefetch]
