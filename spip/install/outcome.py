"""How a run passes the gate and how it ends: the steps before and after phase 1's
start share these (light: no network machinery)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from spip.install import document
from spip.policy import gate
from spip.ui import output

if TYPE_CHECKING:
    from spip.install.state import InstallState
    from spip.policy.findings import Finding


def pass_gate(state: InstallState, findings: Sequence[Finding]) -> gate.Verdict:
    """Show the findings not passed before, and let the gate decide on them."""
    new = [f for f in findings if not state.passed_before(f)]
    state.findings.extend(new)

    def accepted(finding: Finding) -> bool:
        return state.config.allows(finding.package, finding.check)

    output.show_findings(new, {d.name: d.version for d in state.plan}, accepted)
    ask = (lambda _: output.confirm("spip: install anyway?")) if state.interactive else None
    verdict = gate.decide(new, state.config, ask)
    if verdict.proceed:
        state.passed.extend(new)
    return verdict


def refuse(state: InstallState, verdict: gate.Verdict) -> int:
    why = (
        "nobody can answer the question here (no terminal or --no-input)"
        if verdict.reason == "no-input"
        else "the install was refused"
    )
    output.say(f"spip: nothing was installed: {why}.", fg="red", bold=True)
    output.say(f"spip: {gate.how_to_go_on(verdict)}")
    return finish(state, "refused", gate.EXIT_REFUSED)


def finish(state: InstallState, decision: str, status: int) -> int:
    """End the run: the decision and status, in the findings document if one is wanted."""
    state.decision, state.status = decision, status
    state.timings["total"] = state.since_start()
    if state.config.findings_json is not None:
        document.write(state.config.findings_json, state)
    return status
