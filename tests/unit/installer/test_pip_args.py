"""Reading a ``pip install`` command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spip.installer.pip_args import ArgsError, parse, typed_names


def test_parse_keeps_order_and_values():
    p = parse(
        [
            "-qq",
            "-rreq.txt",
            "-e",
            ".",
            "--index-url=http://x",
            "-i",
            "http://y",
            "--target",
            "/t",
            "--user",
            "six",
            "requests[socks]>=2",
        ]
    )
    assert p.requirements == ["six", "requests[socks]>=2"]
    assert p.values("-r") == ["req.txt"]
    assert p.values("-i") == ["http://x", "http://y"]
    assert p.values("-t") == ["/t"]
    assert p.all_tokens[:2] == ["-qq", "-rreq.txt"]


def test_phase2_options_drop_plan_shaping_and_keep_location():
    p = parse(
        [
            "-U",
            "--pre",
            "-c",
            "c.txt",
            "-i",
            "http://x",
            "--target",
            "/t",
            "-v",
            "--force-reinstall",
            "--proxy",
            "http://p:1",
            "six",
        ]
    )
    kept = p.phase2_options(keep_index=False)
    assert kept == ["--pre", "--target", "/t", "-v", "--force-reinstall", "--proxy", "http://p:1"]
    assert "-i" in p.phase2_options(keep_index=True)


def test_option_without_value_is_an_error():
    with pytest.raises(ArgsError):
        parse(["six", "-r"])


def test_typed_names_follow_nested_requirement_files(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("flask>=2  # web\n-e ./local\n")
    (tmp_path / "req.txt").write_text("# top\nrequests \\\n  >=2\n-r sub/more.txt\n-c c.txt\n")
    p = parse(["-r", "req.txt", "six"])
    assert typed_names(p, tmp_path) == ["six", "requests", "flask"]


def test_broken_requirements_file_is_an_args_error(tmp_path: Path):
    with pytest.raises(ArgsError, match="cannot read requirements file"):
        typed_names(parse(["-r", "missing.txt"]), tmp_path)


def test_source_builds_follow_pips_format_control() -> None:
    from spip.installer.pip_args import parse

    assert parse(["x"]).source_builds(["A_b"]) == ({"a-b"}, False)
    assert parse(["--no-binary", "Foo,bar", "--only-binary", "bar"]).source_builds([]) == (
        {"foo"},
        False,
    )
    assert parse(["--no-binary", ":all:"]).source_builds([]) == (set(), True)
    assert parse(["--only-binary", ":none:"]).source_builds([]) == (set(), True)


def test_index_urls_of_the_command_line_and_environment() -> None:
    from spip.installer.pip_args import PYPI_SIMPLE, index_urls, parse

    quiet = {"PIP_CONFIG_FILE": os.devnull}
    assert index_urls(parse(["x"]), quiet, None) == [PYPI_SIMPLE]
    env = {
        **quiet,
        "PIP_INDEX_URL": "http://a/simple",
        "PIP_EXTRA_INDEX_URL": "http://b/ http://c/",
    }
    args = parse(["--extra-index-url", "http://d/", "x"])
    assert index_urls(args, env, None) == ["http://a/simple", "http://b/", "http://c/", "http://d/"]
    assert index_urls(parse(["--no-index", "x"]), env, None) == []
    assert index_urls(parse(["x"]), {**env, "PIP_NO_INDEX": "yes"}, None) == []


def test_index_urls_of_pips_config_files(tmp_path: Path) -> None:
    """A private index set in pip.conf (the user's, or the target venv's) is the index
    pip resolves from: spip asks it about the files pip chose there."""
    from spip.installer.pip_args import index_urls, parse

    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = https://private.example/simple\n"
        "extra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n"
        "[install]\ntrusted-host = private.example\n"
    )
    env = {"PIP_CONFIG_FILE": str(conf), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    urls = index_urls(parse(["x"]), env, None)
    assert urls == [
        "https://private.example/simple",
        "https://a.example/simple",
        "https://b.example/simple",
    ]
    # the command line and the environment still come first, as in pip
    assert index_urls(parse(["-i", "https://typed/simple", "x"]), env, None)[0] == (
        "https://typed/simple"
    )
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pip.conf").write_text("[install]\nno-index = true\n")
    assert index_urls(parse(["x"]), env, str(venv)) == []


def test_install_location_from_pips_settings(tmp_path: Path) -> None:
    from spip.installer.pip_args import parse, with_location_settings

    conf = tmp_path / "pip.conf"
    conf.write_text("[install]\nuser = true\nroot = /chroot\n")
    env = {"PIP_CONFIG_FILE": str(conf), "PIP_TARGET": "/from/env"}
    located = with_location_settings(parse(["x"]), env, None)
    assert located.last("-t") == "/from/env" and located.last("--root") == "/chroot"
    assert located.has("--user") and located.requirements == ["x"]
    typed = with_location_settings(parse(["-t", "/typed", "x"]), env, None)
    assert typed.values("-t") == ["/typed"]  # the command line wins, as in pip
    assert not with_location_settings(parse(["x"]), {"PIP_CONFIG_FILE": os.devnull}, None).options
