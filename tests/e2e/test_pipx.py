"""``spip pipx``: other commands are plain pipx; install commands not yet guarded are refused."""

from __future__ import annotations

import subprocess

import pytest

from spip.installer.tools import find_tool

try:
    PIPX = find_tool("pipx")
except Exception:  # the test extra installs pipx
    pytest.skip("pipx is not installed", allow_module_level=True)


@pytest.fixture
def pipx_env(spip_env, tmp_path):
    return {**spip_env, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}


@pytest.mark.parametrize("args", [["--version"], ["list"], ["frobnicate"]])
def test_other_pipx_commands_pass_through(run_spip, pipx_env, tmp_path, args):
    ours = run_spip("pipx", *args, env=pipx_env)
    theirs = subprocess.run(
        [PIPX, *args], env=pipx_env, capture_output=True, text=True, cwd=tmp_path
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )


@pytest.mark.parametrize("args", [["pipx", "install", "x"], ["pipx", "run", "x"], ["uvx", "x"]])
def test_unguarded_install_commands_are_refused(run_spip, pipx_env, tmp_path, args):
    result = run_spip(*args, env=pipx_env)
    assert result.returncode == 11
    assert "does not check" in result.stderr
    assert not (tmp_path / "pipx").exists()
