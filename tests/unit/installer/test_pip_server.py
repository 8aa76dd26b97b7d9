"""The pip server: pip imported once, a pip forked for each run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from spip.installer.pip_process import ForkedPip, PipServer, can_fork
from tests.unit.installer.fakepip import SESSION_MAIN, fake_pip, pids, session_modules

pytestmark = pytest.mark.skipif(not can_fork(), reason="runs are not forked on this platform")


def test_every_run_is_forked_from_one_import(tmp_path, monkeypatch):
    env = fake_pip(
        tmp_path,
        "def main(args):\n"
        "    print(args, os.environ.get('ORDER'), os.getppid())\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    return len(args)\n",
    )
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    server = PipServer(sys.executable)
    runs = []
    for args in (["install", "a"], ["install", "b", "c"]):
        pip = ForkedPip(server, capture=True)
        pip.go(args, {"ORDER": args[-1]})
        runs.append(pip.wait())
    server_pid = server._proc.pid
    server.cancel()
    assert runs == [
        (2, f"['install', 'a'] a {server_pid}\n", "to stderr\n"),
        (3, f"['install', 'b', 'c'] c {server_pid}\n", "to stderr\n"),
    ]
    assert (tmp_path / "imports").read_text() == "x"  # imported once, for both runs


def session_runs(
    root: Path, monkeypatch: pytest.MonkeyPatch, count: int, **modules: Any
) -> tuple[list[tuple[int, str]], int]:
    """``count`` runs forked from one server over a fake pip's session modules: each run's
    (pid, User-Agent), and the server's pid."""
    env = fake_pip(root, SESSION_MAIN, session_modules(root, **modules))
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    server = PipServer(sys.executable)
    outputs = []
    for _ in range(count):
        pip = ForkedPip(server, capture=True)
        pip.go(["install"])
        status, out, err = pip.wait()
        assert status == 0, err
        pid, agent = out.split(maxsplit=1)
        outputs.append((int(pid), agent))
    server.cancel()
    return outputs, server._proc.pid


@pytest.mark.parametrize("cached", [False, True], ids=["pip<24", "pip>=24"])
def test_every_run_inherits_the_user_agent_and_later_runs_the_ssl_context(
    tmp_path, monkeypatch, cached
):
    """pip computes both at every run's start (~80 ms): the server's runs get them made."""
    outputs, server_pid = session_runs(tmp_path, monkeypatch, 3, cached=cached)
    runs = [pid for pid, _ in outputs]
    # A helper the server forked computed the User-Agent once, before the first run.
    (helper,) = pids(tmp_path / "agents")
    assert helper not in (server_pid, *runs)
    assert [agent for _, agent in outputs] == [f"agent of {helper}\n"] * 3
    # The SSL context: the first run made its own, the server one for every later run.
    assert sorted(pids(tmp_path / "contexts")) == sorted([runs[0], server_pid])


def test_an_ssl_context_pip_cannot_make_is_left_to_each_run(tmp_path, monkeypatch):
    """None means pip logged why it has none: every run must do that again, its own way."""
    outputs, _ = session_runs(tmp_path, monkeypatch, 2, cached=True, context="None")
    assert {pid for pid, _ in outputs} <= set(pids(tmp_path / "contexts"))  # each made its own


def test_a_server_that_cannot_import_pip_runs_plain_pip(tmp_path, monkeypatch):
    fake = tmp_path / "pip"  # a "pip" whose internals cannot be imported
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("import sys; print('cold', sys.argv[1:])")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = PipServer(sys.executable)
    pip = ForkedPip(server, capture=True)
    pip.go(["install", "x"])
    assert pip.wait() == (0, "cold ['install', 'x']\n", "")
    server.cancel()


def test_a_forked_install_keeps_the_users_stdin_and_can_be_echoed(tmp_path):
    env = fake_pip(tmp_path, "def main(args):\n    print(args, sys.stdin.read())\n    return 0\n")
    script = (
        "import sys\nfrom spip.installer.pip_process import ForkedPip, PipServer\n"
        "server = PipServer(sys.executable)\n"
        "pip = ForkedPip(server, echo=lambda line: print('echo:', line, end=''))\n"
        "pip.go(['install'])\nstatus = pip.wait()[0]\nserver.cancel()\nsys.exit(status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input="answer",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: ['install'] answer\n"


def test_cancel_stops_a_run_under_way(tmp_path, monkeypatch):
    env = fake_pip(tmp_path, "def main(args):\n    import time\n    time.sleep(60)\n    return 0\n")
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    server = PipServer(sys.executable)
    pip = ForkedPip(server, capture=True)
    pip.go(["install"])
    while not server._pids:
        server._receive(timeout=0.2)
    (pid,) = server._pids.values()
    server.cancel()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)  # gone, once its parent (the server) has reaped it or died
            time.sleep(0.05)


def test_cancel_twice_is_harmless():
    server = PipServer(sys.executable)
    server.cancel()
    server.cancel()
    assert server._proc.returncode is not None


def test_the_server_ends_when_spip_is_killed(tmp_path) -> None:
    """kill -9 of spip must not leave its pip server behind (a datagram socket gives no EOF)."""
    import os
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        "from spip.installer.pip_process import PipServer\n"
        "print(PipServer(sys.executable)._proc.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    pid = int(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, 9)
    raise AssertionError("the orphaned pip server is still running")


def test_a_server_started_early_is_handed_over_once(monkeypatch):
    from spip.installer import pip_process

    monkeypatch.setattr(pip_process, "_early", {})
    pip_process.start_early(sys.executable)
    early = pip_process._early[sys.executable]
    assert pip_process.take_server(sys.executable) is early  # the same process, not a new one
    assert early._proc.poll() is None
    again = pip_process.take_server(sys.executable)  # nothing early left: a new one
    assert again is not None and again is not early
    for server in (early, again):
        server.cancel()


def test_an_early_server_for_another_interpreter_is_stopped(monkeypatch, tmp_path):
    from spip.installer import pip_process

    monkeypatch.setattr(pip_process, "_early", {})
    pip_process.start_early(sys.executable)
    early = pip_process._early[sys.executable]
    other = tmp_path / "python"
    other.symlink_to(sys.executable)
    taken = pip_process.take_server(str(other))
    assert taken is not None and taken is not early
    assert early._proc.poll() is not None  # stopped
    taken.cancel()


def test_no_early_server_without_the_interpreter(monkeypatch, tmp_path):
    from spip.installer import pip_process

    monkeypatch.setattr(pip_process, "_early", {})
    pip_process.start_early(str(tmp_path / "no-python"))  # the install reports it, not this
    assert pip_process._early == {}
