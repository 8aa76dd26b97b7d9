"""Read a wheel the way pip's installer will, from disk or over HTTP.

The zip is parsed here, not by :mod:`zipfile`, so that nothing an attacker sizes
turns reading off: the central directory (the file list, at the end of the zip)
is streamed in chunks from a local file, whatever its size, and only a small
record is kept per member. Every member name gets the destination pip's
installer gives it (:func:`destination`: ``os.path.normpath``, the ``.data``
schemes), so ``pkg/../x.pth`` is known to land at the site-packages root.

A zip that installers could read differently, or that pip would refuse or leave
half-installed (a member outside its folder, duplicate members, a central
directory that disagrees with the local headers, damaged data), raises
:class:`UnsafeArchive`: it must not be installed. :func:`verify_wheel` checks
every member of a local copy that way (headers, sizes, CRC-32), streamed.

Over HTTP, one range request for the tail gives the end records, one more the
central directory, and small ranges the members wanted; every ``206`` is checked
against the range asked for. A server that refuses ranges, answers another range,
a short body or ``416`` gets one streamed whole download into a temporary file
instead (verified against the index's sha256 when known), read from disk.

Sdists (``.tar.gz``, ``.zip``) are streamed whole: they are small, and tar has no index.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import posixpath
import re
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeVar

import msgspec

from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    import httpx

    from spip.index.http import Client

DEFAULT_CAP = 20 * 1024 * 1024  # bytes of a remote file read into memory per release
WHOLE_LIMIT = 2 * 1024 * 1024 * 1024  # bytes of a remote file downloaded to disk at most
TAIL = 66 * 1024  # first request: the end records, a zip comment, the zip64 records
MEMBER_LIMIT = 1024 * 1024  # uncompressed bytes read of one member
MAX_ENTRIES = 200_000  # members of one wheel (about 40 MB of bookkeeping)
_CHUNK = 1 << 20  # bytes read from disk at a time
_MERGE_GAP = 16 * 1024  # fetch two wanted ranges at once when this close
_EXTRA_GUESS = 256  # local extra-field bytes fetched with a member's header
_MAX_ROUNDS = 8  # round trips one read may need
_SDIST_INFLATE = 20  # decompressed sdist bytes allowed per compressed byte

_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_LOCATOR64 = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_CENTRAL_FMT = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes
_LOCAL_FMT = struct.Struct("<4s2B4HL2L2H")  # 30 bytes
_METHODS = {0: "stored", 8: "deflate", 12: "bzip2"}  # zipfile also reads lzma (14): rare
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, patched data, strong encryption
_UTF8_FLAG = 0x800
_DESCRIPTOR_FLAG = 0x8
_U32 = 0xFFFF_FFFF
# The schemes of a wheel's ``<name>.data/`` folder pip's installer knows.
SCHEMES = frozenset({"purelib", "platlib", "headers", "scripts", "data"})
ROOT = "lib"  # the scheme of the wheel's root: site-packages (purelib or platlib)


class ArchiveError(Exception):
    """The archive could not be read: not a zip/tar, truncated, or the server failed."""


class ByteCapExceeded(ArchiveError):
    """Reading would take more bytes than allowed."""


class UnsafeArchive(ArchiveError):
    """A wheel installers could read differently, or that pip would refuse or leave
    half-installed: it must not be installed."""


@dataclass
class Budget:
    """The bytes of remote files spip may hold in memory for one release."""

    cap: int = DEFAULT_CAP
    used: int = 0

    def spend(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.cap:
            raise ByteCapExceeded(
                f"reading {what} needs more than the {self.cap // (1024 * 1024)} MB "
                "spip reads into memory per release"
            )


# ---- where pip installs a member --------------------------------------------

Dest = tuple[str, str]  # (scheme, path inside it); ROOT for the wheel's root


def destination(name: str) -> Dest | None:
    """Where pip's installer writes member ``name``: ``(scheme, path)``, None for a
    directory entry (pip skips those).

    As pip does (``operations/install/wheel.py``): a member whose first path
    component ends with ``.data`` belongs to the scheme named by its second
    component once ``os.path.normpath`` has been applied; anything else goes to
    the root (site-packages), normalised the same way. Raises
    :class:`UnsafeArchive` where pip would refuse the member in the middle of
    the install (outside its folder, an unknown scheme): files before it would
    already be written.
    """
    if name.endswith("/"):
        return None
    if os.name == "nt":  # pragma: no cover - pip on Windows normalises with ntpath
        import ntpath

        if ntpath.splitdrive(name)[0]:
            raise UnsafeArchive(f"{_show(name)} names a drive: pip refuses it mid-install")
        normed = ntpath.normpath(name).replace("\\", "/")
    else:
        normed = posixpath.normpath(name)
    if normed in (".", "..") or normed.startswith(("/", "../")):
        raise UnsafeArchive(
            f"{_show(name)} would be written outside its folder: pip refuses it mid-install"
        )
    if name.split("/", 1)[0].endswith(".data"):
        parts = normed.split("/", 2)
        if len(parts) < 3 or parts[1] not in SCHEMES:
            raise UnsafeArchive(
                f"{_show(name)} is in no installation scheme pip knows: pip refuses it mid-install"
            )
        return parts[1], parts[2]
    return ROOT, normed


def _show(name: str) -> str:
    return repr(neutralise(name, 120))


# ---- the zip structure ----------------------------------------------------------


class Member(msgspec.Struct, frozen=True):
    """One central-directory entry: the name pip sees, where it lands, where its data is."""

    name: str
    dest: Dest | None
    raw: bytes
    offset: int
    csize: int
    size: int
    crc: int
    method: int
    flags: int


class _Reader(Protocol):
    size: int

    def read_at(self, offset: int, n: int) -> bytes: ...


class _FileReader:
    """A file on disk (or a temporary download); reads whatever is asked."""

    def __init__(self, fh: IO[bytes], label: str) -> None:
        self._fh, self.label = fh, label
        self.size = fh.seek(0, os.SEEK_END)

    def read_at(self, offset: int, n: int) -> bytes:
        try:
            self._fh.seek(offset)
            data = self._fh.read(n)
        except OSError as exc:
            raise ArchiveError(f"cannot read {self.label}: {exc.strerror}") from None
        if len(data) != n:
            raise UnsafeArchive(f"{self.label} is truncated: it points past its own end")
        return data

    def close(self) -> None:
        self._fh.close()


class _Missing(Exception):
    """Bytes not fetched yet (deliberately not an OSError)."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start, self.end = start, end


