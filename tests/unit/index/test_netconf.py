"""pip's network settings as spip reads them, and the client they configure."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from spip.index.errors import ClientSettingsError
from spip.index.http import _patterns, make_client
from spip.index.netconf import NetSettings, net_settings, pip_config


def _conf(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "pip.conf"
    path.write_text(text)
    return {"PIP_CONFIG_FILE": str(path), "XDG_CONFIG_DIRS": str(tmp_path / "none")}


def test_trusted_hosts_from_the_config_the_environment_and_the_command_line(tmp_path):
    env = _conf(tmp_path, "[global]\ntrusted-host = a.example\n    b.example:8443\n")
    assert net_settings({}, env).trusted_hosts == ("a.example", "b.example:8443")
    env["PIP_TRUSTED_HOST"] = "c.example d.example"  # the environment replaces the files
    typed = {"trusted-host": ["e.example"]}  # the command line adds to them
    assert net_settings(typed, env).trusted_hosts == ("c.example", "d.example", "e.example")


def test_install_section_overrides_global_across_files(tmp_path):
    """pip reads every file's [global], then every file's [install]."""
    site = tmp_path / "venv"
    site.mkdir()
    (site / "pip.conf").write_text("[global]\ntimeout = 7\n")
    env = _conf(tmp_path, "[install]\ntimeout = 3\n")
    assert pip_config(env, str(site))["timeout"] == "3"
    assert net_settings({}, env, str(site)).timeout == 3.0


def test_an_existing_pip_config_file_hides_the_users_files(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text("[global]\nproxy = http://user:1/\n")
    monkeypatch.setenv("HOME", str(home))
    env = {"XDG_CONFIG_DIRS": str(tmp_path / "none"), "XDG_CONFIG_HOME": str(home / ".config")}
    assert pip_config(env, None).get("proxy") == "http://user:1/"
    env.update(_conf(tmp_path, "[global]\ntimeout = 1\n"))
    assert "proxy" not in pip_config(env, None)
    assert pip_config({**env, "PIP_CONFIG_FILE": os.devnull}, None) == {}


@pytest.mark.parametrize(
    ("trusted", "patterns"),
    [
        ("h.example", {"https://h.example", "http://h.example"}),
        ("h.example:8443", {"https://h.example:8443", "http://h.example:8443"}),
        ("H.example:443", {"https://h.example:443", "https://h.example", "http://h.example:443"}),
        ("", set()),
    ],
)
def test_trusted_host_patterns(trusted: str, patterns: set[str]):
    assert {p for p, _, _ in _patterns(trusted)} == patterns


def test_only_trusted_hosts_skip_verification():
    client = make_client(NetSettings(trusted_hosts=("t.example",)), environ={}).httpx_client()
    insecure = client._transport_for_url(httpx.URL("https://t.example/simple/"))
    secure = client._transport_for_url(httpx.URL("https://other.example/simple/"))
    assert insecure is not secure
    for transport, verifies in ((insecure, False), (secure, True)):
        context = transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.check_hostname is verifies


def test_a_missing_certificate_is_one_clear_error(tmp_path):
    with pytest.raises(ClientSettingsError, match="cannot use the certificate"):
        make_client(NetSettings(cert=str(tmp_path / "missing.pem")), environ={})
