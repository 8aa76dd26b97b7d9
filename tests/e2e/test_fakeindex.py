"""The project's test index behaves like PyPI for real pip, and its knobs do what they say."""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.fakeindex import FAIL_MODES, FakeIndex, build_sdist, build_wheel, underscore_name
from tests.fakeindex.client import call

REPO_ROOT = Path(__file__).resolve().parents[2]
PYPI_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
PYPI_HTML_ACCEPT = "application/vnd.pypi.simple.v1+html"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the builders ---------------------------------------------------------------


def test_wheel_is_deterministic_named_and_recorded(tmp_path: Path) -> None:
    options: dict[str, Any] = {
        "requires": ["other>=1"],
        "metadata": {"Project-URL": ["Home, https://example.org", "Source, https://example.com"]},
        "entry_points": {"console_scripts": {"weird": "my_weird_name:main"}},
        "requires_python": ">=3.10",
    }
    first = build_wheel(tmp_path / "a", "My.Weird__Name", "1.0", **options)
    second = build_wheel(tmp_path / "b", "My.Weird__Name", "1.0", **options)
    assert first.name == "my_weird_name-1.0-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        dist_info = "my_weird_name-1.0.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        assert "Name: My.Weird__Name\n" in metadata
        assert "Requires-Dist: other>=1\n" in metadata
        assert "Requires-Python: >=3.10\n" in metadata
        assert metadata.count("Project-URL: ") == 2
        assert metadata.endswith("\n\nLong description.")
        assert (
            "weird = my_weird_name:main" in archive.read(f"{dist_info}/entry_points.txt").decode()
        )
        assert "Tag: py3-none-any" in archive.read(f"{dist_info}/WHEEL").decode()
        rows = list(csv.reader(archive.read(f"{dist_info}/RECORD").decode().splitlines()))
        assert {row[0] for row in rows} == set(archive.namelist())
        for path, digest, size in rows:
            if path.endswith("RECORD"):
                continue
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data))
    later = build_wheel(tmp_path / "c", "My.Weird__Name", "1.0", date_time=(2020, 1, 1, 0, 0, 0))
    assert later.read_bytes() != build_wheel(tmp_path / "d", "My.Weird__Name", "1.0").read_bytes()


def test_sdist_is_deterministic_with_pkg_info_and_setup_py(tmp_path: Path) -> None:
    first = build_sdist(tmp_path / "a", "Some_Thing", "2.0", requires=["dep"])
    second = build_sdist(tmp_path / "b", "Some_Thing", "2.0", requires=["dep"])
    assert first.name == "some_thing-2.0.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as archive:
        names = set(archive.getnames())
        assert names == {
            f"some_thing-2.0/{member}"
            for member in ("PKG-INFO", "setup.py", "pyproject.toml", "some_thing/__init__.py")
        }
        setup_py = archive.extractfile("some_thing-2.0/setup.py").read().decode()  # type: ignore[union-attr]
    assert "packages=['some_thing']" in setup_py and "install_requires=['dep']" in setup_py


# -- real pip against the index ---------------------------------------------------


def test_pip_installs_a_wheel_and_its_dependency(fake_index: FakeIndex, venv, unique_name) -> None:
    dep, top = unique_name("dep"), unique_name("top")
    fake_index.publish(dep, "1.0")
    fake_index.publish(dep, "2.0")
    module = underscore_name(top)
    fake_index.publish(
        top,
        "1.0",
        requires=[f"{dep}<2"],
        files={f"{module}/__init__.py": "def main():\n    print('hello from the index')\n"},
        entry_points={"console_scripts": {top: f"{module}:main"}},
    )
    venv.pip("install", top)
    assert {f"{dep}==1.0", f"{top}==1.0"} <= set(venv.pip("freeze").stdout.split())
    script = subprocess.run([venv.path / "bin" / top], capture_output=True, text=True, check=True)
    assert script.stdout == "hello from the index\n"


