"""``spip install``: screen, resolve (phase 1), check, gate, install what was checked (phase 2).

See MISSION.md, "How an install flows". This module is the light front: it
screens the typed names and starts phase 1, and only then imports the heavy
machinery (:mod:`spip.phases`: httpx, pydantic, the checks), so those imports
overlap pip's resolution instead of delaying it. It also keeps the books of
a run (findings, timings, the decision, the exit status).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from spip import gate, output, pip_runner
from spip.checks.typosquat import screen_names
from spip.config import Config
from spip.findings import Finding
from spip.pip_args import PipInstallArgs, typed_names

STARTED = time.perf_counter()  # when spip's install machinery was first imported


@dataclass
class Run:
    """The books of one ``spip install``."""

    config: Config
    args: PipInstallArgs
    python: str
    interactive: bool
    dry_run: bool
    plan: list = field(default_factory=list)  # of spip.report.PlannedDist
    findings: list[Finding] = field(default_factory=list)
    decided: set[tuple[str, str]] = field(default_factory=set)  # (package, check) already passed
    requested: list[str] = field(default_factory=list)  # the project names the user typed
    timings: dict[str, float] = field(default_factory=dict)

    def finish(self, decision: str, status: int, **extra: object) -> int:
        self.timings["total"] = time.perf_counter() - STARTED
        if self.config.findings_json is not None:
            output.write_findings_json(
                self.config.findings_json,
                sensitivity=self.config.sensitivity,
                plan=self.plan,
                findings=self.findings,
                decision=decision,
                exit_status=status,
                timings=self.timings,
                extra=extra or None,
            )
        return status

    def gate(self, findings: Sequence[Finding]) -> gate.Verdict:
        """Show new findings and pass them through the gate; remember what was passed."""
        new = [f for f in findings if (f.package, f.check) not in self.decided]
        self.findings.extend(new)
        output.show_findings(new, {d.name: d.version for d in self.plan})
        verdict = gate.decide(new, self.config, _ask if self.interactive else None)
        if verdict.proceed:
            self.decided.update((f.package, f.check) for f in new)
        return verdict

    def refuse(self, verdict: gate.Verdict) -> int:
        why = (
            "nobody can answer the question here (no terminal or --no-input)"
            if verdict.reason == "no-input"
            else "the install was refused"
        )
        output.say(f"spip: nothing was installed: {why}.", fg="red", bold=True)
        output.say(f"spip: {gate.how_to_go_on(verdict)}")
        return self.finish("refused", gate.EXIT_REFUSED)


def _ask(findings: Sequence[Finding]) -> bool:
    try:
        return click.confirm("spip: install anyway?", default=False, err=True)
    except click.Abort:
        return False


def _interactive(args: PipInstallArgs) -> bool:
    no_input = os.environ.get("PIP_NO_INPUT", "").strip().lower()
    return sys.stdin.isatty() and not args.no_input and no_input in ("", "0", "false", "no", "off")


def run(args: PipInstallArgs, config: Config, resolver: pip_runner.WarmPip) -> int:
    """Install ``args`` with phase 1 in ``resolver``, a pip started for the target."""
    r = Run(config, args, resolver.python, _interactive(args), dry_run=args.has("--dry-run"))

    # Phase 1's pip imports itself while spip screens the names the user typed, and
    # gets its arguments once those passed. Phase 2's (none for a dry run) starts
    # once spip has loaded the rest of itself, not sooner, so that on a small
    # machine the three do not slow phase 1 down: it has the resolution and the
    # checks to get ready in, and its arguments come after the gate.
    installer = dirs_proc = None
    try:
        r.requested = typed_names(args, Path.cwd())
        screened = r.gate(screen_names(r.requested, config))
        if not screened.proceed:
            return r.refuse(screened)
        pending = pip_runner.resolve(resolver, args, wheels_only=True)
        r.timings["startup"] = time.perf_counter() - STARTED
        from spip import phases  # loads while pip resolves

        if not r.dry_run:
            installer = pip_runner.WarmPip(r.python)
            dirs_proc = subprocess.Popen(
                pip_runner.install_dirs_command(r.python, args), stdout=subprocess.PIPE, text=True
            )
        return phases.run(r, pending, installer, dirs_proc)
    finally:
        for pip in (resolver, installer):
            if pip is not None:
                pip.cancel()
        if dirs_proc is not None and dirs_proc.poll() is None:
            dirs_proc.kill()