class _Sparse:
    """The fetched ranges of a remote file of known size."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._chunks: list[tuple[int, bytes]] = []

    def add(self, start: int, data: bytes) -> None:
        self._chunks.append((start, data))

    def has(self, start: int, end: int) -> bool:
        return any(s <= start and end <= s + len(d) for s, d in self._chunks)

    def read_at(self, offset: int, n: int) -> bytes:
        end = offset + n
        if offset < 0 or end > self.size:
            raise UnsafeArchive("the zip points past its own end")
        for s, data in self._chunks:
            if s <= offset and end <= s + len(data):
                return data[offset - s : end - s]
        raise _Missing(offset, end)


class _Layout(msgspec.Struct, frozen=True):
    cd_start: int
    cd_size: int
    count: int


def _layout(r: _Reader, label: str) -> _Layout:
    """Where the central directory is, from the end records, as zipfile finds them, and
    refusing what other readers could find elsewhere (data around it, two end records)."""
    size = r.size
    start = max(0, size - TAIL)
    tail = r.read_at(start, size - start)
    candidates = []
    at = tail.rfind(_EOCD)
    while at >= 0:
        if at + 22 <= len(tail):
            (comment,) = struct.unpack_from("<H", tail, at + 20)
            if start + at + 22 + comment == size:
                candidates.append(start + at)
        at = tail.rfind(_EOCD, 0, at)
    if not candidates:
        raise ArchiveError(f"{label} is not a readable wheel: no zip end record")
    if len(candidates) > 1:
        raise UnsafeArchive(f"{label} has two zip end records: installers may read either")
    pos = candidates[0]
    _, disk, disk_cd, n_disk, count, cd_size, cd_offset, _ = struct.unpack(
        "<4s4H2LH", tail[pos - start : pos - start + 22]
    )
    end = pos
    if pos >= 20 and (loc := r.read_at(pos - 20, 20))[:4] == _LOCATOR64:
        _, disk64, _, disks = struct.unpack("<4sLQL", loc)
        if pos < 76 or disk64 or disks > 1:
            raise UnsafeArchive(f"{label} is a multi-disk zip")
        rec = r.read_at(pos - 76, 56)
        if rec[:4] == _EOCD64:
            *_, disk, disk_cd, n_disk, count, cd_size, cd_offset = struct.unpack("<4sQ2H2L4Q", rec)
            end = pos - 76
    if disk or disk_cd or n_disk != count:
        raise UnsafeArchive(f"{label} is a multi-disk zip")
    if cd_offset + cd_size != end:
        raise UnsafeArchive(
            f"{label} has data around its file list (installers may read different files)"
        )
    return _Layout(cd_offset, cd_size, count)


class _Stream:
    """Sequential reads of a region, refilled in chunks (bounded memory)."""

    def __init__(self, r: _Reader, start: int, end: int) -> None:
        self._r, self._pos, self._end = r, start, end
        self._buf, self._at = b"", 0

    def take(self, n: int) -> bytes:
        while len(self._buf) - self._at < n:
            if self._pos >= self._end:
                raise UnsafeArchive("its file list is truncated")
            want = min(max(_CHUNK, n), self._end - self._pos)
            self._buf = self._buf[self._at :] + self._r.read_at(self._pos, want)
            self._at, self._pos = 0, self._pos + want
        out = self._buf[self._at : self._at + n]
        self._at += n
        return out


def _zip64(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset from a zip64 extra field, where the 32-bit fields say so."""
    while len(extra) >= 4:
        kind, length = struct.unpack_from("<HH", extra)
        if 4 + length > len(extra):
            raise UnsafeArchive("a corrupt extra field")
        if kind == 1:
            data = extra[4 : 4 + length]
            try:
                if size == _U32:
                    (size,), data = struct.unpack_from("<Q", data), data[8:]
                if csize == _U32:
                    (csize,), data = struct.unpack_from("<Q", data), data[8:]
                if offset == _U32:
                    (offset,) = struct.unpack_from("<Q", data)
            except struct.error:
                raise UnsafeArchive("a corrupt zip64 extra field") from None
        extra = extra[4 + length :]
    return size, csize, offset


