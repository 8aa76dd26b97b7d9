"""Parity with plain pip: the same environment and the same output after ``spip install``.

Each test installs the same thing twice, with plain pip into one fresh venv and with
spip into another, and compares what a user (or a tool reading the environment) sees:
``pip freeze --all``, the ``REQUESTED`` markers, ``direct_url.json``, the output lines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Venv, isolated_env
from tests.fakeindex import build_sdist, build_wheel, underscore_name
from tests.support import on_terminal


@pytest.fixture
def pip_venv(template_venv, fake_index, tmp_path) -> Venv:
    """A second fresh venv, for the plain-pip side of each comparison."""
    dest = tmp_path / "pip-venv"
    return template_venv.clone(dest, isolated_env(fake_index, tmp_path / "pip-side", dest))


def environment(venv: Venv) -> dict[str, object]:
    """What an install leaves that tools read: freeze, REQUESTED, direct_url.json, RECORD."""
    requested, direct, records = [], {}, {}
    for info in sorted(venv.site_packages.glob("*.dist-info")):
        name = info.name.removesuffix(".dist-info").rpartition("-")[0].lower().replace("_", "-")
        records[name] = sorted((info / "RECORD").read_text().splitlines())
        if (info / "REQUESTED").exists():
            requested.append(name)
        if (info / "direct_url.json").exists():
            direct[name] = json.loads((info / "direct_url.json").read_text())
    freeze = venv.pip("freeze", "--all").stdout.split("\n")
    return {
        "freeze": sorted(freeze),
        "requested": requested,
        "direct_url": direct,
        "record": records,
    }


def both(run_spip, venv: Venv, pip_venv: Venv, *args: str, cwd: Path | None = None):
    """``spip install ARGS`` into ``venv`` and ``pip install ARGS`` into ``pip_venv``."""
    ours = run_spip("install", *args, cwd=cwd)
    assert ours.returncode == 0, ours.stderr
    theirs = pip_venv.pip("install", *args, cwd=cwd)
    return ours, theirs


@pytest.fixture
def chain(fake_index, unique_name):
    """top -> mid -> leaf, all wheels on the index."""
    leaf, mid, top = unique_name("leaf"), unique_name("mid"), unique_name("top")
    fake_index.publish(leaf, "1.0")
    fake_index.publish(mid, "1.0", requires=[leaf])
    fake_index.publish(top, "1.0", requires=[mid])
    return top, mid, leaf


def test_only_what_was_asked_for_is_requested(run_spip, venv, pip_venv, chain, tmp_path):
    top, _, leaf = chain
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{top}\n")
    both(run_spip, venv, pip_venv, "-r", str(reqs), leaf)
    ours, theirs = environment(venv), environment(pip_venv)
    assert ours == theirs
    assert set(ours["requested"]) - {"pip", "setuptools"} == {top, leaf}  # not mid


def test_a_local_wheel_keeps_its_origin(run_spip, venv, pip_venv, unique_name, tmp_path):
    name = unique_name("localwhl")
    wheel = build_wheel(tmp_path / "dist", name, "1.0")
    both(run_spip, venv, pip_venv, str(wheel))
    ours, theirs = environment(venv), environment(pip_venv)
    assert ours == theirs
    assert f"{name} @ {wheel.as_uri()}#sha256=" in "\n".join(ours["freeze"])
    venv.pip("uninstall", "-y", name)  # RECORD still lists every file, direct_url.json too
    assert not list(venv.site_packages.glob(f"{underscore_name(name)}-*"))


def test_a_direct_url_keeps_its_origin(run_spip, venv, pip_venv, fake_index, unique_name, tmp_path):
    name = unique_name("urlwhl")
    wheel = build_wheel(tmp_path / "elsewhere", name, "1.0")
    fake_index.add(wheel)
    url = f"{fake_index.url}/files/{wheel.name}"
    env = {**venv.env, "SPIP_IGNORE_WARNING": "1"}
    ours = run_spip("install", f"{name} @ {url}", env=env)
    assert ours.returncode == 0, ours.stderr
    pip_venv.pip("install", f"{name} @ {url}")
    assert environment(venv) == environment(pip_venv)


@pytest.fixture
def local_sdist(unique_name, tmp_path, sdist_backend):
    """A local sdist whose setup.py logs every run (its arguments, one line each)."""
    name = unique_name("localsd")
    log = tmp_path / "setup-py-runs"
    module = underscore_name(name)
    setup_py = (
        "import pathlib, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(sys.argv[1] + '\\n')\n"
        "from setuptools import setup\n"
        f"setup(name={name!r}, version='1.0', py_modules=[{module!r}])\n"
    )
    files = {f"{module}.py": "X = 1\n"}
    sdist = build_sdist(tmp_path / "dist", name, "1.0", setup_py=setup_py, files=files)
    return name, sdist, log


def test_a_local_sdist_is_built_once_and_keeps_its_origin(run_spip, venv, pip_venv, local_sdist):
    name, sdist, log = local_sdist
    ours = run_spip("install", str(sdist), env={**venv.env, "SPIP_IGNORE_WARNING": "1"})
    assert ours.returncode == 0, ours.stderr
    spip_runs = log.read_text().splitlines()
    log.unlink()
    pip_venv.pip("install", str(sdist))
    pip_runs = log.read_text().splitlines()
    assert spip_runs == pip_runs
    assert spip_runs.count("bdist_wheel") == 1
    assert environment(venv) == environment(pip_venv)
    assert f"{name} @ {sdist.as_uri()}#sha256=" in "\n".join(environment(venv)["freeze"])


def lines_of(text: str) -> list[str]:
    """Output lines, with the install order (pip's own, not part of parity) sorted away."""
    out = []
    for line in text.splitlines():
        head, sep, names = line.partition("Installing collected packages: ")
        out.append(head + sep + ", ".join(sorted(names.split(", "))) if sep else line)
    return out


def test_dry_run_prints_pips_would_install_line(run_spip, venv, pip_venv, chain):
    top = chain[0]
    ours, theirs = both(run_spip, venv, pip_venv, "--dry-run", top)
    would = [line for line in theirs.stdout.splitlines() if line.startswith("Would install ")]
    assert len(would) == 1
    assert [line for line in ours.stdout.splitlines() if line.startswith("Would")] == would
    assert environment(venv) == environment(pip_venv)  # nothing installed on either side


def test_install_lines_are_pips_without_spips_folders(
    run_spip, venv, pip_venv, chain, unique_name, tmp_path
):
    name = unique_name("shownwhl")
    wheel = build_wheel(tmp_path / "dist", name, "1.0")
    ours, theirs = both(run_spip, venv, pip_venv, chain[0], str(wheel), cwd=tmp_path)
    assert "spip-" not in ours.stdout + ours.stderr, ours.stdout + ours.stderr
    assert "Processing ./dist/" in theirs.stdout
    assert set(lines_of(ours.stdout)) <= set(lines_of(theirs.stdout))
    wanted = ("Processing ", "Installing collected packages", "Successfully installed")
    assert [line for line in lines_of(ours.stdout) if line.startswith(wanted)] == [
        line for line in lines_of(theirs.stdout) if line.startswith(wanted)
    ]


def test_a_terminal_sees_what_pip_shows_while_it_resolves(venv, spip_env, chain, tmp_path):
    top, mid, leaf = chain
    cmd = [sys.executable, "-m", "spip", "install", top]
    code, screen = on_terminal(cmd, spip_env, tmp_path, b"\n")
    assert code == 0, screen
    lines = screen.replace("\r\n", "\n").splitlines()
    assert f"Collecting {top}" in lines
    assert any(line.startswith(f"Collecting {leaf} (from {mid}") for line in lines)
    assert "spip-" not in screen and "Would install" not in screen
    assert sum(line.startswith("Successfully installed ") for line in lines) == 1


def test_without_a_terminal_phase_ones_lines_are_not_shown(run_spip, venv, chain):
    result = run_spip("install", chain[0])
    assert result.returncode == 0, result.stderr
    assert "Collecting" not in result.stdout + result.stderr


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_is_pips_with_spips_commands_and_options(run_spip, run_pip, args):
    ours, theirs = run_spip(*args), run_pip(*args)
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout.startswith(theirs.stdout)
    added = ours.stdout[len(theirs.stdout) :]
    assert (
        "quarantine" in added
        and "audit" in added
        and "--sensitivity" in added
        and "--findings-json" in added
    )


def test_an_allowed_finding_is_said_accepted_not_warned(
    run_spip, venv, spip_env, fake_index, unique_name, tmp_path
):
    dep, top = unique_name("allowdep"), unique_name("allowtop")
    wheel = build_wheel(tmp_path / "elsewhere", dep, "1.0")
    fake_index.add(wheel)
    fake_index.publish(top, "1.0", requires=[f"{dep} @ {fake_index.url}/files/{wheel.name}"])
    result = run_spip("install", top, env={**spip_env, "SPIP_ALLOW": f"{dep}:direct-url"})
    assert result.returncode == 0, result.stderr
    said = [line.strip() for line in result.stderr.splitlines()]
    assert said.count("accepted direct-url (your allow setting)") == 1, result.stderr
    assert "MEDIUM" not in result.stderr
