"""The local history: recording, reading, and surviving concurrent, killed and full-disk runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgspec
import pytest

from spip.local.history import FILENAME, History
from spip.plan.report import PlannedDist

REPO_ROOT = Path(__file__).resolve().parents[3]

# A child process: records COUNT releases of PROJECT (one transaction each) into
# the history in DIR, with domains of SIZE bytes, prints "started" after the first
# one and its warnings (JSON) at the end.
WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from spip.local.history import History

    directory, project, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    history = History(Path(directory))
    for i in range(count):
        history.record(project, f"{i}.0", {f"d{i}-" + "x" * size + ".example"})
        if i == 0:
            print("started", flush=True)
    print(json.dumps(history.warnings), flush=True)
    """
)


def spawn(*args: object, preexec: object = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )


def integrity(directory: Path) -> str:
    with sqlite3.connect(directory / FILENAME) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def planned(name: str, version: str, source: str = "index", **metadata: object) -> PlannedDist:
    """A planned distribution as pip's report describes it."""
    url = f"https://files.example/{name}-{version}-py3-none-any.whl"
    info: dict[str, object] = {"url": url, "archive_info": {"hashes": {"sha256": "0" * 64}}}
    if source == "dir":
        info = {"url": f"file:///src/{name}", "dir_info": {}}
    return msgspec.convert(
        {
            "download_info": info,
            "is_direct": source != "index",
            "metadata": {"name": name, "version": version, **metadata},
        },
        type=PlannedDist,
    )


def test_record_and_read(tmp_path: Path) -> None:
    history = History(tmp_path)
    assert history.domains("foo") == set() and history.versions("foo") == set()
    assert history.record("Foo_Bar", "1.0", {"example.org"})
    assert history.record("foo-bar", "2.0", {"example.org", "mail.example.net"})
    history.close()
    again = History(tmp_path)
    assert again.domains("foo.bar") == {"example.org", "mail.example.net"}
    assert again.versions("FOO-BAR") == {"1.0", "2.0"}
    assert again.warnings == []


def test_record_installed_takes_index_distributions(tmp_path: Path) -> None:
    with History(tmp_path) as history:
        assert history.record_installed(
            [
                planned("pkg", "1.0", author_email="Ann <ann@Example.org>, bob@corp.example"),
                planned("nomail", "1.0"),
                planned("local", "0.1", source="dir", author_email="me@home.example"),
            ]
        )
        assert history.domains("pkg") == {"example.org", "corp.example"}
        assert history.versions("nomail") == {"1.0"} and history.domains("nomail") == set()
        assert history.versions("local") == set()


def test_nothing_created_until_used(tmp_path: Path) -> None:
    History(tmp_path / "cache").close()
    assert not (tmp_path / "cache").exists()


def test_parallel_runs(tmp_path: Path) -> None:
    History(tmp_path).record("seed", "1.0", set())
    writers = [spawn(tmp_path, f"project-{n}", 60, 200) for n in range(4)]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert json.loads(out.splitlines()[-1]) == []
    history = History(tmp_path)
    assert all(len(history.versions(f"project-{n}")) == 60 for n in range(4))
    assert integrity(tmp_path) == "ok"


def test_run_killed_half_way(tmp_path: Path) -> None:
    History(tmp_path).record("before", "1.0", {"example.org"})
    writer = spawn(tmp_path, "victim", 100_000, 4000)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "started"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert integrity(tmp_path) == "ok"
    history = History(tmp_path)
    assert history.domains("before") == {"example.org"}
    written = history.versions("victim")
    assert written and all(v.endswith(".0") for v in written)
    assert history.record("after", "1.0", {"example.net"}) and history.warnings == []


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_full_disk_is_a_warning(tmp_path: Path) -> None:
    import resource

    History(tmp_path).record("before", "1.0", {"example.org"})
    limit = 256 * 1024

    def small_disk() -> None:  # every file of the child may grow to ``limit`` bytes
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    writer = spawn(tmp_path, "filler", 400, 4000, preexec=small_disk)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    (warning,) = json.loads(out.splitlines()[-1])
    assert "could not be written" in warning and "carrying on without it" in warning
    assert integrity(tmp_path) == "ok"
    history = History(tmp_path)
    assert history.domains("before") == {"example.org"}
    assert 0 < len(history.versions("filler")) < 400


def test_corrupted_database_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_bytes(b"this is not a database" * 100)
    history = History(tmp_path)
    assert history.domains("x") == set()
    assert not history.record("x", "1.0", {"example.org"})
    (warning,) = history.warnings
    assert "could not be opened" in warning and str(tmp_path / FILENAME) in warning


def test_unusable_directory_is_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    history = History(blocker / "cache")
    assert not history.record_installed([planned("pkg", "1.0")])
    assert history.versions("pkg") == set()
    assert len(history.warnings) == 1
