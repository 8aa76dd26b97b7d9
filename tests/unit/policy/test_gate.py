"""The sensitivity gate."""

from __future__ import annotations

import pytest

from spip.policy import gate
from spip.policy.config import Config
from spip.policy.findings import Finding, Severity


def _finding(severity: Severity, package: str = "p", check: str = "c") -> Finding:
    return Finding(check, severity, package, "1.0", "msg")


@pytest.mark.parametrize(
    ("sensitivity", "severity", "action"),
    [
        ("low", Severity.LOW, gate.Action.WARN),
        ("low", Severity.MEDIUM, gate.Action.ASK),
        ("low", Severity.HIGH, gate.Action.STOP),
        ("medium", Severity.LOW, gate.Action.ASK),
        ("medium", Severity.MEDIUM, gate.Action.STOP),
        ("medium", Severity.HIGH, gate.Action.STOP),
        ("high", Severity.LOW, gate.Action.STOP),
        ("high", Severity.MEDIUM, gate.Action.STOP),
    ],
)
def test_gate_table(sensitivity, severity, action):
    assert gate.action_for(severity, sensitivity) is action


def test_gate_decisions():
    medium = [_finding(Severity.MEDIUM)]
    assert gate.decide(medium, Config(), None).reason == "no-input"
    assert gate.decide(medium, Config(), lambda f: True).proceed
    assert gate.decide(medium, Config(), lambda f: False).reason == "answered-no"
    assert gate.decide([_finding(Severity.HIGH)], Config(), lambda f: True).reason == "stopped"
    assert gate.decide([_finding(Severity.HIGH)], Config(ignore_warning=True), None).proceed
    assert gate.decide(medium, Config(allow=("P:c",)), None).reason == "clean"
    assert not gate.decide(medium, Config(allow=("p:other",)), None).proceed
    assert gate.decide([_finding(Severity.LOW)], Config(), None).reason == "warned"
    stopped = gate.decide(medium, Config(), None)
    assert '"p:c"' in gate.how_to_go_on(stopped) and "--ignore-warning" in gate.how_to_go_on(
        stopped
    )


def test_informational_notes_only_warn_below_high():
    note = Finding("unverified", Severity.LOW, "p", "1.0", "no data", informational=True)
    assert gate.decide([note], Config(sensitivity="medium"), None).reason == "warned"
    assert gate.decide([note], Config(), None).reason == "warned"
    assert gate.decide([note], Config(sensitivity="high"), None).reason == "stopped"
    # a content check's unverified is no note: it still counts at medium
    gap = Finding("unverified", Severity.MEDIUM, "p", "1.0", "cannot see the .pth")
    assert gate.decide([note, gap], Config(sensitivity="medium"), None).blocking == (gap,)
