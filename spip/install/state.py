"""The typed state of one guarded install: what was asked, planned, found and decided.

Only data: the steps in :mod:`spip.install.pipeline` print and ask.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist
    from spip.policy.config import Config
    from spip.policy.findings import Finding

STARTED = time.perf_counter()  # when spip's install machinery was first imported


@dataclass
class InstallState:
    config: Config
    installer: str  # which installer: "pip", "uv" or "pipx"
    interactive: bool  # someone can answer a question
    dry_run: bool
    requested: list[str] = field(default_factory=list)  # the project names the user typed
    plan: list[PlannedDist] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # every finding shown, in order
    passed: list[Finding] = field(default_factory=list)  # the ones the gate let through
    # What the cooldown held back: {name, version, installed, age_hours} per release.
    held_back: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    decision: str = ""  # set when the run ends (see the findings document)
    status: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # more for the findings document

    def since_start(self) -> float:
        return time.perf_counter() - STARTED

    def passed_before(self, finding: Finding) -> bool:
        """The gate already let a finding of this check on this package through."""
        return any((p.package, p.check) == (finding.package, finding.check) for p in self.passed)
