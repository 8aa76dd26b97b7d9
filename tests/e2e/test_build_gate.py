"""No build code before the gate: a requirements file's format options and a dependency's
direct reference are stopped before pip builds them during phase 1, and gated."""

from __future__ import annotations

import json

import pytest

from tests.fakeindex import build_wheel, underscore_name

REFUSED = 10


def _marking_sdist(fake_index, name, marker, version="1.0"):
    """Publish an sdist of ``name`` whose setup.py leaves ``marker`` when it runs."""
    module = underscore_name(name)
    setup_py = (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from setuptools import setup\n"
        f"setup(name={name!r}, version={version!r}, py_modules=[{module!r}])\n"
    )
    return fake_index.publish(
        name, version, sdist=True, setup_py=setup_py, files={f"{module}.py": "X = 1\n"}
    )


@pytest.fixture
def wheel_and_sdist(fake_index, unique_name, tmp_path, sdist_backend):
    """A project with a wheel and an sdist; the sdist's setup.py leaves a marker."""
    name = unique_name("both")
    marker = tmp_path / "setup-py-ran"
    _marking_sdist(fake_index, name, marker)
    fake_index.add(build_wheel(tmp_path / "w", name, "1.0"))
    return name, marker


def _findings(path):
    return [
        (f["check"], f["severity"], f["package"]) for f in json.loads(path.read_text())["findings"]
    ]


def test_no_binary_in_a_requirements_file_is_gated_before_the_build(
    run_spip, venv, wheel_and_sdist, tmp_path
):
    name, marker = wheel_and_sdist
    req = tmp_path / "req.txt"
    req.write_text(f"--no-binary {name}\n{name}\n")
    report = tmp_path / "f.json"
    result = run_spip("install", "-r", req, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert not marker.exists(), "the sdist's setup.py ran before the gate"
    assert _findings(report) == [("sdist-build", "MEDIUM", name)]
    assert name not in venv.pip("freeze").stdout


def test_only_binary_none_in_a_nested_requirements_file_is_gated(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    name = unique_name("sdnested")
    marker = tmp_path / "setup-py-ran"
    _marking_sdist(fake_index, name, marker)
    (tmp_path / "inner.txt").write_text(f"--only-binary :none:\n{name}\n")
    (tmp_path / "req.txt").write_text("-r inner.txt\n")
    result = run_spip("install", "-r", tmp_path / "req.txt")
    assert result.returncode == REFUSED, result.stderr
    assert "sdist-build" in result.stderr and not marker.exists()


def test_requirements_file_build_runs_once_the_gate_agreed(
    run_spip, venv, wheel_and_sdist, tmp_path
):
    name, marker = wheel_and_sdist
    req = tmp_path / "req.txt"
    req.write_text(f"--no-binary {name}\n{name}\n")
    result = run_spip("install", "-r", req, "--ignore-warning")
    assert result.returncode == 0, result.stderr
    assert marker.exists() and f"{name}==1.0" in venv.pip("freeze").stdout.split()


@pytest.fixture
def direct_dependency(fake_index, unique_name, tmp_path, sdist_backend):
    """A wheel (on the index) declaring ``dep @ <URL of an sdist>``; the sdist marks its build."""
    dep = unique_name("directdep")
    marker = tmp_path / "direct-setup-py-ran"
    sdist = _marking_sdist(fake_index, dep, marker)
    top = unique_name("declares")
    fake_index.publish(top, "1.0", requires=[f"{dep} @ {fake_index.file_url(sdist.name)}"])
    return top, dep, marker


def test_direct_reference_of_a_dependency_is_gated_before_pip_builds_it(
    run_spip, venv, direct_dependency, tmp_path
):
    top, dep, marker = direct_dependency
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert not marker.exists(), "the direct reference was built before the gate"
    assert _findings(report) == [("direct-url", "MEDIUM", dep)]
    assert "direct reference" in result.stderr
    assert top not in venv.pip("freeze").stdout


def test_direct_reference_is_built_once_allowed_and_asked_about_once(
    run_spip, venv, direct_dependency, tmp_path
):
    top, dep, marker = direct_dependency
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--ignore-warning", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert marker.exists()
    frozen = venv.pip("freeze").stdout
    assert f"{top}==1.0" in frozen and dep in frozen
    assert [f[0] for f in _findings(report)].count("direct-url") == 1
