"""A real package index on 127.0.0.1: the simple API and a PyPI JSON API look-alike.

One ``FakeIndex`` serves, from one base URL:

- ``/simple/`` and ``/simple/<name>/``: PEP 503 HTML or PEP 691 JSON (by the
  ``Accept`` header), with hashes, ``requires-python``, yanked flags, PEP 658/714
  metadata links and PEP 700 ``upload-time``/``size``/``versions``;
- ``/files/<filename>`` (HTTP ranges included) and ``/files/<filename>.metadata``;
- ``/pypi/<name>/json`` and ``/pypi/<name>/<version>/json`` shaped like PyPI's.

Knobs let tests make it slow, strip its caching headers, refuse ranges, fail
a project's JSON API in several ways, swap a file's bytes, or go down.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import hashlib
import html
import json
import shutil
import socket
import sys
import tarfile
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from tests.fakeindex.wheels import build_sdist, build_wheel

FAIL_MODES = ("404", "500", "garbage", "wrong-shape", "slow", "redirect-loop")
SLOW_SECONDS = 30.0
CACHE_CONTROL = "max-age=600, public"
FILE_CACHE_CONTROL = "max-age=365000000, immutable, public"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
# Media types a client may ask for on /simple/ -> the type served.
SIMPLE_MEDIA_TYPES = {
    SIMPLE_JSON: SIMPLE_JSON,
    "application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
    SIMPLE_HTML: SIMPLE_HTML,
    "application/vnd.pypi.simple.latest+html": SIMPLE_HTML,
    TEXT_HTML: TEXT_HTML,
    "*/*": TEXT_HTML,
}
BUILD_OPTIONS = frozenset(
    {
        "requires",
        "summary",
        "description",
        "metadata",
        "files",
        "entry_points",
        "tag",
        "requires_python",
        "date_time",
        "setup_py",
        "pyproject_toml",
    }
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request the index answered."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    status: int


@dataclass
class Response:
    """What the HTTP handler sends: status, body, headers (it adds Content-Length)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class DistFile:
    """One file on the index."""

    filename: str
    data: bytes
    packagetype: str  # "bdist_wheel" or "sdist"
    python_version: str
    upload_time: datetime
    yanked: bool
    yanked_reason: str | None
    metadata: bytes | None  # the wheel's METADATA, served as <file>.metadata (PEP 658)
    requires_python: str | None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = sha256_hex(self.data)


@dataclass
class Release:
    """One version of a project: its files, JSON API ``info`` and advisories."""

    version: str
    info: dict[str, Any]
    files: list[DistFile] = field(default_factory=list)
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def yanked(self) -> bool:
        return bool(self.files) and all(f.yanked for f in self.files)


@dataclass
class Swap:
    """Other bytes to serve under a file's name once ``after`` GETs of it have been answered."""

    data: bytes
    after: int
    downloads: int = 0


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key: PEP 440 order, versions that are not PEP 440 first."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def is_prerelease(version: str) -> bool:
    try:
        return Version(version).is_prerelease
    except InvalidVersion:
        return False


