"""``sdist-build``: phase 1 resolves wheels first; an sdist is built only after the gate agreed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.fakeindex import build_wheel, underscore_name

REFUSED = 10


@pytest.fixture
def sdist_only(fake_index, unique_name, tmp_path, sdist_backend):
    """A project with only an sdist, whose setup.py leaves a marker when it runs."""
    name = unique_name("sdonly")
    marker = tmp_path / "setup-py-ran"
    module = underscore_name(name)
    setup_py = (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from setuptools import setup\n"
        f"setup(name={name!r}, version='1.0', py_modules=[{module!r}])\n"
    )
    fake_index.publish(
        name, "1.0", sdist=True, setup_py=setup_py, files={f"{module}.py": "X = 1\n"}
    )
    return name, marker


def test_sdist_is_refused_without_a_terminal_and_never_built(run_spip, venv, sdist_only, tmp_path):
    name, marker = sdist_only
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert "sdist-build" in result.stderr and "no wheel" in result.stderr
    assert not marker.exists()
    findings = json.loads(report.read_text())["findings"]
    assert [(f["check"], f["severity"], f["package"]) for f in findings] == [
        ("sdist-build", "MEDIUM", name)
    ]


def test_sdist_dependency_is_stopped_too(run_spip, fake_index, unique_name, sdist_only):
    name, marker = sdist_only
    top = unique_name("wheeltop")
    fake_index.publish(top, "1.0", requires=[name])
    result = run_spip("install", top)
    assert result.returncode == REFUSED and f"{name}" in result.stderr
    assert not marker.exists()


def test_consent_builds_exactly_that_project(run_spip, venv, sdist_only):
    name, marker = sdist_only
    result = run_spip("install", name, "--ignore-warning")
    assert result.returncode == 0, result.stderr
    assert marker.exists()
    assert f"{name}==1.0" in venv.pip("freeze").stdout.split()


def test_users_own_no_binary_is_built_without_a_question(run_spip, venv, sdist_only):
    name, marker = sdist_only
    result = run_spip("install", "--no-binary", name, name)
    assert result.returncode == 0, result.stderr
    assert "sdist-build" not in result.stderr and marker.exists()


def test_wheel_is_preferred_where_one_exists(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    name = unique_name("both")
    marker = tmp_path / "built"
    fake_index.publish(
        name,
        "1.0",
        sdist=True,
        setup_py=(
            f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n"
            f"from setuptools import setup; setup(name={name!r}, version='1.0')\n"
        ),
    )
    fake_index.add(build_wheel(tmp_path / "w", name, "1.0"))
    result = run_spip("install", name)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def _findings(path) -> list[tuple[str, str]]:
    return [(f["check"], f["severity"]) for f in json.loads(path.read_text())["findings"]]


def test_established_popular_source_only_project_is_built_with_a_note(
    run_spip, venv, sdist_only, spip_env, tmp_path
):
    """A popular project, source-only for long (``docopt``): LOW, built, said so."""
    name, marker = sdist_only
    report = tmp_path / "f.json"
    env = {**spip_env, "SPIP_HOTLIST_EXTRA": name}  # as if it were on the popular list
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert marker.exists() and f"{name}==1.0" in venv.pip("freeze").stdout.split()
    assert _findings(report) == [("sdist-build", "LOW")]
    assert (
        "on the popular list" in result.stderr and "runs the project's own build" in result.stderr
    )


def test_young_popular_source_only_project_is_asked_about(
    run_spip, fake_index, unique_name, spip_env, sdist_backend, tmp_path
):
    name, report = unique_name("sdyoung"), tmp_path / "f.json"
    fake_index.publish(name, "1.0", sdist=True, upload_time=timedelta(hours=5))
    env = {**spip_env, "SPIP_HOTLIST_EXTRA": name}
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == REFUSED
    assert _findings(report) == [("sdist-build", "MEDIUM")]


def test_a_popular_projects_young_sdist_is_held_back_and_the_older_one_built(
    run_spip, venv, fake_index, unique_name, spip_env, sdist_backend, tmp_path
):
    """psycopg-c, source-only, with a release hours old: the cooldown leaves the young
    sdist out of every planning run, so its build code never runs; the older one is
    built (LOW), and the young one is reported held back."""
    name, report = unique_name("sdcool"), tmp_path / "f.json"
    module = underscore_name(name)
    marker = tmp_path / "young-setup-py-ran"
    young_setup = (
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        f"from setuptools import setup\nsetup(name={name!r}, version='1.1', "
        f"py_modules=[{module!r}])\n"
    )
    fake_index.publish(name, "1.0", sdist=True, upload_time=timedelta(days=30))
    fake_index.publish(
        name,
        "1.1",
        sdist=True,
        setup_py=young_setup,
        upload_time=timedelta(hours=3),
        files={f"{module}.py": "X = 1\n"},
    )
    env = {**spip_env, "SPIP_HOTLIST_EXTRA": name}
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.freeze()
    assert not marker.exists()  # the young sdist was never built, not even to plan
    doc = json.loads(report.read_text())
    assert [h["version"] for h in doc["held_back"]] == ["1.1"]
    assert ("sdist-build", "LOW") in _findings(report)
    assert "1.1 is 3 hours old; installed 1.0" in result.stderr


@pytest.mark.parametrize("fresh", [False, True])
def test_an_old_unchanged_source_only_project_is_built_with_a_note(
    fresh, run_spip, venv, fake_index, unique_name, sdist_backend, tmp_path
):
    """Off the popular list but source-only since 2012 and unchanged since (socksipy-branch,
    which gcs-oauth2-boto-plugin requires): LOW, built. The same project with a new sdist
    uploaded 20 days ago (how a takeover looks) is asked about."""
    name, report = unique_name("sdold"), tmp_path / "f.json"
    year = timedelta(days=365)
    fake_index.publish(name, "1.0", sdist=True, upload_time=10 * year)
    fake_index.publish(name, "1.1", sdist=True, upload_time=3 * year)
    if fresh:
        fake_index.publish(name, "1.2", sdist=True, upload_time=timedelta(days=20))
    result = run_spip("install", name, "--findings-json", report)
    if fresh:
        assert result.returncode == REFUSED, result.stderr
        assert _findings(report) == [("sdist-build", "MEDIUM")]
        return
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.1" in venv.freeze()
    assert _findings(report) == [("sdist-build", "LOW")]
    assert "source-only for 10 years" in result.stderr


@pytest.mark.parametrize("case", ["no such version", "needs a newer Python"])
def test_pip_errors_stay_pip_errors(run_spip, run_pip, fake_index, unique_name, tmp_path, case):
    """No build would help: pip's own message and status, no sdist-build finding."""
    name, report = unique_name("piperr"), tmp_path / "f.json"
    if case == "no such version":
        fake_index.publish(name, "1.0", sdist=True)
        fake_index.publish(name, "1.0")
        requirement = f"{name}==99.0.0"
    else:
        fake_index.publish(name, "1.0", sdist=True, requires_python=">=3.99")
        requirement = name
    result = run_spip("install", requirement, "--findings-json", report)
    plain = run_pip("install", requirement)
    assert result.returncode == plain.returncode == 1, result.stderr
    assert "sdist-build" not in result.stderr and _findings(report) == []
    assert "No matching distribution found" in result.stderr


