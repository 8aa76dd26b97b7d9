"""What spip tells people (a short block on stderr) and scripts (the findings JSON)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from spip import __version__
from spip.findings import Finding, Severity
from spip.sanitize import neutralise

_COLOURS = {Severity.LOW: "yellow", Severity.MEDIUM: "bright_red", Severity.HIGH: "red"}


def _colour() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


def say(message: str, *, fg: str | None = None, bold: bool = False) -> None:
    """One line from spip to stderr (stdout stays pip's)."""
    text = click.style(message, fg=fg, bold=bold) if _colour() and (fg or bold) else message
    click.echo(text, err=True)


def show_findings(findings: Sequence[Finding], versions: dict[str, str | None]) -> None:
    """Per package, each finding in one or two lines; metadata text neutralised."""
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
        for f in sorted(found, key=lambda f: -f.severity):
            label = (
                click.style(f"{f.severity.name:<6}", fg=_COLOURS[f.severity], bold=True)
                if _colour()
                else f"{f.severity.name:<6}"
            )
            click.echo(f"    {label} {f.check}: {neutralise(f.message, 400)}", err=True)


def show_plan(plan: Sequence[Any]) -> None:
    say("spip: the plan (nothing installed, --dry-run):")
    for dist in plan:
        why = "requested" if dist.requested else "dependency"
        say(f"  {neutralise(dist.name, 80)} {neutralise(dist.version, 40)} ({why}, {dist.source})")


def plan_json(plan: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "version": d.version,
            "url": d.url,
            "sha256": d.sha256,
            "source": d.source,
            "requested": d.requested,
        }
        for d in plan
    ]


def write_findings_json(
    path: Path,
    *,
    sensitivity: str,
    plan: Sequence[Any],
    findings: Sequence[Finding],
    decision: str,
    exit_status: int,
    timings: dict[str, float],
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the findings document (see README, "The findings document")."""
    from spip.hotlist import snapshot_date

    document = {
        "spip_version": __version__,
        "hotlist_snapshot": snapshot_date(),
        "sensitivity": sensitivity,
        "decision": decision,
        "exit_status": exit_status,
        "plan": plan_json(plan),
        "findings": [f.to_json() for f in findings],
        "timings": {k: round(v, 4) for k, v in timings.items()},
        **(extra or {}),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
