"""End to end: the release-metadata checks through the real ``spip install``, real pip,
the project's own index and fresh venvs; findings read from ``--findings-json``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

REFUSED = 10


def ago(**delta: float) -> datetime:
    """An upload time ``delta`` before now."""
    return datetime.now(timezone.utc) - timedelta(**delta)


def findings(path: Path) -> list[tuple[str, str, str]]:
    """``(check, severity, package)`` of every finding, sorted."""
    doc = json.loads(path.read_text())
    return sorted((f["check"], f["severity"], f["package"]) for f in doc["findings"])


def spip_requests(index) -> list[tuple[str, int]]:
    """The JSON API and simple-page requests spip itself made (pip's are not counted)."""
    return [
        (r.path, r.status)
        for r in index.requests
        if r.headers.get("user-agent", "").startswith("spip/")
        and r.path.startswith(("/pypi/", "/simple/"))
    ]


def test_each_metadata_check_fires_on_its_case(run_spip, venv, fake_index, unique_name, tmp_path):
    """One package with every LOW metadata problem, and a dependency pinned to a bad release."""
    dep, top = unique_name("dep"), unique_name("top")
    fake_index.publish(dep, "1.0", yanked="broken", vulnerabilities=[
        {"id": "PYSEC-2024-9", "aliases": ["CVE-2024-9"], "fixed_in": ["1.1"]}])  # fmt: skip
    fake_index.publish(dep, "1.1")
    fake_index.publish(
        top,
        "0.0.0",
        summary=None,
        description=None,
        requires=[f"{dep}==1.0"],
        metadata={"Project-URL": ["Homepage, https://bit.ly/xyz", "Source, https://github.com/psf/requests"]},
    )  # fmt: skip
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr  # LOW findings warn and continue
    assert findings(report) == [
        ("empty-description", "LOW", top),
        ("repo-mismatch", "LOW", top),
        ("suspicious-url", "LOW", top),
        ("vulnerability", "LOW", dep),
        ("yanked", "LOW", dep),
        ("zero-version", "LOW", top),
    ]
    assert "PYSEC-2024-9 (CVE-2024-9)" in result.stderr and "upgrade to 1.1" in result.stderr
    assert (
        run_spip("install", top, "--force-reinstall", "--sensitivity", "high").returncode == REFUSED
    )


def test_near_misses_raise_nothing(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name("foo")
    fake_index.publish(name, "1.0", upload_time=ago(days=400),
                       metadata={"Author-email": "dev@example.org"})  # fmt: skip
    fake_index.publish(
        name,
        "1.1",
        summary="Summary only",
        description=None,
        upload_time=ago(days=3),
        metadata={
            "Author-email": "Dev <dev@lists.example.org>",
            "Project-URL": [f"Source, https://github.com/someone/python-{name}",
                            "Chat, https://discord.gg/abc"],
        },
    )  # fmt: skip
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert findings(report) == []


def test_brand_new_release_of_an_old_project_is_stopped(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name()
    fake_index.publish(name, "1.0", upload_time=ago(days=400))  # under 2 years: no revival
    fake_index.publish(name, "1.1", upload_time=ago(hours=2))
    report = tmp_path / "f.json"
    # Without the cooldown (with it, 1.1 is held back: tests/e2e/test_cooldown.py).
    result = run_spip("install", "--no-cooldown", name, "--findings-json", report)
    assert result.returncode == REFUSED  # MEDIUM, and nobody at a terminal to ask
    assert findings(report) == [("fresh-release", "MEDIUM", name)]
    assert "1.1 was uploaded 2 hours ago" in result.stderr
    older = run_spip("install", f"{name}==1.0", "--findings-json", report)
    assert older.returncode == 0 and findings(report) == []


def test_email_drift_from_index_and_from_history(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name()
    fake_index.publish(name, "1.0", metadata={"Author-email": "ann@example.org"})
    report = tmp_path / "f.json"
    assert run_spip("install", name, "--findings-json", report).returncode == 0
    fake_index.publish(name, "2.0", metadata={"Author-email": "ann@throwaway.example"})
    result = run_spip("install", "--upgrade", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert findings(report) == [("email-drift", "LOW", name)]
    assert "example.org in your earlier installs; example.org in 1.0" in result.stderr
    # On a mirror without per-release documents the history alone still sees it.
    fake_index.no_per_release_json = True
    again = run_spip("install", "--force-reinstall", f"{name}==2.0", "--findings-json", report)
    assert again.returncode == 0 and findings(report) == [("email-drift", "LOW", name)]


def test_index_failure_is_unverified_not_a_crash(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "garbage")
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert {check for check, _, _ in findings(report)} == {"unverified"}
    assert "sent invalid JSON" in result.stderr
    strict = run_spip("install", "--force-reinstall", name, "--sensitivity", "high")
    assert strict.returncode == REFUSED


def test_debug_log_shows_what_is_behind_unverified(
    run_spip, venv, spip_env, fake_index, unique_name
):
    """``SPIP_DEBUG=1`` (or pip's ``-v``) shows the traceback behind every ``unverified``."""
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "garbage")
    quiet = run_spip("install", "--dry-run", name)
    assert "spip: debug:" not in quiet.stderr and "Traceback" not in quiet.stderr
    loud = run_spip("install", "--dry-run", name, env={**spip_env, "SPIP_DEBUG": "1"})
    assert loud.returncode == 0, loud.stderr
    assert "spip: debug: yanked on " in loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr
    assert "DataUnavailable: 127.0.0.1" in loud.stderr
    verbose = run_spip("install", "--dry-run", "-v", name)
    assert "spip: debug: yanked on " in verbose.stderr


def test_second_run_asks_the_index_almost_nothing(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    dep, top = unique_name("dep"), unique_name("top")
    fake_index.publish(dep, "1.0")
    fake_index.publish(dep, "1.1")
    fake_index.publish(top, "1.0")
    fake_index.publish(top, "2.0", requires=[dep])
    fake_index.clear_log()
    assert run_spip("install", top).returncode == 0
    first = spip_requests(fake_index)
    assert (f"/pypi/{top}/2.0/json", 200) in first and (f"/pypi/{dep}/1.1/json", 200) in first
    fake_index.clear_log()
    assert run_spip("install", "--force-reinstall", top).returncode == 0
    assert spip_requests(fake_index) == []
