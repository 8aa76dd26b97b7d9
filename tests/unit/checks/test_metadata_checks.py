"""The release-metadata checks together: local files, and an index in trouble."""

from __future__ import annotations

from pathlib import Path

import pytest

from spip.checks import fresh_release
from spip.policy.findings import Severity
from tests.fakeindex import FAIL_MODES, FakeIndex
from tests.support import NEED_INDEX, check, ids
from tests.support import planned_wheel as planned


def test_local_files_are_checked_without_the_index(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    wheel = fake_index.publish(
        unique_name(),
        "0.0",
        summary=None,
        description=None,
        metadata={"Home-page": "http://198.51.100.4/"},
    )
    fake_index.clear_log()
    findings = check(fake_index, tmp_path, planned(fake_index, wheel, source="file"))
    assert ids(findings) == ["empty-description", "suspicious-url", "zero-version"]
    assert fake_index.requests == []


@pytest.mark.parametrize("mode", FAIL_MODES)
def test_index_failures_end_in_unverified(
    fake_index: FakeIndex, unique_name, tmp_path: Path, mode: str
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", metadata={"Author-email": "a@example.org"})
    wheel = fake_index.publish(name, "1.1", metadata={"Author-email": "a@example.org"})
    fake_index.fail(name, mode)
    findings = check(fake_index, tmp_path, planned(fake_index, wheel), timeout=1.0)
    assert {f.check for f in findings} == {"unverified"}
    # fresh-release still learns the upload time of the file from the index's simple page.
    assert {f.evidence["check"] for f in findings} == NEED_INDEX - {fresh_release.ID}
    for finding in findings:
        assert finding.severity is Severity.LOW
        assert "internal error" not in finding.message
        assert f"127.0.0.1:{fake_index.port}" in finding.message
