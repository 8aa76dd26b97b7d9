"""``sdist-build``: phase 1 resolves wheels first; an sdist is built only after the gate agreed."""

from __future__ import annotations

import json

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
