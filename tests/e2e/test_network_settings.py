"""spip's own requests go where pip's go, trusting what pip trusts (issue 12, section 4):
an HTTPS index on 127.0.0.1 whose certificate only a test CA vouches for, reached
through pip's ``--trusted-host``, ``--cert``, requests' ``REQUESTS_CA_BUNDLE`` or a
pip.conf naming a private index; and an index that answers pip and not spip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Venv
from tests.fakeindex.server import TLS_CA, FakeIndex

# The machine's certificate settings would decide for pip and spip alike: leave them out.
_CERT_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(scope="module")
def tls_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeIndex]:
    with FakeIndex(tmp_path_factory.mktemp("tlsindex"), tls=True) as index:
        yield index


def _env(spip_env: dict[str, str], index: FakeIndex, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in spip_env.items() if k not in _CERT_VARIABLES}
    return {**env, "PIP_INDEX_URL": index.simple_url, "SPIP_PYPI_URL": index.url, **extra}


def _findings(path: Path) -> list[dict[str, object]]:
    findings: list[dict[str, object]] = json.loads(path.read_text())["findings"]
    return findings


def _serious(path: Path) -> list[dict[str, object]]:
    return [f for f in _findings(path) if f["severity"] in ("MEDIUM", "HIGH")]


def test_trusted_host_covers_spips_requests_too(
    run_spip, venv: Venv, spip_env, tls_index: FakeIndex, unique_name, tmp_path
):
    """pip does not verify a ``--trusted-host``: neither may spip, or every file pip
    fetched there is one spip cannot (today: a MEDIUM "could not get a verified copy")."""
    name = unique_name("trusted")
    tls_index.publish(name, "1.0")
    host = f"127.0.0.1:{tls_index.port}"
    report = tmp_path / "f.json"
    env = _env(spip_env, tls_index)
    result = run_spip("install", "--trusted-host", host, name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.freeze()
    assert _serious(report) == []
    assert not [f for f in _findings(report) if f["check"] == "unverified"], result.stderr
    # spip fetched the file itself, over that connection
    assert any(
        r.path.startswith("/files/") and "spip/" in r.headers.get("user-agent", "")
        for r in tls_index.requests
    )


def test_pip_conf_names_the_private_index_and_trusts_it(
    run_spip, venv: Venv, spip_env, tls_index: FakeIndex, unique_name, tmp_path
):
    """A private index configured the usual way, in pip.conf (no command-line option, no
    ``PIP_INDEX_URL``): spip asks that index about the files pip chose there."""
    name = unique_name("conf")
    tls_index.publish(name, "1.0")
    conf = tmp_path / "pip.conf"
    conf.write_text(
        f"[global]\nindex-url = {tls_index.simple_url}\n"
        f"[install]\ntrusted-host =\n    example.invalid\n    127.0.0.1:{tls_index.port}\n"
    )
    env = _env(spip_env, tls_index, PIP_CONFIG_FILE=str(conf))
    del env["PIP_INDEX_URL"]
    env["SPIP_PYPI_URL"] = "http://127.0.0.1:9"  # no JSON API: the simple page must answer
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.freeze()
    assert _serious(report) == [], result.stderr


@pytest.mark.parametrize("how", ["--cert", "REQUESTS_CA_BUNDLE"])
def test_the_certificates_pip_trusts(
    how: str, run_spip, venv: Venv, spip_env, tls_index: FakeIndex, unique_name, tmp_path
):
    name = unique_name("cert")
    tls_index.publish(name, "1.0")
    report = tmp_path / "f.json"
    if how == "--cert":
        env, options = _env(spip_env, tls_index), ["--cert", str(TLS_CA)]
    else:  # requests reads it for pip; httpx alone would not
        env, options = _env(spip_env, tls_index, REQUESTS_CA_BUNDLE=str(TLS_CA)), []
    result = run_spip("install", *options, name, "--findings-json", report, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{name}==1.0" in venv.freeze()
    assert not [f for f in _findings(report) if f["check"] == "unverified"], result.stderr


def test_an_untrusted_certificate_stops_pip_and_spip_alike(
    run_spip, venv: Venv, spip_env, tls_index: FakeIndex, unique_name
):
    name = unique_name("untrusted")
    tls_index.publish(name, "1.0")
    result = run_spip("install", name, env=_env(spip_env, tls_index))
    assert result.returncode == 1  # pip's own error: it could not reach the index
    assert "Traceback" not in result.stderr
    assert not any(line.startswith(f"{name}==") for line in venv.freeze())


def test_an_index_that_answers_pip_and_not_spip_fails_closed(
    run_spip, venv: Venv, fake_index: FakeIndex, unique_name, tmp_path
):
    """pip resolved from this index; spip's requests to its JSON API get the connection
    closed. What the metadata checks would have learned there is missing for a reason
    spip cannot rule out: MEDIUM ``unverified`` (a question; No with stdin closed)."""
    name = unique_name("shut")
    fake_index.publish(name, "1.0")
    fake_index.drop_json_api_agent = "spip/"
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == 10, result.stderr
    serious = _serious(report)
    assert serious and {f["check"] for f in serious} == {"unverified"}
    assert all("could not be reached" in str(f["message"]) for f in serious), serious
    assert "MEDIUM unverified" in result.stderr
    assert not any(line.startswith(f"{name}==") for line in venv.freeze())
