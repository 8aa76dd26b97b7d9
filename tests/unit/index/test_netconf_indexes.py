"""The indexes pip looks in, as ``net_settings`` merges them (index-confusion needs them)."""

from __future__ import annotations

from pathlib import Path

from spip.index.netconf import PIP_DEFAULT_INDEX, net_settings


def test_pip_default_index_alone() -> None:
    assert net_settings({}, environ={"PIP_CONFIG_FILE": "/dev/null"}).indexes == (
        PIP_DEFAULT_INDEX,
    )


def test_files_environment_and_command_line(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = https://mirror/simple\n"
        "extra-index-url =\n    https://a/simple\n    https://b/simple\n"
    )
    environ = {
        "PIP_CONFIG_FILE": str(conf),
        "HOME": str(tmp_path),
        "XDG_CONFIG_DIRS": str(tmp_path),
    }
    from_files = net_settings({}, environ=environ).indexes
    assert from_files == ("https://mirror/simple", "https://a/simple", "https://b/simple")
    environ["PIP_EXTRA_INDEX_URL"] = "https://c/simple"  # replaces the files' extra ones
    typed = {"index-url": ["https://typed/simple"], "extra-index-url": ["https://d/simple"]}
    assert net_settings(typed, environ=environ).indexes == (
        "https://typed/simple",
        "https://c/simple",
        "https://d/simple",  # typed extra ones are added to the configured ones, as pip does
    )
    assert net_settings({"no-index": ["1"]}, environ=environ).indexes == ()
