"""``spip quarantine list|restore ID``: the startup files spip moved aside after an install."""

from __future__ import annotations

from pathlib import Path

import click

from spip.local.quarantine import QuarantineError, list_entries, restore
from spip.ui.sanitize import neutralise


def _cache_dir() -> Path:
    from spip.policy.config import ConfigError, load

    try:
        return load().cache_dir
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(name="quarantine")
def quarantine() -> None:
    """Startup files spip moved aside after an install."""


@quarantine.command(name="list")
def list_command() -> None:
    """Show the quarantined files (ID, when, package, where it came from, why)."""
    entries = list_entries(_cache_dir())
    if not entries:
        click.echo("The quarantine is empty.")
        return
    for e in entries:
        package = neutralise(f"{e.package or '?'} {e.version or ''}".strip(), 80)
        click.echo(f"{e.id}  {e.time}  {package}  {neutralise(e.origin, 300)}")
        click.echo(f"    {neutralise(e.reason, 300)}")


@quarantine.command(name="restore")
@click.argument("entry_id", metavar="ID")
def restore_command(entry_id: str) -> None:
    """Move a quarantined file back to where it was installed."""
    try:
        entry = restore(_cache_dir(), entry_id)
    except QuarantineError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {neutralise(entry.origin, 300)}.")