def _decode(raw: bytes, flags: int) -> str:
    """The name as zipfile decodes it (UTF-8 when flagged, else cp437); NUL is refused,
    since Pythons differ on where such a name ends."""
    try:
        name = raw.decode("utf-8") if flags & _UTF8_FLAG else raw.decode("cp437")
    except UnicodeDecodeError:
        raise UnsafeArchive(f"the member name {raw[:80]!r} is not valid UTF-8") from None
    if "\x00" in name:
        raise UnsafeArchive(f"the member name {_show(name)} contains a NUL byte")
    return name.replace(os.sep, "/") if os.sep != "/" else name


def _members(r: _Reader, lay: _Layout, label: str) -> list[Member]:
    """Every central-directory entry, streamed; refuses duplicates and unsafe names."""
    stream = _Stream(r, lay.cd_start, lay.cd_start + lay.cd_size)
    members: list[Member] = []
    seen: set[str] = set()
    landed: set[Dest] = set()
    used = 0
    while used < lay.cd_size:
        if len(members) >= MAX_ENTRIES:
            raise UnsafeArchive(f"{label} has more than {MAX_ENTRIES} members")
        head = stream.take(46)
        (sig, _, _, version, _, flags, method, _, _, crc, csize, size, n_name, n_extra, n_comment,
         _, _, _, offset) = _CENTRAL_FMT.unpack(head)  # fmt: skip
        if sig != _CENTRAL:
            raise UnsafeArchive(f"{label}: a damaged file list")
        raw, extra = stream.take(n_name), stream.take(n_extra)
        stream.take(n_comment)
        used += 46 + n_name + n_extra + n_comment
        size, csize, offset = _zip64(extra, size, csize, offset)
        name = _decode(raw, flags)
        if flags & _UNSUPPORTED_FLAGS or method not in _METHODS or version > 63:
            raise UnsafeArchive(
                f"{label}: {_show(name)} is encrypted or compressed "
                "in a way spip does not read (it reads stored, deflate and bzip2)"
            )
        dest = destination(name)
        if name in seen or (dest is not None and dest in landed):
            raise UnsafeArchive(
                f"{label} has two members for {_show(name)}: installers may keep either"
            )
        seen.add(name)
        if dest is not None:
            landed.add(dest)
        members.append(Member(name, dest, raw, offset, csize, size, crc, method, flags))
    if used != lay.cd_size or len(members) != lay.count:
        raise UnsafeArchive(f"{label}: its file list and its end record disagree")
    return members


