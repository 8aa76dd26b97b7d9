"""End to end: bad input, signals, slow servers and what a run leaves behind (issue 12,
sections 5 and 6): the real ``spip``, real pip, the project's own index, fresh venvs."""

from __future__ import annotations

import http.server
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import on_terminal

INTERRUPTED = 130
REFUSED = 10


def one_clean_line(stderr: str, needle: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if needle in line]
    assert len(lines) == 1, stderr


# -- section 6: bad input is one line, before anything is installed ----------------------


@pytest.mark.parametrize(
    ("where", "content", "needle"),
    [
        ("pyproject.toml", b'[tool.spip]\nsensitivity = "\xff\xfe"\n', "not UTF-8"),
        ("config/spip/spip.toml", b'sensitivity = "\xe9"\n', "not UTF-8"),
        ("pyproject.toml", b'[tool.spip]\ncache-dir = ""\n', "cache-dir: must be a folder"),
        ("pyproject.toml", b"[tool.spip]\nfresh-release-hours = true\n", "number of hours"),
        ("pyproject.toml", b"[tool.spip]\nfresh-release-hours = nan\n", "finite number"),
        ("pyproject.toml", b"[tool.spip]\nfresh-release-hours = inf\n", "finite number"),
        ("pyproject.toml", b"[tool.spip]\nfresh-release-hours = -1\n", "finite number"),
    ],
)
def test_bad_settings_are_one_line_and_status_2(
    run_spip, venv, clean_pkg, tmp_path, where, content, needle
):
    top, _ = clean_pkg
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    result = run_spip("install", top)
    assert result.returncode == 2, result.stderr
    one_clean_line(result.stderr, needle)
    assert top not in " ".join(venv.freeze())


@pytest.mark.parametrize("value", ["nan", "inf", "-3", "soon"])
def test_bad_hours_in_the_environment(run_spip, spip_env, clean_pkg, value):
    env = {**spip_env, "SPIP_FRESH_RELEASE_HOURS": value}
    result = run_spip("install", clean_pkg[0], env=env)
    assert result.returncode == 2
    one_clean_line(result.stderr, "SPIP_FRESH_RELEASE_HOURS")


def test_missing_python_interpreter(run_spip, clean_pkg, tmp_path):
    result = run_spip("install", "--python", tmp_path / "no-such-python", clean_pkg[0])
    assert result.returncode == 2
    one_clean_line(result.stderr, "cannot run the Python interpreter")


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:notaport", "socks9://proxy"])
def test_unparsable_https_proxy(run_spip, spip_env, venv, clean_pkg, proxy):
    env = {**spip_env, "HTTPS_PROXY": proxy}
    result = run_spip("install", clean_pkg[0], env=env)
    assert result.returncode == 2, result.stderr
    one_clean_line(result.stderr, "cannot use the proxy settings")
    assert clean_pkg[0] not in " ".join(venv.freeze())


def test_report_into_a_missing_folder_is_refused_before_the_install(
    run_spip, venv, clean_pkg, tmp_path
):
    top, _ = clean_pkg
    result = run_spip("install", "--report", tmp_path / "missing" / "r.json", top)
    assert result.returncode == 2, result.stderr
    one_clean_line(result.stderr, "cannot write pip's report")
    assert top not in " ".join(venv.freeze())


def test_report_dash_prints_the_report_on_stdout(run_spip, clean_pkg, tmp_path):
    top, dep = clean_pkg
    result = run_spip("install", "--dry-run", "--quiet", "--report", "-", top)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {i["metadata"]["name"] for i in report["install"]} == {top, dep}
    assert not (tmp_path / "-").exists()


def test_findings_json_at_a_folder_is_refused_up_front(run_spip, spip_env, venv, clean_pkg):
    env = {**spip_env, "SPIP_FINDINGS_JSON": str(venv.path)}
    result = run_spip("install", clean_pkg[0], env=env)
    assert result.returncode == 2
    one_clean_line(result.stderr, "cannot write the findings file")
    assert clean_pkg[0] not in " ".join(venv.freeze())


