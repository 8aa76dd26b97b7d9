"""Reading ``uv tool install|run`` (``uvx``) command lines."""

from __future__ import annotations

import pytest

from spip.installer.pip_args import ArgsError
from spip.installer.uv_tool_args import UvToolError, parse


def test_run_splits_options_command_and_its_arguments() -> None:
    with_ = ["--with", "a[x,y],b>=1,<2"]
    args = parse("run", [*with_, "-p", "3.12", "ruff@0.5", "check", "-v"])
    assert (args.package, args.app, args.app_args) == ("ruff==0.5", "ruff", ["check", "-v"])
    assert args.with_specs == ["a[x,y]", "b>=1,<2"]
    assert args.plan_tokens() == []  # --with and --python are the tool's, not the plan's
    assert not args.refresh


def test_run_from_and_latest() -> None:
    args = parse("run", ["--from", "black[d]@latest", "blackd"])
    assert (args.package, args.app, args.refresh) == ("black[d]", "blackd", True)
    assert parse("run", ["--", "x", "--y"]).app_args == ["--y"]


def test_install_keeps_how_to_install_and_plans_the_rest() -> None:
    args = parse("install", ["--force", "-i", "http://ix/simple", "tool", "-w", "x"])
    assert args.specs == ["tool", "x"]
    assert args.install_tokens() == ["--force"]
    assert args.plan_tokens() == ["-i", "http://ix/simple"]


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("install", ["-e", "./proj"]),
        ("install", ["git+https://example.org/x"]),
        ("install", ["x @ https://example.org/x.whl"]),
        ("install", ["--with-requirements", "r.txt", "x"]),
        ("run", ["./script.py"]),
        ("run", ["--env-file", ".env", "x"]),
    ],
)
def test_what_no_pin_stands_for_is_refused(command: str, args: list[str]) -> None:
    with pytest.raises(UvToolError):
        parse(command, args)


@pytest.mark.parametrize(
    ("command", "args"), [("install", []), ("install", ["a", "b"]), ("run", [])]
)
def test_usage_errors(command: str, args: list[str]) -> None:
    with pytest.raises(ArgsError):
        parse(command, args)