def _local_header(r: _Reader, m: Member, label: str) -> int:
    """Check a member's local header against the central directory; returns where its
    data starts. zipfile compares names; other installers read these headers, so the
    method, sizes and CRC must agree too."""
    (sig, _, _, flags, method, _, _, crc, csize, size, n_name, n_extra) = _LOCAL_FMT.unpack(
        r.read_at(m.offset, 30)
    )
    names = r.read_at(m.offset + 30, n_name + n_extra)
    raw, extra = names[:n_name], names[n_name:]
    if sig != _LOCAL or raw != m.raw or method != m.method or flags & _UNSUPPORTED_FLAGS:
        raise UnsafeArchive(
            f"{label}: the local header of {_show(m.name)} disagrees with the file list"
        )
    if not flags & _DESCRIPTOR_FLAG:
        size, csize, _ = _zip64(extra, size, csize, 0)
        if (crc, csize, size) != (m.crc, m.csize, m.size):
            raise UnsafeArchive(
                f"{label}: the local header of {_show(m.name)} gives other sizes than the file list"
            )
    return int(m.offset + 30 + n_name + n_extra)


def _decompressor(m: Member) -> Callable[[bytes, int], bytes]:
    """``step(data, limit)``: feed ``data`` (b"" to drain), get at most about ``limit`` bytes."""
    if m.method == 0:
        return lambda data, limit: data
    if m.method == 8:
        d = zlib.decompressobj(-15)
        return lambda data, limit: d.decompress(d.unconsumed_tail + data, limit)
    import bz2

    b = bz2.BZ2Decompressor()
    return lambda data, limit: b"" if b.eof else b.decompress(data, limit)


def _inflate(m: Member, chunks: Iterable[bytes], label: str, keep: int) -> bytes:
    """Decompress a member, checking its size and CRC-32; keeps at most ``keep`` bytes."""
    step = _decompressor(m)
    crc, n, kept = 0, 0, bytearray()
    try:
        for chunk in chunks:
            data = chunk
            while out := step(data, _CHUNK):
                data = b""
                n += len(out)
                if n > m.size:
                    raise UnsafeArchive(f"{label}: {_show(m.name)} is larger than it says")
                crc = zlib.crc32(out, crc)
                if len(kept) < keep:
                    kept += out[: keep - len(kept)]
    except (zlib.error, OSError, EOFError, ValueError) as exc:
        raise UnsafeArchive(f"{label}: {_show(m.name)} is damaged ({exc})") from None
    if n != m.size or crc != m.crc:
        raise UnsafeArchive(f"{label}: {_show(m.name)} is damaged (size or CRC-32 differs)")
    return bytes(kept)


def _too_large(m: Member, label: str, limit: int) -> ArchiveError:
    return ArchiveError(
        f"{label}: {_show(m.name)} is {m.size} bytes, over the {limit} bytes spip inspects"
    )


def _read_member(r: _Reader, m: Member, label: str, limit: int) -> bytes:
    if m.size > limit:
        raise _too_large(m, label, limit)
    start = _local_header(r, m, label)
    return _inflate(m, [r.read_at(start, m.csize)], label, limit)


