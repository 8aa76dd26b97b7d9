"""The findings document: one JSON object for scripts (README, "The findings document")."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spip import __version__
from spip.checks.hotlist import snapshot_date
from spip.core.atomic import atomic_write
from spip.core.redact import redact

if TYPE_CHECKING:
    from spip.install.state import InstallState


def document(state: InstallState) -> dict[str, Any]:
    doc = {
        "spip_version": __version__,
        "hotlist_snapshot": snapshot_date(),
        "installer": state.installer,
        "sensitivity": state.config.sensitivity,
        "decision": state.decision,
        "exit_status": state.status,
        "plan": [
            {
                "name": d.name,
                "version": d.version,
                "url": d.url,
                "sha256": d.sha256,
                "source": d.source,
                "requested": d.requested,
            }
            for d in state.plan
        ],
        "findings": [f.to_json() for f in state.findings],
        "held_back": state.held_back,
        "timings": {k: round(v, 4) for k, v in state.timings.items()},
        **state.extra,
    }
    return {k: _redacted(v) for k, v in doc.items()}


def _redacted(value: Any) -> Any:
    """No credentials of an index URL (the plan's, a message's) in the document."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def write(path: Path, state: InstallState) -> None:
    """Write the document at ``path``: a regular file is replaced whole (atomically),
    through a symlink (the link stays); a device or a pipe (``/dev/stdout``) is written
    into, never replaced by a file. ``path`` was checked writable before the install
    (:func:`spip.core.atomic.cannot_write`); raises ``OSError`` when it no longer is."""
    text = json.dumps(document(state), indent=2) + "\n"
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        atomic_write(Path(os.path.realpath(path)), text)
