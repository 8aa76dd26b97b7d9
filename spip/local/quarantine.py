"""The quarantine: startup files an install dropped, moved aside, never deleted.

Each entry is a folder ``<cache_dir>/quarantine/<ID>/`` holding the file (or
package folder) under its own name and a ``manifest.json`` saying where it
came from, which package installed it, when, why, and its sha256. The
manifest is written before the file moves, and a move across file systems
copies before it removes, so an interrupted run loses nothing.

Only the store: what to quarantine is decided by :mod:`spip.afterinstall.review`,
and the ``spip quarantine`` commands live in :mod:`spip.cli.quarantine`.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import msgspec
import msgspec.structs

from spip.core.atomic import atomic_write
from spip.core.hashing import sha256_file
from spip.ui.sanitize import neutralise

_MANIFEST = "manifest.json"


class QuarantineError(Exception):
    """A quarantine entry cannot be made or restored; the message says why."""


class Quarantined(msgspec.Struct, frozen=True):
    """One quarantine entry, as its manifest records it."""

    id: str
    origin: str
    package: str | None
    version: str | None
    time: str
    reason: str
    sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)

    @property
    def restore_command(self) -> str:
        return f"spip quarantine restore {self.id}"


def _root(cache_dir: Path) -> Path:
    return cache_dir / "quarantine"


def _sha256(path: Path) -> str | None:
    """A file's sha256; None for a package folder (``sitecustomize/``), kept without one."""
    return sha256_file(path) if path.is_file() else None


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
    atomic_write(folder / _MANIFEST, json.dumps(entry.to_json(), indent=2) + "\n")


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
        if not isinstance(data, dict):
            return None
        known = {k: data.get(k) for k in Quarantined.__struct_fields__}
        entry = msgspec.convert(known, Quarantined)  # each field of its type, or no entry
    except (OSError, ValueError):
        return None
    if entry.id != folder.name:
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
