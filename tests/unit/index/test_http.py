"""The HTTP client: made at its first request, at once for settings that may be wrong,
and what closing a made one needs is loaded before the close."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spip.index.errors import ClientSettingsError
from spip.index.http import make_client
from spip.index.netconf import NetSettings

# A run whose documents were all cached: what it imports and what its close imports.
SCRIPT = """
import asyncio, sys
from spip.index.http import make_client
from spip.index.netconf import NetSettings

async def main():
    environ = {"HTTPS_PROXY": "http://127.0.0.1:9"} if sys.argv[1] != "plain" else {}
    client = make_client(NetSettings(), environ)
    if sys.argv[1] == "load":
        client.load_closing()
    made = "httpx" in sys.modules
    before = set(sys.modules)
    await client.aclose()
    closing = sorted(m for m in set(sys.modules) - before if m.startswith(("anyio", "httpx")))
    print(made, closing)

asyncio.run(main())
"""


def unused_client(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_a_client_no_request_needed_imports_no_http_stack():
    assert unused_client("plain") == "False []"


def test_a_client_made_at_once_closes_with_nothing_to_import_once_load_closing_ran():
    assert unused_client("load") == "True []"
    made, closing = unused_client("no").split(" ", 1)
    assert made == "True" and "anyio._backends._asyncio" in closing  # what load_closing spares


def test_settings_that_may_be_wrong_make_the_client_at_once(tmp_path, monkeypatch):
    assert not make_client(NetSettings(), environ={}).made
    assert not make_client(NetSettings(trusted_hosts=("t.example",)), environ={}).made
    assert not make_client(NetSettings(), environ={"NO_PROXY": "example.org"}).made
    assert make_client(NetSettings(), environ={"https_proxy": "http://127.0.0.1:9"}).made
    assert make_client(NetSettings(proxy="http://127.0.0.1:9"), environ={}).made
    monkeypatch.setenv("HTTPS_PROXY", "http://host:port:x")  # httpx reads the environment
    with pytest.raises(ClientSettingsError, match="cannot use the proxy settings"):
        make_client(NetSettings())
    with pytest.raises(ClientSettingsError, match="cannot use the certificate"):
        make_client(NetSettings(), environ={"REQUESTS_CA_BUNDLE": str(tmp_path / "none.pem")})


def test_the_first_request_makes_the_client(fake_index):
    import asyncio

    async def go() -> tuple[bool, int, bool]:
        async with make_client(NetSettings(timeout=5.0), environ={}) as client:
            before = client.made
            answer = await client.get(fake_index.url + "/simple/")
            return before, answer.status_code, client.made

    assert asyncio.run(go()) == (False, 200, True)
    assert make_client(NetSettings(timeout=7.0), environ={}).deadline == 7.0


def test_requests_beyond_the_connections_wait_in_spips_client_not_in_httpcores_pool(
    fake_index,
):
    import asyncio

    from spip.index.http import MAX_CONNECTIONS

    fake_index.delay = 0.05
    seen: list[int] = []  # requests in httpcore's pool (served or queued), sampled

    async def go() -> list[int]:
        async with make_client(NetSettings(timeout=30.0), environ={}) as client:
            pool = client.httpx_client()._transport._pool  # type: ignore[attr-defined]

            async def one(i: int) -> int:  # plain requests and streamed ones
                if i % 2:
                    return (await client.get(fake_index.url + "/simple/")).status_code
                async with client.stream("GET", fake_index.url + "/simple/") as response:
                    await response.aread()
                    return response.status_code

            async def sample() -> None:
                while True:
                    seen.append(len(pool._requests))
                    await asyncio.sleep(0.005)

            sampler = asyncio.ensure_future(sample())
            try:
                return await asyncio.gather(*(one(i) for i in range(3 * MAX_CONNECTIONS)))
            finally:
                sampler.cancel()

    assert asyncio.run(go()) == [200] * (3 * MAX_CONNECTIONS)
    assert max(seen) == MAX_CONNECTIONS  # not 3 * MAX_CONNECTIONS: the rest wait in spip
    assert fake_index.peak_in_flight == MAX_CONNECTIONS


def test_a_made_client_does_not_import_trio_where_it_is_installed(tmp_path):
    """httpcore imports trio whenever it can (~55-100 ms); spip's event loop is asyncio's."""
    marker = tmp_path / "imported"
    (tmp_path / "trio").mkdir()
    (tmp_path / "trio" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import trio; import importlib; "
        "del sys.modules['trio']; import os; os.remove(sys.argv[2]); "
        "from spip.index.http import make_client; from spip.index.netconf import NetSettings; "
        "make_client(NetSettings(), {}).httpx_client(); import httpcore; print(httpcore.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(marker)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "httpcore"
    assert not marker.exists()  # the stand-in trio, importable, was not imported
