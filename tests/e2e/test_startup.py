"""End to end: startup files through the real ``spip install``, real pip, fresh venvs.

Before install (``pth-file``, ``release-diff``) and after it (the snapshot and
the quarantine, restored by the printed command).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from spip.policy.gate import EXIT_QUARANTINED, EXIT_REFUSED
from tests.fakeindex.wheels import SETUPTOOLS_PYPROJECT

IMPORT_PTH = "import litellm_hook\n"
HIGH_PTH = "import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"


def _findings(path: Path) -> list[tuple[str, str, str]]:
    """The startup-file findings of a findings document (other checks have their own tests)."""
    return [
        (f["check"], f["severity"], f["package"])
        for f in json.loads(path.read_text())["findings"]
        if f["check"] in ("pth-file", "release-diff")
    ]


def _module(name: str) -> str:
    return f"{name.replace('-', '_')}/__init__.py"


def test_import_line_pth_is_stopped_before_install(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name()
    fake_index.publish(name, "1.82.7")
    fake_index.publish(name, "1.82.8", files={_module(name): "", "litellm_init.pth": IMPORT_PTH})
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert ("pth-file", "MEDIUM", name) in _findings(report)
    assert ("release-diff", "MEDIUM", name) in _findings(report)
    assert "litellm_init.pth" in result.stderr and "import litellm_hook" in result.stderr
    assert not (venv.site_packages / "litellm_init.pth").exists()
    assert name not in venv.pip("freeze").stdout


def test_high_pth_is_stopped_even_at_the_default(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name()
    fake_index.publish(name, "1.0", files={_module(name): "", "evil.pth": HIGH_PTH})
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED
    assert ("pth-file", "HIGH", name) in _findings(report)
    assert "nobody can answer" not in result.stderr  # stopped, not a question
    assert not (venv.site_packages / "evil.pth").exists()


def test_path_only_pth_is_low_and_installed(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name()
    fake_index.publish(name, "1.0", files={_module(name): "", "paths.pth": "/opt/somewhere\n"})
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert _findings(report) == [("pth-file", "LOW", name)]  # not reported twice after install
    assert (venv.site_packages / "paths.pth").exists()


SLIPPING_SETUP = """\
import os
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self):
        super().run()
        with open(os.path.join(self.build_lib, "slipped.pth"), "w") as fh:
            fh.write("import os  # slipped in by the build\\n")


setup(name="{name}", version="1.0", py_modules=["{module}"], cmdclass={{"build_py": BuildPy}})
"""


def _slipping_project(tmp_path: Path, name: str) -> Path:
    """A local project whose build writes ``slipped.pth`` next to its module."""
    project = tmp_path / "proj"
    project.mkdir()
    module = name.replace("-", "_")
    (project / "setup.py").write_text(SLIPPING_SETUP.format(name=name, module=module))
    (project / f"{module}.py").write_text("")
    (project / "pyproject.toml").write_text(SETUPTOOLS_PYPROJECT)
    return project


def test_local_project_whose_build_slips_a_pth_is_quarantined_and_restored(
    run_spip, venv, fake_index, unique_name, sdist_backend, tmp_path
):
    name = unique_name()
    project = _slipping_project(tmp_path, name)
    report = tmp_path / "f.json"
    result = run_spip("install", str(project), "--findings-json", report)
    assert result.returncode == EXIT_QUARANTINED, result.stderr
    assert _findings(report) == [("pth-file", "MEDIUM", name)]
    assert "Successfully installed" in result.stdout
    pth = venv.site_packages / "slipped.pth"
    assert not pth.exists()
    command = re.search(r"spip quarantine restore (\S+)", result.stderr)
    assert command, result.stderr
    listed = run_spip("quarantine", "list")
    assert command[1] in listed.stdout and str(pth) in listed.stdout
    restored = run_spip("quarantine", "restore", command[1])
    assert restored.returncode == 0, restored.stderr
    assert pth.read_text() == "import os  # slipped in by the build\n"


def test_editable_install_of_a_local_project_raises_nothing(
    run_spip, venv, unique_name, sdist_backend, tmp_path
):
    name = unique_name()
    project = tmp_path / "proj"
    (project / "src" / name.replace("-", "_")).mkdir(parents=True)
    (project / "src" / name.replace("-", "_") / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        f'{SETUPTOOLS_PYPROJECT}[project]\nname = "{name}"\nversion = "1.0"\n'
    )
    report = tmp_path / "f.json"
    result = run_spip("install", "-e", str(project), "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert _findings(report) == []
    assert list(venv.site_packages.glob("__editable__*.pth"))


def test_installing_setuptools_raises_nothing(run_spip, venv, sdist_backend, tmp_path):
    report = tmp_path / "f.json"
    result = run_spip("install", "--force-reinstall", "setuptools", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert _findings(report) == []
    assert (venv.site_packages / "distutils-precedence.pth").exists()


def test_the_snapshot_watches_where_pips_settings_install(
    run_spip, venv, spip_env, unique_name, sdist_backend, tmp_path
):
    """``PIP_TARGET`` (or ``target =``, ``PIP_USER=1``, ``user = true`` in pip.conf) moves
    the install: the after-install snapshot watches that folder, not the venv's."""
    name = unique_name()
    project = _slipping_project(tmp_path, name)
    target = tmp_path / "target"
    env = {**spip_env, "PIP_TARGET": str(target)}
    result = run_spip("install", str(project), env=env)
    assert result.returncode == EXIT_QUARANTINED, result.stderr
    assert (target / f"{name.replace('-', '_')}.py").exists()  # pip installed there
    assert not (target / "slipped.pth").exists() and "slipped.pth" in result.stderr
