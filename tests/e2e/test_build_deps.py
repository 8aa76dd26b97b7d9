"""Build dependencies are planned distributions too: a local project's or an allowed
sdist's ``[build-system] requires`` are checked and gated before pip fills the build
environment, and the build environment gets exactly spip's verified files."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.fakeindex import build_wheel, underscore_name

REFUSED, UNSAFE = 10, 11


def _pyproject(*requires: str) -> str:
    listed = ", ".join(json.dumps(r) for r in ("setuptools>=40.8.0", *requires))
    return f'[build-system]\nrequires = [{listed}]\nbuild-backend = "setuptools.build_meta"\n'


def _setup_py(name: str, marker) -> str:
    """A setup.py that leaves ``marker`` when the build runs it."""
    return (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from setuptools import setup\n"
        f"setup(name={name!r}, version='1.0', py_modules=[{underscore_name(name)!r}])\n"
    )


def _evil_pth(marker) -> dict[str, str]:
    """A ``.pth`` that runs as soon as an interpreter starts in the build environment."""
    line = f"import os; exec(\"open({str(marker)!r}, 'w').write('ran')\")\n"
    return {"zz_build_helper.pth": line}


def _local_project(tmp_path, name, *requires):
    proj = tmp_path / "proj"
    proj.mkdir()
    setup_marker = tmp_path / "setup-py-ran"
    (proj / "pyproject.toml").write_text(_pyproject(*requires))
    (proj / "setup.py").write_text(_setup_py(name, setup_marker))
    (proj / f"{underscore_name(name)}.py").write_text("X = 1\n")
    return proj, setup_marker


def _document(path):
    data = json.loads(path.read_text())
    found = [(f["check"], f["severity"], f["package"]) for f in data["findings"]]
    return data, found


def test_local_project_build_dependency_with_a_high_pth_never_runs(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    helper = unique_name("bhelper")
    ran = tmp_path / "build-dependency-ran"
    fake_index.publish(helper, "1.0", files=_evil_pth(ran))
    proj, setup_ran = _local_project(tmp_path, unique_name("proj"), helper)
    report = tmp_path / "f.json"
    result = run_spip("install", proj, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert not ran.exists(), "the build dependency's .pth ran before the gate"
    assert not setup_ran.exists(), "the project's build ran before its dependencies were checked"
    data, found = _document(report)
    assert ("pth-file", "HIGH", helper) in found
    (record,) = data["build_dependencies"]
    assert record["for"] == str(proj) and helper in [d["name"] for d in record["plan"]]
    assert f"building {proj} first installs" in result.stderr


@pytest.mark.parametrize("kind", ["fresh", "pth"])
def test_allowed_sdist_build_dependency_is_gated(
    kind, run_spip, venv, spip_env, fake_index, unique_name, tmp_path, sdist_backend
):
    helper, name = unique_name("bhelper"), unique_name("sdbuilt")
    ran, setup_ran = tmp_path / "build-dependency-ran", tmp_path / "setup-py-ran"
    if kind == "fresh":
        fake_index.publish(helper, "1.0", upload_time=timedelta(hours=1))
    else:
        fake_index.publish(helper, "1.0", files=_evil_pth(ran))
    fake_index.publish(
        name,
        "1.0",
        sdist=True,
        setup_py=_setup_py(name, setup_ran),
        pyproject_toml=_pyproject(helper),
        files={f"{underscore_name(name)}.py": "X = 1\n"},
    )
    report = tmp_path / "f.json"
    env = {**spip_env, "SPIP_ALLOW": f"{name}:sdist-build"}
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == REFUSED, result.stderr
    assert not ran.exists() and not setup_ran.exists()
    _, found = _document(report)
    expected = (
        ("fresh-release", "MEDIUM", helper) if kind == "fresh" else ("pth-file", "HIGH", helper)
    )
    assert expected in found, found
    assert name not in venv.pip("freeze").stdout


def test_clean_build_dependencies_are_installed_from_the_checked_files(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    helper, name = unique_name("bhelper"), unique_name("sdbuilt")
    fake_index.publish(helper, "1.0", files={f"{underscore_name(helper)}.py": "Y = 2\n"})
    setup_ran = tmp_path / "setup-py-ran"
    fake_index.publish(
        name,
        "1.0",
        sdist=True,
        setup_py=_setup_py(name, setup_ran),
        pyproject_toml=_pyproject(helper),
        files={f"{underscore_name(name)}.py": "X = 1\n"},
    )
    proj, proj_ran = _local_project(tmp_path, unique_name("proj"), helper)
    report = tmp_path / "f.json"
    result = run_spip("install", proj, name, "--ignore-warning", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert setup_ran.exists() and proj_ran.exists()
    frozen = venv.pip("freeze").stdout.split()
    assert f"{name}==1.0" in frozen and helper not in venv.pip("freeze").stdout
    data, _ = _document(report)
    planned = {d["name"] for r in data["build_dependencies"] for d in r["plan"]}
    assert {helper, "setuptools"} <= planned
    # The build environments were filled from spip's copy: after spip fetched the wheel,
    # nobody did (pip 23.2 downloads it once while it plans the build dependencies).
    wheel = f"{underscore_name(helper)}-1.0-py3-none-any.whl"
    agents = [r.headers["user-agent"] for r in fake_index.requests if r.path.endswith(wheel)]
    assert agents[-1].startswith("spip/") and len(agents) <= 2, agents


def test_build_dependency_swapped_after_the_check_is_never_installed(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    helper = unique_name("bhelper")
    ran = tmp_path / "build-dependency-ran"
    good = fake_index.publish(helper, "1.0", files={f"{underscore_name(helper)}.py": "Y = 2\n"})
    evil = build_wheel(tmp_path / "evil", helper, "1.0", files=_evil_pth(ran))
    # pip 23.2 downloads the wheel while it plans the build dependencies: what it saw is
    # the original; spip's own copy, fetched next, is the other file.
    fake_index.swap(good.name, evil, after=1)
    proj, setup_ran = _local_project(tmp_path, unique_name("proj"), helper)
    result = run_spip("install", proj, "--ignore-warning")
    assert result.returncode == UNSAFE, result.stderr
    assert "changed since pip saw it" in result.stderr
    assert not ran.exists() and not setup_ran.exists()


@pytest.mark.parametrize("pip", ["bundled", "26"])
def test_young_build_dependency_is_held_back_and_the_build_gets_the_older_one(
    pip, request, run_spip, venv, spip_env, fake_index, unique_name, tmp_path, sdist_backend
):
    """The cooldown holds a build's dependencies back as it does the plan's: constraints
    on this Python's pip 23.2, ``--uploaded-prior-to`` on pip 26."""
    target = request.getfixturevalue("pip26_venv") if pip == "26" else venv
    helper = unique_name("bhelper")
    fake_index.publish(helper, "1.0", upload_time=timedelta(days=30))
    fake_index.publish(helper, "1.1", upload_time=timedelta(hours=3))
    proj, proj_ran = _local_project(tmp_path, unique_name("proj"), helper)
    report = tmp_path / "f.json"
    env = {**spip_env, "SPIP_DEBUG": "1"}
    result = run_spip("install", proj, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert proj_ran.exists()
    assert "1.1 is 3 hours old; installed 1.0" in result.stderr, result.stderr
    how = "--uploaded-prior-to" if pip == "26" else "cooldown-constraints.txt"
    assert f"the cooldown's build plan (pip {'26' if pip == '26' else '23'}" in result.stderr
    assert how in result.stderr.split("the cooldown's build plan", 1)[1].splitlines()[0]
    data, found = _document(report)
    (record,) = data["build_dependencies"]
    assert {d["name"]: d["version"] for d in record["plan"]}[helper] == "1.0"
    assert data["held_back"] == [
        {"name": helper, "version": "1.1", "installed": "1.0", "age_hours": 3.0}
    ]
    assert found == [("fresh-release", "LOW", helper)]
    assert helper not in target.pip("freeze").stdout  # a build dependency, not installed
