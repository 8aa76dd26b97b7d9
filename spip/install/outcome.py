"""How a run passes the gate and how it ends: the steps before and after phase 1's
start share these (light: no network machinery)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spip.checks.startup_rules import is_startup_name
from spip.core.interrupts import interrupts
from spip.install import document
from spip.local import journal
from spip.policy import gate
from spip.ui import output
from spip.ui.sanitize import neutralise

EXIT_INTERRUPTED = 130

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


def interrupted(state: InstallState) -> int:
    """Ctrl-C or SIGTERM before the installer installed anything."""
    output.say("spip: interrupted; nothing was installed.", fg="red", bold=True)
    return finish(state, "interrupted", EXIT_INTERRUPTED)


def interrupted_install(state: InstallState, decision: str, status: int) -> int:
    """How a run ends whose install was under way when a signal came: the installer was
    let finish (never stopped half-way through a distribution) and its work reviewed."""
    if interrupts.received is None:
        return finish(state, decision, status)
    planned = ", ".join(f"{d.name} {d.version}" for d in state.plan)
    if status == 0 or decision == "installed-quarantined":
        what = f"pip was let finish, so nothing is half-installed; installed: {planned}"
    else:
        what = f"pip's install failed (status {status}); check what it left of: {planned}"
    output.say(f"spip: interrupted during the install; {neutralise(what, None)}.", bold=True)
    state.extra["interrupted_during"] = "install"
    state.extra["installed_status"] = status
    return finish(state, "interrupted", EXIT_INTERRUPTED)


def letting_finish(installer: str) -> None:
    """Said when a signal comes while ``installer`` (pip, uv, pipx) installs."""
    output.say(
        f"spip: interrupted: letting {installer} finish the install it is doing (stopping "
        "it half-way could leave a package without its .dist-info); spip stops after it."
    )


def report_left_behind(cache_dir: Path) -> None:
    """An earlier run that ended during its install without reviewing it: say so."""
    for entry in journal.left_behind(cache_dir):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.started))
        before = set(entry.startup_before)
        found = [
            str(path)
            for folder in entry.dirs
            for path in sorted(Path(folder).glob("*"))
            if is_startup_name(path.name) and str(path) not in before
        ]
        output.say(
            f"spip: warning: an earlier spip install (pid {entry.pid}, {when}) was stopped "
            f"while pip installed {neutralise(', '.join(entry.plan), 300)}, before spip "
            "reviewed what landed.",
            fg="red",
            bold=True,
        )
        if found:
            listed = neutralise(", ".join(found), 600)
            output.say(
                f"spip: startup files that appeared there since: {listed}; each runs at "
                "every Python start: look at them, and remove any you do not trust."
            )
        else:
            output.say("spip: no new startup file (.pth, sitecustomize) appeared there since.")


def finish(state: InstallState, decision: str, status: int) -> int:
    """End the run: the decision and status, in the findings document if one is wanted."""
    state.decision, state.status = decision, status
    state.timings["total"] = state.since_start()
    if state.config.findings_json is not None:
        try:
            document.write(state.config.findings_json, state)
        except OSError as exc:  # it was writable when the run started; the status stands
            output.say(
                f"spip: error: could not write the findings file {state.config.findings_json}: "
                f"{exc.strerror or exc}",
                fg="red",
            )
    return status
