"""The sensitivity gate: continue, ask, or stop (MISSION.md, "The sensitivity gate").

| sensitivity | LOW       | MEDIUM    | HIGH      |
| low         | warn      | ask y/N   | stop      |
| medium      | ask y/N   | stop      | stop      |
| high        | stop      | stop      | stop      |

An informational finding (a release the cooldown held back, a metadata check that
could not get its data) only warns, except at ``high``, where it counts as its
severity. ``--ignore-warning`` continues past everything; ``allow`` entries accept
reviewed findings without a question. A question nobody can answer is a No.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

import msgspec

from spip.policy.config import Config
from spip.policy.findings import Finding, Severity

# Exit statuses of spip itself, chosen outside the ones pip uses (0-4, 23).
EXIT_REFUSED = 10  # the gate stopped the install; nothing was installed
EXIT_UNSAFE = 11  # spip could not go on safely (a file changed, pip's plan unreadable)
EXIT_QUARANTINED = 12  # installed, but a startup file it dropped was quarantined


class Action(enum.Enum):
    WARN = "warn"
    ASK = "ask"
    STOP = "stop"


class Verdict(msgspec.Struct, frozen=True):
    proceed: bool
    # Findings that made the gate ask or stop (empty when it only warned).
    blocking: tuple[Finding, ...]
    reason: (
        str  # "clean", "warned", "ignored", "answered-yes", "answered-no", "no-input", "stopped"
    )


# The gate's table: what each sensitivity does with a finding of each severity.
TABLE: dict[str, dict[Severity, Action]] = {
    "low": {Severity.LOW: Action.WARN, Severity.MEDIUM: Action.ASK, Severity.HIGH: Action.STOP},
    "medium": {Severity.LOW: Action.ASK, Severity.MEDIUM: Action.STOP, Severity.HIGH: Action.STOP},
    "high": {Severity.LOW: Action.STOP, Severity.MEDIUM: Action.STOP, Severity.HIGH: Action.STOP},
}
_SAID = {Action.WARN: "warns", Action.ASK: "asks", Action.STOP: "stops"}


def action_for(severity: Severity, sensitivity: str) -> Action:
    return TABLE[sensitivity][severity]


def action_on(finding: Finding, sensitivity: str) -> Action:
    """What the gate does with ``finding`` at ``sensitivity``."""
    if finding.informational and sensitivity != "high":
        return Action.WARN
    return action_for(finding.severity, sensitivity)


def describe(sensitivity: str) -> str:
    """The table's row for a person: ``warns on LOW, asks on MEDIUM, stops on HIGH``."""
    row = TABLE[sensitivity]
    return ", ".join(f"{_SAID[row[severity]]} on {severity}" for severity in Severity)


def decide(
    findings: Sequence[Finding], config: Config, ask: Callable[[Sequence[Finding]], bool] | None
) -> Verdict:
    """Apply the table; ``ask`` asks a person (None when nobody can answer)."""
    active = [f for f in findings if not config.allows(f.package, f.check)]
    if not active:
        return Verdict(True, (), "clean")
    stopping = tuple(f for f in active if action_on(f, config.sensitivity) is Action.STOP)
    asking = tuple(f for f in active if action_on(f, config.sensitivity) is Action.ASK)
    if config.ignore_warning:
        return Verdict(True, (), "ignored")
    if stopping:
        return Verdict(False, stopping + asking, "stopped")
    if not asking:
        return Verdict(True, (), "warned")
    if ask is None:
        return Verdict(False, asking, "no-input")
    return (
        Verdict(True, (), "answered-yes") if ask(asking) else Verdict(False, asking, "answered-no")
    )


def how_to_go_on(verdict: Verdict) -> str:
    """One line telling the user the exact options that would let this install through."""
    entries = sorted({f'"{f.package}:{f.check}"' for f in verdict.blocking})
    return (
        "to install anyway, review the findings and re-run with --ignore-warning, "
        f"or accept them for good with allow = [{', '.join(entries)}] under [tool.spip]"
    )
