"""What the index says about projects and releases: one async client per run, cached on disk.

Documents come from the PyPI JSON API (``/pypi/NAME/VERSION/json``, ``/pypi/NAME/json``)
and the PEP 691 JSON simple page (``/simple/NAME/``), and, for a file that the JSON API
does not describe (a release served by an extra or private index, a mirror behind), from
the PEP 691/700 simple pages of the indexes pip used. Each is fetched at most once
per run, however many checks ask; every answer is parsed into tolerant typed models
(``msgspec`` structs: :mod:`spip.plan.report` says why), and anything that goes wrong
(an error status, a timeout, garbage) becomes :class:`~spip.index.errors.DataUnavailable`
with a short reason.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import msgspec
from packaging.version import Version

from spip.core.distfiles import SDIST_SUFFIXES, parse_dist_filename
from spip.core.emails import email_domains
from spip.core.versions import parse_version, same_version
from spip.index.cache import Cache, Entry
from spip.index.errors import (
    RETRY_DELAY,
    TRANSIENT_STATUS,
    DataUnavailable,
    FileUnknown,
    Unreached,
)
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    import httpx

    from spip.index.http import Client
    from spip.plan.report import CoreMetadata, PlannedDist

__all__ = [
    "DistFile",
    "Info",
    "ProjectFiles",
    "ProjectStatus",
    "Publisher",
    "PyPIClient",
    "Release",
    "ReleaseFile",
    "Vulnerability",
]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
_ANY = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, text/html;q=0.01"
# A release's files never change; its yanked flag and advisories do: refetch after a day.
RELEASE_TTL = 24 * 3600.0
# Project-level pages are reused this long, then revalidated by ETag (or fetched again).
PROJECT_TTL = 10 * 60.0
# The requests after pip's resolution share this many times pip's --timeout (start_budget).
BUDGET_FACTOR = 4

T = TypeVar("T")
M = TypeVar("M", bound=msgspec.Struct)


class _Model(msgspec.Struct):
    """Unknown fields are ignored; a field the index names otherwise has ``name=``."""


def _utc(value: datetime | None) -> datetime | None:
    """PyPI's naive timestamps are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _unavailable(reason: str, kind: type[DataUnavailable] = DataUnavailable) -> DataUnavailable:
    return kind(neutralise(reason, limit=160))


def _unconnected() -> tuple[type[Exception], ...]:
    """The failures to connect at all (refused, TLS, a proxy, a dropped connection), as
    opposed to an index that answered badly or slowly."""
    import httpx

    return (httpx.ConnectError, httpx.ProxyError, httpx.RemoteProtocolError)


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2].lower()


class Info(_Model):
    """A release's core metadata, as the JSON API's ``info`` renders it."""

    version: str | None = None
    summary: str | None = None
    description: str | None = None
    home_page: str | None = None
    download_url: str | None = None
    author_email: str | None = None
    maintainer_email: str | None = None
    project_urls: dict[str, str | None] | None = None
    yanked: bool = False
    yanked_reason: str | None = None

    @classmethod
    def from_core(cls, core: CoreMetadata) -> Info:
        """The same view of a distribution's own metadata (``Project-URL: Label, url``)."""
        urls: dict[str, str | None] = {}
        for entry in core.project_url:
            label, sep, url = entry.partition(",")
            label, url = (label.strip(), url.strip()) if sep else ("", label.strip())
            urls[label if label not in urls else f"{label} ({len(urls) + 1})"] = url
        return cls(
            version=core.version,
            summary=core.summary,
            description=core.description,
            home_page=core.home_page,
            download_url=core.download_url,
            author_email=core.author_email,
            maintainer_email=core.maintainer_email,
            project_urls=urls,
        )

    def urls(self) -> Iterator[tuple[str, str]]:
        """``(label, url)`` for the home page, download URL and every project URL."""
        for label, url in (("Home-page", self.home_page), ("Download-URL", self.download_url)):
            if url and url.strip():
                yield label, url.strip()
        for label, url in (self.project_urls or {}).items():
            if url and url.strip():
                yield label, url.strip()

    def email_domains(self) -> set[str]:
        return email_domains(self.author_email, self.maintainer_email)


