"""End to end: the typosquat check in the real ``spip install`` against the test index.

Each test publishes its own look-alike of a popular project (names differ between
tests, since one index serves a whole worker session).
"""

from __future__ import annotations

import json
from pathlib import Path

REFUSED = 10


def typosquat_findings(path: Path) -> list[dict]:
    return [f for f in json.loads(path.read_text())["findings"] if f["check"] == "typosquat"]


def installed(venv) -> set[str]:
    return {line.split("==")[0] for line in venv.pip("freeze").stdout.split()}


def test_a_squat_asked_for_is_stopped_before_pip_fetches_anything(
    run_spip, venv, fake_index, tmp_path
):
    marker = tmp_path / "setup-py-ran"
    fake_index.publish(
        "reqeusts",
        "1.0",
        sdist=True,
        setup_py=f"open({str(marker)!r}, 'w').close()\nfrom setuptools import setup\nsetup()\n",
    )
    fake_index.clear_log()
    report = tmp_path / "findings.json"
    result = run_spip("install", "reqeusts", "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert "`reqeusts` looks like `requests`" in result.stderr
    assert not marker.exists()
    assert not [r for r in fake_index.requests if "reqeusts" in r.path]
    (finding,) = typosquat_findings(report)
    assert (finding["package"], finding["version"], finding["severity"]) == (
        "reqeusts",
        None,
        "MEDIUM",
    )
    assert finding["evidence"]["target"] == "requests"


def test_a_squat_in_a_requirements_file_is_stopped_too(run_spip, fake_index, tmp_path):
    (tmp_path / "requirements.txt").write_text("# ours\nnumpyy>=1.0\n")
    fake_index.clear_log()
    result = run_spip("install", "-r", "requirements.txt")
    assert result.returncode == REFUSED
    assert "`numpyy` looks like `numpy`" in result.stderr
    assert not [r for r in fake_index.requests if "numpyy" in r.path]


def test_a_squat_pulled_in_as_a_dependency_is_caught_from_the_plan(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    top = unique_name("innocent")
    fake_index.publish("pandaz", "1.0")
    fake_index.publish(top, "1.0", requires=["pandaz>=1"])
    report = tmp_path / "findings.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    (finding,) = typosquat_findings(report)
    assert (finding["package"], finding["version"], finding["severity"]) == (
        "pandaz",
        "1.0",
        "MEDIUM",
    )
    assert f"dependency of {top}" in finding["message"]
    assert not installed(venv) & {top, "pandaz"}


def test_popular_names_and_legitimate_near_pairs_raise_nothing(
    run_spip, venv, fake_index, tmp_path
):
    fake_index.publish("boto", "2.49.0")  # popular, one letter from boto3
    fake_index.publish("jwt", "1.3.1")  # popular, an affix away from pyjwt
    report = tmp_path / "findings.json"
    result = run_spip("install", "boto", "jwt", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert typosquat_findings(report) == []
    assert {"boto", "jwt"} <= installed(venv)


def test_the_allow_list_silences_a_reviewed_pair(run_spip, venv, fake_index, spip_env):
    fake_index.publish("colourama", "0.4.0")
    result = run_spip("install", "colourama", env={**spip_env, "SPIP_ALLOW": "colourama:typosquat"})
    assert result.returncode == 0, result.stderr
    assert "colourama" in installed(venv)


def test_ignore_warning_lets_a_squat_through_and_keeps_the_finding(
    run_spip, venv, fake_index, tmp_path
):
    fake_index.publish("requsets", "1.0")
    report = tmp_path / "findings.json"
    result = run_spip("install", "requsets", "--ignore-warning", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert "requsets" in installed(venv)
    found = typosquat_findings(report)
    assert found and {f["package"] for f in found} == {"requsets"}
    assert json.loads(report.read_text())["decision"] == "installed"
