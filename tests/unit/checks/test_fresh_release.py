"""``fresh-release``: its rules, and against the local index."""

from __future__ import annotations

from pathlib import Path

from spip.checks import fresh_release
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import ago, check
from tests.support import planned_wheel as planned

ONLY = (fresh_release.CHECK,)  # the check under test


def test_describe_age() -> None:
    assert fresh_release.describe_age(-5) == "0 minutes"
    assert fresh_release.describe_age(61) == "1 minute"
    assert fresh_release.describe_age(3 * 3600 + 50) == "3 hours"
    assert fresh_release.describe_age(47 * 3600) == "47 hours"
    assert fresh_release.describe_age(3 * 86400) == "3 days"


def test_fresh_release(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.2.3", upload_time=ago(hours=3, minutes=5))
    dist = planned(fake_index, wheel)
    (finding,) = check(fake_index, tmp_path, dist, ONLY, cooldown="false")
    assert finding.severity is Severity.MEDIUM
    assert finding.message == (
        "1.2.3 was uploaded 3 hours ago; new releases are when hijacked accounts strike — "
        "wait a day or pin the previous version unless you expected this release."
    )
    # Under the cooldown, a fresh release still planned is one it could not hold back.
    (kept,) = check(fake_index, tmp_path / "on", dist, ONLY)
    assert kept.severity is Severity.MEDIUM and "nothing older fits" in kept.message
    (strict,) = check(fake_index, tmp_path / "strict", dist, ONLY, cooldown="strict")
    assert strict.severity is Severity.HIGH and "strict cooldown" in strict.message
    excluded = check(fake_index, tmp_path / "ex", dist, ONLY, cooldown_exclude=(name,))
    assert excluded == []
    assert check(fake_index, tmp_path / "b", planned(fake_index, wheel), ONLY,
                 fresh_release_hours=2) == []  # fmt: skip


def test_three_day_old_release_is_not_fresh(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    wheel = fake_index.publish(unique_name(), "1.0", upload_time=ago(days=3))
    assert check(fake_index, tmp_path, planned(fake_index, wheel), ONLY) == []


def test_brand_new_release_of_an_old_project(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", upload_time=ago(days=2000))
    fake_index.publish(name, "1.9", upload_time=ago(days=300))
    wheel = fake_index.publish(name, "2.0", upload_time=ago(minutes=20))
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), ONLY)
    assert "2.0 was uploaded 20 minutes ago" in finding.message


def test_upload_time_of_the_selected_file(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """A wheel added to an old release today is fresh, whatever the release's age."""
    name = unique_name()
    fake_index.publish(name, "1.0", sdist=True, upload_time=ago(days=400))
    wheel = fake_index.publish(name, "1.0", upload_time=ago(hours=1))
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), ONLY)
    assert finding.evidence["filename"] == wheel.name


def test_fresh_file_is_seen_on_the_simple_page_when_the_json_api_fails(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0", upload_time=ago(hours=1))
    fake_index.fail(name, "500")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), ONLY)
    assert finding.check == "fresh-release" and finding.severity is Severity.MEDIUM