class ReleaseFile(_Model):
    """One file of a release (an entry of the JSON API's ``urls``)."""

    filename: str = ""
    url: str | None = None
    digests: dict[str, str] = msgspec.field(default_factory=dict)
    upload_time_iso_8601: datetime | None = None
    upload_time: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None

    @property
    def sha256(self) -> str | None:
        value = self.digests.get("sha256")
        return value.lower() if value else None

    @property
    def uploaded(self) -> datetime | None:
        return _utc(self.upload_time_iso_8601 or self.upload_time)


class Vulnerability(_Model):
    """One advisory of the JSON API's ``vulnerabilities`` (data from OSV)."""

    id: str = ""
    aliases: list[str] = msgspec.field(default_factory=list)
    fixed_in: list[str] = msgspec.field(default_factory=list)
    link: str | None = None
    withdrawn: str | None = None


class Release(_Model):
    """What the index says about one release.

    ``info`` is None when the index only described another version (a mirror
    without per-release documents); ``vulnerabilities`` is None when unknown.
    """

    info: Info | None = None
    urls: list[ReleaseFile] = msgspec.field(default_factory=list)
    vulnerabilities: list[Vulnerability] | None = None

    def file(self, sha256: str | None, filename: str) -> ReleaseFile | None:
        """The file pip selected: by its sha256 when known (another file of the same name
        is not it), else by name."""
        if sha256:
            return next((f for f in self.urls if f.sha256 == sha256.lower()), None)
        return next((f for f in self.urls if filename and f.filename == filename), None)


class _ProjectDoc(_Model):
    """``/pypi/NAME/json``: ``info`` describes the latest release only."""

    info: Info = msgspec.field(default_factory=Info)
    urls: list[ReleaseFile] = msgspec.field(default_factory=list)
    releases: dict[str, list[ReleaseFile]] = msgspec.field(default_factory=dict)
    vulnerabilities: list[Vulnerability] = msgspec.field(default_factory=list)

    def release(self, version: str) -> Release | None:
        key = version if version in self.releases else None
        key = key or next((k for k in self.releases if same_version(k, version)), None)
        latest = same_version(self.info.version, version)
        if key is None and not latest:
            return None
        files = self.releases.get(key, []) if key is not None else self.urls
        if latest:
            return Release(info=self.info, urls=files, vulnerabilities=self.vulnerabilities)
        return Release(urls=files)


class _SimpleFile(_Model):
    filename: str
    url: str | None = None
    hashes: dict[str, str] = msgspec.field(default_factory=dict)
    upload_time: datetime | None = msgspec.field(default=None, name="upload-time")
    requires_python: str | None = msgspec.field(default=None, name="requires-python")
    yanked: bool | str = False
    provenance: str | None = None  # PEP 740: the URL of the file's provenance object


class _SimplePage(_Model):
    files: list[_SimpleFile]
    versions: list[str] | None = None
    meta: dict[str, Any] = msgspec.field(default_factory=dict)
    project_status: dict[str, Any] | None = msgspec.field(default=None, name="project-status")

    def status(self) -> ProjectStatus | None:
        """PEP 792's marker: top-level ``project-status`` (PyPI), or under ``meta``."""
        marker = self.project_status
        if isinstance(marker, dict) and isinstance(marker.get("status"), str):
            return ProjectStatus(status=marker["status"], reason=_text(marker.get("reason")))
        status = self.meta.get("project-status")
        if isinstance(status, dict):  # the top-level shape, under meta
            return ProjectStatus(
                status=str(status.get("status")), reason=_text(status.get("reason"))
            )
        if isinstance(status, str):
            return ProjectStatus(
                status=status, reason=_text(self.meta.get("project-status-reason"))
            )
        return None


class ProjectStatus(_Model):
    """A project's PEP 792 status marker (``active``, ``archived``, ``quarantined``,
    ``deprecated``) and its reason."""

    status: str
    reason: str | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


