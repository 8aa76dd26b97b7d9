"""The warm pip process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_warm_pip_runs_pips_main_with_the_order(tmp_path):
    from spip.installer.pip_process import WarmPip

    pip = WarmPip(sys.executable, capture=True)
    pip.go(["config", "get", "global.spip-test-key"], {"PIP_CONFIG_FILE": os.devnull})
    status, _, stderr = pip.wait()
    assert status == 1 and "No such key" in stderr  # pip's own answer, in pip's own process


def test_warm_pip_falls_back_to_plain_pip(tmp_path, monkeypatch):
    from spip.installer.pip_process import WarmPip

    fake = tmp_path / "pip"  # a "pip" whose internals cannot be imported
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("import sys; print('cold', sys.argv[1:])")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pip = WarmPip(sys.executable, capture=True)
    pip.go(["install", "x"])
    assert pip.wait() == (0, "cold ['install', 'x']\n", "")


def test_unused_warm_pip_is_stopped():
    from spip.installer.pip_process import WarmPip

    pip = WarmPip(sys.executable)
    pip.cancel()
    assert pip._proc.returncode is not None


def test_phase2_pip_keeps_the_users_stdin(tmp_path):
    """The order goes through a pipe of its own: pip can still ask the user something."""
    internal = tmp_path / "pip" / "_internal"
    (internal / "cli").mkdir(parents=True)
    (internal / "commands").mkdir()
    for package in (tmp_path / "pip", internal, internal / "cli", internal / "commands"):
        (package / "__init__.py").write_text("")
    (internal / "commands" / "install.py").write_text("")
    (internal / "cli" / "main.py").write_text(
        "import sys\ndef main(args):\n    print(args, sys.stdin.read())\n    return 0\n"
    )
    script = (
        "import sys\nfrom spip.installer.pip_process import WarmPip\n"
        "pip = WarmPip(sys.executable)\npip.go(['install'])\nsys.exit(pip.wait()[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path.cwd()}"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input="answer",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['install'] answer\n"


def test_warm_pip_computes_the_user_agent_while_it_waits(tmp_path, monkeypatch):
    """pip's User-Agent (~45-90 ms) and SSL context are ready before the order comes."""
    import time

    from spip.installer.pip_process import WarmPip
    from tests.unit.installer.fakepip import SESSION_MAIN, fake_pip, pids, session_modules

    env = fake_pip(tmp_path, SESSION_MAIN, session_modules(tmp_path, cached=False))
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    pip = WarmPip(sys.executable, capture=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "contexts").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids(tmp_path / "agents") == [pip._proc.pid]  # before any order
    pip.go(["install"])
    status, out, err = pip.wait()
    assert status == 0, err
    assert out == f"{pip._proc.pid} agent of {pip._proc.pid}\n"
    assert pids(tmp_path / "agents") == [pip._proc.pid]  # the run did not compute it again
    assert pids(tmp_path / "contexts") == [pip._proc.pid]
