"""What spip tells people: short blocks on stderr (stdout stays the installer's), questions."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import click

from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

T = TypeVar("T")
# A wait longer than this is announced, with what spip waits for.
WAIT_NOTICE_SECONDS = 3.0
# Findings printed per package, the most severe first; the findings document keeps all.
MAX_SHOWN_PER_PACKAGE = 8
_COLOURS = {Severity.LOW: "yellow", Severity.MEDIUM: "bright_red", Severity.HIGH: "red"}


def _colour() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


def say(message: str, *, fg: str | None = None, bold: bool = False) -> None:
    """One line from spip to stderr (stdout stays pip's)."""
    text = click.style(message, fg=fg, bold=bold) if _colour() and (fg or bold) else message
    click.echo(text, err=True)


def relay(line: str, *, err: bool = False) -> None:
    """One line of the installer's own output, passed on as it prints it (neutralised)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(neutralise(line.rstrip("\r\n"), None) + "\n")
    stream.flush()


def show_findings(
    findings: Sequence[Finding],
    versions: dict[str, str | None],
    accepted: Callable[[Finding], bool] = lambda _: False,
) -> None:
    """Per package, each finding in one or two lines; metadata text neutralised.

    A finding the user ``accepted`` (their ``allow`` setting) is one line, said
    to be accepted, with no severity: it is no warning any more.
    """
    if not findings:
        return
    count = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    say(f"spip: {count}:", bold=True)
    by_package: dict[str, list[Finding]] = {}
    for f in findings:
        by_package.setdefault(f.package, []).append(f)
    for package, found in by_package.items():
        version = versions.get(package) or found[0].version
        say(f"  {neutralise(package, 80)} {neutralise(version or '', 40)}".rstrip())
        ranked = sorted(found, key=lambda f: (accepted(f), -f.severity))
        for f in ranked[:MAX_SHOWN_PER_PACKAGE]:
            if accepted(f):
                click.echo(f"    accepted {f.check} (your allow setting)", err=True)
                continue
            label = (
                click.style(f"{f.severity.name:<6}", fg=_COLOURS[f.severity], bold=True)
                if _colour()
                else f"{f.severity.name:<6}"
            )
            click.echo(f"    {label} {f.check}: {neutralise(f.message, 400)}", err=True)
        if len(ranked) > MAX_SHOWN_PER_PACKAGE:
            rest = len(ranked) - MAX_SHOWN_PER_PACKAGE
            say(f"    ... and {rest} more (all of them are in the --findings-json document)")


async def noting_wait(job: Awaitable[T], what: str) -> T:
    """Await ``job``; if it takes more than a few seconds, say once what spip waits for."""
    import asyncio

    notice = asyncio.get_running_loop().call_later(
        WAIT_NOTICE_SECONDS, say, f"spip: waiting for {what}..."
    )
    try:
        return await job
    finally:
        notice.cancel()


def show_plan(plan: Sequence[PlannedDist]) -> None:
    say("spip: the plan (nothing installed, --dry-run):")
    for dist in plan:
        why = "requested" if dist.requested else "dependency"
        say(f"  {neutralise(dist.name, 80)} {neutralise(dist.version, 40)} ({why}, {dist.source})")


def confirm(question: str) -> bool:
    """Ask a y/N question on the terminal; Ctrl-C or end of input is a No."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        return False