def verify_wheel(path: Path) -> None:
    """Check every member of a local wheel the way an installer will read it: the file
    list, each local header, that members do not overlap, each size and CRC-32.

    Streamed: memory stays bounded whatever the wheel's size. Raises
    :class:`UnsafeArchive` (or :class:`ArchiveError`) when it must not be installed.
    """
    label = neutralise(path.name, 120)
    with path.open("rb") as fh:
        r = _FileReader(fh, label)
        lay = _layout(r, label)
        members = sorted(_members(r, lay, label), key=lambda m: m.offset)
        for i, m in enumerate(members):
            start = _local_header(r, m, label)
            end = start + m.csize
            limit = members[i + 1].offset if i + 1 < len(members) else lay.cd_start
            if end > limit:
                raise UnsafeArchive(f"{label}: {_show(m.name)} overlaps another member")
            chunks = (r.read_at(at, min(_CHUNK, end - at)) for at in range(start, end, _CHUNK))
            _inflate(m, chunks, label, 0)


# ---- remote files ----------------------------------------------------------------

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


class _RangesUnusable(Exception):
    """The server's answer to a range request cannot be trusted: read the whole file
    (``whole``: already downloaded, when the server answered with all of it)."""

    def __init__(self, why: str, whole: IO[bytes] | None = None) -> None:
        super().__init__(why)
        self.whole = whole


class _Remote:
    """A file behind an HTTP URL: validated range requests, else one whole download."""

    def __init__(self, url: str, client: Client, budget: Budget, sha256: str | None) -> None:
        self.url, self._client, self._budget, self._sha256 = url, client, budget, sha256
        self.label = neutralise(url.rsplit("/", 1)[-1].split("#", 1)[0], 120)
        self.bytes_read = 0
        self.ranges = True

    async def tail(self) -> tuple[int, int, bytes]:
        """(file size, start, bytes) of the last :data:`TAIL` bytes."""
        return await self._get(f"bytes=-{TAIL}", None)

    async def get(self, start: int, end: int) -> bytes:
        return (await self._get(f"bytes={start}-{end - 1}", (start, end)))[2]

    async def _get(self, byte_range: str, want: tuple[int, int] | None) -> tuple[int, int, bytes]:
        import httpx

        headers = {"Accept-Encoding": "identity", "Range": byte_range}
        try:
            async with self._client.stream("GET", self.url, headers=headers) as response:
                if response.status_code == 200:  # the whole file: keep it
                    raise _RangesUnusable("ranges refused", await self._save(response))
                if response.status_code != 206:
                    if response.status_code == 416:
                        raise _RangesUnusable("HTTP 416 to a range request")
                    raise ArchiveError(f"HTTP {response.status_code} for {self.label}")
                match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
                if not match:
                    raise _RangesUnusable("no usable Content-Range")
                first, last, size = int(match[1]), int(match[2]) + 1, int(match[3])
                expected = want or (max(0, size - TAIL), size)
                if (first, last) != expected or last > size:
                    raise _RangesUnusable(f"asked for {expected}, got bytes {first}-{last}")
                self._budget.spend(last - first, self.label)
                data = await response.aread()
        except httpx.HTTPError as exc:
            raise _RangesUnusable(f"{type(exc).__name__}") from None
        if len(data) != last - first:
            raise _RangesUnusable("a short answer")
        self.bytes_read += len(data)
        return size, first, data

    async def whole(self) -> IO[bytes]:
        """The whole file, streamed into a temporary file (deleted when closed), checked
        against the index's sha256 when known."""
        import httpx

        headers = {"Accept-Encoding": "identity"}
        try:
            async with self._client.stream("GET", self.url, headers=headers) as response:
                if response.status_code != 200:
                    raise ArchiveError(f"HTTP {response.status_code} for {self.label}")
                return await self._save(response)
        except httpx.HTTPError as exc:
            raise ArchiveError(f"{type(exc).__name__} while reading {self.label}") from None

    async def _save(self, response: httpx.Response) -> IO[bytes]:
        self.ranges = False
        out = tempfile.TemporaryFile(prefix="spip-")  # noqa: SIM115 - returned open
        digest = hashlib.sha256()
        try:
            async for chunk in response.aiter_raw():
                self.bytes_read += len(chunk)
                if self.bytes_read > WHOLE_LIMIT:
                    raise ByteCapExceeded(f"{self.label} is larger than spip downloads")
                digest.update(chunk)
                out.write(chunk)
            if self._sha256 and digest.hexdigest() != self._sha256:
                raise ArchiveError(f"{self.label} does not have the sha256 its index lists")
        except BaseException:
            out.close()
            raise
        return out


