"""spip's settings: built-in defaults < user ``spip.toml`` < ``[tool.spip]`` in
``./pyproject.toml`` < ``SPIP_*`` environment < command line."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spip.core import clock, toml

SENSITIVITIES = ("low", "medium", "high")
DEFAULT_PYPI_URL = "https://pypi.org"
DEFAULT_OSV_URL = "https://api.osv.dev"


class ConfigError(Exception):
    """A setting has a value spip cannot use; the message names where it came from."""


@dataclass(frozen=True)
class Config:
    sensitivity: str = "low"
    ignore_warning: bool = False
    # ``package`` or ``package:check`` entries a team reviewed and accepts.
    allow: tuple[str, ...] = ()
    pypi_url: str = DEFAULT_PYPI_URL
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    findings_json: Path | None = None
    fresh_release_hours: float = 48.0
    # The cooldown (README, "The cooldown"): "true" holds releases younger than
    # fresh-release-hours back, "false" asks about them, "strict" refuses them.
    cooldown: str = "true"
    # Projects the cooldown leaves alone: globs on PEP 503 names (``mycompany-*``).
    cooldown_exclude: tuple[str, ...] = ()
    # Extra popular names (an internal package list) for the typosquat check.
    hotlist_extra: tuple[str, ...] = ()
    # The OSV API the ``malicious`` check asks (None: the shipped list only).
    osv_url: str | None = DEFAULT_OSV_URL

    def allows(self, package: str, check: str) -> bool:
        """True when ``allow`` accepts findings of ``check`` on ``package`` (PEP 503 names)."""
        from packaging.utils import canonicalize_name

        name = canonicalize_name(package)
        for entry in self.allow:
            pkg, _, chk = entry.partition(":")
            if canonicalize_name(pkg) == name and chk.strip() in ("", check):
                return True
        return False

    @property
    def cooling(self) -> bool:
        """True when the cooldown is on (``cooldown = true`` and a threshold)."""
        return self.cooldown == "true" and self.fresh_release_hours > 0

    def cooldown_cutoff(self) -> datetime | None:
        """Releases uploaded after this are held back (None: the cooldown is off)."""
        if not self.cooling:
            return None
        return clock.now() - timedelta(hours=self.fresh_release_hours)

    def cooled(self, package: str) -> bool:
        """True when the cooldown holds ``package``'s fresh releases back."""
        from fnmatch import fnmatchcase

        from packaging.utils import canonicalize_name

        if not self.cooling:
            return False
        name = canonicalize_name(package)
        return not any(fnmatchcase(name, canonicalize_name(g)) for g in self.cooldown_exclude)


# What each setting means, for people (the generated settings reference, `--help`).
SETTINGS_HELP: dict[str, str] = {
    "sensitivity": "How easily the gate stops: `low`, `medium` or `high` (see the gate).",
    "ignore_warning": "Go on despite findings (they are still printed and written down).",
    "allow": '`"package"` or `"package:check"` entries accepted without a question '
    "(a reviewed false positive).",
    "pypi_url": "Base URL of the PyPI JSON API the checks read (a mirror, a test index).",
    "cache_dir": "spip's history, HTTP cache, verified files and quarantine.",
    "findings_json": "Write the findings document (JSON) to this path.",
    "fresh_release_hours": "A release younger than this many hours is held back by the "
    "cooldown, or `fresh-release` (0 turns both off).",
    "cooldown": "`true`: hold releases younger than `fresh-release-hours` back and install "
    'the newest older one; `false`: ask about them; `"strict"`: refuse them.',
    "cooldown_exclude": "Globs on project names (`mycompany-*`) the cooldown and "
    "`fresh-release` leave alone.",
    "hotlist_extra": "Extra popular names (your internal packages) for `typosquat`.",
    "osv_url": "The OSV API the `malicious` check asks (only names of distributions from the "
    'public PyPI are sent); `osv-url = ""` in a file turns it off.',
}


