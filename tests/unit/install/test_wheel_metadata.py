"""A wheel's METADATA, found as installers find it."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

from spip.install.wheel_metadata import wheel_metadata
from tests.fakeindex import build_wheel


def test_the_one_dist_info_folders_metadata(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "demo", "1.0", summary="From the wheel")
    text = asyncio.run(wheel_metadata(wheel))
    assert text is not None and "Summary: From the wheel" in text


def test_two_dist_info_folders_or_none_give_no_metadata(tmp_path: Path) -> None:
    two = build_wheel(
        tmp_path, "demo", "1.0", files={"other-1.0.dist-info/METADATA": "Name: other\n"}
    )
    assert asyncio.run(wheel_metadata(two)) is None
    bare = tmp_path / "bare-1.0-py3-none-any.whl"
    with zipfile.ZipFile(bare, "w") as archive:
        archive.writestr("bare/__init__.py", "")
    assert asyncio.run(wheel_metadata(bare)) is None
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    assert asyncio.run(wheel_metadata(broken)) is None
