"""An audit as Markdown, for a CI job summary (``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spip.policy.gate import describe
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.audit.flow import Audit

_VERDICTS = {
    "passed": "passed: the gate would let this through",
    "refused": "refused: the gate would stop this install",
    "pip-failed": "pip could not resolve the requirements",
    "failed": "spip could not go on safely",
}


def _cell(text: str, limit: int) -> str:
    return neutralise(text, limit).replace("|", "\\|").replace("\n", " ")


def markdown(audit: Audit) -> str:
    state = audit.state
    what = ", ".join(str(p) for p in audit.files) or "the environment"
    lines = [
        f"## spip audit: {_cell(what, 200)}",
        "",
        f"**{_VERDICTS.get(state.decision, state.decision)}** (exit status {state.status}); "
        f"{len(state.plan)} distributions checked, {len(state.findings)} findings, "
        f"sensitivity `{state.config.sensitivity}` ({describe(state.config.sensitivity)}).",
    ]
    if state.findings:
        lines += ["", "| severity | check | package | message |", "|---|---|---|---|"]
        for f in sorted(state.findings, key=lambda f: -f.severity):
            package = _cell(f"{f.package} {f.version or ''}".strip(), 80)
            message = _cell(f.message, 400)
            lines.append(f"| {f.severity.name} | `{f.check}` | {package} | {message} |")
    if state.decision == "refused":
        entries = ", ".join(sorted({f'"{f.package}:{f.check}"' for f in state.findings}))
        lines += [
            "",
            "Review each finding. To accept a reviewed false positive for good, add it to "
            f"`allow` under `[tool.spip]`: `allow = [{entries}]`.",
        ]
    return "\n".join(lines) + "\n"
