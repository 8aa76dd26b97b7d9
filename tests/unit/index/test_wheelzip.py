"""Reading wheels and sdists from disk and over real HTTP, with and without range requests.

The bytes-read figures are printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from spip.index.http import Client
from spip.index.wheelzip import (
    MEMBER_LIMIT,
    TAIL,
    ArchiveError,
    Budget,
    ByteCapExceeded,
    UnsafeArchive,
    Wheel,
    destination,
    open_wheel,
    read_sdist,
    verify_wheel,
)
from tests.fakeindex import FakeIndex, LoggedRequest, build_wheel
from tests.fakeindex.wheels import RawMember, craft_zip

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
        async with httpx.AsyncClient() as http:
            wheel = await open_wheel(location, budget or Budget(), Client.wrapping(http))
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


@pytest.mark.parametrize("mode", ["refuse", "wrong-range", "truncate", "416"])
def test_a_server_that_botches_ranges_gets_one_whole_download(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path, mode: str
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    fake_index.set_range_mode(mode, path.name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    async def go() -> tuple[Wheel, dict]:
        async with httpx.AsyncClient() as http:
            client = Client.wrapping(http)
            wheel = await open_wheel(fake_index.file_url(path.name), Budget(), client, digest)
            entry_points = next(n for n in wheel.names if n.endswith("entry_points.txt"))
            return wheel, await wheel.read(["evil.pth", entry_points])

    wheel, members = asyncio.run(go())
    assert members["evil.pth"] == PTH and len(wheel.names) == 205
    assert not wheel.used_ranges
    whole = [r for r in _reads_of(fake_index, path) if not r.headers.get("range")]
    assert len(whole) <= 1  # one whole download at most (a 200 to a range is kept)


def test_a_whole_download_must_match_the_index_sha256(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    fake_index.set_range_mode("refuse", path.name)

    async def go() -> Wheel:
        async with httpx.AsyncClient() as http:
            client = Client.wrapping(http)
            return await open_wheel(fake_index.file_url(path.name), Budget(), client, "0" * 64)

    with pytest.raises(ArchiveError, match="sha256"):
        asyncio.run(go())


def test_ranged_reads_are_capped_per_release(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    path = _published(fake_index, unique_name, tmp_path)
    budget = Budget(cap=TAIL + TAIL // 2)
    _read(fake_index.file_url(path.name), budget)
    with pytest.raises(ByteCapExceeded, match="per release"):
        _read(fake_index.file_url(path.name), budget)


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
    with pytest.raises(ArchiveError):
        verify_wheel(path)


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
        async with httpx.AsyncClient() as http:
            client = Client.wrapping(http)
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


# ---- member names as pip's installer reads them, and zips that must not be installed ----


@pytest.mark.parametrize(
    ("name", "dest"),
    [
        ("x.pth", ("lib", "x.pth")),
        ("pkg/../x.pth", ("lib", "x.pth")),
        ("./x.pth", ("lib", "x.pth")),
        ("pkg//../x.pth", ("lib", "x.pth")),
        ("pkg\\..\\x.pth", ("lib", "pkg\\..\\x.pth")),  # a backslash is a letter on POSIX
        ("d-1.data/purelib/./x.pth", ("purelib", "x.pth")),
        ("d-1.data//platlib/x.pth", ("platlib", "x.pth")),
        ("d-1.data/purelib/../platlib/x.pth", ("platlib", "x.pth")),
        (
            "d-1.data/data/lib/python3.12/site-packages/../site-packages/x.pth",
            ("data", "lib/python3.12/site-packages/x.pth"),
        ),
        ("./d-1.data/purelib/x.pth", ("lib", "d-1.data/purelib/x.pth")),  # pip: not a scheme
        ("pkg/", None),
    ],
)
def test_destination_is_pips(name: str, dest: tuple[str, str] | None) -> None:
    assert destination(name) == dest


@pytest.mark.parametrize(
    "name",
    ["../x.pth", "/etc/x.pth", "//x.pth", "pkg/../../x.pth", "pkg/..", "d-1.data/../x.pth",
     "d-1.data/nowhere/x.pth", "d-1.data/purelib/../../x.pth"],
)  # fmt: skip
def test_destinations_pip_refuses_mid_install(name: str) -> None:
    with pytest.raises(UnsafeArchive):
        destination(name)


def _opened(path: Path) -> Wheel:
    return asyncio.run(open_wheel(path))


def test_duplicate_members_are_refused(tmp_path: Path) -> None:
    same = craft_zip(tmp_path / "a.whl", [RawMember("x.pth", b"/a\n"), RawMember("x.pth", b"b")])
    with pytest.raises(UnsafeArchive, match="two members"):
        _opened(same)
    landing = craft_zip(tmp_path / "b.whl", [RawMember("x.pth", b"/a"), RawMember("./x.pth", b"")])
    with pytest.raises(UnsafeArchive, match="two members"):
        _opened(landing)


def test_a_local_header_that_disagrees_is_refused(tmp_path: Path) -> None:
    path = craft_zip(tmp_path / "a.whl", [RawMember("x.py", b"", local_name="x.pth")])
    _opened(path).close()  # the file list alone looks fine
    with pytest.raises(UnsafeArchive, match="local header"):
        verify_wheel(path)


def test_damaged_data_is_refused(tmp_path: Path) -> None:
    path = craft_zip(tmp_path / "a.whl", [RawMember("x.pth", b"import os\n", bad_crc=True)])
    with pytest.raises(UnsafeArchive, match="damaged"):
        verify_wheel(path)
    wheel = _opened(path)
    with pytest.raises(UnsafeArchive, match="damaged"):
        asyncio.run(wheel.read(["x.pth"]))


def test_trailing_data_and_traversal_are_refused(tmp_path: Path) -> None:
    path = craft_zip(tmp_path / "a.whl", [RawMember("x.pth", b"/a\n")])
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(ArchiveError):
        _opened(path)
    evil = craft_zip(tmp_path / "b.whl", [RawMember("../../bin/python", b"#!/bin/sh\n")])
    with pytest.raises(UnsafeArchive, match="outside its folder"):
        _opened(evil)


def test_a_member_over_the_read_limit_is_an_error(tmp_path: Path) -> None:
    path = craft_zip(tmp_path / "a.whl", [RawMember("x.pth", b"#" * (MEMBER_LIMIT + 1))])
    verify_wheel(path)  # a sound zip ...
    with pytest.raises(ArchiveError, match="over the"):
        asyncio.run(_opened(path).read(["x.pth"]))  # ... whose .pth spip cannot inspect


def test_a_central_directory_padded_to_24_mb_is_streamed(tmp_path: Path) -> None:
    """Padding (entry comments) beyond any in-memory cap: read, with bounded memory."""
    import tracemalloc

    pad = [RawMember(f"pad/{i}", b"", comment=b"P" * 65_000) for i in range(380)]
    path = craft_zip(tmp_path / "a.whl", [*pad, RawMember("evil.pth", PTH)])
    assert path.stat().st_size > 24_000_000
    tracemalloc.start()
    wheel = _opened(path)
    verify_wheel(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert asyncio.run(wheel.read(["evil.pth"])) == {"evil.pth": PTH}
    assert peak < 8_000_000, peak
