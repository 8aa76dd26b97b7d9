"""Unit tests of the core pieces: argument splitting, config precedence, the gate, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spip import gate
from spip.config import Config, ConfigError, load
from spip.findings import Finding, Severity
from spip.pip_args import ArgsError, parse, requirement_name, typed_names
from spip.report import ReportError, parse_report
from spip.sanitize import neutralise


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


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("requests", "requests"),
        ("requests[socks]>=2", "requests"),
        ("pkg @ https://h/pkg.whl", "pkg"),
        ("Django==4; python_version>'3'", "Django"),
        ("./local", None),
        ("dist/x-1.0-py3-none-any.whl", None),
        ("git+https://h/r", None),
        ("https://h/x.tar.gz", None),
    ],
)
def test_requirement_name(text, name):
    assert requirement_name(text) == name


def test_typed_names_follow_nested_requirement_files(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("flask>=2  # web\n-e ./local\n")
    (tmp_path / "req.txt").write_text("# top\nrequests \\\n  >=2\n-r sub/more.txt\n-c c.txt\n")
    p = parse(["-r", "req.txt", "six"])
    assert typed_names(p, tmp_path) == ["six", "requests", "flask"]


def test_broken_requirements_file_is_an_args_error(tmp_path: Path):
    with pytest.raises(ArgsError, match="cannot read requirements file"):
        typed_names(parse(["-r", "missing.txt"]), tmp_path)


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


def _finding(severity: Severity, package: str = "p", check: str = "c") -> Finding:
    return Finding(check, severity, package, "1.0", "msg")


@pytest.mark.parametrize(
    ("sensitivity", "severity", "action"),
    [
        ("low", Severity.LOW, gate.Action.WARN),
        ("low", Severity.MEDIUM, gate.Action.ASK),
        ("low", Severity.HIGH, gate.Action.STOP),
        ("medium", Severity.LOW, gate.Action.ASK),
        ("medium", Severity.MEDIUM, gate.Action.STOP),
        ("medium", Severity.HIGH, gate.Action.STOP),
        ("high", Severity.LOW, gate.Action.STOP),
        ("high", Severity.MEDIUM, gate.Action.STOP),
    ],
)
def test_gate_table(sensitivity, severity, action):
    assert gate.action_for(severity, sensitivity) is action


def test_gate_decisions():
    medium = [_finding(Severity.MEDIUM)]
    assert gate.decide(medium, Config(), None).reason == "no-input"
    assert gate.decide(medium, Config(), lambda f: True).proceed
    assert gate.decide(medium, Config(), lambda f: False).reason == "answered-no"
    assert gate.decide([_finding(Severity.HIGH)], Config(), lambda f: True).reason == "stopped"
    assert gate.decide([_finding(Severity.HIGH)], Config(ignore_warning=True), None).proceed
    assert gate.decide(medium, Config(allow=("P:c",)), None).reason == "clean"
    assert not gate.decide(medium, Config(allow=("p:other",)), None).proceed
    assert gate.decide([_finding(Severity.LOW)], Config(), None).reason == "warned"
    stopped = gate.decide(medium, Config(), None)
    assert '"p:c"' in gate.how_to_go_on(stopped) and "--ignore-warning" in gate.how_to_go_on(
        stopped
    )


def test_report_parsing_and_sources():
    def item(url, **extra):
        return {
            "download_info": {"url": url, **extra.pop("info", {})},
            "metadata": {"name": "Foo_Bar", "version": "1.0"},
            **extra,
        }

    doc = {
        "version": "1",
        "install": [
            item(
                "https://f/foo_bar-1.0-py3-none-any.whl",
                info={"archive_info": {"hashes": {"sha256": "AB"}}},
            ),
            item(
                "https://f/x.tar.gz", is_direct=True, info={"archive_info": {"hash": "sha256=cd"}}
            ),
            item("file:///w/proj", is_direct=True, info={"dir_info": {"editable": True}}),
            item(
                "git+https://g/r",
                is_direct=True,
                info={"vcs_info": {"vcs": "git", "commit_id": "1"}},
            ),
        ],
        "future_field": 1,
    }
    plan = parse_report(json.dumps(doc)).install
    assert [d.source for d in plan] == ["index", "url", "dir", "vcs"]
    assert plan[0].name == "foo-bar" and plan[0].sha256 == "ab" and plan[0].is_wheel
    assert plan[1].sha256 == "cd" and plan[2].editable and plan[2].local_path == "/w/proj"


@pytest.mark.parametrize("text", ["not json", '{"version": "2", "install": []}', "[]"])
def test_bad_report_is_a_report_error(text):
    with pytest.raises(ReportError):
        parse_report(text)


def test_neutralise_escapes_controls_and_shortens():
    assert neutralise("a\x1b[31mred\x07\u202e") == "a\\x1b[31mred\\x07\\u202e"
    assert neutralise("x" * 300, 10) == "x" * 9 + "…"


def test_warm_pip_runs_pips_main_with_the_order(tmp_path):
    from spip.pip_runner import WarmPip

    pip = WarmPip(sys.executable, capture=True)
    pip.go(["config", "get", "global.spip-test-key"], {"PIP_CONFIG_FILE": os.devnull})
    status, _, stderr = pip.wait()
    assert status == 1 and "No such key" in stderr  # pip's own answer, in pip's own process


def test_warm_pip_falls_back_to_plain_pip(tmp_path, monkeypatch):
    from spip.pip_runner import WarmPip

    fake = tmp_path / "pip"  # a "pip" whose internals cannot be imported
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("import sys; print('cold', sys.argv[1:])")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pip = WarmPip(sys.executable, capture=True)
    pip.go(["install", "x"])
    assert pip.wait() == (0, "cold ['install', 'x']\n", "")


def test_unused_warm_pip_is_stopped():
    from spip.pip_runner import WarmPip

    pip = WarmPip(sys.executable)
    pip.cancel()
    assert pip._proc.returncode is not None


def test_phase2_pip_keeps_the_users_stdin(tmp_path):
    """The order goes through a pipe of its own: pip can still ask the user something."""
    internal = tmp_path / "pip" / "_internal"
    (internal / "cli").mkdir(parents=True)
    (internal / "commands").mkdir()
    for package in (tmp_path / "pip", internal, internal / "cli", internal / "commands"):
        (package / "__init__.py").write_text("")
    (internal / "commands" / "install.py").write_text("")
    (internal / "cli" / "main.py").write_text(
        "import sys\ndef main(args):\n    print(args, sys.stdin.read())\n    return 0\n"
    )
    script = (
        "import sys\nfrom spip.pip_runner import WarmPip\n"
        "pip = WarmPip(sys.executable)\npip.go(['install'])\nsys.exit(pip.wait()[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path.cwd()}"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input="answer",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['install'] answer\n"


@pytest.mark.parametrize(
    ("line", "files"),
    [
        (
            "  Obtaining dependency information for p from http://h/files/p-2.0-py3-none-any.whl"
            ".metadata",
            [("http://h/files/p-2.0-py3-none-any.whl", ("p", "2.0", "p-2.0-py3-none-any.whl"))],
        ),
        (
            "Downloading spip_x-1.1.0-py3-none-any.whl.metadata (502 bytes)",
            [
                (
                    "spip_x-1.1.0-py3-none-any.whl",
                    ("spip-x", "1.1.0", "spip_x-1.1.0-py3-none-any.whl"),
                )
            ],
        ),
        (
            "  Downloading http://h/f/foo%2Dx-1.0.tar.gz (3 kB)",
            [("http://h/f/foo%2Dx-1.0.tar.gz", ("foo-x", "1.0", "foo-x-1.0.tar.gz"))],
        ),
        ("Collecting foo>=1", []),
    ],
)
def test_files_pip_names_while_it_resolves(line, files):
    from spip.phases import _FILE, _name_version

    assert [(f, _name_version(f)) for f in _FILE.findall(line)] == files
