"""The cooldown: releases younger than ``fresh-release-hours`` are held back, reported,
and an older release installed; asked about when the user named them or nothing older
fits (real spip, real pip, the local index)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REFUSED = 10
FRESH = timedelta(hours=3)
OLD = timedelta(days=30)


@pytest.fixture
def two_releases(fake_index, unique_name):
    """A project whose 1.0 is a month old and whose 1.1 is three hours old."""
    name = unique_name("cool")
    fake_index.publish(name, "1.0", upload_time=OLD)
    fake_index.publish(name, "1.1", upload_time=FRESH)
    return name


def _document(path: Path) -> dict:
    return json.loads(path.read_text())


def _installed(venv) -> list[str]:
    return venv.pip("freeze").stdout.split()


def test_young_release_is_held_back_and_reported(run_spip, venv, two_releases, tmp_path):
    name, report = two_releases, tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in _installed(venv)
    assert "1.1 is 3 hours old; installed 1.0, uploaded 30 days ago" in result.stderr
    doc = _document(report)
    assert doc["held_back"] == [
        {"name": name, "version": "1.1", "installed": "1.0", "age_hours": 3.0}
    ]
    (note,) = doc["findings"]
    assert (note["check"], note["severity"], note["informational"]) == (
        "fresh-release",
        "LOW",
        True,
    )


def test_a_project_of_pre_releases_only_is_held_back_too(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    """opentelemetry-semantic-conventions has only ``0.NNbN`` releases: pip picks them
    without ``--pre``, and the cooldown's constraint must not take that away from it."""
    name, report = unique_name("prerel"), tmp_path / "f.json"
    fake_index.publish(name, "0.1b1", upload_time=OLD)
    fake_index.publish(name, "0.1b2", upload_time=FRESH)
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{name}==0.1b1" in _installed(venv)
    assert _document(report)["held_back"][0]["version"] == "0.1b2"


