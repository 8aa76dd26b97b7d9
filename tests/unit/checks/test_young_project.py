"""``young-project`` and the young look-alike rule of ``typosquat``, on the local index."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from spip.checks import typosquat, young_project
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, planned_wheel

ONLY = (young_project.CHECK,)


def repo(name: str) -> dict[str, list[str]]:
    return {"Project-URL": [f"Source, https://github.com/someone/{name}"]}


def test_a_young_project_alone_is_a_low_note(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name("young")
    wheel = fake_index.publish(
        name, "0.3", summary="A helper", metadata=repo(name), upload_time=timedelta(days=3)
    )
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert (finding.check, finding.severity) == ("young-project", Severity.LOW)
    assert finding.message.startswith("the project is 3 days old (its first release)")
    assert finding.evidence["signals"] == []


def test_weak_signals_add_up_to_medium_and_are_all_named(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name("confusion")
    wheel = fake_index.publish(
        name,
        "99.0.0",
        summary="A helper",
        metadata={"Author-email": "x <a@mailinator.com>"},
        upload_time=timedelta(days=2),
    )
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY)
    assert finding.severity is Severity.MEDIUM
    assert [s["signal"] for s in finding.evidence["signals"]] == [
        "no-repository",
        "high-first-version",
        "throwaway-email",
    ]
    assert finding.message == (
        "the project is 2 days old, and it names no source repository; its first version is "
        "99.0.0; its e-mail is on the throw-away domain mailinator.com: together these are "
        "the marks of a throw-away or malicious upload; make sure this is the project you meant."
    )


def test_an_older_project_is_not_young(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name("older")
    fake_index.publish(name, "1.0", upload_time=timedelta(days=400))
    wheel = fake_index.publish(name, "99.0", upload_time=timedelta(hours=1))  # a new release
    assert check(fake_index, tmp_path, planned_wheel(fake_index, wheel), ONLY) == []


def test_a_low_lookalike_of_a_young_or_small_project_is_medium(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    squat = "pytest-py"  # `pytest` plus an affix: LOW by its name alone
    assert typosquat.lookalike(squat).severity is Severity.LOW  # type: ignore[union-attr]
    wheel = fake_index.publish(squat, "1.0", summary="x", upload_time=timedelta(days=10))
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), (typosquat.CHECK,))
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["project"] == [
        "its project is 10 days old",
        "it has a single release",
        "it names no repository",
    ]
    assert ", and its project is 10 days old; it has a single release;" in finding.message


def test_a_low_lookalike_of_an_established_project_stays_low(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    name = "attrs-py"
    fake_index.publish(name, "1.0", metadata=repo(name), upload_time=timedelta(days=900))
    wheel = fake_index.publish(name, "1.1", metadata=repo(name), upload_time=timedelta(days=200))
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), (typosquat.CHECK,))
    assert finding.severity is Severity.LOW and "project" not in finding.evidence


@pytest.mark.parametrize(
    ("names_repo", "severity"), [(True, Severity.LOW), (False, Severity.MEDIUM)]
)
def test_an_old_single_release_needs_no_repository_too(
    names_repo: bool, severity: Severity, fake_index: FakeIndex, tmp_path: Path
) -> None:
    """A year-old project with one release is common among small legitimate projects
    (``make eval-typosquat``); with no repository either, the look-alike is MEDIUM."""
    name = "flask-py" if names_repo else "requests-py"  # an affix: LOW by the name alone
    assert typosquat.lookalike(name).severity is Severity.LOW  # type: ignore[union-attr]
    metadata = repo(name) if names_repo else {}
    wheel = fake_index.publish(name, "1.0", metadata=metadata, upload_time=timedelta(days=400))
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), (typosquat.CHECK,))
    assert finding.severity is severity
    if not names_repo:
        assert finding.evidence["project"] == ["it has a single release", "it names no repository"]
