"""The checks judge the file pip resolved (by its sha256), as the index that served it
describes it: two indexes here, the main one (``pypi-url`` and ``--index-url``) and an
extra one that only pip is told about."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fakeindex import FakeIndex, build_wheel

REFUSED = 10


@pytest.fixture
def extra_index(tmp_path) -> Iterator[FakeIndex]:
    with FakeIndex(tmp_path / "extra-index") as index:
        yield index


def _findings(path):
    return [
        (f["check"], f["severity"], f["package"]) for f in json.loads(path.read_text())["findings"]
    ]


def test_an_hour_old_release_from_an_extra_index_is_fresh(
    run_spip, venv, extra_index, unique_name, tmp_path
):
    name = unique_name("extrafresh")
    extra_index.publish(name, "1.0", upload_time=timedelta(hours=1))
    report = tmp_path / "f.json"
    result = run_spip(
        "install", "--extra-index-url", extra_index.simple_url, name, "--findings-json", report
    )
    assert result.returncode == REFUSED, result.stderr
    assert ("fresh-release", "MEDIUM", name) in _findings(report)
    assert name not in venv.pip("freeze").stdout


def test_another_file_of_the_same_name_on_the_json_api_is_not_judged(
    run_spip, venv, spip_env, fake_index, extra_index, unique_name, tmp_path
):
    """pip resolves from the extra index only; the JSON API at pypi-url lists an old file
    of the same name with other bytes: its upload time says nothing about pip's file."""
    name = unique_name("samename")
    fake_index.publish(name, "1.0", upload_time=timedelta(days=300))
    extra_index.add(
        build_wheel(tmp_path / "other", name, "1.0", summary="other bytes"),
        upload_time=timedelta(hours=2),
    )
    env = {**spip_env, "PIP_INDEX_URL": extra_index.simple_url}
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == REFUSED, result.stderr
    assert ("fresh-release", "MEDIUM", name) in _findings(report)


@pytest.fixture
def html_only_index(tmp_path) -> Iterator[tuple[str, Path]]:
    """A static PEP 503 index (HTML pages, no JSON, no upload times): ``(simple URL, root)``."""
    root = tmp_path / "static-index"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", root
    finally:
        server.shutdown()
        server.server_close()


def test_a_file_no_index_describes_is_unverified_at_medium(
    run_spip, venv, html_only_index, unique_name, tmp_path
):
    simple, root = html_only_index
    name = unique_name("static")
    wheel = build_wheel(root / "files", name, "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = root / "simple" / name
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        f'<html><body><a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>'
        "</body></html>"
    )
    report = tmp_path / "f.json"
    result = run_spip("install", "--extra-index-url", simple, name, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert ("unverified", "MEDIUM", name) in _findings(report)
    assert "no index describes" in result.stderr
    assert name not in venv.pip("freeze").stdout
