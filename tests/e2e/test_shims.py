"""``spip shims DIR``: the shims run spip, find the real tool past themselves, never recurse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import BIN


def test_shims_guard_pip_for_the_real_pips_interpreter(
    run_spip, venv, spip_env, fake_index, unique_name, tmp_path
):
    shims = tmp_path / "shims"
    assert run_spip("shims", shims).returncode == 0
    assert {p.name for p in shims.iterdir()} >= {"pip", "pip3", "uv", "uvx", "pipx"}
    copy = tmp_path / "copy"  # the same shims again, in a folder SPIP_SHIM_DIRS does not name
    shutil.copytree(shims, copy)
    tools = os.path.dirname(sys.executable)  # uv and pipx of the test environment
    env = {k: v for k, v in spip_env.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(
        [str(shims), str(copy), str(venv.path / BIN), tools, "/usr/bin", "/bin"]
    )
    name = unique_name("shim")
    fake_index.publish(name, "1.0")

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
        )

    # No venv is active: the real pip past the shims is the venv's, so that is the target.
    assert sh("pip", "install", name).returncode == 0
    assert f"{name}==1.0" in sh("pip", "freeze").stdout
    assert sh("pip", "install", "reqeusts").returncode == 10  # guarded
    real_uv = subprocess.run(
        [os.path.join(tools, "uv"), "--version"], capture_output=True, text=True
    )
    assert sh("uv", "--version").stdout == real_uv.stdout  # found past both shim folders
