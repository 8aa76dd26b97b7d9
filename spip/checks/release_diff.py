"""``release-diff``: what the selected release adds compared with the one before it.

A hijacked project usually ships a normal-looking release with one addition
that runs code without anyone importing the package: the poisoned LiteLLM
1.82.8 added a ``.pth`` file its 1.82.7 did not have. So for each distribution
from an index, the comparable file of the previous release (by version,
skipping yanked; same kind, wheel tags as close as possible; see
:mod:`spip.checks.contents`) is compared with spip's verified copy of the
planned file, and this finding lists what is new: startup files that are new or
changed and not benign (:mod:`spip.checks.startup_rules`), a console script
named like a system command, native binaries in a project that was pure Python
(against a wheel for the same kind of platform, or a release that had none),
and for an sdist a new or changed ``setup.py`` or build backend.

Like with like: a placeholder predecessor (a ``0.0.0``/``0.0.1`` stub, or a
wheel with nothing but its metadata) is no baseline.

A change in a file that has been on the index for ``STOOD_DAYS`` is a LOW note: a
hijacked release is found and pulled within days (LiteLLM 1.82.8 in hours), so one
that has stood for months is history, not an attack in progress (``make eval-ci``
refused sglang for humming-kernels 0.1.12's native code, four months old, and
idna-ssl and rauth for setup.py changes of 2017-2018). The file's own upload time
counts, so a file added to an old release today is judged as new. ``pth-file``
still judges every startup file on its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Collection
from typing import TYPE_CHECKING

from spip.checks import contents, hotlist
from spip.checks.base import Check, DataUnavailable
from spip.checks.startup_rules import alarming, classify, editables
from spip.core import clock
from spip.core.logs import log
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "release-diff"
STOOD_DAYS = 90
SETUP_CHANGED = "changes setup.py, which runs when the sdist is built"

# Console scripts that would shadow a command people and scripts run without
# thinking (a wheel's scripts land in the environment's bin/, early on PATH),
# by why shadowing it pays off for an attacker.
_COMMAND_GROUPS = {
    "Python and its installers: a fake pip sees every later install": (
        "python python3 pip pip3 pipx uv virtualenv conda"
    ),
    "privilege and login: they are handed passwords and keys": (
        "sudo su doas passwd login ssh scp sftp ssh-agent gpg"
    ),
    "shells": "sh bash zsh fish dash ksh csh env cmd powershell pwsh",
    "core utilities that scripts call all the time": (
        "ls cd cp mv rm cat chmod chown ln mkdir find grep sed awk tar unzip ps kill which "
        "whoami id crontab"
    ),
    "network clients: they carry credentials and tokens": "curl wget nc openssl",
    "developer tools that hold credentials or run builds": (
        "git gh make gcc cc docker kubectl helm terraform npm node aws gcloud az"
    ),
    "the system's package and service managers": (
        "apt apt-get dpkg yum dnf rpm brew systemctl service"
    ),
}
SYSTEM_COMMANDS = frozenset(n for names in _COMMAND_GROUPS.values() for n in names.split())
_VERSIONED_COMMAND = re.compile(r"(?:python|pip)\d+(?:\.\d+)?")
_SHOWN = 5  # names listed per change


def is_system_command(name: str) -> bool:
    base = name.lower().removesuffix(".exe")
    return base in SYSTEM_COMMANDS or bool(_VERSIONED_COMMAND.fullmatch(base))


def _listed(names: Collection[str]) -> str:
    shown = sorted(names)[:_SHOWN]
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(neutralise(n, 80) for n in shown) + more


def _setup_changed(old: bytes, new: bytes, old_version: str, new_version: str) -> bool:
    """Whether setup.py changed beyond its own version string."""

    def norm(data: bytes) -> bytes:
        return data.replace(b"\r\n", b"\n").strip()

    return norm(old.replace(old_version.encode(), new_version.encode())) != norm(new)


def changes(
    base: contents.Baseline, new: contents.Contents, dist: PlannedDist, ctx: CheckContext
) -> tuple[list[str], list[str]]:
    """What ``new`` (the planned file of ``dist``) adds or changes compared with ``base``, one
    phrase each, and the startup files among them worth an alarm."""
    old, found = base.contents, []
    startup = []
    for entry, digest in sorted(new.startup.items()):
        if digest is not None and old.startup.get(entry) == digest:
            continue  # installed byte for byte by the previous release
        verdict = classify(entry, new.startup_bytes.get(entry), editables=editables(ctx.plan))
        if alarming(verdict):  # benign ones (namespace .pth, path-only lines) are no alarm
            startup.append(entry)
    if startup:
        verb = "adds" if all(e not in old.startup for e in startup) else "adds or changes"
        found.append(f"{verb} {_listed(startup)}, run at every Python start")
    if commands := {c for c in new.commands - old.commands if is_system_command(c)}:
        found.append(f"adds the command {_listed(commands)}, named like a system command")
    same_platform = bool(
        contents.platform_kinds(dist.filename) & contents.platform_kinds(base.file.filename)
    )
    if new.native and not old.native and (same_platform or not base.platform_wheels):
        found.append(f"adds native code to a project that was pure Python: {_listed(new.native)}")
    if new.setup_py is not None and old.setup_py is None:
        found.append("adds a setup.py, which runs when the sdist is built")
    elif (
        new.setup_py is not None
        and old.setup_py is not None
        and _setup_changed(old.setup_py, new.setup_py, base.version, dist.version)
    ):
        found.append(SETUP_CHANGED)
    if new.backend and old.backend and new.backend != old.backend:
        found.append(
            f"changes the build backend from {neutralise(old.backend, 80)} "
            f"to {neutralise(new.backend, 80)}"
        )
    return found, startup


def prefetch(
    name: str, version: str, filename: str, ctx: CheckContext
) -> Awaitable[contents.Baseline | None]:
    """Read the previous release's contents while pip still resolves (it takes a few
    round trips); :func:`run` (and ``pth-file``) pick up the same work."""
    return contents.previous(name, version, filename, ctx)


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    from spip.index.wheelzip import ArchiveError  # see spip.checks.base

    if not dist.filename:
        return []
    try:
        base = await contents.previous(dist.name, dist.version, dist.filename, ctx)
    except ArchiveError as exc:
        raise DataUnavailable(f"could not read the previous release: {exc}") from None
    except DataUnavailable:
        # No release history where spip looks (a private index, find-links): nothing
        # to compare with, as for a first release. pth-file still reads the file itself.
        log.debug("no release history of %s to compare with", dist.name, exc_info=True)
        return []
    if base is None:
        return []
    new = await contents.planned(dist, ctx)
    found, startup = changes(base, new, dist, ctx)
    if not found:
        return []
    evidence = {
        "previous_version": base.version,
        "compared_with": base.file.filename,
        "changes": found,
        "startup_files_added": startup,
    }
    what = f"compared with {neutralise(base.version, 40)}, this release " + "; ".join(found)
    days = await _days_on_index(dist, ctx)
    if days is not None and days >= STOOD_DAYS:
        message = f"{what}. The file has been on the index for {days} days: a past change."
        finding = Finding.about(dist, ID, Severity.LOW, message, {**evidence, "days": days})
        return [dataclasses.replace(finding, informational=True)]
    if found == [SETUP_CHANGED] and hotlist.load().with_extra(ctx.config.hotlist_extra).rank(
        dist.name
    ):
        # A source-only popular project changes its setup.py in most releases (pyspark,
        # psycopg2: make eval-ci refused both); its build is announced by sdist-build.
        message = f"{what}; the project is on the popular list: a note."
        finding = Finding.about(dist, ID, Severity.LOW, message, evidence)
        return [dataclasses.replace(finding, informational=True)]
    message = (
        f"{what}. Hijacked releases add such things (LiteLLM 1.82.8 added a .pth); "
        "check that the project announced this change."
    )
    return [Finding.about(dist, ID, Severity.MEDIUM, message, evidence)]


async def _days_on_index(dist: PlannedDist, ctx: CheckContext) -> int | None:
    """How long the file pip chose has been on the index (None: unknown, judged new)."""
    try:
        uploaded = (await ctx.pypi.served_file(dist)).upload_time
    except DataUnavailable:
        return None
    return (clock.now() - uploaded).days if uploaded else None


SUMMARY = (
    "Compared with the previous release (a placeholder is no baseline): a new or changed "
    "startup file that is not benign, a changed `setup.py` or build backend, a console "
    "script named like a system command, or new native binaries in a pure-Python project "
    "against a wheel for the same kind of platform (MEDIUM; a LOW note for a file on the "
    "index for 90 days or more)."
)

# Content check: when it cannot see what it compares, that is not a silent LOW.
CHECK = Check(ID, run=run, prefetch=prefetch, unverified=Severity.MEDIUM, summary=SUMMARY)
