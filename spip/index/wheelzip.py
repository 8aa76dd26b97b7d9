"""Read a wheel's file list and a few of its members, from disk or over HTTP.

A wheel is a zip whose central directory (the file list) sits at its end, so
over HTTP one range request for the tail gives the file list and small ranges
give the members wanted (a ``.pth``, ``entry_points.txt``): the whole wheel is
never downloaded where the server honours ``Range``. A server that answers 200
instead of 206 gets a full download, capped. Every file read for one release
shares a :class:`Budget`, whose cap says when to give up.

The zip itself is parsed by :mod:`zipfile`, over a sparse in-memory view of the
file that asks for a range whenever zipfile reads bytes not fetched yet.

Sdists (``.tar.gz``, ``.zip``) are read whole (capped): they are small, and
tar has no index.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    import httpx

DEFAULT_CAP = 20 * 1024 * 1024  # bytes read per release, ranges or not
TAIL = 64 * 1024  # first request: enough for the central directory of most wheels
MEMBER_LIMIT = 1024 * 1024  # uncompressed bytes read of one member
_MERGE_GAP = 16 * 1024  # fetch two wanted ranges at once when this close
_MAX_ROUNDS = 8  # round trips one zipfile operation may need
_SDIST_INFLATE = 20  # decompressed sdist bytes allowed per compressed byte


class ArchiveError(Exception):
    """The archive could not be read: not a zip/tar, truncated, or the server failed."""


class ByteCapExceeded(ArchiveError):
    """Reading would take more bytes than the release's cap allows."""


@dataclass
class Budget:
    """The bytes spip may read for one release, shared by every file read for it."""

    cap: int = DEFAULT_CAP
    used: int = 0

    def spend(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.cap:
            raise ByteCapExceeded(
                f"reading {what} needs more than the {self.cap // (1024 * 1024)} MB "
                "spip reads per release (the server does not allow range requests, "
                "or the file is very large)"
            )


class _Source(Protocol):
    label: str
    size: int
    bytes_read: int
    ranges: bool

    async def open(self) -> tuple[int, bytes]: ...

    async def fetch(self, start: int, end: int) -> tuple[int, bytes]: ...

    async def full(self) -> bytes: ...


class _LocalSource:
    """A file on disk; reads only the ranges asked for."""

    ranges = True

    def __init__(self, path: Path, budget: Budget) -> None:
        self.path, self.label, self._budget = path, path.name, budget
        self.bytes_read = 0
        try:
            self.size = path.stat().st_size
        except OSError as exc:
            raise ArchiveError(f"cannot read {path}: {exc.strerror}") from None

    async def open(self) -> tuple[int, bytes]:
        start = max(0, self.size - TAIL)
        return await self.fetch(start, self.size)

    async def full(self) -> bytes:
        return (await self.fetch(0, self.size))[1]

    async def fetch(self, start: int, end: int) -> tuple[int, bytes]:
        self._budget.spend(end - start, self.label)
        try:
            with self.path.open("rb") as fh:
                fh.seek(start)
                data = fh.read(end - start)
        except OSError as exc:
            raise ArchiveError(f"cannot read {self.path}: {exc.strerror}") from None
        self.bytes_read += len(data)
        return start, data


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


class _RemoteSource:
    """A file behind an HTTP URL: range requests, or one capped full download."""

    def __init__(self, url: str, client: httpx.AsyncClient, budget: Budget) -> None:
        self.url, self._client, self._budget = url, client, budget
        self.label = neutralise(url.rsplit("/", 1)[-1].split("#", 1)[0], 120)
        self.size = -1
        self.bytes_read = 0
        self.ranges = True

    async def open(self) -> tuple[int, bytes]:
        return await self._get(f"bytes=-{TAIL}")

    async def fetch(self, start: int, end: int) -> tuple[int, bytes]:
        return await self._get(f"bytes={start}-{end - 1}")

    async def full(self) -> bytes:
        return (await self._get(None))[1]

    async def _get(self, byte_range: str | None) -> tuple[int, bytes]:
        import httpx

        headers = {"Accept-Encoding": "identity"}
        if byte_range and self.ranges:
            headers["Range"] = byte_range
        try:
            async with self._client.stream("GET", self.url, headers=headers) as response:
                if response.status_code == 416 and "Range" in headers:
                    self.ranges = False  # e.g. a suffix range on a tiny file: take it whole
                elif response.status_code in (200, 206):
                    return await self._body(response)
                else:
                    raise ArchiveError(f"HTTP {response.status_code} for {self.label}")
        except httpx.HTTPError as exc:
            raise ArchiveError(f"{type(exc).__name__} while reading {self.label}") from None
        return await self._get(None)

    async def _body(self, response: httpx.Response) -> tuple[int, bytes]:
        start = 0
        if response.status_code == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if not match:
                raise ArchiveError(f"unusable Content-Range from the server for {self.label}")
            start, self.size = int(match[1]), int(match[3])
        else:
            self.ranges = False
        chunks = []
        async for chunk in response.aiter_raw():
            self._budget.spend(len(chunk), self.label)
            self.bytes_read += len(chunk)
            chunks.append(chunk)
        data = b"".join(chunks)
        if response.status_code == 200:
            self.size = len(data)
        return start, data


class _Missing(Exception):
    """zipfile asked for bytes not fetched yet (deliberately not an OSError)."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start, self.end = start, end


class _Sparse:
    """A read-only file object over the fetched ranges of a file of known size."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = []

    def add(self, start: int, data: bytes) -> None:
        self._chunks.append((start, data))

    def has(self, start: int, end: int) -> bool:
        return any(s <= start and end <= s + len(d) for s, d in self._chunks)

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = offset + (0, self._pos, self.size)[whence]
        if pos < 0:
            raise OSError("negative seek")
        self._pos = pos
        return pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self._pos + n)
        if end <= self._pos:
            return b""
        for s, data in self._chunks:
            if s <= self._pos and end <= s + len(data):
                out = data[self._pos - s : end - s]
                self._pos = end
                return out
        raise _Missing(self._pos, end)


