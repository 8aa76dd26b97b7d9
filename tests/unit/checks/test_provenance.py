"""``provenance``: PEP 740 regressions, on the local index's integrity API."""

from __future__ import annotations

from pathlib import Path

from spip.checks import provenance
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, planned_wheel

ONLY = (provenance.CHECK,)
CI = {"kind": "GitHub", "repository": "owner/project", "workflow": "release.yml"}


def test_attestations_gone_is_medium(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", provenance=CI)
    wheel = fake_index.publish(name, "1.1")
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert (finding.check, finding.severity) == ("provenance", Severity.MEDIUM)
    assert finding.message.startswith(
        "the previous release 1.0 was published with attestations from GitHub owner/project, "
        "this one has none"
    )
    assert finding.evidence["previous_publisher"]["repository"] == "owner/project"
    assert finding.evidence["publisher"] is None


def test_another_repository_is_medium(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", provenance=CI)
    wheel = fake_index.publish(name, "1.1", provenance={**CI, "repository": "stranger/fork"})
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert finding.severity is Severity.MEDIUM
    assert finding.message.startswith(
        "its attestations name GitHub stranger/fork, the previous release's named GitHub "
        "owner/project"
    )
    assert finding.evidence["publisher"]["repository"] == "stranger/fork"


def test_the_same_publisher_or_never_attested_is_fine(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    attested, plain = unique_name(), unique_name()
    fake_index.publish(attested, "1.0", provenance=CI)
    same = fake_index.publish(attested, "1.1", provenance={**CI, "workflow": "other.yml"})
    fake_index.publish(plain, "1.0")
    never = fake_index.publish(plain, "1.1")
    first = fake_index.publish(unique_name(), "1.0")  # a first release has nothing to regress
    for wheel in (same, never, first):
        assert check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY) == []