def test_findings_json_through_a_symlink_keeps_the_link(run_spip, clean_pkg, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = run_spip("install", clean_pkg[0], "--findings-json", link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and json.loads(target.read_text())["decision"] == "installed"


def test_findings_json_into_a_pipe_writes_through(run_spip, clean_pkg, tmp_path):
    # A named pipe stands for /dev/stdout and other devices (which a test run as root
    # must not risk replacing): it is written into, never replaced by a regular file.
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    received: list[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = run_spip("install", clean_pkg[0], "--findings-json", fifo)
    if reader.is_alive():  # nothing opened the pipe: let the reader go
        with open(fifo, "w", encoding="utf-8"):
            pass
    reader.join(10)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["decision"] == "installed"


def test_credentials_in_index_urls_are_never_shown(run_spip, spip_env, fake_index, unique_name):
    name = unique_name("creds")
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "500")  # an unverified finding names the index
    secret = "s3cretT0ken"
    auth_url = fake_index.url.replace("://", f"://alice:{secret}@")
    env = {
        **spip_env,
        "SPIP_PYPI_URL": auth_url,
        "PIP_INDEX_URL": fake_index.simple_url.replace("://", f"://alice:{secret}@"),
        "SPIP_DEBUG": "1",
    }
    report = Path(spip_env["SPIP_CACHE_DIR"]).parent / "f.json"
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert "unverified" in result.stderr
    assert secret not in result.stderr and secret not in result.stdout
    assert secret not in report.read_text()


# -- section 5: text relayed from pip is neutralised ------------------------------------


def test_pips_warnings_are_neutralised(run_spip, fake_index, unique_name):
    name = unique_name("yank")
    fake_index.publish(name, "1.0", yanked="\x1b]8;;http://x\x07 bad\u2028\U000e0041 build")
    result = run_spip("install", "--dry-run", f"{name}==1.0")
    assert "yanked" in result.stderr
    for bad in ("\x1b", "\x07", "\u2028", "\U000e0041"):
        assert bad not in result.stderr


# -- section 5: time ---------------------------------------------------------------------


class _Drip(http.server.BaseHTTPRequestHandler):
    """Answers every request with a 200 whose body comes one byte every 0.2 s."""

    def do_GET(self) -> None:
        body = json.dumps({"info": {"version": "1.0"}, "releases": {}, "urls": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def drip_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_dripping_index_cannot_stall_spip(run_spip, spip_env, clean_pkg, drip_server, tmp_path):
    top, _ = clean_pkg
    env = {**spip_env, "SPIP_PYPI_URL": drip_server}
    report = tmp_path / "f.json"
    started = time.monotonic()
    result = run_spip("install", top, "--timeout", "8", "--findings-json", report, env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60, elapsed  # each document is ~20 s of drip; 8 s per request at most
    assert {f["check"] for f in json.loads(report.read_text())["findings"]} == {"unverified"}
    assert "spip: waiting for the index at 127.0.0.1" in result.stderr
    assert "at most 8 s a request" in result.stderr


# -- section 5: temporary folders ------------------------------------------------------


def test_stale_temporary_folders_are_swept(run_spip, spip_env, clean_pkg, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = time.time() - 2 * 3600
    folders = {}
    for label, pid, age in [
        ("dead", dead.pid, old),
        ("live", os.getpid(), old),
        ("new", dead.pid, None),
    ]:
        folder = tmp / f"spip-files-{label}"
        folder.mkdir()
        (folder / "x.whl").write_text("left behind")
        (folder / ".spip-owner").write_text(str(pid))
        if age:
            os.utime(folder, (age, age))
        folders[label] = folder
    env = {**spip_env, "TMPDIR": str(tmp)}
    result = run_spip("install", clean_pkg[0], env=env)
    assert result.returncode == 0, result.stderr
    assert not folders["dead"].exists()
    assert folders["live"].exists() and folders["new"].exists()
    # and the run itself left nothing
    assert sorted(p.name for p in tmp.iterdir()) == ["spip-files-live", "spip-files-new"]


# -- section 5: signals ---------------------------------------------------------------


def _start(spip_env, cwd, *args, env=None):
    """spip in its own session (a terminal's foreground group: a Ctrl-C reaches all)."""
    return subprocess.Popen(
        [sys.executable, "-m", "spip", *map(str, args)],
        env=env or spip_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(condition, proc, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert proc.poll() is None, "spip ended before the moment the test waits for"
        time.sleep(0.005)
    raise AssertionError("the moment never came")


def test_ctrl_c_during_phase_1(spip_env, venv, clean_pkg, fake_index, tmp_path):
    fake_index.delay = 4  # pip waits on the index
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _start(spip_env, tmp_path, "install", clean_pkg[0], env={**spip_env, "TMPDIR": str(tmp)})
    time.sleep(2)
    assert proc.poll() is None
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a Ctrl-C on the terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == INTERRUPTED, err
    assert time.monotonic() - started < 10
    one_clean_line(err, "interrupted; nothing was installed")
    fake_index.delay = 0
    assert clean_pkg[0] not in " ".join(venv.freeze())
    assert [p for p in tmp.iterdir() if p.name.startswith("spip-")] == []


def test_sigterm_during_the_checks(spip_env, venv, fake_index, unique_name, tmp_path):
    name = unique_name("term")
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "slow")  # the JSON API answers after 30 s
    proc = _start(spip_env, tmp_path, "install", name)
    err = ""
    while "spip: waiting for the index" not in err:
        line = proc.stderr.readline()
        assert line, err
        err += line
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    err += rest
    assert proc.returncode == INTERRUPTED, err
    assert time.monotonic() - started < 10
    one_clean_line(err, "interrupted; nothing was installed")
    assert name not in " ".join(venv.freeze())


def _journal(spip_env) -> Path:
    return Path(spip_env["SPIP_CACHE_DIR"]) / "journal"


def _noted(spip_env) -> bool:
    folder = _journal(spip_env)
    return folder.is_dir() and any(folder.glob("*.json"))


def test_ctrl_c_during_phase_2_lets_pip_finish(spip_env, venv, clean_pkg, tmp_path):
    top, dep = clean_pkg
    proc = _start(spip_env, tmp_path, "install", top)
    _wait_for(lambda: _noted(spip_env), proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == INTERRUPTED, err
    assert "Traceback" not in err
    assert "letting pip finish" in err
    one_clean_line(err, "interrupted during the install")
    assert f"installed: {top} 2.0, {dep} 1.0" in err
    assert {f"{top}==2.0", f"{dep}==1.0"} <= venv.freeze()  # each with its .dist-info
    assert not _noted(spip_env)  # reviewed


def test_ctrl_c_during_uvs_install_lets_uv_finish(spip_env, venv, clean_pkg, fake_index, tmp_path):
    """uv, like pip, is born with SIGINT blocked: a Ctrl-C during phase 2 lets it finish."""
    top, dep = clean_pkg
    env = {
        **spip_env,
        "UV_INDEX_URL": fake_index.simple_url,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_PROGRESS": "1",
    }
    proc = _start(env, tmp_path, "uv", "pip", "install", top, env=env)
    _wait_for(lambda: _noted(spip_env), proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == INTERRUPTED, err
    assert "Traceback" not in err and "letting uv finish" in err
    one_clean_line(err, "interrupted during the install")
    assert {f"{top}==2.0", f"{dep}==1.0"} <= venv.freeze()
    assert not _noted(spip_env)


def test_kill_9_during_phase_2_is_reported_by_the_next_run(
    run_spip, spip_env, venv, clean_pkg, tmp_path
):
    top, _dep = clean_pkg
    proc = _start(spip_env, tmp_path, "install", top)
    _wait_for(lambda: _noted(spip_env), proc)
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 60  # pip, orphaned, goes on installing
    while f"{top}==2.0" not in venv.freeze() and time.monotonic() < deadline:
        time.sleep(0.2)
    result = run_spip("install", "--dry-run", top)
    assert "was stopped while pip installed" in result.stderr, result.stderr
    assert f"{top} 2.0" in result.stderr
    again = run_spip("install", "--dry-run", top)
    assert "was stopped" not in again.stderr  # reported once


def test_one_ctrl_c_at_the_question_is_a_no(venv, spip_env, url_dep_pkg, tmp_path):
    top, _dep = url_dep_pkg
    cmd = [sys.executable, "-m", "spip", "install", top]
    code, screen = on_terminal(cmd, spip_env, tmp_path, b"\x03")  # the terminal's Ctrl-C
    assert "install anyway?" in screen
    assert code == INTERRUPTED, screen
    assert "Traceback" not in screen
    assert "interrupted; nothing was installed" in screen
    assert top not in " ".join(venv.freeze())


# -- section 5: pip's own configuration ------------------------------------------------


def test_no_input_in_pips_configuration_means_no_question(venv, spip_env, url_dep_pkg, tmp_path):
    top, _ = url_dep_pkg
    conf = tmp_path / "pip.conf"
    conf.write_text("[install]\nno-input = true\n")
    cmd = [sys.executable, "-m", "spip", "install", top]
    code, screen = on_terminal(cmd, {**spip_env, "PIP_CONFIG_FILE": str(conf)}, tmp_path, b"y\n")
    assert "install anyway?" not in screen
    assert code == REFUSED, screen
    assert "nobody can answer the question" in screen