_META_TAG = re.compile(r"<meta\s+([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def html_project_status(page: str) -> ProjectStatus | None:
    """PEP 792's ``pypi:project-status`` (and ``-reason``) meta tags of an HTML simple page."""
    tags: dict[str, str] = {}
    for match in _META_TAG.finditer(page):
        attributes = {
            m.group(1).lower(): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTRIBUTE.finditer(match.group(1))
        }
        if "name" in attributes and "content" in attributes:
            tags.setdefault(attributes["name"].lower(), attributes["content"])
    status = tags.get("pypi:project-status")
    if not status:
        return None
    return ProjectStatus(
        status=status.strip(), reason=_text(tags.get("pypi:project-status-reason"))
    )


def _absolute(doc_url: str, files: Iterable[ReleaseFile | _SimpleFile]) -> None:
    """Resolve file URLs relative to the document that listed them (some mirrors do that).
    An absolute one is kept as it is (a big project's page lists 10,000s of files)."""
    for f in files:
        if f.url and not f.url.startswith(("https://", "http://")):
            f.url = urljoin(doc_url, f.url)


def _file_version(filename: str) -> str | None:
    parsed = parse_dist_filename(filename)
    return str(parsed.version) if parsed else None


class DistFile(_Model):
    filename: str
    url: str | None = None
    version: str | None = None
    sha256: str | None = None
    upload_time: datetime | None = None
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    provenance: str | None = None  # PEP 740 provenance URL (JSON simple pages only)


class Publisher(_Model):
    """Who published a file's PEP 740 attestations (a trusted publisher)."""

    kind: str | None = None
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None


class _Bundle(_Model):
    publisher: Publisher = msgspec.field(default_factory=Publisher)


class _Provenance(_Model):
    attestation_bundles: list[_Bundle] = msgspec.field(default_factory=list)


class ProjectFiles(_Model):
    """A project's release history: every version and file, with upload times and yanks."""

    versions: list[str] = msgspec.field(default_factory=list)
    files: list[DistFile] = msgspec.field(default_factory=list)
    status: ProjectStatus | None = None  # PEP 792; None when the index gives none

    @classmethod
    def _from_simple(cls, page: _SimplePage) -> ProjectFiles:
        files = [
            DistFile(
                filename=f.filename,
                url=f.url,
                version=_file_version(f.filename),
                sha256=(f.hashes.get("sha256") or "").lower() or None,
                upload_time=_utc(f.upload_time),
                requires_python=f.requires_python,
                yanked=f.yanked is not False,
                yanked_reason=f.yanked if isinstance(f.yanked, str) else None,
                provenance=f.provenance,
            )
            for f in page.files
        ]
        versions = page.versions or list(dict.fromkeys(f.version for f in files if f.version))
        return cls(versions=versions, files=files, status=page.status())

    @classmethod
    def _from_project(cls, doc: _ProjectDoc) -> ProjectFiles:
        files = [
            DistFile(
                filename=f.filename,
                url=f.url,
                version=version,
                sha256=f.sha256,
                upload_time=f.uploaded,
                yanked=f.yanked,
                yanked_reason=f.yanked_reason,
            )
            for version, release_files in doc.releases.items()
            for f in release_files
        ]
        return cls(versions=list(doc.releases), files=files)

    def file(self, sha256: str | None, filename: str) -> DistFile | None:
        """A file by its sha256 when known, else by name (as :meth:`Release.file`)."""
        if sha256:
            return next((f for f in self.files if f.sha256 == sha256.lower()), None)
        return next((f for f in self.files if filename and f.filename == filename), None)

    def first_upload(self) -> datetime | None:
        """When the project's first file was uploaded (None when no upload time is known)."""
        return min((f.upload_time for f in self.files if f.upload_time), default=None)

    def first_version(self) -> str | None:
        """The version of the project's first uploaded file."""
        dated = [f for f in self.files if f.upload_time and f.version]
        return min(dated, key=lambda f: f.upload_time or datetime.max).version if dated else None

    def sdists(self) -> list[str]:
        """The file names of the project's source distributions, sorted."""
        return sorted(f.filename for f in self.files if f.filename.endswith(SDIST_SUFFIXES))

    def previous_version(self, version: str) -> str | None:
        """The highest version below ``version`` whose files are not all yanked."""
        current = parse_version(version)
        if current is None:
            return None
        all_yanked: dict[Version, bool] = {}
        for f in self.files:
            if (parsed := parse_version(f.version)) is not None:
                all_yanked[parsed] = all_yanked.get(parsed, True) and f.yanked
        older = [
            (parsed, text)
            for text in self.versions
            if (parsed := parse_version(text)) is not None
            and parsed < current
            and not all_yanked.get(parsed, False)
        ]
        return max(older)[1] if older else None


class PyPIClient:
    """The index's JSON API for one run: concurrent, memoised per run, cached on disk.

    Every request runs in a task of its own (:meth:`_once`), never in the caller's: the
    checks start in their caller's task (:mod:`spip.core.eager`), and an HTTP request
    belongs to the task it started in (its timeouts are cancel scopes of that task).
    """

    def __init__(
        self,
        client: Client,
        base_url: str,
        cache: Cache,
        indexes: Sequence[str] = (),
    ) -> None:
        self.client = client
        self._base = base_url.rstrip("/")
        # The simple APIs pip resolved from (--index-url, --extra-index-url): http(s) only.
        self._indexes = [i.rstrip("/") + "/" for i in indexes if i.startswith(("http:", "https:"))]
        netloc = _netloc(self._base)  # never its credentials
        self._host = neutralise(netloc or self._base, limit=60)
        # Not connecting where pip connected fails closed (errors.Unreached).
        self._unreached = (
            Unreached if netloc in {_netloc(i) for i in self._indexes} else DataUnavailable
        )
        self._cache = cache
        self._tasks: dict[tuple[str, ...], asyncio.Future[Any]] = {}
        self._budget_ends: float | None = None  # see start_budget()
        server = cache.get(self._key("server"))
        # None: not known yet whether this server has per-release documents.
        self._per_release: bool | None = (
            server.data.get("per_release")
            if server and server.age < RELEASE_TTL and isinstance(server.data, dict)
            else None
        )

    def start_budget(self) -> float:
        """From now on, every request to an index shares one allowance of
        ``BUDGET_FACTOR`` times pip's ``--timeout``: a server that answers each request
        just in time, chain after chain, cannot hold the run for longer than that. Called
        when pip's resolution is over (the head starts before it only have their own
        deadlines). Returns the allowance, in seconds."""
        allowance = BUDGET_FACTOR * self.client.deadline
        self._budget_ends = asyncio.get_running_loop().time() + allowance
        return allowance

    def _deadline(self, what: str) -> float:
        """How long the next request may take: pip's ``--timeout``, within the budget."""
        limit = self.client.deadline
        if self._budget_ends is None:
            return limit
        left = self._budget_ends - asyncio.get_running_loop().time()
        if left <= 0:
            spent = BUDGET_FACTOR * limit
            raise _unavailable(f"{what}: the indexes took {spent:g} s in all this run")
        return min(limit, left)

    # -- what the checks use -------------------------------------------------------------

    @property
    def indexes(self) -> Sequence[str]:
        """The simple APIs the installer resolves from (main index first)."""
        return self._indexes

    async def release(self, name: str, version: str, sha256: str | None = None) -> Release:
        """The release document of ``name`` ``version`` (``sha256``: the file pip selected)."""

        def cached() -> Release | None:
            hit = self._fresh(self._key("release", name, version), Release, RELEASE_TTL)
            return hit if hit and (not sha256 or hit.file(sha256, "")) else None

        return await self._once(
            ("release", name, version), lambda: self._release(name, version), cached
        )

    async def files(self, name: str) -> ProjectFiles:
        """The project's release history, from the PEP 691 JSON simple page."""
        return await self._once(
            ("files", name),
            lambda: self._files(name),
            lambda: self._fresh(self._key("files", name), ProjectFiles, PROJECT_TTL),
        )

    async def info(self, dist: PlannedDist) -> Info:
        """The selected release's metadata: the index's, else the planned file's own.

        The file's own metadata answers for local and URL sources, for an index that
        describes only another version, and when the index cannot be reached.
        """
        if dist.source == "index":
            try:
                release = await self.release(dist.name, dist.version, dist.sha256)
            except DataUnavailable:
                release = None
            # Only when it lists the very file pip chose: else it describes another one.
            if (
                release is not None
                and release.info is not None
                and (not dist.sha256 or release.file(dist.sha256, dist.filename) is not None)
            ):
                return release.info
        return Info.from_core(dist.metadata)

    async def served_file(self, dist: PlannedDist) -> DistFile:
        """The file pip chose, identified by its sha256, as an index describes it.

        First the JSON API here; when it lists no file with that sha256 (or no upload
        time), the simple pages: this index's and those pip resolved from, asked at
        once, in that order. Raises :class:`FileUnknown` when none describes the file
        (an answer about another file of the same name is no answer).
        """
        reasons: list[str] = []
        try:
            release = await self.release(dist.name, dist.version, dist.sha256)
            found = release.file(dist.sha256, dist.filename)
            if found is not None and found.uploaded is not None:
                return DistFile(
                    filename=found.filename,
                    url=found.url,
                    version=dist.version,
                    sha256=found.sha256,
                    upload_time=found.uploaded,
                    yanked=found.yanked,
                    yanked_reason=found.yanked_reason,
                )
            reasons.append(f"{self._host} does not list this file")
        except DataUnavailable as exc:
            reasons.append(str(exc))
        pages = [self.files(dist.name), *(self._simple_at(i, dist.name) for i in self._indexes)]
        for answer in await asyncio.gather(*pages, return_exceptions=True):
            if isinstance(answer, DataUnavailable):
                reasons.append(str(answer))
            elif isinstance(answer, BaseException):
                raise answer
            elif (match := answer.file(dist.sha256, dist.filename)) and match.upload_time:
                return match
        what = dist.filename or dist.version
        why = "; ".join(dict.fromkeys(reasons))
        # No file to identify (an installed distribution in ``spip audit``), or one from a
        # folder of the user's own (find-links): as any index trouble, LOW.
        if not dist.sha256 or dist.url.startswith("file:"):
            raise _unavailable(f"no index gives an upload time for {what}: {why}")
        raise FileUnknown(
            neutralise(
                f"no index describes {what} (sha256 {dist.sha256}) with an upload time: {why}",
                limit=300,
            )
        )

    async def serves(self, index_url: str, name: str) -> bool:
        """Whether the simple repository at ``index_url`` (any PEP 503 index, JSON or
        HTML) lists files of project ``name``: one page request."""

        async def ask() -> bool:
            host = neutralise(_netloc(index_url) or index_url, limit=60)
            resp = await self._page(f"{index_url.rstrip('/')}/{name}/", _ANY, host, name)
            if resp.status_code == 404:
                return False
            if resp.status_code != 200:
                raise _unavailable(f"{host} answered {resp.status_code} for {name}")
            if "json" in resp.headers.get("Content-Type", ""):
                try:
                    files = json.loads(resp.content).get("files")
                except (ValueError, AttributeError):
                    raise _unavailable(f"{host} sent invalid JSON for {name}") from None
                return bool(files)
            return "<a " in resp.text.lower()

        return await self._once(("serves", index_url, name), ask)

    async def publishers(self, url: str) -> list[Publisher]:
        """The publishers of a file's PEP 740 attestations, from its provenance URL."""

        def cached() -> list[Publisher] | None:
            hit = self._fresh(self._key("provenance", url), _Provenance, RELEASE_TTL)
            return [b.publisher for b in hit.attestation_bundles] if hit else None

        return await self._once(("provenance", url), lambda: self._publishers(url), cached)

    async def previous_release(self, name: str, version: str) -> Release | None:
        """The release before ``version`` (None for a project's first release)."""
        previous = (await self.files(name)).previous_version(version)
        return await self.release(name, previous) if previous else None

    # -- machinery ------------------------------------------------------------------------

    async def _simple_at(self, index: str, name: str) -> ProjectFiles:
        """``name``'s PEP 691 JSON page on another index (``index``: its simple API URL)."""

        async def fetch() -> ProjectFiles:
            url = urljoin(index, f"{quote(name)}/")
            host = neutralise(_netloc(index), limit=60)
            resp = await self._page(url, SIMPLE_JSON, host, name)
            media = resp.headers.get("Content-Type", "").split(";")[0].strip()
            if resp.status_code != 200 or media not in (SIMPLE_JSON, "application/json"):
                raise _unavailable(f"{host} has no JSON simple page for {name}")
            try:
                page = msgspec.json.decode(resp.content, type=_SimplePage)
            except msgspec.DecodeError:
                raise _unavailable(f"{host} sent an unreadable simple page for {name}") from None
            _absolute(url, page.files)
            return ProjectFiles._from_simple(page)

        return await self._once(("simple", index, name), fetch)

    async def _page(self, url: str, accept: str, host: str, name: str) -> httpx.Response:
        """``name``'s page on an index pip looks in, within the deadlines; not connecting
        there at all fails closed (:class:`Unreached`)."""
        import httpx

        try:
            limit = self._deadline(f"{host} was not asked about {name}")
            return await asyncio.wait_for(self.client.get(url, headers={"Accept": accept}), limit)
        except asyncio.TimeoutError:
            raise _unavailable(f"{host} did not answer in time for {name}") from None
        except httpx.HTTPError as exc:
            kind = Unreached if isinstance(exc, _unconnected()) else DataUnavailable
            raise _unavailable(f"{host} could not be asked ({type(exc).__name__})", kind) from None

    def _key(self, kind: str, *parts: str) -> str:
        return " ".join((kind, self._base, *parts))

    def _cached(self, key: str, model: type[M]) -> tuple[Entry, M] | None:
        """The cache entry for ``key`` and its parsed data; None when absent or unusable."""
        entry = self._cache.get(key)
        try:
            return (entry, msgspec.convert(entry.data, type=model)) if entry else None
        except msgspec.ValidationError:
            return None

    def _fresh(self, key: str, model: type[M], ttl: float) -> M | None:
        """The cached data for ``key`` when younger than ``ttl`` seconds."""
        hit = self._cached(key, model)
        return hit[1] if hit and hit[0].age < ttl else None

    def _once(
        self,
        key: tuple[str, ...],
        make: Callable[[], Awaitable[T]],
        cached: Callable[[], T | None] | None = None,
    ) -> Awaitable[T]:
        """``make()``, run once per ``key`` and shared by all who ask; ``cached``: the
        value from spip's cache, when it is fresh, without a task (the checks of a warm
        run ask for hundreds of documents, and a task apiece costs asyncio callbacks)."""
        task = self._tasks.get(key)
        if task is None:
            value = cached() if cached else None
            if value is not None:
                task = asyncio.get_running_loop().create_future()
                task.set_result(value)
            else:
                task = asyncio.ensure_future(make())
            self._tasks[key] = task
        # A finished task cannot be cancelled by one of those awaiting it: no shield needed
        # (a shield costs a future and callbacks, and the checks ask for the same documents
        # hundreds of times a run).
        return task if task.done() else asyncio.shield(task)

    def _unavailable(
        self, what: str, path: str, kind: type[DataUnavailable] = DataUnavailable
    ) -> DataUnavailable:
        return _unavailable(f"{self._host} {what} for {path}", kind)

    async def _get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET with one retry on a transient failure; returns 200, 304 and 404 answers."""
        import httpx

        for attempt in (1, 2):
            try:
                limit = self._deadline(f"{self._host} was not asked for {path}")
                resp = await asyncio.wait_for(
                    self.client.get(self._base + path, headers=headers), limit
                )
            except httpx.TooManyRedirects:
                raise self._unavailable("redirected in a loop", path) from None
            except (httpx.TimeoutException, asyncio.TimeoutError):
                raise self._unavailable("did not answer in time", path) from None
            except _unconnected() as exc:
                if attempt == 1:
                    await asyncio.sleep(RETRY_DELAY)
                    continue
                why = f"could not be reached ({exc or type(exc).__name__})"
                raise self._unavailable(why, path, self._unreached) from None
            except httpx.HTTPError as exc:
                raise self._unavailable(f"request failed ({type(exc).__name__})", path) from None
            if resp.status_code in TRANSIENT_STATUS and attempt == 1:
                await asyncio.sleep(RETRY_DELAY)
                continue
            if resp.status_code in (200, 304, 404):
                return resp
            raise self._unavailable(f"answered {resp.status_code}", path)
        raise AssertionError("unreachable")

    def _parse(self, model: type[M], content: bytes, path: str) -> M:
        try:
            return msgspec.json.decode(content, type=model)
        except msgspec.ValidationError:  # JSON, but not of this shape
            raise self._unavailable("sent a document of an unexpected shape", path) from None
        except msgspec.DecodeError:
            raise self._unavailable("sent invalid JSON", path) from None

    async def _project(self, name: str) -> _ProjectDoc:
        async def fetch() -> _ProjectDoc:
            path = f"/pypi/{name}/json"
            resp = await self._get(path)
            if resp.status_code != 200:
                raise self._unavailable(f"answered {resp.status_code}", path)
            doc = self._parse(_ProjectDoc, resp.content, path)
            _absolute(
                self._base + path, [*doc.urls, *(f for fs in doc.releases.values() for f in fs)]
            )
            return doc

        return await self._once(("project", name), fetch)

    async def _release(self, name: str, version: str) -> Release:
        key = self._key("release", name, version)
        path = f"/pypi/{name}/{quote(version, safe='')}/json"
        release = None
        if self._per_release is not False:
            resp = await self._get(path)
            if resp.status_code == 200:
                release = self._parse(Release, resp.content, path)
                _absolute(self._base + path, release.urls)
                if release.info and not same_version(release.info.version or version, version):
                    release = None  # it described another release: no per-release documents
                else:
                    self._remember_per_release(True)
        if release is None:
            release = (await self._project(name)).release(version)
            if release is None:
                raise _unavailable(f"{self._host} lists no release {version} of {name}")
            # The project lists the version, so the server has no per-release documents.
            self._remember_per_release(False)
        self._cache.put(key, msgspec.to_builtins(release))
        return release

    async def _publishers(self, url: str) -> list[Publisher]:
        key = self._key("provenance", url)
        absolute = urljoin(self._base + "/", url)
        path = absolute.removeprefix(self._base) if absolute.startswith(self._base) else url
        if not absolute.startswith(self._base):
            raise self._unavailable("gave a provenance URL on another server", path)
        resp = await self._get(path, {"Accept": "application/vnd.pypi.integrity.v1+json"})
        if resp.status_code != 200:
            raise self._unavailable(f"answered {resp.status_code}", path)
        document = self._parse(_Provenance, resp.content, path)
        self._cache.put(key, msgspec.to_builtins(document))
        return [b.publisher for b in document.attestation_bundles]

    def _remember_per_release(self, value: bool) -> None:
        if self._per_release is not value:
            self._per_release = value
            self._cache.put(self._key("server"), {"per_release": value})

    async def _files(self, name: str) -> ProjectFiles:
        key = self._key("files", name)
        hit = self._cached(key, ProjectFiles)  # stale: its ETag may spare the download
        headers = {"Accept": SIMPLE_JSON}
        if hit and hit[0].etag:
            headers["If-None-Match"] = hit[0].etag
        path = f"/simple/{name}/"
        resp = await self._get(path, headers)
        if resp.status_code == 304 and hit:  # unchanged: good for another while
            self._cache.put(key, hit[0].data, resp.headers.get("ETag") or hit[0].etag)
            return hit[1]
        content_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if resp.status_code == 200 and content_type in (SIMPLE_JSON, "application/json"):
            page = self._parse(_SimplePage, resp.content, path)
            _absolute(self._base + path, page.files)
            files = ProjectFiles._from_simple(page)
            self._cache.put(key, msgspec.to_builtins(files), resp.headers.get("ETag"))
        else:  # no JSON simple page here: the (much larger) project document has it too
            status = None
            if resp.status_code == 200 and content_type in ("text/html", SIMPLE_HTML):
                status = html_project_status(resp.text)
            if status is not None and status.status == "quarantined":
                files = ProjectFiles(status=status)  # its files are gone, its JSON API too
            else:
                files = ProjectFiles._from_project(await self._project(name))
                files.status = status
            self._cache.put(key, msgspec.to_builtins(files))
        return files
