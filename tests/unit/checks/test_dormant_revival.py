"""``dormant-revival``: a revival after years of silence, a new file for an old release."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from spip.checks import dormant_revival
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, planned_wheel

ONLY = (dormant_revival.CHECK,)
DAY = timedelta(days=1)
YEAR = 365 * DAY


def test_a_revival_after_years_is_medium(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name("ctx")
    fake_index.publish(name, "0.1.2", upload_time=8 * YEAR)
    wheel = fake_index.publish(name, "0.2.2", upload_time=timedelta(days=2))
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert (finding.check, finding.severity) == ("dormant-revival", Severity.MEDIUM)
    assert "after 8.0 years without a release" in finding.message
    assert finding.evidence["kind"] == "revival" and finding.evidence["dormant_days"] >= 2918


def test_a_new_file_for_an_old_release_is_medium(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name("reup")
    fake_index.publish(name, "1.0", tag="py3-none-manylinux1_x86_64", upload_time=60 * DAY)
    fake_index.publish(name, "1.1", upload_time=40 * DAY)
    wheel = fake_index.publish(name, "1.0", files={"evil.py": "print('x')\n"}, upload_time=DAY)
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert finding.severity is Severity.MEDIUM and finding.evidence["kind"] == "reupload"
    assert "after a newer release was out" in finding.message


def test_maintenance_releases_and_pre_releases_are_no_new_files(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """Django 5.2.19 after 6.0, google-auth 2.63.0 after 3.0.0a1: whole releases, every
    file uploaded at once (``make eval-ci`` refused 38 plans for them)."""
    lts, series = unique_name("lts"), unique_name("prerel")
    fake_index.publish(lts, "5.2.18", upload_time=90 * DAY)
    fake_index.publish(lts, "6.0", upload_time=60 * DAY)
    fake_index.publish(lts, "5.2.19", sdist=True, upload_time=3 * DAY)
    maintenance = fake_index.publish(lts, "5.2.19", upload_time=3 * DAY)
    fake_index.publish(series, "2.62.0", upload_time=90 * DAY)
    fake_index.publish(series, "3.0.0a1", upload_time=60 * DAY)
    final = fake_index.publish(series, "2.63.0", upload_time=3 * DAY)
    for wheel in (maintenance, final):
        assert check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY) == []


def test_steady_and_old_revivals_pass(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    steady, old = unique_name("steady"), unique_name("oldrevival")
    fake_index.publish(steady, "1.0", upload_time=YEAR)
    recent = fake_index.publish(steady, "1.1", upload_time=timedelta(days=3))
    fake_index.publish(old, "1.0", upload_time=6 * YEAR)
    stood = fake_index.publish(old, "2.0", upload_time=2 * YEAR)  # revived long ago
    for wheel in (recent, stood):
        assert check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY) == []


def test_a_revival_that_has_stood_for_months_passes(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """jmespath 1.1.0 came 3.6 years after 1.0.1 and has stood for ten months: no alarm
    (it made every boto3 install refuse in ``make eval-ci``)."""
    name = unique_name("jmes")
    fake_index.publish(name, "1.0.1", upload_time=4 * YEAR)
    revived = fake_index.publish(name, "1.1.0", upload_time=timedelta(days=300))
    assert check(fake_index, tmp_path, planned_wheel(fake_index, revived), ONLY) == []
    reupload = unique_name("reup")
    fake_index.publish(reupload, "1.0", upload_time=2 * YEAR)
    fake_index.publish(reupload, "1.1", upload_time=YEAR)
    old_file = fake_index.republish(reupload, "1.0", upload_time=timedelta(days=200))
    assert check(fake_index, tmp_path, planned_wheel(fake_index, old_file), ONLY) == []


def test_a_popular_projects_revival_is_a_note(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """python-dateutil 3.0.0 after 2.6 years: on the popular list, a LOW note (the same
    revival of a small project is MEDIUM: test_a_revival_after_years_is_medium)."""
    name = unique_name("dateutil")
    fake_index.publish(name, "2.9.0", upload_time=3 * YEAR)
    wheel = fake_index.publish(name, "3.0.0", upload_time=10 * DAY)
    dist = planned_wheel(fake_index, wheel)
    (finding,) = check(fake_index, tmp_path, dist, ONLY, hotlist_extra=(name,))
    assert (finding.severity, finding.informational) == (Severity.LOW, True)
    assert finding.evidence["kind"] == "revival" and "news" in finding.message
