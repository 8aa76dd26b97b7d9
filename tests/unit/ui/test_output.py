"""What spip prints about findings."""

from __future__ import annotations

from spip.policy.findings import Finding, Severity
from spip.ui import output


def test_findings_per_package_are_capped_with_a_count(capsys):
    many = [
        Finding(f"check{i}", Severity.LOW, "pkg", "1.0", f"finding number {i}") for i in range(20)
    ]
    many.append(Finding("pth-file", Severity.HIGH, "pkg", "1.0", "the worst one"))
    output.show_findings(many, {"pkg": "1.0"})
    err = capsys.readouterr().err
    shown = [line for line in err.splitlines() if line.startswith("    ") and ": " in line]
    assert len(shown) == output.MAX_SHOWN_PER_PACKAGE
    assert "the worst one" in shown[0]  # the most severe come first
    assert f"and {21 - output.MAX_SHOWN_PER_PACKAGE} more" in err
