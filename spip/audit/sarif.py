"""An audit as SARIF 2.1.0, for GitHub code scanning and other SARIF readers.

One rule per check id, its help from the check's own summary (``Check.summary``); one
result per finding, located at the line of the audited file that names the package
(else the file itself). A result's level is what the gate does with it at the audit's
sensitivity: ``error`` stops, ``warning`` would ask, ``note`` only warns.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from spip import __version__
from spip.checks.registry import summaries
from spip.policy.gate import Action, action_for

if TYPE_CHECKING:
    from spip.audit.flow import Audit
    from spip.audit.locations import Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://pypi.org/project/secured-pip/"
_LEVELS = {Action.STOP: "error", Action.ASK: "warning", Action.WARN: "note"}
# GitHub's scale for security results (0-10): HIGH, MEDIUM, LOW.
_SECURITY_SEVERITY = {3: "8.0", 2: "5.0", 1: "2.0"}


def rules() -> list[dict[str, Any]]:
    """Every check id spip has, as a SARIF rule."""
    return [
        {
            "id": check_id,
            "name": "".join(part.title() for part in check_id.split("-")),
            "shortDescription": {"text": summary.split(". ")[0].rstrip(".") + "."},
            "fullDescription": {"text": summary},
            "help": {"text": summary, "markdown": summary},
            "helpUri": f"{INFO_URI}#checks",
        }
        for check_id, summary in summaries().items()
    ]


def _uri(path: Path, root: Path) -> dict[str, str]:
    absolute = path.resolve()
    try:
        return {"uri": absolute.relative_to(root).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": absolute.as_uri()}


def _location(where: Location, root: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _uri(where.path, root)}
    if where.line:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def sarif(audit: Audit, root: Path) -> dict[str, Any]:
    """The SARIF log of ``audit``; paths under ``root`` are given relative to it."""
    state = audit.state
    rule_list = rules()
    index = {rule["id"]: i for i, rule in enumerate(rule_list)}
    results = []
    for finding in state.findings:
        result: dict[str, Any] = {
            "ruleId": finding.check,
            "level": _LEVELS[action_for(finding.severity, state.config.sensitivity)],
            "message": {"text": finding.message},
            "properties": {
                "severity": finding.severity.name,
                "security-severity": _SECURITY_SEVERITY[int(finding.severity)],
                "package": finding.package,
                "version": finding.version,
            },
            "partialFingerprints": {
                "spip/v1": f"{finding.check}:{finding.package}:{finding.version or ''}"
            },
        }
        if finding.check in index:
            result["ruleIndex"] = index[finding.check]
        where = audit.where(finding)
        if where is not None:
            result["locations"] = [_location(where, root)]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "spip",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rule_list,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": state.decision in ("passed", "refused"),
                        "exitCode": state.status,
                    }
                ],
                "results": results,
            }
        ],
    }