@dataclass
class Wheel:
    """An opened wheel: its file list, and :meth:`read` for a few members."""

    source: _Source
    zf: zipfile.ZipFile
    _sparse: _Sparse = field(repr=False)

    @property
    def names(self) -> list[str]:
        return self.zf.namelist()

    @property
    def bytes_read(self) -> int:
        return self.source.bytes_read

    @property
    def used_ranges(self) -> bool:
        """False when the server refused range requests (the whole file was read)."""
        return self.source.ranges

    async def read(self, names: Iterable[str]) -> dict[str, bytes | None]:
        """The members' contents (at most :data:`MEMBER_LIMIT` bytes each, else None)."""
        infos = [self.zf.getinfo(n) for n in names]
        wanted = [i for i in infos if i.file_size <= MEMBER_LIMIT]
        await _prefetch(self.source, self._sparse, [_extent(i) for i in wanted])
        out: dict[str, bytes | None] = {i.filename: None for i in infos}
        for info in wanted:
            out[info.filename] = await _retrying(
                self.source, self._sparse, functools.partial(self.zf.read, info)
            )
        return out


def _extent(info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where a member's local header and data lie (the local extra field is guessed)."""
    header = 30 + len(info.orig_filename.encode("utf-8")) + len(info.extra) + 64
    return info.header_offset, info.header_offset + header + info.compress_size


async def _prefetch(source: _Source, sparse: _Sparse, extents: list[tuple[int, int]]) -> None:
    """Fetch the ranges not held yet, close ones merged, concurrently."""
    merged: list[list[int]] = []
    for start, end in sorted((s, min(e, sparse.size)) for s, e in extents):
        if sparse.has(start, end):
            continue
        if merged and start - merged[-1][1] <= _MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    import asyncio  # on first use: the checks that read wheels load before asyncio is needed

    for start, data in await asyncio.gather(*(source.fetch(s, e) for s, e in merged)):
        sparse.add(start, data)


_T = TypeVar("_T")


async def _retrying(source: _Source, sparse: _Sparse, op: Callable[[], _T]) -> _T:
    """Run a zipfile operation, fetching whatever bytes it misses, until it completes."""
    for _ in range(_MAX_ROUNDS):
        try:
            return op()
        except _Missing as missing:
            end = min(sparse.size, max(missing.end, missing.start + 4096))
            start, data = await source.fetch(missing.start, end)
            sparse.add(start, data)
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            ValueError,
            RuntimeError,
            EOFError,
            OSError,
            zlib.error,
        ) as exc:
            raise ArchiveError(f"{source.label} is not a readable wheel: {exc}") from None
    raise ArchiveError(f"{source.label}: its zip structure needs too many reads")


