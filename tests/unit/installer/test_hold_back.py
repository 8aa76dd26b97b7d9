"""The cooldown's part of pip's command line: --uploaded-prior-to on pip 26+, else constraints."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from spip.installer.base import HoldBack
from spip.installer.pip import hold_back_args
from spip.installer.pip_args import parse, version_limits

CUTOFF = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
HOLD = HoldBack(CUTOFF, {"boto3": ("1.44.9", "1.44.10"), "botocore": ("1.1",)}, everywhere=True)


def test_new_pip_filters_by_upload_time(tmp_path: Path) -> None:
    args = hold_back_args(HOLD, "26.0.1", parse(["boto3"]), tmp_path)
    assert args == ["--uploaded-prior-to", "2026-03-01T12:30:00+00:00"]


def test_old_pip_gets_a_constraints_file(tmp_path: Path) -> None:
    args = hold_back_args(HOLD, "23.2.1", parse(["boto3"]), tmp_path)
    assert args == ["-c", str(tmp_path / "cooldown-constraints.txt")]
    assert Path(args[1]).read_text() == "boto3!=1.44.9,!=1.44.10\nbotocore!=1.1\n"


def test_new_pip_gets_constraints_when_the_cutoff_cannot_apply_everywhere(tmp_path: Path) -> None:
    partial = HoldBack(CUTOFF, HOLD.versions, everywhere=False)
    assert hold_back_args(partial, "26.0", parse(["x"]), tmp_path)[0] == "-c"
    own = parse(["--uploaded-prior-to", "P3D", "x"])  # the user's own cutoff stays theirs
    assert hold_back_args(HOLD, "26.0", own, tmp_path)[0] == "-c"
    assert hold_back_args(HOLD, None, parse(["x"]), tmp_path)[0] == "-c"  # version unknown


def test_pinned_and_constrained_names(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("Foo_Bar==1.0\nloose>=2\n")
    (tmp_path / "c.txt").write_text("constrained===3\nstarred==1.*\n")
    typed = parse(["-r", "r.txt", "-c", "c.txt", "top==2.0", "other"])
    limits = version_limits(typed, tmp_path)
    assert limits.pinned == {"foo-bar", "constrained", "top"}
    assert limits.constrained == {
        "foo-bar",
        "loose",
        "constrained",
        "starred",
        "top",
    }


def test_uv_gets_exclude_newer_or_constraints(tmp_path: Path) -> None:
    from spip.installer.uv import uv_hold_back_args

    assert uv_hold_back_args(HOLD, parse(["x"]), tmp_path) == [
        "--exclude-newer",
        "2026-03-01T12:30:00Z",
    ]
    partial = HoldBack(CUTOFF, HOLD.versions, everywhere=False)
    assert uv_hold_back_args(partial, parse(["x"]), tmp_path)[0] == "-c"
    assert (tmp_path / "cooldown-constraints.txt").read_text().startswith("boto3!=1.44.9")
