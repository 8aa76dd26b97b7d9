"""The quarantine: startup files an install dropped, moved aside, never deleted.

Each entry is a folder ``<cache_dir>/quarantine/<ID>/`` holding the file (or
package folder) under its own name and a ``manifest.json`` saying where it
came from, which package installed it, when, why, and its sha256. The
manifest is written before the file moves, and a move across file systems
copies before it removes, so an interrupted run loses nothing.

Also here: :func:`review_after_install`, which compares the snapshots taken
around phase 2, and the ``spip quarantine list|restore ID`` commands.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from packaging.utils import canonicalize_name

from spip import gate, output
from spip.sanitize import neutralise
from spip.snapshot import Snapshot, new_startup_files, owners
from spip.startup_files import ID as PTH_CHECK
from spip.startup_files import Seen, classify, editables, finding

if TYPE_CHECKING:
    from spip.config import Config
    from spip.findings import Finding
    from spip.report import PlannedDist

_MANIFEST = "manifest.json"
_READ_LIMIT = 1024 * 1024  # bytes of a startup file read to judge it


class QuarantineError(Exception):
    """A quarantine entry cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class Quarantined:
    """One quarantine entry, as its manifest records it."""

    id: str
    origin: str
    package: str | None
    version: str | None
    time: str
    reason: str
    sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def restore_command(self) -> str:
        return f"spip quarantine restore {self.id}"


def _root(cache_dir: Path) -> Path:
    return cache_dir / "quarantine"


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None  # a package folder (sitecustomize/): recorded without a hash
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _move(src: Path, dest: Path) -> None:
    """Move a file or folder; across file systems, copy fully before removing the source."""
    try:
        os.rename(src, dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    partial = dest.with_name(dest.name + ".partial")
    if src.is_dir():
        shutil.copytree(src, partial, symlinks=True)
    else:
        shutil.copy2(src, partial)
    os.rename(partial, dest)
    if src.is_dir():
        shutil.rmtree(src)
    else:
        src.unlink()


def _write_manifest(folder: Path, entry: Quarantined) -> None:
    tmp = folder / (_MANIFEST + ".tmp")
    tmp.write_text(json.dumps(entry.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / _MANIFEST)


def quarantine_file(
    path: Path, cache_dir: Path, *, package: str | None, version: str | None, reason: str
) -> Quarantined:
    """Move ``path`` into a new quarantine entry and return it."""
    root = _root(cache_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        sha256 = _sha256(path)
        while True:
            entry_id = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"
            folder = root / entry_id
            try:
                folder.mkdir()
                break
            except FileExistsError:
                continue
        entry = Quarantined(
            id=entry_id,
            origin=str(path),
            package=package,
            version=version,
            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            reason=reason,
            sha256=sha256,
        )
        _write_manifest(folder, entry)
        _move(path, folder / path.name)
    except OSError as exc:
        raise QuarantineError(f"could not move {path} into {root}: {exc.strerror or exc}") from None
    return entry


def _load(folder: Path) -> Quarantined | None:
    try:
        data = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        entry = Quarantined(**{k: data.get(k) for k in Quarantined.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None
    if entry.id != folder.name or not isinstance(entry.origin, str):
        return None
    # An entry whose file never arrived (interrupted run) left the file where it was.
    return entry if (folder / Path(entry.origin).name).exists() else None


def list_entries(cache_dir: Path) -> list[Quarantined]:
    """Every complete quarantine entry, oldest first."""
    root = _root(cache_dir)
    if not root.is_dir():
        return []
    entries = (_load(folder) for folder in sorted(root.iterdir()) if folder.is_dir())
    return [e for e in entries if e is not None]


def restore(cache_dir: Path, entry_id: str) -> Quarantined:
    """Move a quarantined file back where it came from and drop its entry."""
    folder = _root(cache_dir) / entry_id
    is_name = entry_id not in ("", ".", "..") and Path(entry_id).name == entry_id
    entry = _load(folder) if is_name else None
    if entry is None:
        raise QuarantineError(
            f"no quarantine entry {neutralise(entry_id, 60)} (see: spip quarantine list)"
        )
    origin = Path(entry.origin)
    held = folder / origin.name
    if os.path.lexists(origin):
        raise QuarantineError(f"{origin} exists again; move it away first, then restore")
    if _sha256(held) != entry.sha256:
        raise QuarantineError(f"{held} changed since it was quarantined; not restoring it")
    try:
        origin.parent.mkdir(parents=True, exist_ok=True)
        _move(held, origin)
    except OSError as exc:
        raise QuarantineError(
            f"could not move {held} back to {origin}: {exc.strerror or exc}"
        ) from None
    shutil.rmtree(folder, ignore_errors=True)
    return entry


# ---- after install --------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """What the after-install review found and did."""

    findings: list[Finding]
    quarantined: list[Quarantined]
    kept: list[Path]  # reported, and kept by the rules or by the person's answer
    not_moved: list[Path]  # refused, but the move failed: still in place (said so)


def _read(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(_READ_LIMIT + 1)
    except OSError:
        return None
    return data if len(data) <= _READ_LIMIT else None


def _keep(f: Finding, config: Config, interactive: bool, path: Path) -> bool:
    """The gate's table, applied to one startup file found after install."""
    if config.ignore_warning or config.allows(f.package, f.check):
        return True
    action = gate.action_for(f.severity, config.sensitivity)
    if action is gate.Action.WARN:
        return True
    if action is gate.Action.STOP or not interactive:
        return False
    try:
        return click.confirm(f"spip: keep {path}?", default=False, err=True)
    except click.Abort:
        return False


def review_after_install(
    before: Snapshot,
    after: Snapshot,
    *,
    accepted: Collection[str],
    interactive: bool,
    config: Config,
    plan: Sequence[PlannedDist],
) -> Review:
    """Report startup files that phase 2 added or changed, and quarantine the unwanted ones.

    ``accepted`` names the startup files the pre-install ``pth-file`` findings
    showed and the gate let through; known-benign files (including the
    editable installs of ``plan``) raise nothing. Each remaining file gives a
    ``pth-file`` finding; the gate's table decides: a warning keeps it, a
    question is asked at a terminal (default No), anything else moves it to
    the quarantine and prints the command that restores it.
    """
    editable = editables(plan)
    owner_of = owners(before, after)
    findings: list[Finding] = []
    quarantined: list[Quarantined] = []
    kept: list[Path] = []
    not_moved: list[Path] = []
    for path in new_startup_files(before, after):
        if path.name in accepted:
            continue
        data = _read(path)
        verdict = classify(path.name, data, sitedir=path.parent, editables=editable)
        if verdict.severity is None:
            continue
        name, version = owner_of.get(path, ("", None))
        package = canonicalize_name(name) if name else "(unknown package)"
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
        f = finding(
            package,
            version,
            [Seen(path.name, verdict, digest)],
            where=f"seen in {path.parent} after install",
        )
        findings.append(f)
        output.show_findings([f], {})
        if _keep(f, config, interactive, path):
            kept.append(path)
            continue
        try:
            entry = quarantine_file(
                path,
                config.cache_dir,
                package=package,
                version=version,
                reason=f"{PTH_CHECK} {f.severity}: {verdict.reason}",
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


# ---- spip quarantine ... --------------------------------------------------


def _cache_dir() -> Path:
    from spip.config import ConfigError, load

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