async def open_wheel(
    location: Path | str, budget: Budget, client: httpx.AsyncClient | None = None
) -> Wheel:
    """Open a wheel from a local path, or from an http(s) URL with ``client``.

    Reads the tail (file list) only; raises :class:`ArchiveError` (or its
    :class:`ByteCapExceeded`) when the wheel cannot be read.
    """
    if isinstance(location, Path):
        source: _Source = _LocalSource(location, budget)
    else:
        if client is None:
            raise ValueError("a remote wheel needs an HTTP client")
        source = _RemoteSource(location, client, budget)
    start, data = await source.open()
    sparse = _Sparse(source.size)
    sparse.add(start, data)
    zf = await _retrying(source, sparse, lambda: zipfile.ZipFile(sparse))
    return Wheel(source, zf, sparse)


# ---- sdists ---------------------------------------------------------------


@dataclass(frozen=True)
class Sdist:
    """An sdist's member names (without the top folder) and the few files read from it."""

    names: list[str]
    files: dict[str, bytes]
    bytes_read: int


class _Inflated(io.RawIOBase):
    """A decompressed stream that refuses to grow past a limit (gzip bombs)."""

    def __init__(self, raw: io.BufferedIOBase, limit: int, label: str) -> None:
        self._raw, self._left, self._label = raw, limit, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        self._left -= n
        if self._left < 0:
            raise ByteCapExceeded(f"{self._label} decompresses to an implausible size")
        return n


async def read_sdist(
    location: Path | str,
    budget: Budget,
    client: httpx.AsyncClient | None = None,
    wanted: tuple[str, ...] = ("setup.py", "pyproject.toml"),
) -> Sdist:
    """Read an sdist whole (capped) and return its names and the ``wanted`` top-level files."""
    if isinstance(location, Path):
        source: _Source = _LocalSource(location, budget)
    elif client is None:
        raise ValueError("a remote sdist needs an HTTP client")
    else:
        source = _RemoteSource(location, client, budget)
    data = await source.full()
    import asyncio

    return await asyncio.to_thread(_parse_sdist, data, source, wanted)


def _parse_sdist(data: bytes, source: _Source, wanted: tuple[str, ...]) -> Sdist:
    names: list[str] = []
    files: dict[str, bytes] = {}

    def keep(path: str, size: int, read: Callable[[], bytes | None]) -> None:
        rel = path.partition("/")[2]
        if rel:
            names.append(rel)
        if rel in wanted and size <= MEMBER_LIMIT:
            content = read()
            if content is not None:
                files[rel] = content

    label = source.label
    try:
        if label.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    keep(info.filename, info.file_size, functools.partial(zf.read, info))
        elif label.endswith((".tar.gz", ".tgz")):
            raw = gzip.GzipFile(fileobj=io.BytesIO(data))
            limit = len(data) * _SDIST_INFLATE + MEMBER_LIMIT
            stream = io.BufferedReader(_Inflated(raw, limit, label))
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    keep(member.name, member.size, functools.partial(_tar_read, tar, member))
        else:
            raise ArchiveError(f"{label}: not an sdist spip can read (.tar.gz or .zip)")
    except (
        zipfile.BadZipFile,
        tarfile.TarError,
        OSError,
        EOFError,
        RuntimeError,
        zlib.error,
    ) as exc:
        raise ArchiveError(f"{label} is not a readable sdist: {exc}") from None
    return Sdist(names, files, source.bytes_read)


def _tar_read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    fh = tar.extractfile(member) if member.isfile() else None
    return fh.read() if fh else None