def test_young_dependency_is_held_back(run_spip, venv, fake_index, unique_name, tmp_path):
    dep, top = unique_name("cooldep"), unique_name("cooltop")
    fake_index.publish(dep, "2.0", upload_time=OLD)
    fake_index.publish(dep, "2.1", upload_time=FRESH)
    fake_index.publish(top, "1.0", requires=[f"{dep}>=2"], upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{dep}==2.0" in _installed(venv) and f"{top}==1.0" in _installed(venv)
    assert [(h["name"], h["version"], h["installed"]) for h in _document(report)["held_back"]] == [
        (dep, "2.1", "2.0")
    ]


def test_held_back_note_does_not_refuse_at_medium(run_spip, venv, two_releases):
    result = run_spip("install", "--sensitivity", "medium", two_releases)
    assert result.returncode == 0, result.stderr
    assert f"{two_releases}==1.0" in _installed(venv)


@pytest.mark.parametrize("how", ["command line", "requirements file", "constraint"])
def test_a_release_asked_for_by_name_is_asked_about(run_spip, venv, two_releases, tmp_path, how):
    name, report = two_releases, tmp_path / "f.json"
    pin = tmp_path / "pins.txt"
    pin.write_text(f"{name}==1.1\n")
    args = {
        "command line": [f"{name}==1.1"],
        "requirements file": ["-r", str(pin)],
        "constraint": ["-c", str(pin), name],
    }[how]
    result = run_spip("install", *args, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    doc = _document(report)
    assert doc["held_back"] == []
    assert [(f["check"], f["severity"], f["version"]) for f in doc["findings"]] == [
        ("fresh-release", "MEDIUM", "1.1")
    ]
    assert "you asked for this version, or nothing older fits" in result.stderr


def test_nothing_older_fits_is_asked_about(run_spip, venv, fake_index, unique_name, tmp_path):
    name, report = unique_name("coolnew"), tmp_path / "f.json"
    fake_index.publish(name, "1.0", upload_time=FRESH)
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    found = [(f["check"], f["severity"]) for f in _document(report)["findings"]]
    # A project whose only release is an hour old is also a young project (its own check).
    assert sorted(found) == [("fresh-release", "MEDIUM"), ("young-project", "MEDIUM")]


def test_no_cooldown_asks_as_before(run_spip, venv, two_releases, tmp_path, spip_env):
    report = tmp_path / "f.json"
    result = run_spip("install", "--no-cooldown", two_releases, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert [(f["check"], f["severity"], f["version"]) for f in _document(report)["findings"]] == [
        ("fresh-release", "MEDIUM", "1.1")
    ]
    off = run_spip("install", two_releases, env={**spip_env, "SPIP_COOLDOWN": "false"})
    assert off.returncode == REFUSED, off.stderr


def test_strict_cooldown_refuses_instead_of_installing_an_older_version(
    run_spip, venv, two_releases, tmp_path
):
    report = tmp_path / "f.json"
    refused = run_spip("install", "--strict-cooldown", two_releases, "--findings-json", report)
    assert refused.returncode == REFUSED and "strict cooldown" in refused.stderr
    findings = _document(report)["findings"]
    assert [(f["check"], f["severity"]) for f in findings] == [("fresh-release", "HIGH")]
    result = run_spip("install", "--strict-cooldown", "--ignore-warning", two_releases)
    assert result.returncode == 0 and f"{two_releases}==1.1" in _installed(venv)


def test_cooldown_exclude_takes_the_young_release(run_spip, venv, two_releases, spip_env):
    prefix = two_releases.rsplit("-", 1)[0]
    env = {**spip_env, "SPIP_COOLDOWN_EXCLUDE": f"{prefix}-*"}
    result = run_spip("install", two_releases, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{two_releases}==1.1" in _installed(venv)
    assert "fresh-release" not in result.stderr


def test_spip_now_moves_the_clock(run_spip, venv, fake_index, unique_name, spip_env, tmp_path):
    name, report = unique_name("coolnow"), tmp_path / "f.json"
    fake_index.publish(name, "1.0", upload_time=timedelta(days=60))
    fake_index.publish(name, "1.1", upload_time=timedelta(days=10))
    now = datetime.now(timezone.utc) - timedelta(days=9)  # 1.1 looks one day old
    env = {**spip_env, "SPIP_NOW": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in _installed(venv)
    assert _document(report)["held_back"][0]["version"] == "1.1"
    bad = run_spip("install", name, env={**spip_env, "SPIP_NOW": "yesterday"})
    assert bad.returncode == 2 and "SPIP_NOW" in bad.stderr


def test_old_pip_gets_constraints(run_spip, venv, two_releases, spip_env):
    """This Python's bundled pip has no --uploaded-prior-to: constraints leave 1.1 out."""
    assert "pip 2" in venv.pip("--version").stdout and "pip 26" not in venv.pip("--version").stdout
    result = run_spip("install", two_releases, env={**spip_env, "SPIP_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert "cooldown-constraints.txt" in result.stderr
    assert f"{two_releases}==1.0" in _installed(venv)


def test_new_pip_gets_uploaded_prior_to(run_spip, pip26_venv, two_releases, spip_env, tmp_path):
    report = tmp_path / "f.json"
    env = {**spip_env, "SPIP_DEBUG": "1"}
    result = run_spip("install", two_releases, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert "--uploaded-prior-to" in result.stderr
    assert f"{two_releases}==1.0" in _installed(pip26_venv)
    assert _document(report)["held_back"][0]["version"] == "1.1"


def test_new_pip_with_a_pin_falls_back_to_constraints(
    run_spip, pip26_venv, fake_index, unique_name, spip_env
):
    """A pinned project must keep its young release: the cutoff cannot apply everywhere."""
    dep, top = unique_name("pindep"), unique_name("pintop")
    fake_index.publish(dep, "1.0", upload_time=OLD)
    fake_index.publish(dep, "1.1", upload_time=FRESH)
    fake_index.publish(top, "1.0", requires=[dep], upload_time=FRESH)
    env = {**spip_env, "SPIP_DEBUG": "1"}
    result = run_spip("install", f"{top}==1.0", "--ignore-warning", env=env)
    assert result.returncode == 0, result.stderr
    assert "cooldown-constraints.txt" in result.stderr
    assert {f"{top}==1.0", f"{dep}==1.0"} <= set(_installed(pip26_venv))


def test_metadata_unverified_does_not_refuse_at_medium(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    """A frozen mirror has advisories for the newest release only: for an older pin the
    vulnerability check is ``unverified``, a note that ``--sensitivity medium`` passes."""
    name, report = unique_name("mirror"), tmp_path / "f.json"
    fake_index.publish(name, "1.0", upload_time=OLD)
    fake_index.publish(name, "2.0", upload_time=OLD)
    fake_index.no_per_release_json = True
    result = run_spip(
        "install", "--sensitivity", "medium", f"{name}==1.0", "--findings-json", report
    )
    assert result.returncode == 0, result.stderr
    notes = [f for f in _document(report)["findings"] if f["check"] == "unverified"]
    assert notes and all(f["informational"] for f in notes)
    assert {f["evidence"]["check"] for f in notes} >= {"vulnerability"}
    high = run_spip("install", "--sensitivity", "high", f"{name}==1.0", "--force-reinstall")
    assert high.returncode == REFUSED, high.stderr