_T = TypeVar("_T")


@dataclass
class Wheel:
    """An opened wheel: its members (as pip will install them) and :meth:`read`."""

    label: str
    members: list[Member]
    _reader: _Reader = field(repr=False)
    _remote: _Remote | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    @property
    def bytes_read(self) -> int:
        return self._remote.bytes_read if self._remote else 0

    @property
    def used_ranges(self) -> bool:
        """False when the server's ranges were unusable (the whole file was read)."""
        return self._remote is None or self._remote.ranges

    async def read(self, names: Iterable[str]) -> dict[str, bytes]:
        """The members' contents; raises :class:`ArchiveError` for a member over
        :data:`MEMBER_LIMIT` bytes, and :class:`UnsafeArchive` for a damaged one."""
        by_name = {m.name: m for m in self.members}
        wanted = [by_name[n] for n in names]
        for m in wanted:
            if m.size > MEMBER_LIMIT:
                raise _too_large(m, self.label, MEMBER_LIMIT)
        if isinstance(self._reader, _Sparse) and self._remote is not None:
            extents = [
                (m.offset, m.offset + 30 + len(m.raw) + _EXTRA_GUESS + m.csize) for m in wanted
            ]
            await _guard(self, lambda: _prefetch(self, extents))
        out = {}
        for m in wanted:
            out[m.name] = await _retrying(self, functools.partial(self._read_one, m))
        return out

    def _read_one(self, m: Member) -> bytes:
        return _read_member(self._reader, m, self.label, MEMBER_LIMIT)

    def close(self) -> None:
        """Close the local file or temporary download being read."""
        if isinstance(self._reader, _FileReader):
            self._reader.close()


async def _prefetch(wheel: Wheel, extents: list[tuple[int, int]]) -> None:
    """Fetch the ranges not held yet, close ones merged, concurrently."""
    sparse, remote = wheel._reader, wheel._remote
    assert isinstance(sparse, _Sparse) and remote is not None
    merged: list[list[int]] = []
    for start, end in sorted((s, min(e, sparse.size)) for s, e in extents):
        if sparse.has(start, end):
            continue
        if merged and start - merged[-1][1] <= _MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    import asyncio  # on first use: the checks that read wheels load before asyncio is needed

    datas = await asyncio.gather(*(remote.get(s, e) for s, e in merged))
    for (start, _), data in zip(merged, datas, strict=True):
        sparse.add(start, data)


async def _guard(wheel: Wheel, job: Callable[[], Awaitable[_T]]) -> _T | None:
    """Run a fetch; when the server's ranges turn out unusable, switch the wheel to a
    whole download read from disk (and return None)."""
    try:
        return await job()
    except _RangesUnusable as exc:
        assert wheel._remote is not None
        whole = exc.whole or await wheel._remote.whole()
        wheel._reader = _FileReader(whole, wheel.label)
        return None


async def _retrying(wheel: Wheel, op: Callable[[], _T]) -> _T:
    """Run a read, fetching whatever bytes it misses, until it completes."""
    for _ in range(_MAX_ROUNDS):
        try:
            return op()
        except _Missing as missing:
            sparse, remote = wheel._reader, wheel._remote
            assert isinstance(sparse, _Sparse) and remote is not None
            start, end = missing.start, min(sparse.size, max(missing.end, missing.start + 4096))
            data = await _guard(wheel, functools.partial(remote.get, start, end))
            if data is not None:
                sparse.add(start, data)
    raise ArchiveError(f"{wheel.label}: its zip structure needs too many reads")