def _platform_dir(kind: str) -> Path:
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA" if kind == "cache" else "APPDATA")
        root = (
            Path(base) if base else home / "AppData" / ("Local" if kind == "cache" else "Roaming")
        )
        return root / "spip" / ("Cache" if kind == "cache" else "")
    if sys.platform == "darwin":
        sub = "Caches" if kind == "cache" else "Application Support"
        return home / "Library" / sub / "spip"
    var, default = (
        ("XDG_CACHE_HOME", ".cache") if kind == "cache" else ("XDG_CONFIG_HOME", ".config")
    )
    return Path(os.environ.get(var) or home / default) / "spip"


def default_cache_dir() -> Path:
    return _platform_dir("cache")


def user_config_file() -> Path:
    return _platform_dir("config") / "spip.toml"


# key in files / SPIP_* variable suffix -> Config attribute
_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Config)}


def _coerce(attr: str, value: Any, origin: str) -> Any:
    """Check and convert one raw setting; ``origin`` says where it came from for errors."""
    try:
        if attr == "sensitivity":
            value = str(value).strip().lower()
            if value not in SENSITIVITIES:
                raise ValueError(f"must be one of {', '.join(SENSITIVITIES)}")
            return value
        if attr == "ignore_warning":
            return _boolean(value)
        if attr == "cooldown":
            if str(value).strip().lower() == "strict":
                return "strict"
            try:
                return "true" if _boolean(value) else "false"
            except ValueError:
                raise ValueError("must be true, false or strict") from None
        if attr in ("allow", "hotlist_extra", "cooldown_exclude"):
            items = value.replace(",", " ").split() if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError("must be a list of strings")
            return tuple(items)
        if attr == "fresh_release_hours":
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError("must be a number of hours")
            try:
                hours = float(value)
            except ValueError:
                raise ValueError("must be a number of hours") from None
            if not math.isfinite(hours) or hours < 0:
                raise ValueError("must be a finite number of hours, 0 or more")
            return hours
        if attr in ("cache_dir", "findings_json"):
            if not isinstance(value, str | os.PathLike):
                raise ValueError("must be a path")
            text = os.fspath(value)
            if attr == "cache_dir" and not text.strip():
                raise ValueError("must be a folder, not empty")
            return Path(os.path.expanduser(text)) if text else None
        if attr in ("pypi_url", "osv_url"):
            if not isinstance(value, str):
                raise ValueError("must be an http(s) URL")
            url = value.strip().rstrip("/")
            if attr == "osv_url" and not url:
                return None
            if not url.startswith(("http://", "https://")):
                raise ValueError("must be an http(s) URL")
            return url
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    raise AssertionError(attr)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _from_table(table: Any, origin: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{origin}: expected a table of settings")
    out = {}
    for key, value in table.items():
        attr = _KEYS.get(key)
        if attr is None:
            raise ConfigError(f"{origin}: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
        out[attr] = _coerce(attr, value, f"{origin}: {key}")
    return out


def _read_toml(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return toml.load(fh)
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read: it is not UTF-8 text") from None
    except (OSError, toml.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def load(
    cli: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Merge every source of settings; later sources win."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    user_file = user_config_file()
    data = _read_toml(user_file)
    if data is not None:
        merged.update(_from_table(data, str(user_file)))
    project = (cwd or Path.cwd()) / "pyproject.toml"
    data = _read_toml(project)
    if data is not None:
        tool = data.get("tool", {})
        if isinstance(tool, Mapping) and "spip" in tool:
            merged.update(_from_table(tool["spip"], f"{project} [tool.spip]"))
    for key, attr in _KEYS.items():
        var = "SPIP_" + key.replace("-", "_").upper()
        if environ.get(var, "") != "":
            merged[attr] = _coerce(attr, environ[var], var)
    for attr, value in (cli or {}).items():
        if value is not None:
            merged[attr] = _coerce(attr, value, "--" + attr.replace("_", "-"))
    try:
        clock.now()  # a bad SPIP_NOW is a setting error, said once, up front
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return replace(Config(), **merged)