def parse_filename(filename: str) -> tuple[str, str, str, str]:
    """(name, version, packagetype, python_version) of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        name, version, *_, python, _abi, _platform = filename[: -len(".whl")].split("-")
        return name, version, "bdist_wheel", python
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            name, _, version = filename[: -len(suffix)].rpartition("-")
            return name, version, "sdist", "source"
    raise ValueError(f"not a wheel or sdist file name: {filename}")


def read_core_metadata(path: Path) -> tuple[bytes | None, bytes | None]:
    """(wheel METADATA, sdist PKG-INFO) bytes of a distribution file, whichever it has."""
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            member = next(
                n for n in archive.namelist() if PurePosixPath(n).match("*.dist-info/METADATA")
            )
            return archive.read(member), None
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            member = next(n for n in archive.namelist() if PurePosixPath(n).match("*/PKG-INFO"))
            return None, archive.read(member)
    with tarfile.open(path) as archive:
        member = next(m for m in archive.getmembers() if PurePosixPath(m.name).match("*/PKG-INFO"))
        extracted = archive.extractfile(member)
        assert extracted is not None
        return None, extracted.read()


def info_from_metadata(text: str) -> dict[str, Any]:
    """The JSON API ``info`` fields that come from core metadata (absent ones are None)."""
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)

    def one(header: str) -> str | None:
        value = message.get(header)
        return None if value is None else str(value)

    def many(header: str) -> list[str]:
        return [str(value) for value in message.get_all(header) or []]

    project_urls = dict(
        (label.strip(), url.strip())
        for label, _, url in (entry.partition(",") for entry in many("Project-URL"))
    )
    body = message.get_payload()
    return {
        "name": one("Name"),
        "version": one("Version"),
        "summary": one("Summary"),
        "description": body if isinstance(body, str) and body else one("Description"),
        "description_content_type": one("Description-Content-Type"),
        "author": one("Author"),
        "author_email": one("Author-email"),
        "maintainer": one("Maintainer"),
        "maintainer_email": one("Maintainer-email"),
        "license": one("License"),
        "keywords": one("Keywords"),
        "classifiers": many("Classifier"),
        "platform": one("Platform"),
        "home_page": one("Home-page"),
        "download_url": one("Download-URL"),
        "project_urls": project_urls or None,
        "requires_dist": many("Requires-Dist") or None,
        "requires_python": one("Requires-Python"),
        "provides_extra": many("Provides-Extra") or None,
        "docs_url": None,
        "bugtrack_url": None,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
    }


def vulnerability(entry: dict[str, Any]) -> dict[str, Any]:
    """A PyPI advisory record: ``entry`` over PyPI's defaults."""
    defaults = {
        "aliases": [],
        "details": "",
        "fixed_in": [],
        "link": f"https://osv.dev/vulnerability/{entry.get('id', '')}",
        "source": "osv",
        "summary": None,
        "withdrawn": None,
    }
    return {**defaults, **entry}


def iso_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def negotiate_simple(accept: str | None) -> str:
    """The simple-API media type to answer with, by the ``Accept`` header's q-values."""
    best, best_q = TEXT_HTML, 0.0
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media in SIMPLE_MEDIA_TYPES and quality > best_q:
            best, best_q = SIMPLE_MEDIA_TYPES[media], quality
    return best


