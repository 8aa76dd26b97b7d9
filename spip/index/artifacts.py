"""Fetching the planned files: what phase 2 installs is byte for byte what was checked.

Every planned archive (from an index, a URL, or a local path) is copied into a
private folder while its sha256 is compared with the one in pip's report, and
every wheel's zip is checked the way an installer will read it
(:func:`spip.index.wheelzip.verify_wheel`): a wheel pip would refuse or leave
half-installed is unfit, and the install stops before phase 2 (:meth:`Artifacts.unfit`).
Downloaded files are also kept in a content-addressed cache under
``SPIP_CACHE_DIR/files`` so a warm install downloads nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spip.core.atomic import atomic_link, atomic_write
from spip.core.hashing import sha256_file
from spip.core.logs import log
from spip.core.tempdirs import make_temp_dir
from spip.index.errors import RETRY_DELAY, TRANSIENT_STATUS
from spip.index.store import stored_file
from spip.index.wheelzip import ArchiveError, verify_wheel
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.index.http import Client
    from spip.plan.report import PlannedDist

_CHUNK = 1 << 16
ATTEMPTS = 3  # tries of one download (pip's default --retries is 5)


class IntegrityError(Exception):
    """A file's bytes differ from the sha256 pip resolved: possible tampering."""


class FetchError(Exception):
    """spip could not get a file itself (network, credentials only pip holds)."""


class UnfitFile(Exception):
    """A planned file that must not reach the installer: a wheel installers would read
    differently, or that pip would refuse or leave half-installed."""


