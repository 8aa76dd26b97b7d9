"""The report: medians, ratios, issue 7's targets and PASS/FAIL, as Markdown and as raw JSON."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks.cases import CHECKS_PLAN_SIZE
from benchmarks.runner import SPIP_CLI, SPIP_INSTALL, CaseResult, Sample, Setting
from benchmarks.signals import SIGNALS_TARGET

# Issue 7's targets: the median of the per-pair ratio spip/pip (by plan size), and
# absolute ones for start-up, the checks and memory.
STARTUP_TARGET = 0.150
CHECKS_TARGET = 0.150
MEMORY_TARGET_MB = 80.0
PHASES = ("startup", "phase1", "checks", "fetch_wait", "phase2", "total")  # spip's timings


def ratio_target(plan_size: int, mode: str) -> float:
    """The ratio target of a plan: 1-dist 1.40; 15-dist 1.10; 60-dist 1.05 warm, 1.00 cold."""
    if plan_size <= 5:
        return 1.40
    if plan_size <= 30:
        return 1.10
    return 1.05 if mode == "warm" else 1.00


UV_WARM_ADDED = 0.25  # seconds spip uv may add to a warm uv install (issue 14)
UV_COLD_RATIO = 1.15
PIPX_RATIO = 1.10  # spip pipx install against pipx install (issue 14)


def case_target(case: CaseResult) -> float:
    """The ratio target of ``case``'s plan and mode.

    Against uv: cold at most 15% more; warm at most 0.25 s more, as a ratio of uv's
    own median (uv installs a warm plan in tens of milliseconds). Against pipx: 10% more.
    """
    if case.installer == "pipx":
        return PIPX_RATIO
    if case.installer == "uv":
        if case.mode == "cold":
            return UV_COLD_RATIO
        base = med([s.seconds for s in case.pip])
        return (base + UV_WARM_ADDED) / base if base == base and base > 0 else float("nan")
    return ratio_target(case.plan_size, case.mode)


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def secs(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return f"{med(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def ms(value: float) -> str:
    return "-" if value != value else f"{value * 1000:.0f} ms"


def verdict(value: float, target: float) -> str:
    if value != value:
        return "-"
    return "PASS" if value <= target else "FAIL"


def _floor(cases: Sequence[CaseResult]) -> list[str]:
    """For each missed target: how much of it the two pip runs alone take."""
    missed = [c for c in cases if verdict(med(c.ratios), case_target(c)) == "FAIL" and c.spip]
    if not missed:
        return []
    lines = [
        "",
        "### Why a target is missed",
        "",
        "spip's wall time holds its two pip runs: phase 1 resolves (and pip < 26 also downloads "
        "every wheel in `--dry-run`), phase 2 resolves again and installs the verified files. "
        "The floor is those two phases alone against pip's whole install; the rest is spip's "
        "own share (start-up, checks, waiting for files, exit).",
        "",
        "| case | target | spip/pip | floor: (phase1 + phase2) / pip | spip's own share |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in missed:
        pips = med(c.phase("phase1")) + med(c.phase("phase2"))
        floor = pips / med([s.seconds for s in c.pip])
        own = med([s.seconds for s in c.spip]) - pips
        lines.append(
            f"| {c.label} {c.mode} | {case_target(c):.2f}x | {med(c.ratios):.2f}x | {floor:.2f}x "
            f"| {ms(own)} |"
        )
    return lines


def _peer(cases: Sequence[CaseResult]) -> list[str]:
    """The peer column: the upstream guard timed in the same rounds (``--peer``)."""
    timed = [c for c in cases if c.peer]
    if not timed:
        return []
    lines = [
        "",
        "### Against the peer (the upstream guard, timed in the same rounds: pip, spip, peer)",
        "",
        "| case | pip | spip | peer | spip/pip | peer/pip | spip below the peer |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for c in timed:
        ours, theirs = med(c.ratios), med(c.peer_ratios)
        lines.append(
            f"| {c.label} {c.mode} | {secs([s.seconds for s in c.pip])} "
            f"| {secs([s.seconds for s in c.spip])} | {secs([s.seconds for s in c.peer])} "
            f"| {ours:.2f}x | {theirs:.2f}x | {verdict(ours, theirs)} |"
        )
    return lines


def report(
    command: str,
    setting: Setting,
    cases: Sequence[CaseResult],
    startup: dict[str, list[float]] | None,
    checks: list[Sample] | None,
    pairs: int,
    pip_version: str = "pip",
    signals: tuple[list[float], list[float]] | None = None,
) -> str:
    lines = [
        "## spip install vs pip install",
        "",
        f"`{command}` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {pip_version} in the venvs; "
        f"against {setting.description}. "
        f"{pairs} pairs per case, alternating pip/spip, every install into a fresh venv; "
        "cold = empty pip and spip caches, "
        "warm = both filled by an earlier install of the same plan.",
        "",
        "uv cases: `uv pip install` (pip column) against `spip uv pip install` (spip column); "
        "pipx cases: `pipx install` against `spip pipx install` (pipx's default backend, "
        "a new pipx home each run).",
        "",
        "| case | dists | pip: median (min-max) | spip: median (min-max) "
        "| spip/pip (median of pairs) | target | result |",
        "|---|---:|---|---|---:|---:|---|",
    ]
    for c in cases:
        ratio = med(c.ratios)
        lines.append(
            f"| {c.label}{'' if c.installer == 'pip' else ' ' + c.installer} {c.mode} "
            f"| {c.plan_size} "
            f"| {secs([s.seconds for s in c.pip])} "
            f"| {secs([s.seconds for s in c.spip])} | {ratio:.2f}x | <= {case_target(c):.2f}x "
            f"| {verdict(ratio, case_target(c))} |"
        )
    lines += _peer(cases)
    lines += [
        "",
        "### Where spip's time goes (medians, from `--findings-json` timings)",
        "",
        "| case | launch -> phase 1 | " + " | ".join(PHASES) + " | wall - total "
        "| CPU s: spip / pip |",
        "|---|" + "---:|" * (len(PHASES) + 3),
    ]
    for c in cases:
        walls = [s.seconds - s.timings["total"] for s in c.spip if "total" in s.timings]
        cells = [ms(c.probe.get("start_to_phase1", float("nan")))]
        cells += [ms(med(c.phase(key))) for key in PHASES]
        cpu = f"{med([s.cpu for s in c.spip]):.2f} / {med([s.cpu for s in c.pip]):.2f}"
        cells += [ms(med(walls)), cpu]
        lines.append(f"| {c.label} {c.mode} | " + " | ".join(cells) + " |")
    found = sum(s.findings for c in cases for s in c.spip)
    lines += [
        "",
        "`launch -> phase 1`: from launching `python -m spip` to phase 1's pip getting its "
        "arguments (one extra run per case); `startup`: spip's own mark of the same moment, "
        "counted from its first import. `wall - total`: the part of the wall time outside "
        "spip's own `total` (interpreter start, imports, exit). CPU: user + system "
        "time of all processes of a run (medians), a figure that load on the machine "
        "disturbs less than wall time."
        + (f" Findings reported across all runs: {found}." if found else ""),
    ]
    lines += _floor(cases)
    lines += [
        "",
        "### Start-up and memory",
        "",
        "| measure | value | target | result |",
        "|---|---:|---:|---|",
    ]
    if startup:
        base = med(startup["python"])
        net_cli = med(startup[f"import {SPIP_CLI}"]) - base
        net_install = med(startup[f"import {SPIP_INSTALL}"]) - base
        version_extra = med(startup["spip --version"]) - med(startup["pip --version"])
        lines += [
            f"| `python -c pass` | {ms(base)} | | |",
            f"| `import {SPIP_CLI}` (beyond `python -c pass`) | {ms(net_cli)} | | |",
            f"| `import {SPIP_INSTALL}` (beyond `python -c pass`) | {ms(net_install)} | | |",
            f"| `spip --version` - `pip --version` ({ms(med(startup['spip --version']))} - "
            f"{ms(med(startup['pip --version']))}) | {ms(version_extra)} | <= {ms(STARTUP_TARGET)} "
            f"| {verdict(version_extra, STARTUP_TARGET)} |",
        ]
    probed = [c for c in cases if c.probe]
    for c in probed:
        value = c.probe.get("start_to_phase1", float("nan"))
        lines.append(
            f"| launch -> phase 1, {c.label} {c.mode} | {ms(value)} | <= {ms(STARTUP_TARGET)} "
            f"| {verdict(value, STARTUP_TARGET)} |"
        )
    for c in cases:
        value = med(c.phase("startup"))
        if value == value:
            lines.append(
                f"| `timings.startup` (median), {c.label} {c.mode} | {ms(value)} "
                f"| <= {ms(STARTUP_TARGET)} | {verdict(value, STARTUP_TARGET)} |"
            )
    for c in probed:
        mb = c.probe.get("maxrss_kb", 0) / 1024
        tree_spip = med([s.maxrss_kb for s in c.spip]) / 1024
        tree_pip = med([s.maxrss_kb for s in c.pip]) / 1024
        lines.append(
            f"| peak RSS of the spip process, {c.label} {c.mode} (largest process: spip run "
            f"{tree_spip:.0f} MB, pip run {tree_pip:.0f} MB) | {mb:.0f} MB "
            f"| <= {MEMORY_TARGET_MB:.0f} MB | {verdict(mb, MEMORY_TARGET_MB)} |"
        )
    for c in probed:
        value = c.probe.get("cpu_self", float("nan"))
        lines.append(
            f"| CPU time of the spip process itself (not its pip runs), {c.label} {c.mode} "
            f"| {ms(value)} | | |"
        )
    if checks:
        values = [s.timings["checks"] for s in checks if "checks" in s.timings]
        value = med(values)
        detail = f"{ms(value)} ({ms(min(values))}-{ms(max(values))})" if values else "-"
        lines.append(
            f"| all checks, {CHECKS_PLAN_SIZE}-dist plan, warm spip cache | {detail} "
            f"| <= {ms(CHECKS_TARGET)} | {verdict(value, CHECKS_TARGET)} |"
        )
    if signals:
        with_signals, without = signals
        added = med(with_signals) - med(without)
        lines.append(
            f"| what the signal checks add to them (CPU time in process, {len(without)} rounds "
            f"each: {ms(med(with_signals))} with, {ms(med(without))} without) | {ms(added)} "
            f"| <= {ms(SIGNALS_TARGET)} | {verdict(added, SIGNALS_TARGET)} |"
        )
    return "\n".join(lines) + "\n"


def raw(
    cases: Sequence[CaseResult],
    startup: dict[str, list[float]] | None,
    checks: list[Sample] | None,
) -> dict[str, Any]:
    """Every sample, for ``--json``."""

    def samples(items: Sequence[Sample]) -> list[dict[str, Any]]:
        return [vars(s) for s in items]

    return {
        "cases": [
            {
                "label": c.label,
                "mode": c.mode,
                "targets": c.targets,
                "plan_size": c.plan_size,
                "pip": samples(c.pip),
                "spip": samples(c.spip),
                "peer": samples(c.peer),
                "probe": c.probe,
                "ratios": c.ratios,
            }
            for c in cases
        ],
        "startup": startup,
        "checks": samples(checks or []),
    }