def parse_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single ``bytes=`` range; None to ignore; False if unsatisfiable."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first_text, sep, last_text = header[len("bytes=") :].strip().partition("-")
    if not sep or not (first_text + last_text).isdigit():
        return None
    if not first_text:
        suffix = int(last_text)
        return (max(size - suffix, 0), size - 1) if suffix and size else False
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        return False
    return first, last


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_body(document: Any) -> bytes:
    return json.dumps(document, indent=1).encode()


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class FakeIndex:
    """A package index on 127.0.0.1 with a thread-safe, mutable catalogue.

    Use as a context manager or with ``start()``/``stop()``. ``url`` is the base
    (for ``SPIP_PYPI_URL``), ``simple_url`` the simple API (for ``--index-url``).

    Knobs (plain attributes, read at every request): ``delay`` seconds added to
    every answer; ``no_ranges`` ignores ``Range``; ``no_per_release_json``
    answers 404 to every ``/pypi/NAME/VERSION/json``; ``no_cache_headers``
    drops ``ETag``/``Cache-Control`` (and so 304s). Also ``fail()``, ``swap()``,
    ``down()``/``up()``; ``reset()`` undoes all of them.
    """

    def __init__(self, workdir: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="fakeindex-"))
        self.host, self.port = host, port
        self.delay = 0.0
        self.no_ranges = False
        self.no_per_release_json = False
        self.no_cache_headers = False
        # Files refused (401) to clients whose User-Agent starts with this: an index
        # whose credentials only pip holds (e.g. in a keyring).
        self.refuse_agent: str | None = None
        self._lock = threading.RLock()
        self._projects: dict[str, dict[str, Release]] = {}
        self._files: dict[str, DistFile] = {}
        self._failures: dict[str, str] = {}
        self._swaps: dict[str, Swap] = {}
        self._log: list[LoggedRequest] = []
        self._serial = 0
        self._wake = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- life cycle ---------------------------------------------------------

    def __enter__(self) -> FakeIndex:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> FakeIndex:
        """Start serving (on a random free port the first time)."""
        self._wake = threading.Event()
        self.up()
        return self

    def stop(self) -> None:
        """Stop serving, end slow answers, and remove the index's own temporary folder."""
        self._wake.set()
        self.down()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def up(self) -> None:
        """Listen again (on the same port) after ``down()``."""
        with self._lock:
            if self._server is not None:
                return
            self._server = _Server((self.host, self.port), _Handler, self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fakeindex-{self.port}",
                daemon=True,
            )
            self._thread.start()

    def down(self) -> None:
        """Stop listening and cut open connections: clients get 'connection refused'."""
        with self._lock:
            server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join()

    def reset(self) -> None:
        """Normal service again: knobs off, no failures or swaps, up, log cleared.

        The catalogue stays. Requests sleeping in ``"slow"`` mode wake up.
        """
        self.delay = 0.0
        self.no_ranges = self.no_per_release_json = self.no_cache_headers = False
        self.refuse_agent = None
        with self._lock:
            self._failures.clear()
            self._swaps.clear()
            self._log.clear()
            self._wake.set()
            self._wake = threading.Event()
        self.up()

    @property
    def url(self) -> str:
        """Base URL: the JSON API lives under it (``SPIP_PYPI_URL``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def simple_url(self) -> str:
        """The simple API's URL (``--index-url``/``PIP_INDEX_URL``)."""
        return f"{self.url}/simple/"

    # -- catalogue ----------------------------------------------------------

    def add(
        self,
        path: Path,
        *,
        upload_time: datetime | None = None,
        yanked: bool | str = False,
        vulnerabilities: list[dict[str, Any]] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Serve a wheel or sdist; project and version come from its file name.

        ``upload_time`` defaults to 30 days ago; ``yanked`` may be a reason;
        ``vulnerabilities`` are PyPI advisory records (``id``, ``aliases``,
        ``fixed_in``, ``details``, ``summary``); ``info`` overrides JSON API
        ``info`` fields of the release.
        """
        name, version, packagetype, python_version = parse_filename(path.name)
        wheel_metadata, pkg_info = read_core_metadata(path)
        computed = info_from_metadata((wheel_metadata or pkg_info or b"").decode())
        computed["name"] = computed["name"] or name
        computed["version"] = computed["version"] or version
        moment = upload_time or datetime.now(timezone.utc) - timedelta(days=30)
        dist_file = DistFile(
            filename=path.name,
            data=path.read_bytes(),
            packagetype=packagetype,
            python_version=python_version,
            upload_time=moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc),
            yanked=bool(yanked),
            yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
            metadata=wheel_metadata,
            requires_python=computed["requires_python"],
        )
        project = canonicalize_name(name)
        with self._lock:
            if path.name in self._files:
                raise ValueError(
                    f"{path.name} is already on the index (which tests share: name projects "
                    "with unique_name())"
                )
            releases = self._projects.setdefault(project, {})
            release = releases.setdefault(
                canonicalize_version(version),
                Release(version=computed["version"], info=computed),
            )
            release.files.append(dist_file)
            release.info.update(info or {})
            release.vulnerabilities.extend(vulnerability(v) for v in vulnerabilities or ())
            self._files[path.name] = dist_file
            self._serial += 1

    def publish(self, name: str, version: str, *, sdist: bool = False, **options: Any) -> Path:
        """Build a wheel (or an sdist) into the index's folder and ``add()`` it.

        ``options`` are split between the builder (``requires``, ``summary``,
        ``files``, ...) and ``add()`` (``upload_time``, ``yanked``, ...).
        """
        build = {k: v for k, v in options.items() if k in BUILD_OPTIONS}
        add = {k: v for k, v in options.items() if k not in BUILD_OPTIONS}
        builder = build_sdist if sdist else build_wheel
        path = builder(self.workdir / canonicalize_name(name), name, version, **build)
        self.add(path, **add)
        return path

    # -- knobs ----------------------------------------------------------------

    def fail(self, project: str, mode: str | None) -> None:
        """Make ``project``'s JSON API endpoints misbehave (None: behave again).

        Modes: ``"404"``, ``"500"``, ``"garbage"`` (200, invalid JSON),
        ``"wrong-shape"`` (200, a JSON list), ``"slow"`` (answers after 30 s, or
        at ``reset()``/``stop()``), ``"redirect-loop"`` (302 to itself).
        """
        if mode is not None and mode not in FAIL_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {FAIL_MODES}")
        with self._lock:
            if mode is None:
                self._failures.pop(canonicalize_name(project), None)
            else:
                self._failures[canonicalize_name(project)] = mode

    def swap(self, filename: str, other: Path, after: int = 1) -> None:
        """Serve ``other``'s bytes as ``filename`` from the (after+1)-th GET on (counted from now).

        Every GET of the file counts, range requests included; the index's
        hashes and ``.metadata`` stay those of the original.
        """
        with self._lock:
            if filename not in self._files:
                raise KeyError(filename)
            self._swaps[filename] = Swap(other.read_bytes(), after)

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of the requests answered since the last ``clear_log()``/``reset()``."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- serving ----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str]) -> Response:
        """Answer one request (called by the HTTP handler threads)."""
        wake = self._wake
        if self.delay:
            wake.wait(self.delay)
        path = unquote(urlsplit(target).path)
        parts = path.strip("/").split("/")
        if parts[0] == "simple":
            response = self._simple(path, parts[1:], headers)
        elif parts[0] == "files" and len(parts) == 2:
            agent = headers.get("user-agent", "")
            if self.refuse_agent and agent.startswith(self.refuse_agent):
                response = Response(401, b"Unauthorized")
            else:
                response = self._file(method, parts[1], headers)
        elif parts[0] == "pypi" and len(parts) in (3, 4) and parts[-1] == "json":
            response = self._json_api(target, parts[1], parts[2:-1], wake)
        else:
            response = Response(404, b"Not Found")
        if response.headers.get("ETag") and etag_matches(
            headers.get("if-none-match"), response.headers["ETag"]
        ):
            response = Response(304, headers=response.headers)
        return response

    def log(self, method: str, target: str, headers: dict[str, str], status: int) -> None:
        with self._lock:
            self._log.append(LoggedRequest(method, target, headers, status))

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _cacheable(self, body: bytes, content_type: str, **extra: str) -> Response:
        headers = {"Content-Type": content_type, **extra}
        if not self.no_cache_headers:
            headers["ETag"] = f'"{sha256_hex(body)[:32]}"'
            headers["Cache-Control"] = CACHE_CONTROL
        with self._lock:
            headers["X-PyPI-Last-Serial"] = str(self._serial)
        return Response(200, body, headers)

    def _simple(self, path: str, names: list[str], headers: dict[str, str]) -> Response:
        if not path.endswith("/"):
            return Response(301, headers={"Location": path + "/"})
        media_type = negotiate_simple(headers.get("accept"))
        with self._lock:
            if not names:
                body = self._render_root(media_type)
            elif names[0] != canonicalize_name(names[0]):
                location = f"/simple/{canonicalize_name(names[0])}/"
                return Response(301, headers={"Location": location})
            elif names[0] in self._projects and len(names) == 1:
                body = self._render_project(names[0], media_type)
            else:
                return Response(404, b"Not Found")
        content_type = media_type + ("; charset=utf-8" if media_type == TEXT_HTML else "")
        return self._cacheable(body, content_type, Vary="Accept")

    def _render_root(self, media_type: str) -> bytes:
        names = sorted(self._projects)
        if media_type == SIMPLE_JSON:
            meta = {"api-version": "1.1", "_last-serial": self._serial}
            return json_body({"meta": meta, "projects": [{"name": n} for n in names]})
        links = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names)
        return self._html_page("Simple index", links)

    def _render_project(self, project: str, media_type: str) -> bytes:
        releases = sorted(self._projects[project].values(), key=lambda r: version_key(r.version))
        files = [f for release in releases for f in release.files]
        if media_type == SIMPLE_JSON:
            return json_body(
                {
                    "meta": {"api-version": "1.1", "_last-serial": self._serial},
                    "name": project,
                    "versions": [r.version for r in releases],
                    "files": [self._simple_file_json(f) for f in files],
                }
            )
        links = "".join(self._simple_file_anchor(f) for f in files)
        return self._html_page(f"Links for {project}", links)

    @staticmethod
    def _html_page(title: str, links: str) -> bytes:
        return (
            "<!DOCTYPE html>\n<html>\n<head>\n"
            '<meta name="pypi:repository-version" content="1.1">\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{links}</body>\n</html>\n"
        ).encode()

    def file_url(self, filename: str) -> str:
        return f"{self.url}/files/{quote(filename)}"

    def _simple_file_json(self, dist_file: DistFile) -> dict[str, Any]:
        core = {"sha256": sha256_hex(dist_file.metadata)} if dist_file.metadata else False
        return {
            "filename": dist_file.filename,
            "url": self.file_url(dist_file.filename),
            "hashes": {"sha256": dist_file.sha256},
            "requires-python": dist_file.requires_python,
            "yanked": dist_file.yanked_reason or dist_file.yanked,
            "core-metadata": core,
            "data-dist-info-metadata": core,  # PyPI's spelling: pip < 23.1 cannot read a dict here
            "provenance": None,
            "size": len(dist_file.data),
            "upload-time": iso_time(dist_file.upload_time),
        }

    def _simple_file_anchor(self, dist_file: DistFile) -> str:
        attributes = ""
        if dist_file.requires_python:
            attributes += f' data-requires-python="{html.escape(dist_file.requires_python)}"'
        if dist_file.yanked:
            attributes += f' data-yanked="{html.escape(dist_file.yanked_reason or "")}"'
        if dist_file.metadata:
            digest = sha256_hex(dist_file.metadata)
            attributes += f' data-dist-info-metadata="sha256={digest}"'
            attributes += f' data-core-metadata="sha256={digest}"'
        href = f"{self.file_url(dist_file.filename)}#sha256={dist_file.sha256}"
        text = html.escape(dist_file.filename)
        return f'<a href="{html.escape(href)}"{attributes}>{text}</a><br />\n'

    def _file(self, method: str, filename: str, headers: dict[str, str]) -> Response:
        with self._lock:
            if filename.endswith(".metadata") and filename[: -len(".metadata")] in self._files:
                metadata = self._files[filename[: -len(".metadata")]].metadata
                if metadata is None:
                    return Response(404, b"Not Found")
                return Response(200, metadata, {"Content-Type": "application/octet-stream"})
            if filename not in self._files:
                return Response(404, b"Not Found")
            data = self._files[filename].data
            swap = self._swaps.get(filename)
            if swap is not None and method == "GET":
                swap.downloads += 1
                if swap.downloads > swap.after:
                    data = swap.data
        return self._ranged(data, headers.get("range"))

    def _ranged(self, data: bytes, range_header: str | None) -> Response:
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        if not self.no_cache_headers:
            headers["ETag"] = f'"{sha256_hex(data)}"'
            headers["Cache-Control"] = FILE_CACHE_CONTROL
        if self.no_ranges:
            return Response(200, data, headers)
        byte_range = parse_range(range_header, len(data))
        if byte_range is None:
            return Response(200, data, headers)
        if byte_range is False:
            return Response(416, b"", {**headers, "Content-Range": f"bytes */{len(data)}"})
        first, last = byte_range
        content_range = f"bytes {first}-{last}/{len(data)}"
        return Response(206, data[first : last + 1], {**headers, "Content-Range": content_range})

    def _json_api(
        self, target: str, name: str, version: list[str], wake: threading.Event
    ) -> Response:
        project = canonicalize_name(name)
        with self._lock:
            mode = self._failures.get(project)
        if mode == "slow":
            wake.wait(SLOW_SECONDS)
        elif mode is not None:
            return self._failure(mode, target, project, version)
        if version and self.no_per_release_json:
            return self._json_not_found()
        with self._lock:
            document = self._json_document(project, version[0] if version else None)
        if document is None:
            return self._json_not_found()
        return self._cacheable(json_body(document), "application/json")

    @staticmethod
    def _json_not_found() -> Response:
        return Response(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})

    def _failure(self, mode: str, target: str, project: str, version: list[str]) -> Response:
        if mode == "404":
            return self._json_not_found()
        if mode == "500":
            return Response(500, b"Internal Server Error", {"Content-Type": "text/plain"})
        if mode == "redirect-loop":
            return Response(302, headers={"Location": target})
        if mode == "wrong-shape":
            return Response(200, b'["not", "a", "release"]', {"Content-Type": "application/json"})
        with self._lock:
            document = self._json_document(project, version[0] if version else None)
        full = json_body(document or {"info": {"name": project}})
        return Response(200, full[: len(full) // 2], {"Content-Type": "application/json"})

    def _json_document(self, project: str, version: str | None) -> dict[str, Any] | None:
        releases = self._projects.get(project)
        if not releases:
            return None
        if version is None:
            release = self._latest(list(releases.values()))
        else:
            release = releases.get(canonicalize_version(version))
            if release is None:
                return None
        document: dict[str, Any] = {
            "info": self._json_info(release),
            "last_serial": self._serial,
            "urls": [self._json_file(f) for f in release.files],
            "vulnerabilities": release.vulnerabilities,
        }
        if version is None:
            document["releases"] = {
                r.version: [self._json_file(f) for f in r.files]
                for r in sorted(releases.values(), key=lambda r: version_key(r.version))
            }
        return document

    @staticmethod
    def _latest(releases: list[Release]) -> Release:
        """PyPI's choice for the project page: the newest final, unyanked release if any."""
        candidates = (
            [r for r in releases if not r.yanked and not is_prerelease(r.version)]
            or [r for r in releases if not r.yanked]
            or releases
        )
        return max(candidates, key=lambda r: version_key(r.version))

    def _json_info(self, release: Release) -> dict[str, Any]:
        name = release.info["name"]
        reasons = [f.yanked_reason for f in release.files if f.yanked_reason]
        return {
            "package_url": f"{self.url}/project/{name}/",
            "project_url": f"{self.url}/project/{name}/",
            "release_url": f"{self.url}/project/{name}/{release.version}/",
            "yanked": release.yanked,
            "yanked_reason": reasons[0] if release.yanked and reasons else None,
            **release.info,
        }

    def _json_file(self, dist_file: DistFile) -> dict[str, Any]:
        return {
            "comment_text": "",
            "digests": {
                "sha256": dist_file.sha256,
                "md5": hashlib.md5(dist_file.data).hexdigest(),
                "blake2b_256": hashlib.blake2b(dist_file.data, digest_size=32).hexdigest(),
            },
            "downloads": -1,
            "filename": dist_file.filename,
            "has_sig": False,
            "md5_digest": hashlib.md5(dist_file.data).hexdigest(),
            "packagetype": dist_file.packagetype,
            "python_version": dist_file.python_version,
            "requires_python": dist_file.requires_python,
            "size": len(dist_file.data),
            "upload_time": dist_file.upload_time.astimezone(timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "upload_time_iso_8601": iso_time(dist_file.upload_time),
            "url": self.file_url(dist_file.filename),
            "yanked": dist_file.yanked,
            "yanked_reason": dist_file.yanked_reason,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, index: FakeIndex):
        self.index = index
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away; report anything else."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    server_version = "fakeindex"
    disable_nagle_algorithm = True
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.index.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.index.track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """No request logging to stderr (``FakeIndex.requests`` has them)."""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        index = self.server.index
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = index.handle(self.command, self.path, headers)
        index.log(self.command, self.path, headers, response.status)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head and response.status != 304:
            self.wfile.write(response.body)
