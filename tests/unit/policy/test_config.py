"""Settings and their precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from spip.policy.config import ConfigError, load


def test_config_precedence(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    (tmp_path / "cfg" / "spip").mkdir(parents=True)
    (tmp_path / "cfg" / "spip" / "spip.toml").write_text('sensitivity = "high"\nallow = ["a"]\n')
    assert load(cwd=tmp_path, environ={}).sensitivity == "high"
    (tmp_path / "pyproject.toml").write_text('[tool.spip]\nsensitivity = "medium"\n')
    assert load(cwd=tmp_path, environ={}).sensitivity == "medium"
    assert load(cwd=tmp_path, environ={"SPIP_SENSITIVITY": "low"}).sensitivity == "low"
    cli = load({"sensitivity": "high"}, cwd=tmp_path, environ={"SPIP_SENSITIVITY": "low"})
    assert cli.sensitivity == "high" and cli.allow == ("a",)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.spip]\nsensitivity = 'loud'\n", "must be one of"),
        ("[tool.spip]\nsensitvity = 'low'\n", "unknown key"),
        ("[tool.spip\n", "cannot read"),
        ("[tool]\nspip = 3\n", "expected a table"),
    ],
)
def test_bad_config_names_the_file(tmp_path: Path, monkeypatch, toml, message):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    (tmp_path / "pyproject.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load(cwd=tmp_path, environ={})


def test_cooldown_settings(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    monkeypatch.delenv("SPIP_NOW", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.spip]\ncooldown = false\ncooldown-exclude = ["MyCompany_*"]\n'
    )
    config = load(cwd=tmp_path, environ={})
    assert config.cooldown == "false" and not config.cooled("requests")
    on = load({"cooldown": True}, cwd=tmp_path, environ={})
    assert on.cooled("requests") and not on.cooled("mycompany-tools")
    assert load(cwd=tmp_path, environ={"SPIP_COOLDOWN": "strict"}).cooldown == "strict"
    assert not load({"cooldown": True, "fresh_release_hours": 0}, cwd=tmp_path, environ={}).cooled(
        "x"
    )
    with pytest.raises(ConfigError, match="true, false or strict"):
        load(cwd=tmp_path, environ={"SPIP_COOLDOWN": "sometimes"})
    monkeypatch.setenv("SPIP_NOW", "not a time")
    with pytest.raises(ConfigError, match="SPIP_NOW"):
        load(cwd=tmp_path, environ={})
