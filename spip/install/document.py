"""The findings document: one JSON object for scripts (README, "The findings document")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spip import __version__
from spip.checks.hotlist import snapshot_date
from spip.core.atomic import atomic_write

if TYPE_CHECKING:
    from spip.install.state import InstallState


def document(state: InstallState) -> dict[str, Any]:
    return {
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


def write(path: Path, state: InstallState) -> None:
    atomic_write(path, json.dumps(document(state), indent=2) + "\n")