class Artifacts:
    """The verified local copies of a plan's files, fetched concurrently.

    ``local_file(dist)`` waits for that distribution's file: a path inside
    :attr:`folder` whose sha256 matched, or None when spip could not fetch it
    (the reason is in :attr:`errors`). An :class:`IntegrityError` is raised
    to every waiter: a mismatch must stop the install.
    """

    def __init__(self, client: Client, cache_dir: Path) -> None:
        self._client = client
        self._store = cache_dir / "files"
        self.folder = make_temp_dir("spip-files-")
        self._tasks: dict[str, asyncio.Task[Path | None]] = {}
        self._wheels: set[str] = set()
        self._prefetches: dict[str, asyncio.Task[None]] = {}  # by URL, and by file name
        self._finding: set[str] = set()  # file names whose prefetch still looks for a URL
        self._planned: set[str] = set()  # the planned files' names (see start)
        self.errors: dict[str, str] = {}
        self._unfit: dict[str, str] = {}  # by name: why the file must not be installed
        self._checked: dict[str, asyncio.Task[None]] = {}  # local wheels not fetched
        self.downloaded_bytes = 0

    def start(self, plan: Sequence[PlannedDist]) -> None:
        for dist in plan:
            if dist.fetchable and dist.name not in self._tasks:
                self._planned.add(dist.filename)
                self._tasks[dist.name] = asyncio.ensure_future(self._fetch(dist))
                if dist.is_wheel:
                    self._wheels.add(dist.name)

    def prefetch(self, url: str) -> None:
        """Start downloading a file pip is looking at, before its plan is known.

        Its sha256 is not known yet, so the file goes into the content-addressed
        store under its own digest; :meth:`start` uses it only when pip's report
        names that very digest.
        """
        if url not in self._prefetches and urlsplit(url).scheme in ("http", "https"):
            self._prefetches[url] = asyncio.ensure_future(self._prefetch(url))

    def prefetch_found(self, filename: str, url: Awaitable[str | None]) -> None:
        """Start downloading a file an installer names without its URL (newer pips, uv),
        once ``url`` found it (the index's documents; None: not found; it never raises).
        The planned fetch of ``filename`` waits for this prefetch, unless it starts
        while the URL is still being looked for: it then downloads the file itself, and
        this prefetch stops there (one download, either way)."""
        if filename not in self._prefetches:
            self._finding.add(filename)
            self._prefetches[filename] = asyncio.ensure_future(self._found(filename, url))

    async def _found(self, filename: str, url: Awaitable[str | None]) -> None:
        try:
            found = await url
        finally:
            self._finding.discard(filename)
        if found is not None and filename not in self._planned:
            self.prefetch(found)
            if found in self._prefetches:
                await self._prefetches[found]

    async def local_file(self, dist: PlannedDist) -> Path | None:
        """The verified copy (or the user's own local file, or a ``file://`` file pip
        gave no hash for); None when spip could not get it. Raises
        :class:`IntegrityError` or :class:`UnfitFile`."""
        task = self._tasks.get(dist.name)
        if task is not None:
            return await task
        if dist.fetchable or not dist.local_path or dist.source not in ("index", "file"):
            return None
        path = Path(dist.local_path)
        if dist.is_wheel:
            if dist.name not in self._checked:
                self._checked[dist.name] = asyncio.ensure_future(self._check_zip(dist, path))
            await self._checked[dist.name]
        return path

    def refuse(self, dist: PlannedDist, reason: str) -> None:
        """Mark a planned file unfit to install (a check could not read what it must)."""
        self._unfit.setdefault(dist.name, reason)

    async def unfit(self) -> dict[str, str]:
        """Why planned files must not be installed, by name, once every wheel was checked."""
        jobs = [t for n, t in self._tasks.items() if n in self._wheels] + list(
            self._checked.values()
        )
        await asyncio.gather(*jobs, return_exceptions=True)
        return dict(self._unfit)

    async def wait_all(self) -> dict[str, Path | None]:
        names = list(self._tasks)
        results = await asyncio.gather(*self._tasks.values())
        return dict(zip(names, results, strict=True))

    def cleanup(self) -> None:
        for task in (*self._tasks.values(), *self._prefetches.values()):
            task.cancel()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _cached(self, sha256: str) -> Path:
        return stored_file(self._store.parent, sha256)

    def _url_record(self, url: str) -> Path:
        """Where the store notes the digest last seen at ``url`` (a hint, never trusted:
        :meth:`_fetch` checks every file against pip's report)."""
        return self._store / "urls" / hashlib.sha256(url.encode()).hexdigest()

    def _seen(self, url: str) -> bool:
        try:
            digest = self._url_record(url).read_text(encoding="ascii").strip()
        except OSError:
            return False
        return len(digest) == 64 and self._cached(digest).is_file()

    def _note(self, url: str, digest: str) -> None:
        try:
            record = self._url_record(url)
            record.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(record, digest)
        except OSError:
            log.debug("could not note the digest seen at %s", url, exc_info=True)

    async def _prefetch(self, url: str) -> None:
        if self._seen(url):
            return  # a warm install downloads nothing
        partial = self._store / f".prefetch-{os.getpid()}-{id(url)}"
        try:
            self._store.mkdir(parents=True, exist_ok=True)
            digest = await self._download(url, partial)
            self._cached(digest).parent.mkdir(exist_ok=True)
            os.replace(partial, self._cached(digest))
            self._note(url, digest)
        except (FetchError, OSError):  # only a head start: fetched again if need be
            log.debug("prefetch of %s failed", url, exc_info=True)
        finally:
            partial.unlink(missing_ok=True)

    async def _fetch(self, dist: PlannedDist) -> Path | None:
        assert dist.sha256
        prefetch = self._prefetches.get(dist.url) or self._prefetches.get(dist.filename)
        if prefetch is not None and dist.filename not in self._finding:
            await asyncio.wait([prefetch])
        dest = self.folder / dist.filename
        cached = self._cached(dist.sha256)
        if cached.is_file() and await asyncio.to_thread(sha256_file, cached) == dist.sha256:
            await asyncio.to_thread(_link_or_copy, cached, dest)
            await self._check_zip(dist, dest)
            return dest
        try:
            if urlsplit(dist.url).scheme == "file":
                digest = await asyncio.to_thread(_copy_hashing, Path(dist.local_path or ""), dest)
            else:
                digest = await self._download(dist.url, dest)
        except FetchError as exc:
            log.debug("fetching %s failed; pip will download it", dist.url, exc_info=True)
            self.errors[dist.name] = str(exc)
            return None
        if digest != dist.sha256:
            dest.unlink(missing_ok=True)
            reason = (
                f"{dist.name} {neutralise(dist.version)}: the file at {neutralise(dist.url)} has "
                f"sha256 {digest}, but pip resolved {dist.sha256}; it changed since pip saw it"
            )
            self._unfit.setdefault(dist.name, reason)
            raise IntegrityError(reason)
        await self._check_zip(dist, dest)
        await asyncio.to_thread(_store_in_cache, dest, cached)
        self._note(dist.url, digest)
        return dest

    async def _check_zip(self, dist: PlannedDist, path: Path) -> None:
        """Refuse a wheel installers could read differently or pip would half-install.
        The verdict depends on the bytes only, so a wheel found sound is not checked again
        (a marker beside its digest in the store)."""
        if not dist.is_wheel:
            return
        marker = self._cached(dist.sha256).with_suffix(".zip-ok") if dist.sha256 else None
        if marker is not None and marker.is_file():
            return
        try:
            await asyncio.to_thread(verify_wheel, path)
        except (ArchiveError, OSError) as exc:
            reason = f"{neutralise(dist.filename)} cannot be installed safely: {exc}"
            self._unfit.setdefault(dist.name, reason)
            raise UnfitFile(reason) from None
        if marker is not None:
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
            except OSError:
                log.debug("could not note %s as checked", path, exc_info=True)

    async def _download(self, url: str, dest: Path) -> str:
        """Download ``url`` into ``dest``, returning its sha256; a dropped connection or a
        gateway's 502-504 is tried again (pip retries too), up to ``ATTEMPTS`` times."""
        import httpx

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self._download_once(url, dest)
            except (httpx.TransportError, _Transient) as exc:
                if attempt == ATTEMPTS:
                    raise FetchError(f"{type(exc).__name__} for {neutralise(url)}") from None
                log.debug("download of %s failed (%s), trying again", url, exc)
                await asyncio.sleep(RETRY_DELAY * attempt)
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__} for {neutralise(url)}") from None
        raise AssertionError("unreachable")

    async def _download_once(self, url: str, dest: Path) -> str:
        digest = hashlib.sha256()
        # httpx's timeouts are per read: a server sending a byte a second never trips
        # them. The answer's head, and then every chunk, must come within pip's timeout.
        deadline = self._client.deadline
        try:
            stream = self._client.stream("GET", url)
            response = await asyncio.wait_for(stream.__aenter__(), deadline)
            try:
                if response.status_code in TRANSIENT_STATUS:
                    raise _Transient(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code} for {neutralise(url)}")
                chunks = response.aiter_bytes(_CHUNK).__aiter__()
                with dest.open("wb") as out:
                    while chunk := await asyncio.wait_for(_next(chunks), deadline):
                        digest.update(chunk)
                        out.write(chunk)
                        self.downloaded_bytes += len(chunk)
            finally:
                await stream.__aexit__(None, None, None)
        except asyncio.TimeoutError:
            raise FetchError(
                f"too slow (over {deadline:g} s for a part of {neutralise(url)})"
            ) from None
        except OSError as exc:
            raise FetchError(f"cannot write {dest}: {exc.strerror}") from None
        return digest.hexdigest()


async def _next(chunks: AsyncIterator[bytes]) -> bytes:
    """The next chunk, or ``b""`` at the end."""
    return await anext(chunks, b"")


class _Transient(Exception):
    """An answer worth asking again for (a gateway that timed out, a server restarting)."""


def _copy_hashing(src: Path, dest: Path) -> str:
    digest = hashlib.sha256()
    try:
        with src.open("rb") as fin, dest.open("wb") as fout:
            while chunk := fin.read(_CHUNK * 16):
                digest.update(chunk)
                fout.write(chunk)
    except OSError as exc:
        raise FetchError(f"cannot read {src}: {exc.strerror}") from None
    return digest.hexdigest()


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _store_in_cache(src: Path, cached: Path) -> None:
    """Keep a verified file in the content-addressed cache (best effort, atomic)."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_link(src, cached)
    except OSError:
        log.debug("could not keep %s in the file cache", src, exc_info=True)
