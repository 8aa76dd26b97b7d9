"""pip's configuration as pip reads it (its config files, ``PIP_*`` variables), in one
place: the network settings pip would use (proxy, certificates, trusted hosts, timeout),
so spip's own requests go the same way as pip's and give up as soon as pip would; the
indexes pip resolves from; and pip's flags spip must honour too (``no-input``).

Precedence as in pip: command line > ``PIP_*`` environment > pip's config files, where a
list option (``trusted-host``) takes the command line's values after the others'.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec

PIP_DEFAULT_TIMEOUT = 15.0


class NetSettings(msgspec.Struct, frozen=True):
    proxy: str | None = None
    cert: str | None = None
    client_cert: str | None = None
    timeout: float = PIP_DEFAULT_TIMEOUT
    # ``host`` or ``host:port``: no certificate check there, as pip's ``--trusted-host``.
    trusted_hosts: tuple[str, ...] = ()


def _pip_config_files(environ: Mapping[str, str], prefix: str | None) -> list[Path]:
    """pip's config files, lowest priority first: global, user (skipped when
    ``PIP_CONFIG_FILE`` names a file that exists), site (``prefix``), ``PIP_CONFIG_FILE``."""
    named = environ.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []
    files: list[Path] = []
    if sys.platform == "win32":
        files.append(Path(os.environ.get("PROGRAMDATA", "C:\\ProgramData")) / "pip" / "pip.ini")
        appdata = Path(environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
        user = [Path.home() / "pip" / "pip.ini", appdata / "pip" / "pip.ini"]
        name = "pip.ini"
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
        files += [Path(d) / "pip" / "pip.conf" for d in xdg_dirs] + [Path("/etc/pip.conf")]
        xdg_home = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        user = [Path.home() / ".pip" / "pip.conf", xdg_home / "pip" / "pip.conf"]
        if sys.platform == "darwin":
            user.append(Path.home() / "Library" / "Application Support" / "pip" / "pip.conf")
        name = "pip.conf"
    if not (named and os.path.exists(named)):
        files += user
    if prefix:
        files.append(Path(prefix) / name)
    if named:
        files.append(Path(named))
    return files


def pip_config(environ: Mapping[str, str], prefix: str | None) -> dict[str, str]:
    """The ``[global]`` and ``[install]`` settings of pip's config files, merged as pip
    merges them: every file's ``[global]``, then every file's ``[install]``."""
    parsers: list[configparser.RawConfigParser] = []
    for path in _pip_config_files(environ, prefix):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error, UnicodeDecodeError):
            continue  # pip itself reports a broken config file when it runs
        parsers.append(parser)
    values: dict[str, str] = {}
    for section in ("global", "install"):
        for parser in parsers:
            if parser.has_section(section):
                values.update({k.replace("_", "-"): v for k, v in parser.items(section)})
    return values


def _env_var(key: str) -> str:
    return "PIP_" + key.upper().replace("-", "_")


def pip_setting(key: str, environ: Mapping[str, str], prefix: str | None) -> str | None:
    """One of pip's settings (``index-url``) as pip would take it when the command line
    does not give it: ``PIP_INDEX_URL``, else pip's config files; None when unset."""
    value = environ.get(_env_var(key))
    if value is None:
        value = pip_config(environ, prefix).get(key)
    return value.strip() if value and value.strip() else None


def pip_list_setting(
    key: str, environ: Mapping[str, str], prefix: str | None, typed: Sequence[str] = ()
) -> list[str]:
    """A list setting of pip (``extra-index-url``, ``trusted-host``): the environment's or
    config files' whitespace-separated values, then those ``typed`` on the command line."""
    return [*(pip_setting(key, environ, prefix) or "").split(), *typed]


_FALSE = ("", "0", "false", "no", "off")


def pip_flag(key: str, environ: Mapping[str, str], prefix: str | None) -> bool:
    """A yes/no setting of pip (``no-input``): ``PIP_NO_INPUT``, else pip's files."""
    return (pip_setting(key, environ, prefix) or "").lower() not in _FALSE


def net_settings(
    pip_options: Mapping[str, Sequence[str]],
    environ: Mapping[str, str] | None = None,
    prefix: str | None = None,
) -> NetSettings:
    """Merge pip's network options.

    ``pip_options`` maps long option names (``proxy``, ``cert``, ``client-cert``,
    ``timeout``, ``trusted-host``) to the values given on the command line;
    ``prefix`` is the target environment, whose ``pip.conf`` pip also reads.
    """
    environ = os.environ if environ is None else environ
    merged = pip_config(environ, prefix)
    for key in ("proxy", "cert", "client-cert", "timeout", "default-timeout"):
        if environ.get(_env_var(key)):
            merged[key] = environ[_env_var(key)]
    for key, values in pip_options.items():
        if values and key != "trusted-host":
            merged[key] = values[-1]
    timeout_text = merged.get("timeout") or merged.get("default-timeout")
    typed_hosts = pip_options.get("trusted-host", ())
    try:
        timeout = float(timeout_text) if timeout_text else PIP_DEFAULT_TIMEOUT
    except ValueError:
        timeout = PIP_DEFAULT_TIMEOUT
    return NetSettings(
        proxy=merged.get("proxy") or None,
        cert=merged.get("cert") or None,
        client_cert=merged.get("client-cert") or None,
        timeout=timeout,
        trusted_hosts=tuple(pip_list_setting("trusted-host", environ, prefix, typed_hosts)),
    )