async def open_wheel(
    location: Path | str,
    budget: Budget | None = None,
    client: Client | None = None,
    sha256: str | None = None,
) -> Wheel:
    """Open a wheel from a local path, or from an http(s) URL with ``client`` (``sha256``:
    what the index lists for it, checked when the whole file has to be downloaded).

    Raises :class:`ArchiveError` (:class:`UnsafeArchive` for a wheel that must not be
    installed) when it cannot be read.
    """
    if isinstance(location, Path):
        label = neutralise(location.name, 120)
        try:
            fh = location.open("rb")
        except OSError as exc:
            raise ArchiveError(f"cannot read {label}: {exc.strerror}") from None
        reader = _FileReader(fh, label)
        try:
            return Wheel(label, _parse(reader, label), reader)
        except BaseException:
            reader.close()
            raise
    if client is None:
        raise ValueError("a remote wheel needs an HTTP client")
    remote = _Remote(location, client, budget or Budget(), sha256)
    wheel = Wheel(remote.label, [], _Sparse(0), remote)
    tail = await _guard(wheel, remote.tail)
    if tail is not None:
        size, start, first = tail
        wheel._reader = _Sparse(size)
        wheel._reader.add(start, first)
    layout = await _retrying(wheel, lambda: _layout(wheel._reader, wheel.label))
    cd_end = layout.cd_start + layout.cd_size
    if isinstance(wheel._reader, _Sparse) and not wheel._reader.has(layout.cd_start, cd_end):
        directory = await _guard(wheel, lambda: remote.get(layout.cd_start, cd_end))
        if directory is not None and isinstance(wheel._reader, _Sparse):
            wheel._reader.add(layout.cd_start, directory)
    wheel.members = await _retrying(wheel, lambda: _members(wheel._reader, layout, wheel.label))
    return wheel


def _parse(reader: _Reader, label: str) -> list[Member]:
    return _members(reader, _layout(reader, label), label)


# ---- sdists ---------------------------------------------------------------


class Sdist(msgspec.Struct, frozen=True):
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
    budget: Budget | None = None,
    client: Client | None = None,
    wanted: tuple[str, ...] = ("setup.py", "pyproject.toml"),
    sha256: str | None = None,
) -> Sdist:
    """Read an sdist, streamed, and return its names and the ``wanted`` top-level files."""
    import asyncio

    if isinstance(location, Path):
        label = neutralise(location.name, 120)
        try:
            fh: IO[bytes] = location.open("rb")
        except OSError as exc:
            raise ArchiveError(f"cannot read {label}: {exc.strerror}") from None
    elif client is None:
        raise ValueError("a remote sdist needs an HTTP client")
    else:
        remote = _Remote(location, client, budget or Budget(), sha256)
        label, fh = remote.label, await remote.whole()
    with fh:
        return await asyncio.to_thread(_parse_sdist, fh, label, wanted)


def _parse_sdist(fh: IO[bytes], label: str, wanted: tuple[str, ...]) -> Sdist:
    names: list[str] = []
    files: dict[str, bytes] = {}
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)

    def keep(path: str, member_size: int, read: Callable[[], bytes | None]) -> None:
        rel = path.partition("/")[2]
        if rel:
            names.append(rel)
        if rel in wanted and member_size <= MEMBER_LIMIT:
            content = read()
            if content is not None:
                files[rel] = content

    try:
        if label.endswith(".zip"):
            with zipfile.ZipFile(fh) as zf:
                for info in zf.infolist():
                    keep(info.filename, info.file_size, functools.partial(zf.read, info))
        elif label.endswith((".tar.gz", ".tgz")):
            raw = gzip.GzipFile(fileobj=fh)
            limit = size * _SDIST_INFLATE + MEMBER_LIMIT
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
    return Sdist(names, files, size)


def _tar_read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    fh = tar.extractfile(member) if member.isfile() else None
    return fh.read() if fh else None
