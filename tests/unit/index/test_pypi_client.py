"""The PyPI client: parsing, one fetch per document, the fallbacks, failures, the cache.

Against the real local index (``fake_index``), plus ``httpx.MockTransport`` where
an answer the index cannot give is needed (a transient 503, no JSON simple page).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import msgspec
import pytest

import spip.index.cache
import spip.index.pypi
from spip.index.cache import Cache
from spip.index.errors import DataUnavailable
from spip.index.http import Client, make_client
from spip.index.netconf import NetSettings
from spip.index.pypi import Info, ProjectFiles, PyPIClient, Release
from tests.fakeindex import FAIL_MODES, FakeIndex
from tests.support import pypi_client


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def json_paths(index: FakeIndex) -> list[str]:
    """The paths of the JSON API and simple pages requested, in order."""
    return [r.path for r in index.requests if r.path.startswith(("/pypi/", "/simple/"))]


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> PyPIClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PyPIClient(Client.wrapping(http), "https://mirror.example", Cache(None))


# -- pure helpers ---------------------------------------------------------------------


def test_info_from_core_metadata_keeps_every_url() -> None:
    from spip.plan.report import CoreMetadata

    core = CoreMetadata(
        name="x",
        version="1",
        home_page="https://x.example",
        project_url=["Source, https://github.com/o/x", "Source, https://bit.ly/y", "bare"],
    )
    assert list(Info.from_core(core).urls()) == [
        ("Home-page", "https://x.example"),
        ("Source", "https://github.com/o/x"),
        ("Source (2)", "https://bit.ly/y"),
        ("", "bare"),
    ]


def test_previous_version_skips_fully_yanked_releases() -> None:
    files = msgspec.convert(
        {
            "versions": ["1.0", "1.1", "1.2", "2.0rc1", "2.0"],
            "files": [
                {"filename": "x-1.1.tar.gz", "version": "1.1"},
                {"filename": "x-1.2-py3-none-any.whl", "version": "1.2", "yanked": True},
                {"filename": "x-1.2.tar.gz", "version": "1.2", "yanked": True},
            ],
        },
        type=ProjectFiles,
    )
    assert files.previous_version("2.0") == "2.0rc1"
    assert files.previous_version("1.2") == "1.1"
    assert files.previous_version("1.3") == "1.1"
    assert files.previous_version("1.0") is None
    assert files.previous_version("not a version") is None


def test_release_document_parsed(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    uploaded = datetime.now(timezone.utc) - timedelta(hours=5)
    wheel = fake_index.publish(
        name,
        "1.0",
        summary="Does things",
        metadata={"Author-email": "Ann <ann@example.org>"},
        upload_time=uploaded,
        vulnerabilities=[{"id": "PYSEC-1", "aliases": ["CVE-2024-1"], "fixed_in": ["1.1"]}],
    )

    async def main() -> None:
        async with pypi_client(fake_index, tmp_path) as pypi:
            release = await pypi.release(name, "1.0", file_sha256(wheel))
        assert release.info is not None and release.info.summary == "Does things"
        assert release.info.email_domains() == {"example.org"}
        selected = release.file(file_sha256(wheel), "")
        assert selected is not None and selected.filename == wheel.name
        assert abs((selected.uploaded - uploaded).total_seconds()) < 1
        assert selected.url == fake_index.file_url(wheel.name)
        assert [v.id for v in release.vulnerabilities or []] == ["PYSEC-1"]

    asyncio.run(main())


def test_each_document_fetched_once_per_run(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")

    async def main() -> None:
        async with pypi_client(fake_index, None) as pypi:
            await asyncio.gather(
                *(pypi.release(name, "2.0") for _ in range(5)),
                *(pypi.files(name) for _ in range(5)),
                *(pypi.previous_release(name, "2.0") for _ in range(5)),
            )

    fake_index.clear_log()
    asyncio.run(main())
    assert sorted(json_paths(fake_index)) == sorted(
        [f"/pypi/{name}/2.0/json", f"/simple/{name}/", f"/pypi/{name}/1.0/json"]
    )


def test_files_from_the_json_simple_page(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    first = fake_index.publish(name, "1.0", upload_time=datetime(2020, 1, 1, tzinfo=timezone.utc))
    fake_index.publish(name, "1.1", yanked="broken")
    fake_index.publish(name, "2.0")

    async def main() -> ProjectFiles:
        async with pypi_client(fake_index, None) as pypi:
            return await pypi.files(name)

    files = asyncio.run(main())
    assert [f.version for f in files.files] == ["1.0", "1.1", "2.0"]
    one = files.files[0]
    assert one.sha256 == file_sha256(first) and one.url == fake_index.file_url(first.name)
    assert one.upload_time == datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert files.files[1].yanked and files.files[1].yanked_reason == "broken"
    assert files.previous_version("2.0") == "1.0"
    assert [r.headers.get("accept") for r in fake_index.requests] == [spip.index.pypi.SIMPLE_JSON]


def test_file_urls_relative_to_the_page_are_made_absolute(unique_name) -> None:
    """Some mirrors list files relative to the page; an absolute URL is kept as it is."""
    name = unique_name()
    page = {
        "meta": {"api-version": "1.1"},
        "name": name,
        "versions": ["1.0"],
        "files": [
            {
                "filename": f"{name}-1.0.tar.gz",
                "url": f"../../files/{name}-1.0.tar.gz",
                "hashes": {"sha256": "a" * 64},
            },
            {
                "filename": f"{name}-1.0-py3-none-any.whl",
                "url": f"https://files.example/x/{name}-1.0-py3-none-any.whl",
                "hashes": {"sha256": "b" * 64},
            },
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/simple/{name}/":
            headers = {"content-type": spip.index.pypi.SIMPLE_JSON}
            return httpx.Response(200, json=page, headers=headers)
        return httpx.Response(404)

    files = asyncio.run(mock_client(handler).files(name)).files
    assert [f.url for f in files] == [
        f"https://mirror.example/files/{name}-1.0.tar.gz",
        f"https://files.example/x/{name}-1.0-py3-none-any.whl",
    ]


def test_mirror_without_per_release_documents(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """One 404, then the project document for the rest of the run (and the next run)."""
    name, other = unique_name(), unique_name()
    fake_index.publish(name, "1.0", summary="old")
    fake_index.publish(name, "2.0", summary="new")
    fake_index.publish(other, "3.0")
    fake_index.no_per_release_json = True

    async def run_once() -> tuple[Release, Release, Release]:
        async with pypi_client(fake_index, tmp_path) as pypi:
            latest = await pypi.release(name, "2.0")
            older = await pypi.release(name, "1.0")
            return latest, older, await pypi.release(other, "3.0")

    latest, older, third = asyncio.run(run_once())
    assert latest.info is not None and latest.info.summary == "new"
    assert latest.vulnerabilities == []
    assert older.info is None and older.vulnerabilities is None and older.urls
    assert third.info is not None
    assert json_paths(fake_index) == [
        f"/pypi/{name}/2.0/json",
        f"/pypi/{name}/json",
        f"/pypi/{other}/json",
    ]


def test_missing_version_is_unavailable(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")

    async def main() -> None:
        async with pypi_client(fake_index, None) as pypi:
            await pypi.release(name, "9.9")

    with pytest.raises(DataUnavailable, match=f"lists no release 9.9 of {name}"):
        asyncio.run(main())


EXPECTED_REASON = {
    "404": "answered 404 for /pypi/{name}/json",
    "500": "answered 500 for /pypi/{name}/1.0/json",
    "garbage": "sent invalid JSON for /pypi/{name}/1.0/json",
    "wrong-shape": "sent a document of an unexpected shape for /pypi/{name}/1.0/json",
    "slow": "did not answer in time for /pypi/{name}/1.0/json",
    "redirect-loop": "redirected in a loop for /pypi/{name}/1.0/json",
}


@pytest.mark.parametrize("mode", FAIL_MODES)
def test_server_failures_become_short_reasons(
    fake_index: FakeIndex, unique_name, mode: str
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.fail(name, mode)

    async def main() -> None:
        async with pypi_client(fake_index, None, timeout=1.0) as pypi:
            await pypi.release(name, "1.0")

    with pytest.raises(DataUnavailable) as caught:
        asyncio.run(main())
    reason = str(caught.value)
    assert reason.endswith(EXPECTED_REASON[mode].format(name=name)), reason
    assert reason.startswith(f"127.0.0.1:{fake_index.port} ") and len(reason) <= 160


def test_unreachable_server_is_unavailable(unique_name) -> None:
    async def main() -> None:
        async with make_client(NetSettings(timeout=2.0)) as http:
            await PyPIClient(http, "http://127.0.0.1:9", Cache(None)).release("x", "1.0")

    with pytest.raises(DataUnavailable, match=r"could not be reached"):
        asyncio.run(main())


def test_one_retry_on_a_transient_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spip.index.pypi, "RETRY_DELAY", 0)
    answers = iter(
        [httpx.Response(503), httpx.Response(200, json={"info": {"summary": "ok"}, "urls": []})]
    )
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return next(answers)

    release = asyncio.run(mock_client(handler).release("x", "1.0"))
    assert release.info is not None and release.info.summary == "ok"
    assert calls == ["/pypi/x/1.0/json"] * 2


def test_no_second_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spip.index.pypi, "RETRY_DELAY", 0)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(502)

    with pytest.raises(DataUnavailable, match=r"answered 502 for /pypi/x/1\.0/json"):
        asyncio.run(mock_client(handler).release("x", "1.0"))
    assert len(calls) == 2


def test_per_release_document_of_another_version_is_not_trusted() -> None:
    """A mirror that answers every per-release URL with the latest release."""
    latest = {"info": {"version": "2.0", "summary": "latest"}, "urls": [], "vulnerabilities": []}
    project = {**latest, "releases": {"1.0": [{"filename": "x-1.0.tar.gz"}], "2.0": []}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=project if request.url.path == "/pypi/x/json" else latest)

    release = asyncio.run(mock_client(handler).release("x", "1.0"))
    assert release.info is None and [f.filename for f in release.urls] == ["x-1.0.tar.gz"]


def test_files_fall_back_to_the_project_document() -> None:
    """An index without a PEP 691 JSON simple page: the project document has the history."""
    project = {
        "info": {"version": "2.0"},
        "releases": {
            "1.0": [{"filename": "x-1.0.tar.gz", "url": "../../files/x-1.0.tar.gz"}],
            "2.0": [{"filename": "x-2.0.tar.gz", "yanked": True, "yanked_reason": "oops"}],
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/simple/x/":
            return httpx.Response(200, text="<html></html>", headers={"Content-Type": "text/html"})
        return httpx.Response(200, json=project)

    files = asyncio.run(mock_client(handler).files("x"))
    assert [(f.version, f.yanked) for f in files.files] == [("1.0", False), ("2.0", True)]
    assert files.files[0].url == "https://mirror.example/files/x-1.0.tar.gz"


# -- the cache ------------------------------------------------------------------------


def _one_run(index: FakeIndex, cache_dir: Path, name: str) -> None:
    async def main() -> None:
        async with pypi_client(index, cache_dir) as pypi:
            await pypi.release(name, "2.0")
            await pypi.previous_release(name, "2.0")

    asyncio.run(main())


def test_second_run_makes_no_requests(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    _one_run(fake_index, tmp_path, name)
    assert len(json_paths(fake_index)) == 3
    fake_index.clear_log()
    _one_run(fake_index, tmp_path, name)
    assert json_paths(fake_index) == []


def test_project_pages_revalidated_with_etag(
    fake_index: FakeIndex, unique_name, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    _one_run(fake_index, tmp_path, name)
    monkeypatch.setattr(spip.index.pypi, "PROJECT_TTL", 0.0)  # the short lifetime has passed
    fake_index.clear_log()
    _one_run(fake_index, tmp_path, name)
    (request,) = fake_index.requests
    assert (request.path, request.status) == (f"/simple/{name}/", 304)
    assert request.headers.get("if-none-match")
    # A release published meanwhile changes the page: it is fetched again.
    fake_index.publish(name, "2.1")
    fake_index.clear_log()
    _one_run(fake_index, tmp_path, name)
    assert [(r.path, r.status) for r in fake_index.requests] == [(f"/simple/{name}/", 200)]


def test_without_etag_pages_are_refetched_after_their_lifetime(
    fake_index: FakeIndex, unique_name, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    fake_index.no_cache_headers = True
    _one_run(fake_index, tmp_path, name)
    fake_index.clear_log()
    _one_run(fake_index, tmp_path, name)
    assert fake_index.requests == []
    monkeypatch.setattr(spip.index.pypi, "PROJECT_TTL", 0.0)
    monkeypatch.setattr(spip.index.pypi, "RELEASE_TTL", 0.0)  # a day later: yanks and advisories
    _one_run(fake_index, tmp_path, name)
    assert [(r.path, r.status) for r in fake_index.requests] == [
        (f"/pypi/{name}/2.0/json", 200),
        (f"/simple/{name}/", 200),
        (f"/pypi/{name}/1.0/json", 200),
    ]


def test_cached_release_refreshed_when_the_selected_file_is_new(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")

    async def release(sha256: str | None) -> Release:
        async with pypi_client(fake_index, tmp_path) as pypi:
            return await pypi.release(name, "1.0", sha256)

    asyncio.run(release(None))
    later = fake_index.publish(name, "1.0", sdist=True)
    fake_index.clear_log()
    assert asyncio.run(release(file_sha256(later))).file(file_sha256(later), "") is not None
    assert json_paths(fake_index) == [f"/pypi/{name}/1.0/json"]


def test_corrupted_cache_entries_are_ignored(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    _one_run(fake_index, tmp_path, name)
    entries = list((tmp_path / spip.index.cache.FORMAT).glob("*.json"))
    assert entries
    garbage = [b"", b"\x00\xff garbage", b"[]", json.dumps({"key": 1}).encode(), b'{"key":']
    for i, entry in enumerate(entries):
        entry.write_bytes(garbage[i % len(garbage)])
    fake_index.clear_log()
    _one_run(fake_index, tmp_path, name)
    assert len(json_paths(fake_index)) == 3


def test_unwritable_cache_is_no_error(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    _one_run(fake_index, blocker, name)
    assert blocker.read_text().startswith("a file")


def test_cache_round_trip_and_atomic_files(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("k", {"a": [1, 2]}, etag='"e"')
    entry = cache.get("k")
    assert entry is not None and entry.data == {"a": [1, 2]} and entry.etag == '"e"'
    assert entry.age < 5
    assert cache.get("other") is None
    assert [p.suffix for p in (tmp_path / spip.index.cache.FORMAT).iterdir()] == [".json"]
    assert Cache(None).get("k") is None


def test_the_requests_after_phase_1_share_one_budget(fake_index: FakeIndex, unique_name) -> None:
    """Each answer comes just inside pip's --timeout (0.75 s of 1): one after another they
    could hold a run for as long as the server likes. After ``start_budget`` they share
    four times the timeout (4 s): the sixth request gets what is left, the seventh none."""
    names = [unique_name("budget") for _ in range(7)]
    for name in names:
        fake_index.publish(name, "1.0")
    fake_index.delay = 0.75
    outcomes: list[str] = []

    async def main() -> float:
        async with pypi_client(fake_index, None, timeout=1.0) as pypi:
            allowance = pypi.start_budget()
            for name in names:
                try:
                    await pypi.release(name, "1.0")
                    outcomes.append("ok")
                except DataUnavailable as exc:
                    outcomes.append(str(exc))
            return allowance

    assert asyncio.run(main()) == 4.0
    assert outcomes[:5] == ["ok"] * 5
    assert "did not answer in time" in outcomes[5]
    assert "took 4 s in all this run" in outcomes[6]
