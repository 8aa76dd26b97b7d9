"""The planned files: fetched, verified against pip's sha256, cached by content."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx
import pytest

from spip.index.artifacts import Artifacts, IntegrityError
from spip.index.http import Client
from spip.plan.report import parse_report


def planned(url: str, sha256: str, name: str = "pkg"):
    doc = {
        "version": "1",
        "install": [
            {
                "download_info": {"url": url, "archive_info": {"hashes": {"sha256": sha256}}},
                "metadata": {"name": name, "version": "1.0"},
            }
        ],
    }
    return parse_report(json.dumps(doc)).install


async def fetch_all(
    plan,
    cache_dir,
    prefetch: str | None = None,
    found: tuple[str, str] | None = None,
    head_start: float = 0.0,
):
    """The plan's files; ``prefetch``: a URL prefetched first; ``found``: a file name
    prefetched first, with the URL its search finds; the plan starts ``head_start``
    seconds after those."""

    async def search(url: str) -> str:
        return url

    async with httpx.AsyncClient() as http:
        artifacts = Artifacts(Client.wrapping(http), cache_dir)
        try:
            if prefetch:
                artifacts.prefetch(prefetch)
            if found:
                artifacts.prefetch_found(found[0], search(found[1]))
            await asyncio.sleep(head_start)
            artifacts.start(plan)
            files = await artifacts.wait_all()
            # a prefetch no planned file waited for may still be under way: its bytes count
            await asyncio.gather(*artifacts._prefetches.values())
            return files, artifacts.downloaded_bytes
        finally:
            artifacts.cleanup()


def test_a_file_that_differs_from_the_plan_is_an_integrity_error(fake_index, unique_name, tmp_path):
    wheel = fake_index.publish(unique_name("integrity"), "1.0")
    plan = planned(fake_index.file_url(wheel.name), "0" * 64)
    with pytest.raises(IntegrityError, match="changed since pip saw it"):
        asyncio.run(fetch_all(plan, tmp_path))


def test_verified_files_are_cached_by_content(fake_index, unique_name, tmp_path):
    name = unique_name("cached")
    wheel = fake_index.publish(name, "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    plan = planned(fake_index.file_url(wheel.name), digest, name)
    files, downloaded = asyncio.run(fetch_all(plan, tmp_path))
    assert downloaded == wheel.stat().st_size and files[name] is not None
    assert (tmp_path / "files" / digest[:2] / digest).read_bytes() == wheel.read_bytes()
    files, downloaded = asyncio.run(fetch_all(plan, tmp_path))
    assert downloaded == 0 and files[name] is not None  # a warm install downloads nothing


def test_prefetched_file_is_used_only_for_its_own_digest(fake_index, unique_name, tmp_path):
    name = unique_name("prefetch")
    wheel = fake_index.publish(name, "1.0")
    url = fake_index.file_url(wheel.name)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    files, downloaded = asyncio.run(fetch_all(planned(url, digest, name), tmp_path, prefetch=url))
    assert downloaded == wheel.stat().st_size  # fetched once, by the prefetch
    assert files[name] is not None


@pytest.mark.parametrize("named", [True, False])
def test_a_file_prefetched_from_another_url_is_waited_for_by_name(
    fake_index, unique_name, tmp_path, named
):
    """pip names some files without their URL; spip finds one in the index's documents."""
    name = unique_name("named")
    wheel = fake_index.publish(name, "1.0")
    url = fake_index.file_url(wheel.name)
    plan = planned(url + "?from=report", hashlib.sha256(wheel.read_bytes()).hexdigest(), name)
    fake_index.delay = 0.2  # the prefetch is still under way when the plan starts
    found = (wheel.name, url) if named else None
    files, downloaded = asyncio.run(
        fetch_all(plan, tmp_path, prefetch=None if named else url, found=found, head_start=0.05)
    )
    assert files[name] is not None
    # Named, the plan waits for the prefetch and takes its verified copy; not named, it
    # cannot know that other URL is its file and downloads it a second time.
    assert downloaded == wheel.stat().st_size * (1 if named else 2)


def test_a_plan_does_not_wait_for_a_search_under_way_and_the_file_comes_once(
    fake_index, unique_name, tmp_path
):
    """The plan names the file while its prefetch still looks for the URL: the plan's
    fetch downloads it at once, and the prefetch then downloads nothing."""
    name = unique_name("searching")
    wheel = fake_index.publish(name, "1.0")
    url = fake_index.file_url(wheel.name)
    plan = planned(url + "?from=report", hashlib.sha256(wheel.read_bytes()).hexdigest(), name)

    async def go():
        async def search() -> str:
            await asyncio.sleep(1.0)
            return url

        async with httpx.AsyncClient() as http:
            artifacts = Artifacts(Client.wrapping(http), tmp_path)
            try:
                artifacts.prefetch_found(wheel.name, search())
                artifacts.start(plan)
                files = await artifacts.wait_all()
                still_searching = not artifacts._prefetches[wheel.name].done()
                await artifacts._prefetches[wheel.name]
                return files, still_searching, artifacts.downloaded_bytes
            finally:
                artifacts.cleanup()

    files, still_searching, downloaded = asyncio.run(go())
    assert files[name] is not None and still_searching  # the plan did not wait for it
    assert downloaded == wheel.stat().st_size  # and, the URL found, nothing more came


def test_prefetch_of_a_known_url_downloads_nothing(fake_index, unique_name, tmp_path):
    name = unique_name("warm")
    wheel = fake_index.publish(name, "1.0")
    url = fake_index.file_url(wheel.name)
    plan = planned(url, hashlib.sha256(wheel.read_bytes()).hexdigest(), name)
    asyncio.run(fetch_all(plan, tmp_path, prefetch=url))
    files, downloaded = asyncio.run(fetch_all(plan, tmp_path, prefetch=url))
    assert downloaded == 0 and files[name] is not None


def test_a_dropped_connection_or_a_gateway_error_is_tried_again(
    fake_index, unique_name, tmp_path, monkeypatch
):
    import spip.index.artifacts

    monkeypatch.setattr(spip.index.artifacts, "RETRY_DELAY", 0)
    wheel = fake_index.publish(unique_name("retry"), "1.0")
    data = wheel.read_bytes()
    answers: list[object] = [httpx.ReadError("dropped"), 503, data]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer)
        return httpx.Response(200, content=answer)

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            artifacts = Artifacts(Client.wrapping(http), tmp_path)
            plan = planned(f"https://files.example/{wheel.name}", hashlib.sha256(data).hexdigest())
            try:
                artifacts.start(plan)
                return await artifacts.wait_all(), artifacts.errors
            finally:
                artifacts.cleanup()

    files, errors = asyncio.run(go())
    assert errors == {} and answers == []  # the third try got the file
    (path,) = files.values()
    assert path is not None


def test_the_local_index_serves_metadata_files_immutable_as_pypis_file_host(
    fake_index, unique_name
):
    # PyPI's file host serves a wheel and its PEP 658 .metadata file with the same
    # cache headers: a warm installer asks nothing again; so must the local index.
    name = unique_name("meta")
    fake_index.publish(name, "1.0")
    wheel = fake_index.file_url(f"{name.replace('-', '_')}-1.0-py3-none-any.whl")
    with httpx.Client() as http:
        heads = [http.get(url).headers for url in (wheel, wheel + ".metadata")]
    assert all("immutable" in h["Cache-Control"] and h.get("ETag") for h in heads)
