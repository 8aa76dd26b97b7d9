"""Reading wheels and sdists from disk and over real HTTP, with and without range requests.

The bytes-read figures are printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from spip.index.wheelzip import (
    TAIL,
    ArchiveError,
    Budget,
    ByteCapExceeded,
    Wheel,
    open_wheel,
    read_sdist,
)
from tests.fakeindex import FakeIndex, LoggedRequest, build_wheel

PTH = b"import os; os.system('echo pwned')\n"


def _noise(n: int) -> str:
    """Incompressible text, so a wheel's size is what it looks like."""
    return os.urandom(n // 2).hex()


def big_wheel(dest: Path, name: str, *, modules: int = 200, module_size: int = 6000) -> Path:
    """A wheel of about ``modules * module_size / 2`` bytes whose .pth comes first in the zip."""
    files = {"evil.pth": PTH}
    files |= {f"{name.replace('-', '_')}/m{i}.py": _noise(module_size) for i in range(modules)}
    return build_wheel(
        dest, name, "1.0", files=files, entry_points={"console_scripts": {"demo": "demo:main"}}
    )


def _read(location: Path | str, budget: Budget | None = None) -> tuple[Wheel, dict]:
    async def go() -> tuple[Wheel, dict]:
        async with httpx.AsyncClient() as client:
            wheel = await open_wheel(location, budget or Budget(), client)
            entry_points = next(n for n in wheel.names if n.endswith("entry_points.txt"))
            return wheel, await wheel.read(["evil.pth", entry_points])

    return asyncio.run(go())


def _published(fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path) -> Path:
    wheel = big_wheel(tmp_path, unique_name())
    fake_index.add(wheel)
    return wheel


def test_local_wheel_reads_only_the_tail_and_the_member(tmp_path: Path) -> None:
    path = big_wheel(tmp_path, "demo")
    wheel, members = _read(path)
    assert members["evil.pth"] == PTH
    assert b"demo = demo:main" in members[next(k for k in members if k != "evil.pth")]
    assert "evil.pth" in wheel.names and len(wheel.names) == 205  # + METADATA, WHEEL, ...
    size = path.stat().st_size
    assert wheel.bytes_read < TAIL + 4096 < size
    print(f"\nlocal wheel of {size} bytes: {wheel.bytes_read} bytes read")


def _reads_of(index: FakeIndex, path: Path) -> list[LoggedRequest]:
    """The requests for this file (the index is shared with other tests of the worker)."""
    return [r for r in index.requests if r.path.endswith("/" + path.name)]


def test_remote_wheel_with_ranges(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    wheel, members = _read(fake_index.file_url(path.name))
    assert members["evil.pth"] == PTH
    size = path.stat().st_size
    assert wheel.used_ranges and wheel.bytes_read < TAIL + 4096 < size
    reads = _reads_of(fake_index, path)
    ranges = [r.headers.get("range") for r in reads]
    assert ranges[0] == f"bytes=-{TAIL}" and len(ranges) == 2  # the tail, then the .pth
    assert all(r.status == 206 for r in reads)
    print(
        f"\nremote wheel of {size} bytes with ranges: {wheel.bytes_read} bytes read "
        f"in {len(ranges)} requests"
    )


def test_remote_wheel_without_ranges(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    fake_index.no_ranges = True
    wheel, members = _read(fake_index.file_url(path.name))
    assert members["evil.pth"] == PTH
    size = path.stat().st_size
    assert not wheel.used_ranges and wheel.bytes_read == size
    assert len(_reads_of(fake_index, path)) == 1  # the full body, nothing more
    print(f"\nremote wheel of {size} bytes without ranges: {wheel.bytes_read} bytes read")


def test_cap_hit_without_ranges_says_so(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    fake_index.no_ranges = True
    with pytest.raises(ByteCapExceeded, match="per release"):
        _read(fake_index.file_url(path.name), Budget(cap=100_000))


def test_the_budget_is_shared_by_the_files_of_a_release(tmp_path: Path) -> None:
    path = big_wheel(tmp_path, "demo")
    budget = Budget(cap=TAIL + TAIL // 2)
    _read(path, budget)
    with pytest.raises(ByteCapExceeded):
        _read(path, budget)


def test_central_directory_larger_than_the_tail(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    name = unique_name()
    files = {f"{name.replace('-', '_')}/module_{i:05d}.py": "" for i in range(3000)}
    path = build_wheel(
        tmp_path,
        name,
        "1.0",
        files={**files, "evil.pth": PTH},
        entry_points={"console_scripts": {"x": "y:z"}},
    )
    fake_index.add(path)
    wheel, members = _read(fake_index.file_url(path.name))
    assert len(wheel.names) == 3005 and members["evil.pth"] == PTH
    assert wheel.bytes_read < path.stat().st_size * 1.1


def test_zip64_wheel(tmp_path: Path) -> None:
    """Members written with zip64 extra fields, and a zip64 end record (over 65,535 entries)."""
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(65_600):
            zf.writestr(f"d/{i}", b"")
        with zf.open("evil.pth", "w", force_zip64=True) as fh:
            fh.write(PTH)
        zf.writestr("demo-1.0.dist-info/entry_points.txt", b"[console_scripts]\ndemo = d:m\n")
    wheel, members = _read(path)
    assert len(wheel.names) == 65_602 and members["evil.pth"] == PTH


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(b"this is not a zip file" * 100)
    with pytest.raises(ArchiveError, match="not a readable wheel"):
        _read(path)


def test_missing_remote_file(fake_index: FakeIndex) -> None:
    with pytest.raises(ArchiveError, match="HTTP 404"):
        _read(fake_index.file_url("nothing-1.0-py3-none-any.whl"))


def _sdist(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_sdist_tar_gz_local_and_remote(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    name = unique_name()
    path = fake_index.publish(name, "1.0", sdist=True)

    async def go() -> list:
        async with httpx.AsyncClient() as client:
            return [
                await read_sdist(path, Budget()),
                await read_sdist(fake_index.file_url(path.name), Budget(), client),
            ]

    for sdist in asyncio.run(go()):
        assert {"setup.py", "pyproject.toml", "PKG-INFO"} <= set(sdist.names)
        assert b"setup(" in sdist.files["setup.py"]
        assert b"build-backend" in sdist.files["pyproject.toml"]
        assert sdist.bytes_read == path.stat().st_size


def test_sdist_zip(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo-1.0/setup.py", b"print('hi')\n")
        zf.writestr("demo-1.0/demo/__init__.py", b"")
    sdist = asyncio.run(read_sdist(path, Budget()))
    assert sdist.names == ["setup.py", "demo/__init__.py"]
    assert sdist.files == {"setup.py": b"print('hi')\n"}


def test_sdist_gzip_bomb_is_refused(tmp_path: Path) -> None:
    path = _sdist(tmp_path / "demo-1.0.tar.gz", {"demo-1.0/zeros": bytes(64 * 1024 * 1024)})
    assert path.stat().st_size < 200_000
    with pytest.raises(ByteCapExceeded, match="implausible"):
        asyncio.run(read_sdist(path, Budget()))


def test_sdist_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar archive at all" * 40))
    with pytest.raises(ArchiveError):
        asyncio.run(read_sdist(path, Budget()))
