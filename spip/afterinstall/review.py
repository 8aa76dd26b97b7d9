"""After phase 2: judge the startup files the install added or changed, and quarantine
the ones the gate refuses.

The ``INSTALLED`` stage of the checks judges the files; the gate's table decides per
file: a warning keeps it, a question is asked at a terminal (default No), anything
else moves it to the quarantine and prints the command that restores it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from spip.afterinstall.snapshot import Snapshot, new_startup_files, owners
from spip.checks.base import InstalledFile
from spip.checks.registry import check_installed
from spip.local.quarantine import Quarantined, QuarantineError, quarantine_file
from spip.policy import gate
from spip.ui import output

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.policy.findings import Finding


class Review(msgspec.Struct, frozen=True):
    """What the after-install review found and did."""

    findings: list[Finding]
    quarantined: list[Quarantined]
    kept: list[Path]  # reported, and kept by the rules or by the person's answer
    not_moved: list[Path]  # refused, but the move failed: still in place (said so)


async def review(
    before: Snapshot,
    after: Snapshot,
    ctx: CheckContext,
    ask_keep: Callable[[Path], bool] | None,
) -> Review:
    """Report the startup files phase 2 added or changed; quarantine the refused ones.

    ``ask_keep`` asks a person whether to keep a file (None when nobody can answer).
    """
    owner_of = owners(before, after)
    files = [
        InstalledFile(path, *owner_of.get(path, (None, None)))
        for path in new_startup_files(before, after)
    ]
    findings = await check_installed(files, ctx)
    quarantined: list[Quarantined] = []
    kept: list[Path] = []
    not_moved: list[Path] = []
    for f in findings:
        output.show_findings([f], {})
        path = f.path
        if path is None:
            continue  # a check that could not look: reported, nothing to move
        ask = None if ask_keep is None else (lambda _, path=path: ask_keep(path))
        if gate.decide([f], ctx.config, ask).proceed:
            kept.append(path)
            continue
        try:
            entry = quarantine_file(
                path,
                ctx.config.cache_dir,
                package=f.package,
                version=f.version,
                reason=f"{f.check} {f.severity}: {f.message}",
            )
        except QuarantineError as exc:
            output.say(f"spip: error: {exc}; the file was left in place.", fg="red", bold=True)
            not_moved.append(path)
            continue
        quarantined.append(entry)
        output.say(
            f"spip: moved {path} to the quarantine; to put it back: {entry.restore_command}",
            fg="yellow",
            bold=True,
        )
    return Review(findings, quarantined, kept, not_moved)