def test_dry_run_report_names_the_index_file_and_hash(
    fake_index: FakeIndex, venv, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    report = tmp_path / "report.json"
    venv.pip("install", "--dry-run", "--quiet", "--report", report, name)
    (item,) = json.loads(report.read_text())["install"]
    assert item["download_info"]["url"] == fake_index.file_url(wheel.name)
    assert item["download_info"]["archive_info"]["hashes"] == {"sha256": sha256(wheel)}
    paths = [entry.path for entry in fake_index.requests]
    assert f"/simple/{name}/" in paths
    pip_version = venv.pip("--version").stdout.split()[1]
    if Version(pip_version) >= Version("23.1"):  # reads PEP 658/714 metadata from JSON pages
        assert f"/files/{wheel.name}.metadata" in paths


def test_pip_skips_yanked_and_incompatible_releases(
    fake_index: FakeIndex, venv, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0", yanked="broken build")
    fake_index.publish(name, "3.0", requires_python=">=4")
    report = tmp_path / "report.json"
    venv.pip("install", "--dry-run", "--quiet", "--report", report, name)
    assert [i["metadata"]["version"] for i in json.loads(report.read_text())["install"]] == ["1.0"]


def test_sdist_from_the_index_builds_and_installs(
    fake_index: FakeIndex, venv, unique_name, sdist_backend: list[Path], tmp_path: Path
) -> None:
    name, marker = unique_name("sdist"), tmp_path / "setup-py-ran"
    module = underscore_name(name)
    setup_py = (
        "import pathlib\nfrom setuptools import setup\n\n"
        f"pathlib.Path({str(marker)!r}).write_text('yes')\n"
        f"setup(name={name!r}, version='1.0', packages=[{module!r}])\n"
    )
    fake_index.publish(name, "1.0", sdist=True, setup_py=setup_py)
    venv.pip("install", name)
    assert marker.read_text() == "yes"
    assert f"{name}==1.0" in venv.pip("freeze").stdout.split()
    fetched = {entry.path.rsplit("/", 1)[-1] for entry in fake_index.requests}
    assert {wheel.name for wheel in sdist_backend} <= fetched  # the build env came from the index


# -- the simple API -------------------------------------------------------------


def test_simple_api_html_and_json(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0", requires_python=">=3.8")
    fake_index.publish(name, "2.0", yanked="broken")
    sdist = fake_index.publish(name, "2.0", sdist=True, yanked="broken")

    page = call(fake_index.url, f"/simple/{name}/", {"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert f'{fake_index.file_url(wheel.name)}#sha256={sha256(wheel)}"' in text
    assert 'data-requires-python="&gt;=3.8"' in text
    assert 'data-yanked="broken"' in text
    assert text.count("data-core-metadata=") == text.count("data-dist-info-metadata=") == 2

    answer = call(fake_index.url, f"/simple/{name}/", {"Accept": PYPI_JSON_ACCEPT})
    assert answer.headers["content-type"] == PYPI_JSON_ACCEPT
    document = answer.json()
    assert document["name"] == name and document["versions"] == ["1.0", "2.0"]
    files = {f["filename"]: f for f in document["files"]}
    assert files[wheel.name]["hashes"] == {"sha256": sha256(wheel)}
    assert files[wheel.name]["requires-python"] == ">=3.8"
    assert files[wheel.name]["size"] == wheel.stat().st_size
    assert files[wheel.name]["upload-time"].endswith("Z")
    assert files[wheel.name]["yanked"] is False and files[sdist.name]["yanked"] == "broken"
    assert files[sdist.name]["core-metadata"] is False
    metadata = call(fake_index.url, f"/files/{wheel.name}.metadata").body
    assert files[wheel.name]["core-metadata"] == {"sha256": hashlib.sha256(metadata).hexdigest()}
    assert call(fake_index.url, f"/files/{sdist.name}.metadata").status == 404

    pip_accept = (
        f"{PYPI_JSON_ACCEPT}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
    )
    assert call(fake_index.url, f"/simple/{name}/", {"Accept": pip_accept}).json()["name"] == name
    assert name in call(fake_index.url, "/simple/", {"Accept": PYPI_JSON_ACCEPT}).body.decode()
    redirect = call(fake_index.url, f"/simple/{name.upper().replace('-', '_')}/")
    assert (redirect.status, redirect.headers["location"]) == (301, f"/simple/{name}/")
    assert call(fake_index.url, "/simple/no-such-project-here/").status == 404


# -- the JSON API -------------------------------------------------------------------


def test_json_api_project_and_release_documents(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    metadata = {
        "Author-email": "Ann <ann@example.org>",
        "Maintainer-email": "bob@example.org",
        "Home-page": "https://example.org",
        "Download-URL": "https://example.org/download",
        "Project-URL": ["Source, https://github.com/example/proj", "Docs, https://docs.example"],
    }
    advisory = {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fixed_in": ["2.0"]}
    old = fake_index.publish(name, "1.0", metadata=metadata, vulnerabilities=[advisory])
    fake_index.publish(name, "2.0", requires=["dep>=1"], info={"summary": "Overridden"})
    fake_index.publish(name, "3.0", yanked=True)

    project = call(fake_index.url, f"/pypi/{name}/json").json()
    assert project["info"]["version"] == "2.0"  # newest release that is not yanked
    assert project["info"]["summary"] == "Overridden"
    assert project["info"]["requires_dist"] == ["dep>=1"]
    assert set(project["releases"]) == {"1.0", "2.0", "3.0"}

    release = call(fake_index.url, f"/pypi/{name}/1.0/json").json()
    info = release["info"]
    assert (info["name"], info["version"], info["summary"]) == (name, "1.0", "A test package")
    assert info["description"] == "Long description."
    assert info["author_email"] == "Ann <ann@example.org>"
    assert info["maintainer_email"] == "bob@example.org"
    assert info["home_page"] == "https://example.org"
    assert info["download_url"] == "https://example.org/download"
    assert info["project_urls"] == {
        "Source": "https://github.com/example/proj",
        "Docs": "https://docs.example",
    }
    assert (info["yanked"], info["yanked_reason"]) == (False, None)
    (url,) = release["urls"]
    assert url["filename"] == old.name and url["url"] == fake_index.file_url(old.name)
    assert url["digests"]["sha256"] == sha256(old) and url["size"] == old.stat().st_size
    assert url["packagetype"] == "bdist_wheel" and url["upload_time_iso_8601"].endswith("Z")
    (vulnerability,) = release["vulnerabilities"]
    assert vulnerability["id"] == "PYSEC-0000-1" and vulnerability["fixed_in"] == ["2.0"]
    assert {"aliases", "details", "summary"} <= set(vulnerability)
    assert "releases" not in release

    yanked = call(fake_index.url, f"/pypi/{name}/3.0/json").json()["info"]
    assert yanked["yanked"] is True
    assert call(fake_index.url, f"/pypi/{name}/9.9/json").status == 404
    assert call(fake_index.url, "/pypi/no-such-project-here/json").status == 404
    fake_index.no_per_release_json = True
    assert call(fake_index.url, f"/pypi/{name}/1.0/json").status == 404
    assert call(fake_index.url, f"/pypi/{name}/json").status == 200


@pytest.mark.parametrize("mode", FAIL_MODES)
def test_fail_modes(fake_index: FakeIndex, unique_name, mode: str) -> None:
    name, healthy = unique_name(), unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(healthy, "1.0")
    fake_index.fail(name, mode)
    for path in (f"/pypi/{name}/json", f"/pypi/{name}/1.0/json"):
        if mode == "slow":
            with pytest.raises(TimeoutError):
                call(fake_index.url, path, timeout=0.5)
            continue
        answer = call(fake_index.url, path)
        if mode in ("404", "500"):
            assert answer.status == int(mode)
        elif mode == "garbage":
            assert answer.status == 200
            with pytest.raises(json.JSONDecodeError):
                answer.json()
        elif mode == "wrong-shape":
            assert answer.status == 200 and isinstance(answer.json(), list)
        else:
            assert (answer.status, answer.headers["location"]) == (302, path)
    assert call(fake_index.url, f"/simple/{name}/").status == 200  # pip is unaffected
    assert call(fake_index.url, f"/pypi/{healthy}/json").status == 200
    fake_index.fail(name, None)
    assert call(fake_index.url, f"/pypi/{name}/json").json()["info"]["name"] == name


def test_slow_answers_end_at_reset(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "slow")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(call, fake_index.url, f"/pypi/{name}/json")
        time.sleep(0.3)
        assert not pending.done()
        started = time.monotonic()
        fake_index.reset()
        assert pending.result(timeout=5).status == 200
    assert time.monotonic() - started < 5


# -- HTTP behaviour -------------------------------------------------------------------


def test_etag_cache_control_and_304(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    for path in (f"/simple/{name}/", f"/pypi/{name}/json", f"/files/{wheel.name}"):
        first = call(fake_index.url, path)
        assert first.headers["etag"] and "max-age" in first.headers["cache-control"]
        again = call(fake_index.url, path, {"If-None-Match": first.headers["etag"]})
        assert (again.status, again.body) == (304, b"")
    simple = call(fake_index.url, f"/simple/{name}/")
    assert simple.headers["cache-control"] == "max-age=600, public"
    fake_index.publish(name, "2.0")
    changed = call(fake_index.url, f"/simple/{name}/", {"If-None-Match": simple.headers["etag"]})
    assert changed.status == 200 and changed.headers["etag"] != simple.headers["etag"]
    fake_index.no_cache_headers = True
    bare = call(fake_index.url, f"/simple/{name}/", {"If-None-Match": simple.headers["etag"]})
    assert bare.status == 200 and "etag" not in bare.headers and "cache-control" not in bare.headers


def test_range_requests_on_files(fake_index: FakeIndex, unique_name) -> None:
    wheel = fake_index.publish(unique_name(), "1.0")
    data, path = wheel.read_bytes(), f"/files/{wheel.name}"
    tail = call(fake_index.url, path, {"Range": "bytes=-22"})
    assert (tail.status, tail.body) == (206, data[-22:])
    assert tail.body.startswith(b"PK\x05\x06")  # the zip's end of central directory
    assert tail.headers["content-range"] == f"bytes {len(data) - 22}-{len(data) - 1}/{len(data)}"
    assert call(fake_index.url, path, {"Range": "bytes=0-3"}).body == b"PK\x03\x04"
    assert call(fake_index.url, path, {"Range": "bytes=10-"}).body == data[10:]
    unsatisfiable = call(fake_index.url, path, {"Range": f"bytes={len(data)}-"})
    assert (unsatisfiable.status, unsatisfiable.headers["content-range"]) == (
        416,
        f"bytes */{len(data)}",
    )
    fake_index.no_ranges = True
    assert call(fake_index.url, path, {"Range": "bytes=-22"}).status == 200


def test_swap_serves_other_bytes_from_the_next_download(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    original = fake_index.publish(name, "1.0")
    other = build_wheel(tmp_path, name, "1.0", files={"evil.pth": "import os\n"})
    assert other.name == original.name and other.read_bytes() != original.read_bytes()
    fake_index.swap(original.name, other, after=1)
    path = f"/files/{original.name}"
    assert call(fake_index.url, path).body == original.read_bytes()
    assert call(fake_index.url, path).body == other.read_bytes()
    assert call(fake_index.url, path).body == other.read_bytes()
    simple = call(fake_index.url, f"/simple/{name}/", {"Accept": PYPI_JSON_ACCEPT}).json()
    assert simple["files"][0]["hashes"]["sha256"] == sha256(original)  # the index still says so
    fake_index.reset()
    assert call(fake_index.url, path).body == original.read_bytes()


def test_delay_down_and_up(fake_index: FakeIndex) -> None:
    fake_index.delay = 0.2
    started = time.monotonic()
    assert call(fake_index.url, "/simple/").status == 200
    assert time.monotonic() - started >= 0.2
    fake_index.down()
    with pytest.raises(ConnectionRefusedError):
        call(fake_index.url, "/simple/")
    fake_index.up()
    assert call(fake_index.url, "/simple/").status == 200


def test_many_concurrent_keep_alive_clients(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    paths = [f"/simple/{name}/", f"/pypi/{name}/json", f"/files/{wheel.name}"] * 10

    def client(_: int) -> list[int]:
        connection = http.client.HTTPConnection(fake_index.host, fake_index.port, timeout=10)
        statuses = []
        for path in paths:  # one connection, many requests: HTTP/1.1 keep-alive
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        return statuses

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(client, range(32)))
    assert all(status == 200 for statuses in results for status in statuses)
    assert len(fake_index.requests) == 32 * len(paths)


# -- the fixtures and the command line ----------------------------------------------


def test_venv_copy_is_its_own_environment(venv, template_venv) -> None:
    assert str(venv.site_packages) in venv.pip("--version").stdout
    prefix = subprocess.run(
        [venv.python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True
    ).stdout.strip()
    assert prefix == str(venv.path)
    assert str(template_venv.path) not in (venv.path / "bin" / "pip").read_text()
    venv.pip("uninstall", "--yes", "pip")  # site-packages files are shared with the template
    assert (template_venv.site_packages / "pip" / "__init__.py").exists()
    assert template_venv.pip("--version").returncode == 0


def test_spip_env_ignores_this_machines_pip_configuration(
    spip_env: dict[str, str], venv, fake_index: FakeIndex
) -> None:
    assert spip_env["PIP_CONFIG_FILE"] == os.devnull
    assert spip_env["PIP_INDEX_URL"] == fake_index.simple_url
    assert spip_env["SPIP_PYPI_URL"] == fake_index.url
    assert spip_env["VIRTUAL_ENV"] == str(venv.path)
    assert "PIP_FIND_LINKS" not in spip_env and "PIP_NO_INPUT" not in spip_env
    settings = venv.pip("config", "list").stdout
    assert "find-links" not in settings and "extra-index-url" not in settings


def test_run_pip_targets_the_test_venv(run_pip, venv) -> None:
    result = run_pip("--version")
    assert result.returncode == 0 and str(venv.site_packages) in result.stdout


def test_command_line_serves_a_directory(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "served-from-dir", "1.0")
    command = [sys.executable, "-m", "tests.fakeindex", "serve", "--dir", str(tmp_path)]
    with subprocess.Popen(
        [*command, "--packages", "2"], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as server:
        try:
            assert server.stdout is not None
            base, simple = server.stdout.readline().strip(), server.stdout.readline().strip()
            assert simple == f"{base}/simple/"
            page = call(base, "/simple/served-from-dir/").body.decode()
            assert wheel.name in page
            chain = call(base, "/pypi/bench-pkg-0000/json").json()
            assert chain["info"]["requires_dist"] == ["bench-pkg-0001"]
        finally:
            server.terminate()