def test_source_only_pin_inside_a_resolution_conflict_is_asked_about(
    run_spip, venv, fake_index, unique_name, sdist_backend, tmp_path
):
    """The ``pymp4`` case: every release pins a source-only ``construct==2.8.8``; under
    ``--only-binary`` pip reports a conflict, and spip asks the sdist question."""
    dep, top, report = unique_name("pinned"), unique_name("pinner"), tmp_path / "f.json"
    fake_index.publish(dep, "1.0", sdist=True)
    fake_index.publish(dep, "2.0")
    fake_index.publish(top, "1.0", requires=[f"{dep}==1.0"])
    fake_index.publish(top, "1.1", requires=[f"{dep}==1.0"])
    refused = run_spip("install", top, "--findings-json", report)
    assert refused.returncode == REFUSED, refused.stderr
    assert [(f["check"], f["package"]) for f in json.loads(report.read_text())["findings"]] == [
        ("sdist-build", dep)
    ]
    result = run_spip("install", top, "--ignore-warning")
    assert result.returncode == 0, result.stderr
    assert {f"{top}==1.1", f"{dep}==1.0"} <= set(venv.pip("freeze").stdout.split())


def test_older_release_taken_over_a_newer_source_only_one_is_said(
    run_spip, venv, fake_index, unique_name, sdist_backend, tmp_path
):
    name, report = unique_name("newsrc"), tmp_path / "f.json"
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0", sdist=True)
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.pip("freeze").stdout.split()
    (note,) = json.loads(report.read_text())["findings"]
    assert (note["check"], note["severity"], note["version"]) == ("sdist-build", "LOW", "1.0")
    assert "2.0 is newer but has only a source release" in note["message"]
    built = run_spip("install", "--no-binary", name, "-U", name)
    assert built.returncode == 0, built.stderr
    assert f"{name}==2.0" in venv.pip("freeze").stdout.split()


@pytest.mark.parametrize("typed", ["bare", "limited"])
def test_older_release_taken_because_a_newer_ones_dependency_is_source_only_is_said(
    typed, run_spip, venv, fake_index, unique_name, sdist_only, tmp_path
):
    """hydra-core's case: 1.3 has a wheel but needs antlr4-python3-runtime, which has
    only an sdist, so the wheels-first plan falls back to 0.11 where pip would build."""
    needed, marker = sdist_only
    name, report = unique_name("needsrc"), tmp_path / "f.json"
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0", requires=[needed])
    requirement = name if typed == "bare" else f"{name}<3"
    result = run_spip("install", requirement, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.pip("freeze").stdout.split()
    notes = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "sdist-build"]
    if typed == "limited":  # the user limited the version: an older one is what they asked
        assert notes == []
    else:
        (note,) = notes
        assert (note["severity"], note["version"], note["informational"]) == ("LOW", "1.0", True)
        assert note["evidence"]["newer_not_planned"] == "2.0"
        assert "2.0 is newer and has a wheel for this Python" in note["message"]
    pinned = run_spip("install", f"{name}==2.0")  # says which, and asks before building it
    assert pinned.returncode == REFUSED, pinned.stderr
    assert needed in pinned.stderr and "sdist-build" in pinned.stderr
    assert not marker.exists()
