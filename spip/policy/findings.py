"""What a check reports: a finding, with a severity the gate acts on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Finding:
    """One thing a check found about one planned distribution.

    ``message`` is for a person (what was found, why it matters, what to do);
    ``evidence`` holds the data the finding rests on, for the findings JSON;
    ``path`` is the file on disk it is about, when it is about one already installed;
    ``informational``: a note on what spip did or could not learn (a held-back release,
    a metadata check without data), not a risk in what gets installed: the gate warns
    about it at every sensitivity but ``high`` (README, "The gate").
    """

    check: str
    severity: Severity
    package: str
    version: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)
    informational: bool = field(default=False, compare=False)

    @classmethod
    def about(
        cls,
        dist: PlannedDist,
        check: str,
        severity: Severity,
        message: str,
        evidence: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding on a planned distribution (its name and version)."""
        return cls(check, severity, dist.name, dist.version, message, evidence or {})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check,
            "severity": self.severity.name,
            "package": self.package,
            "version": self.version,
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.informational:
            out["informational"] = True
        return out
