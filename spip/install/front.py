"""The start of a guarded install, kept light: screen the names the user typed and give
the installer its orders before anything heavy is imported; then hand over to
:mod:`spip.install.pipeline`, whose imports (asyncio, the models, the index client)
load while the installer resolves instead of delaying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks.registry import screen_names
from spip.install.outcome import interrupted, pass_gate, refuse, report_left_behind
from spip.install.state import InstallState

if TYPE_CHECKING:
    from spip.installer.base import Installer
    from spip.policy.config import Config


def run(installer: Installer, config: Config, interactive: bool) -> int:
    """Install what the user asked ``installer`` for, checked; returns the exit status."""
    state = InstallState(config, installer.name, interactive, installer.dry_run)
    try:
        report_left_behind(config.cache_dir)
        state.requested = installer.typed_names(Path.cwd())
        # Step 1, the names typed, before the installer resolves anything (no network).
        screened = pass_gate(state, screen_names(state.requested, config))
        if not screened.proceed:
            return refuse(state, screened)
        pending = installer.resolve()
        state.timings["startup"] = state.since_start()
        from spip.install import pipeline  # loads while the installer resolves

        return pipeline.run(state, installer, pending)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM before the install (it is let finish)
        return interrupted(state)
    finally:
        installer.cancel()
