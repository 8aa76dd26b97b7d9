"""Every check id the findings may carry has one summary: what fires it, its severity."""

from __future__ import annotations

from spip.checks.registry import CHECKS, UNVERIFIED, summaries
from spip.policy.findings import Severity


def test_every_registered_check_says_what_fires_it_and_at_which_severity() -> None:
    found = summaries()
    assert set(found) == {c.id for c in CHECKS} | {UNVERIFIED}
    for check_id, text in found.items():
        assert len(text) > 30, check_id
        assert any(s.name in text for s in Severity), f"{check_id}: no severity in {text!r}"
