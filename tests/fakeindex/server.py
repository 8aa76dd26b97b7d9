"""A real package index on 127.0.0.1: the simple API and a PyPI JSON API look-alike.

One ``FakeIndex`` serves, from one base URL:

- ``/simple/`` and ``/simple/<name>/``: PEP 503 HTML or PEP 691 JSON (by the
  ``Accept`` header), with hashes, ``requires-python``, yanked flags, PEP 658/714
  metadata links and PEP 700 ``upload-time``/``size``/``versions``;
- ``/files/<filename>`` (HTTP ranges included) and ``/files/<filename>.metadata``;
- ``/pypi/<name>/json`` and ``/pypi/<name>/<version>/json`` shaped like PyPI's;
- ``/integrity/<project>/<version>/<filename>/provenance``: PEP 740 provenance
  objects, as PyPI's integrity API serves them (linked from the simple API);
- an OSV look-alike (the API of https://api.osv.dev): ``POST /v1/query``,
  ``POST /v1/querybatch`` and ``GET /v1/vulns/<id>``, over records given to
  ``add_osv()``.

Project pages carry PEP 792 status markers (``set_status()``) and declare
simple API version 1.4.

Knobs let tests make it slow, strip its caching headers, refuse or botch
ranges, fail a project's JSON API (or the OSV API) in several ways, swap a
file's bytes, or go down.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import html
import json
import shutil
import socket
import ssl
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
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
# How file downloads can botch HTTP ranges (see ``FakeIndex.set_range_mode``).
RANGE_MODES = ("refuse", "wrong-range", "truncate", "416", "drip")
DRIP_MS = 50.0  # default pause between two bytes in "drip" mode
DRIP_MAX_SECONDS = SLOW_SECONDS  # a dripping answer sends the rest at once after this long
# A certificate for 127.0.0.1 and localhost (100 years), signed by a CA whose key is gone.
TLS_DIR = Path(__file__).parent / "tls"
TLS_CA = TLS_DIR / "ca.pem"
WRONG_RANGE_SHIFT = 16  # bytes by which "wrong-range" shifts the Content-Range it claims
# PEP 792 project status markers, and where the JSON simple API puts them.
PROJECT_STATUSES = ("active", "archived", "quarantined", "deprecated")
STATUS_SHAPES = ("top-level", "meta")
SIMPLE_API_VERSION = "1.4"  # PEP 700 (1.1), PEP 740 (1.3), PEP 792 (1.4)
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"
ATTESTATION_PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
OSV_SCHEMA_VERSION = "1.6.0"
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
    body: bytes = b""  # the request's body (OSV queries are POSTed)

    def json(self) -> Any:
        """The request body as JSON (for POSTed OSV queries)."""
        return json.loads(self.body)


@dataclass
class Response:
    """What the HTTP handler sends: status, body, headers (it adds Content-Length).

    ``send`` (if not None) is how many bytes of ``body`` to write before closing
    the connection, the Content-Length still saying all of it; ``drip`` is a
    pause in seconds between bytes, until ``wake`` is set or ``drip_for``
    seconds have passed, when the rest goes at once.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    send: int | None = None
    drip: float = 0.0
    drip_for: float = 0.0
    wake: threading.Event | None = None


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
    project: str = ""  # normalised name
    version: str = ""  # as the release spells it
    provenance: dict[str, Any] | None = None  # PEP 740: the attestations' publisher
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


def osv_json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, json_body(document), {"Content-Type": "application/json", **(headers or {})}
    )


def osv_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An error as the OSV API words it: ``{"code": <gRPC code>, "message": ...}``."""
    return osv_json({"code": code, "message": message}, status, headers)


def as_utc(moment: datetime) -> datetime:
    """``moment`` with a time zone (UTC if it had none)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def moment_of(value: datetime | timedelta | None, default: timedelta) -> datetime:
    """A point in time: a datetime as is, a timedelta as that long ago, None as ``default`` ago."""
    if isinstance(value, datetime):
        return as_utc(value)
    return datetime.now(timezone.utc) - (default if value is None else value)


def provenance_document(dist_file: DistFile) -> dict[str, Any]:
    """PEP 740's provenance object of a file: one bundle, its publisher and attestations.

    The attestation is a placeholder shaped like PyPI's: an in-toto statement
    naming the file and its sha256, with no real certificate or signature.
    """
    given = dict(dist_file.provenance or {})
    attestations = given.pop("attestations", None)
    publisher = {"kind": "GitHub", "environment": None, "claims": None, **given}
    if attestations is None:
        statement = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": dist_file.filename, "digest": {"sha256": dist_file.sha256}}],
            "predicateType": ATTESTATION_PREDICATE,
            "predicate": None,
        }
        attestations = [
            {
                "version": 1,
                "verification_material": {"certificate": "", "transparency_entries": []},
                "envelope": {
                    "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
                    "signature": "",
                },
            }
        ]
    return {
        "version": 1,
        "attestation_bundles": [{"publisher": publisher, "attestations": attestations}],
    }


def osv_time(value: datetime | str) -> str:
    return value if isinstance(value, str) else iso_time(as_utc(value))


def osv_record(
    vuln_id: str,
    package: str,
    versions: Sequence[str] = (),
    *,
    introduced: str | None = None,
    fixed: str | None = None,
    ecosystem: str = "PyPI",
    **fields: Any,
) -> dict[str, Any]:
    """A minimal OSV record for ``FakeIndex.add_osv()``: ``package`` at ``versions``.

    ``introduced``/``fixed`` add an ``ECOSYSTEM`` range (``introduced`` defaults
    to ``"0"`` when only ``fixed`` is given); ``fields`` are other top-level
    fields (``summary``, ``aliases``, ``withdrawn``, ``modified``, ...).
    """
    affected: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": package},
        "versions": list(versions),
    }
    if introduced is not None or fixed is not None:
        events: list[dict[str, str]] = [{"introduced": introduced or "0"}]
        if fixed is not None:
            events.append({"fixed": fixed})
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    return {"id": vuln_id, "affected": [affected], **fields}


def normalise_osv(record: dict[str, Any]) -> dict[str, Any]:
    """An OSV record as the OSV API serves it: ``record`` over the fields every record has."""
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise ValueError("an OSV record needs an 'id'")
    now = iso_time(datetime.now(timezone.utc))
    full: dict[str, Any] = {
        "schema_version": OSV_SCHEMA_VERSION,
        "id": record["id"],
        "summary": "",
        "details": "",
        "aliases": [],
        "modified": now,
        "published": record.get("modified", now),
        "affected": [],
        "database_specific": {},
        **record,
    }
    for key in ("modified", "published", "withdrawn"):
        if full.get(key) is not None:
            full[key] = osv_time(full[key])
        elif key == "withdrawn":
            full.pop(key, None)
    affected = []
    for entry in full["affected"]:
        package = dict(entry.get("package") or {})
        if package.get("ecosystem") == "PyPI" and package.get("name") and "purl" not in package:
            package["purl"] = f"pkg:pypi/{canonicalize_name(package['name'])}"
        affected.append({"versions": [], "ranges": [], **entry, "package": package})
    full["affected"] = affected
    return full


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_osv_range(version: Version, events: list[dict[str, str]]) -> bool:
    """Whether ``version`` is affected by an OSV ``ECOSYSTEM`` range (the schema's algorithm)."""
    keyed: list[tuple[Version, int, str]] = []
    for event in events:
        for order, kind in enumerate(("introduced", "fixed", "last_affected")):
            if kind in event:
                bound = Version("0") if event[kind] == "0" else parse_version(event[kind])
                if bound is not None:
                    keyed.append((bound, order, kind))
    affected = False
    for bound, _, kind in sorted(keyed):
        if kind == "introduced":
            affected = affected or version >= bound
        elif version > bound or (kind == "fixed" and version == bound):
            affected = False
    return affected


def osv_affects(record: dict[str, Any], ecosystem: str, name: str, version: str | None) -> bool:
    """Whether an OSV record names the package (PyPI names compared normalised) at ``version``."""
    wanted = canonicalize_name(name) if ecosystem == "PyPI" else name
    parsed = None if version is None else parse_version(version)
    for entry in record.get("affected", []):
        package = entry.get("package") or {}
        theirs = package.get("name", "")
        if package.get("ecosystem") != ecosystem:
            continue
        if (canonicalize_name(theirs) if ecosystem == "PyPI" else theirs) != wanted:
            continue
        if version is None:
            return True
        listed = entry.get("versions") or []
        if version in listed or (
            parsed is not None and any(parse_version(v) == parsed for v in listed)
        ):
            return True
        if parsed is not None and any(
            r.get("type") in ("ECOSYSTEM", "SEMVER") and in_osv_range(parsed, r.get("events", []))
            for r in entry.get("ranges") or []
        ):
            return True
    return False


def parse_osv_query(query: Any) -> tuple[str, str, str | None]:
    """(ecosystem, name, version) of one OSV query; ValueError for what the API answers 400."""
    if not isinstance(query, dict):
        raise ValueError("a query must be an object")
    package = query.get("package") or {}
    if not isinstance(package, dict):
        raise ValueError("'package' must be an object")
    version = query.get("version")
    purl = package.get("purl")
    if purl:
        kind, _, rest = str(purl).partition("/")
        name, _, purl_version = rest.partition("@")
        if kind != "pkg:pypi" or not name:
            raise ValueError(f"unsupported purl {purl!r}")
        if purl_version and version:
            raise ValueError("use either version or a versioned purl, not both")
        return "PyPI", unquote(name), purl_version or version
    if not package.get("name") or not package.get("ecosystem"):
        raise ValueError("a package query needs 'name' and 'ecosystem' (or 'purl')")
    return str(package["ecosystem"]), str(package["name"]), version


class FakeIndex:
    """A package index on 127.0.0.1 with a thread-safe, mutable catalogue.

    Use as a context manager or with ``start()``/``stop()``. ``url`` is the base
    (for ``SPIP_PYPI_URL``), ``simple_url`` the simple API (for ``--index-url``).

    Knobs (plain attributes, read at every request): ``delay`` seconds added to
    every answer; ``no_ranges`` ignores ``Range`` (the same as ``range_mode =
    "refuse"``); ``range_mode`` botches ranges of every file (one of
    ``RANGE_MODES``, see ``set_range_mode()``), ``drip_ms``/``drip_max_seconds``
    pace its ``"drip"``; ``no_per_release_json`` answers 404 to every
    ``/pypi/NAME/VERSION/json`` while ``/pypi/NAME/json`` works (like a frozen
    mirror); ``no_cache_headers`` drops ``ETag``/``Cache-Control`` (and so
    304s); ``project_status_shape`` is where the JSON simple API puts PEP 792
    markers (``"top-level"``, PEP 792's and PyPI's ``"project-status":
    {"status", "reason"}``, or ``"meta"``: ``meta["project-status"]`` and
    ``meta["project-status-reason"]``, as the PyPA spec's example has it);
    ``osv_query_withdrawn`` lets OSV queries return withdrawn records (the
    real API leaves them out). Also ``fail()``, ``fail_osv()``, ``swap()``,
    ``set_range_mode()``, ``down()``/``up()``; ``reset()`` undoes all of them.

    The catalogue (``add()``/``publish()``, ``reupload()``/``republish()``,
    ``set_status()``, ``add_osv()``) stays until the index stops.
    """

    def __init__(
        self,
        workdir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
    ):
        self._own_workdir = workdir is None
        self.tls = tls
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="fakeindex-"))
        self.host, self.port = host, port
        self.delay = 0.0
        self.in_flight = self.peak_in_flight = 0  # requests being answered (the most at once)
        self.no_ranges = False
        self.no_per_release_json = False
        self.no_cache_headers = False
        # Files refused (401) to clients whose User-Agent starts with this: an index
        # whose credentials only pip holds (e.g. in a keyring).
        self.refuse_agent: str | None = None
        self.drop_json_api_agent: str | None = None
        self.range_mode: str | None = None
        self.drip_ms = DRIP_MS
        self.drip_max_seconds = DRIP_MAX_SECONDS
        self.project_status_shape = "top-level"
        self.osv_query_withdrawn = False
        self._lock = threading.RLock()
        self._projects: dict[str, dict[str, Release]] = {}
        self._files: dict[str, DistFile] = {}
        self._failures: dict[str, str] = {}
        self._swaps: dict[str, Swap] = {}
        self._range_modes: dict[str, str] = {}
        self._statuses: dict[str, tuple[str, str | None]] = {}
        self._osv: dict[str, dict[str, Any]] = {}
        self._osv_failure: str | None = None
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
            if self.tls:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(TLS_DIR / "server.pem", TLS_DIR / "server.key")
                # The handshake happens in the handler's thread, not in the accept loop.
                self._server.socket = context.wrap_socket(
                    self._server.socket, server_side=True, do_handshake_on_connect=False
                )
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

        The catalogue stays (project statuses and OSV records included).
        Requests sleeping in ``"slow"`` mode wake up; dripping answers send the
        rest at once.
        """
        self.delay = 0.0
        self.peak_in_flight = 0
        self.no_ranges = self.no_per_release_json = self.no_cache_headers = False
        self.refuse_agent = self.drop_json_api_agent = None
        self.range_mode = None
        self.drip_ms, self.drip_max_seconds = DRIP_MS, DRIP_MAX_SECONDS
        self.project_status_shape = "top-level"
        self.osv_query_withdrawn = False
        with self._lock:
            self._failures.clear()
            self._swaps.clear()
            self._range_modes.clear()
            self._osv_failure = None
            self._log.clear()
            self._wake.set()
            self._wake = threading.Event()
        self.up()

    @property
    def url(self) -> str:
        """Base URL: the JSON API lives under it (``SPIP_PYPI_URL``)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def simple_url(self) -> str:
        """The simple API's URL (``--index-url``/``PIP_INDEX_URL``)."""
        return f"{self.url}/simple/"

    @property
    def osv_url(self) -> str:
        """Base URL of the OSV look-alike (``https://api.osv.dev`` for real): ``/v1/...``."""
        return self.url

    # -- catalogue ----------------------------------------------------------

    def add(
        self,
        path: Path,
        *,
        upload_time: datetime | timedelta | None = None,
        yanked: bool | str = False,
        vulnerabilities: list[dict[str, Any]] | None = None,
        info: dict[str, Any] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        """Serve a wheel or sdist; project and version come from its file name.

        ``upload_time`` is a datetime (UTC if naive) or a timedelta (that long
        ago), 30 days ago by default; it is the file's PEP 691/700
        ``upload-time`` and JSON API ``upload_time``/``upload_time_iso_8601``.
        ``yanked`` may be a reason; ``vulnerabilities`` are PyPI advisory
        records (``id``, ``aliases``, ``fixed_in``, ``details``, ``summary``);
        ``info`` overrides JSON API ``info`` fields of the release.
        ``provenance`` (PEP 740) is the publisher of the file's attestations,
        e.g. ``{"kind": "GitHub", "repository": "owner/repo", "workflow":
        "release.yml", "environment": "pypi"}``; an ``"attestations"`` key, if
        any, replaces the placeholder attestation.
        """
        name, version, packagetype, python_version = parse_filename(path.name)
        wheel_metadata, pkg_info = read_core_metadata(path)
        computed = info_from_metadata((wheel_metadata or pkg_info or b"").decode())
        computed["name"] = computed["name"] or name
        computed["version"] = computed["version"] or version
        project = canonicalize_name(name)
        dist_file = DistFile(
            filename=path.name,
            data=path.read_bytes(),
            packagetype=packagetype,
            python_version=python_version,
            upload_time=moment_of(upload_time, timedelta(days=30)),
            yanked=bool(yanked),
            yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
            metadata=wheel_metadata,
            requires_python=computed["requires_python"],
            project=project,
            provenance=dict(provenance) if provenance is not None else None,
        )
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
            dist_file.version = release.version
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

    def reupload(
        self,
        path: Path,
        *,
        upload_time: datetime | timedelta | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        """Replace the bytes of the file named ``path.name`` with ``path``'s: a re-upload.

        Unlike ``swap()``, the index then tells the truth about the new file:
        its hashes, size, ``.metadata`` and upload time (``upload_time`` as in
        ``add()``, now by default) change everywhere; its release, yanked state
        and JSON API ``info`` stay. ``provenance`` replaces the old one if given.
        """
        with self._lock:
            if path.name not in self._files:
                raise KeyError(path.name)
        wheel_metadata, pkg_info = read_core_metadata(path)
        computed = info_from_metadata((wheel_metadata or pkg_info or b"").decode())
        with self._lock:
            dist_file = self._files[path.name]
            dist_file.data = path.read_bytes()
            dist_file.sha256 = sha256_hex(dist_file.data)
            dist_file.metadata = wheel_metadata
            dist_file.requires_python = computed["requires_python"]
            dist_file.upload_time = moment_of(upload_time, timedelta(0))
            if provenance is not None:
                dist_file.provenance = dict(provenance)
            self._serial += 1

    def republish(self, name: str, version: str, *, sdist: bool = False, **options: Any) -> Path:
        """Build a file again (with other ``options``, e.g. ``files=``) and ``reupload()`` it.

        Takes the builder's options and ``reupload()``'s (``upload_time``,
        ``provenance``); the new file is built in a folder of its own, so the
        path ``publish()`` returned keeps the old bytes.
        """
        build = {k: v for k, v in options.items() if k in BUILD_OPTIONS}
        again = {k: v for k, v in options.items() if k not in BUILD_OPTIONS}
        builder = build_sdist if sdist else build_wheel
        folder = Path(tempfile.mkdtemp(prefix="reupload-", dir=self.workdir))
        path = builder(folder, name, version, **build)
        self.reupload(path, **again)
        return path

    def set_status(self, project: str, status: str, reason: str | None = None) -> None:
        """Give ``project`` a PEP 792 status marker (``PROJECT_STATUSES``), with a reason or not.

        Its simple pages then carry it (JSON: by ``project_status_shape``; HTML:
        ``pypi:project-status``/``pypi:project-status-reason`` meta tags). A
        ``"quarantined"`` project, as on PyPI, lists no files (its versions
        stay), and its files, ``.metadata`` and JSON API answer 404.
        ``"active"`` without a reason is the default.
        """
        if status not in PROJECT_STATUSES:
            raise ValueError(f"unknown project status {status!r}; one of {PROJECT_STATUSES}")
        with self._lock:
            self._statuses[canonicalize_name(project)] = (status, reason)
            self._serial += 1

    def provenance_url(self, filename: str) -> str | None:
        """The PEP 740 provenance URL of a file on the index (None if it has no provenance)."""
        with self._lock:
            dist_file = self._files[filename]
            return self._provenance_url(dist_file)

    def _provenance_url(self, dist_file: DistFile) -> str | None:
        if dist_file.provenance is None:
            return None
        version, filename = quote(dist_file.version), quote(dist_file.filename)
        return f"{self.url}/integrity/{dist_file.project}/{version}/{filename}/provenance"

    def add_osv(self, record: dict[str, Any]) -> dict[str, Any]:
        """Serve an OSV record (``osv_record()`` builds small ones); returns it as served.

        ``id`` is required (``PYSEC-``, ``GHSA-``, ``MAL-``, ...); ``modified``,
        ``published`` and ``withdrawn`` may be datetimes; missing fields get
        the defaults every OSV record has. A record with the same ``id``
        replaces the old one. Withdrawn records are left out of query answers
        (as on osv.dev) but ``GET /v1/vulns/<id>`` serves them.
        """
        full = normalise_osv(record)
        with self._lock:
            self._osv[full["id"]] = full
        return full

    def fail_osv(self, mode: str | None) -> None:
        """Make every OSV endpoint misbehave, in one of ``FAIL_MODES`` (None: behave again)."""
        if mode is not None and mode not in FAIL_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {FAIL_MODES}")
        with self._lock:
            self._osv_failure = mode

    def set_range_mode(self, mode: str | None, filename: str | None = None) -> None:
        """Botch range requests for one file (or every file when ``filename`` is None).

        Modes (``RANGE_MODES``); a file's own mode wins over the global one:

        - ``"refuse"``: ignore ``Range``, answer 200 with the whole file;
        - ``"wrong-range"``: 206 with the bytes asked for, but a Content-Range
          claiming them at an offset shifted by ``WRONG_RANGE_SHIFT`` bytes (down
          when there is room, else up);
        - ``"truncate"``: 206 with the right headers, but only half the bytes
          are sent before the connection closes;
        - ``"416"``: 416 to every request with a ``Range`` header;
        - ``"drip"``: every answer (whole or ranged) sends one byte per
          ``drip_ms`` milliseconds; after ``drip_max_seconds`` or at
          ``reset()``/``stop()``, the rest goes at once.

        In every mode but ``"drip"``, downloads without ``Range`` are answered
        at once and whole, so pip still installs. None: ranges work again.
        """
        if mode is not None and mode not in RANGE_MODES:
            raise ValueError(f"unknown range mode {mode!r}; one of {RANGE_MODES}")
        with self._lock:
            if filename is None:
                self.range_mode = mode
            elif filename not in self._files:
                raise KeyError(filename)
            elif mode is None:
                self._range_modes.pop(filename, None)
            else:
                self._range_modes[filename] = mode

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

    def serve_metadata_of(self, filename: str, other: Path) -> None:
        """Serve the METADATA of the wheel ``other`` as ``filename``'s PEP 658 ``.metadata``
        (its hash on the simple pages too): an index whose metadata file is not the
        wheel's own. The file, its hashes and the JSON API stay."""
        metadata = read_core_metadata(other)[0]
        with self._lock:
            self._files[filename].metadata = metadata
            self._serial += 1

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of the requests answered since the last ``clear_log()``/``reset()``."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- serving ----------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        """Answer one request (called by the HTTP handler threads)."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self._handle(method, target, headers, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        wake = self._wake
        if self.delay:
            wake.wait(self.delay)
        path = unquote(urlsplit(target).path)
        parts = path.strip("/").split("/")
        if parts[0] == "v1":
            response = self._osv_api(method, target, parts[1:], body, wake)
        elif method == "POST":
            response = Response(405, b"Method Not Allowed", {"Allow": "GET, HEAD"})
        elif parts[0] == "simple":
            response = self._simple(path, parts[1:], headers)
        elif parts[0] == "files" and len(parts) == 2:
            agent = headers.get("user-agent", "")
            if self.refuse_agent and agent.startswith(self.refuse_agent):
                response = Response(401, b"Unauthorized")
            else:
                response = self._file(method, parts[1], headers)
        elif parts[0] == "pypi" and len(parts) in (3, 4) and parts[-1] == "json":
            response = self._json_api(target, parts[1], parts[2:-1], wake)
        elif parts[0] == "integrity" and len(parts) == 5 and parts[4] == "provenance":
            response = self._integrity(parts[1], parts[2], parts[3])
        else:
            response = Response(404, b"Not Found")
        if response.headers.get("ETag") and etag_matches(
            headers.get("if-none-match"), response.headers["ETag"]
        ):
            response = Response(304, headers=response.headers)
        return response

    def log(
        self, method: str, target: str, headers: dict[str, str], status: int, body: bytes = b""
    ) -> None:
        with self._lock:
            self._log.append(LoggedRequest(method, target, headers, status, body))

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
            meta = {"api-version": SIMPLE_API_VERSION, "_last-serial": self._serial}
            return json_body({"meta": meta, "projects": [{"name": n} for n in names]})
        links = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names)
        return self._html_page("Simple index", links)

    def _render_project(self, project: str, media_type: str) -> bytes:
        releases = sorted(self._projects[project].values(), key=lambda r: version_key(r.version))
        status, reason = self._statuses.get(project, ("active", None))
        files = [] if status == "quarantined" else [f for r in releases for f in r.files]
        if media_type == SIMPLE_JSON:
            meta: dict[str, Any] = {"api-version": SIMPLE_API_VERSION, "_last-serial": self._serial}
            document: dict[str, Any] = {"meta": meta}
            if self.project_status_shape == "meta":
                meta["project-status"] = status
                if reason is not None:
                    meta["project-status-reason"] = reason
            else:
                marker = {"status": status}
                if reason is not None:
                    marker["reason"] = reason
                document["project-status"] = marker
            document.update(
                {
                    "name": project,
                    "versions": [r.version for r in releases],
                    "files": [self._simple_file_json(f) for f in files],
                }
            )
            return json_body(document)
        links = "".join(self._simple_file_anchor(f) for f in files)
        tags = {"pypi:project-status": status}
        if reason is not None:
            tags["pypi:project-status-reason"] = reason
        return self._html_page(f"Links for {project}", links, tags)

    @staticmethod
    def _html_page(title: str, links: str, meta: dict[str, str] | None = None) -> bytes:
        tags = {"pypi:repository-version": SIMPLE_API_VERSION, **(meta or {})}
        head = "".join(
            f'<meta name="{html.escape(name)}" content="{html.escape(content)}">\n'
            for name, content in tags.items()
        )
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n{head}"
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
            "provenance": self._provenance_url(dist_file),
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
        provenance = self._provenance_url(dist_file)
        if provenance:
            attributes += f' data-provenance="{html.escape(provenance)}"'
        href = f"{self.file_url(dist_file.filename)}#sha256={dist_file.sha256}"
        text = html.escape(dist_file.filename)
        return f'<a href="{html.escape(href)}"{attributes}>{text}</a><br />\n'

    def _quarantined(self, project: str) -> bool:
        return self._statuses.get(project, ("active", None))[0] == "quarantined"

    def _file(self, method: str, filename: str, headers: dict[str, str]) -> Response:
        with self._lock:
            if filename.endswith(".metadata") and filename[: -len(".metadata")] in self._files:
                dist_file = self._files[filename[: -len(".metadata")]]
                if dist_file.metadata is None or self._quarantined(dist_file.project):
                    return Response(404, b"Not Found")
                return Response(200, dist_file.metadata, self._file_headers(dist_file.metadata))
            if filename not in self._files or self._quarantined(self._files[filename].project):
                return Response(404, b"Not Found")
            data = self._files[filename].data
            swap = self._swaps.get(filename)
            if swap is not None and method == "GET":
                swap.downloads += 1
                if swap.downloads > swap.after:
                    data = swap.data
            mode = self._range_modes.get(filename) or self.range_mode
        if mode is None and self.no_ranges:
            mode = "refuse"
        response = self._ranged(data, headers.get("range"), mode)
        if mode == "drip":
            response.drip, response.drip_for = self.drip_ms / 1000, self.drip_max_seconds
            response.wake = self._wake
        return response

    def _file_headers(self, data: bytes) -> dict[str, str]:
        """A file's (or ``.metadata`` file's) headers: immutable, as PyPI's file host
        serves both."""
        headers = {"Content-Type": "application/octet-stream"}
        if not self.no_cache_headers:
            headers["ETag"] = f'"{sha256_hex(data)}"'
            headers["Cache-Control"] = FILE_CACHE_CONTROL
        return headers

    def _ranged(self, data: bytes, range_header: str | None, mode: str | None = None) -> Response:
        headers = {**self._file_headers(data), "Accept-Ranges": "bytes"}
        unsatisfiable = {**headers, "Content-Range": f"bytes */{len(data)}"}
        if mode == "416" and range_header:
            return Response(416, b"", unsatisfiable)
        if mode == "refuse":
            return Response(200, data, headers)
        byte_range = parse_range(range_header, len(data))
        if byte_range is None:
            return Response(200, data, headers)
        if not isinstance(byte_range, tuple):  # False: unsatisfiable
            return Response(416, b"", unsatisfiable)
        first, last = byte_range
        body = data[first : last + 1]
        if mode == "wrong-range":  # the right bytes, claimed to be elsewhere in the file
            shift = -WRONG_RANGE_SHIFT if first >= WRONG_RANGE_SHIFT else WRONG_RANGE_SHIFT
            first, last = first + shift, last + shift
        content_range = f"bytes {first}-{last}/{len(data)}"
        response = Response(206, body, {**headers, "Content-Range": content_range})
        if mode == "truncate":
            response.send = len(body) // 2
        return response

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
            if self._quarantined(project):
                return self._json_not_found()
            document = self._json_document(project, version[0] if version else None)
        if document is None:
            return self._json_not_found()
        return self._cacheable(json_body(document), "application/json")

    @staticmethod
    def _json_not_found() -> Response:
        return Response(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})

    def _integrity(self, project: str, version: str, filename: str) -> Response:
        """PyPI's integrity API: the PEP 740 provenance object of one file."""
        with self._lock:
            dist_file = self._files.get(filename)
            if (
                dist_file is None
                or dist_file.provenance is None
                or canonicalize_name(project) != dist_file.project
                or canonicalize_version(version) != canonicalize_version(dist_file.version)
                or self._quarantined(dist_file.project)
            ):
                return self._json_not_found()
            document = provenance_document(dist_file)
        return self._cacheable(json_body(document), INTEGRITY_JSON)

    # -- the OSV look-alike -------------------------------------------------

    def _osv_api(
        self, method: str, target: str, parts: list[str], body: bytes, wake: threading.Event
    ) -> Response:
        with self._lock:
            failure = self._osv_failure
        if failure == "slow":
            wake.wait(SLOW_SECONDS)
        elif failure == "404":
            return osv_error(404, 5, "Not Found")
        elif failure == "500":
            return Response(500, b"Internal Server Error", {"Content-Type": "text/plain"})
        elif failure == "redirect-loop":
            return Response(302, headers={"Location": target})
        elif failure == "wrong-shape":
            return Response(200, b'["not", "an", "answer"]', {"Content-Type": "application/json"})
        response = self._osv_answer(method, parts, body)
        if failure == "garbage":
            return Response(200, response.body[: len(response.body) // 2], response.headers)
        return response

    def _osv_answer(self, method: str, parts: list[str], body: bytes) -> Response:
        if parts in (["query"], ["querybatch"]):
            if method != "POST":
                return osv_error(405, 12, "Method Not Allowed", {"Allow": "POST"})
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return osv_error(400, 3, "Invalid JSON body")
            try:
                if parts == ["query"]:
                    vulns = self._osv_matches(*parse_osv_query(request))
                    return osv_json({"vulns": vulns} if vulns else {})
                queries = request.get("queries") if isinstance(request, dict) else None
                if not isinstance(queries, list) or len(queries) > 1000:
                    raise ValueError("'queries' must be a list of at most 1000 queries")
                results = []
                for query in queries:
                    found = self._osv_matches(*parse_osv_query(query))
                    short = [{"id": v["id"], "modified": v["modified"]} for v in found]
                    results.append({"vulns": short} if short else {})
                return osv_json({"results": results})
            except ValueError as error:
                return osv_error(400, 3, str(error))
        if len(parts) == 2 and parts[0] == "vulns" and method in ("GET", "HEAD"):
            with self._lock:
                record = self._osv.get(parts[1])
            if record is None:
                return osv_error(404, 5, "Bug not found.")
            response = osv_json(record)
            if not self.no_cache_headers:
                response.headers["ETag"] = f'"{sha256_hex(response.body)[:32]}"'
                response.headers["Cache-Control"] = "max-age=300, public"
            return response
        return osv_error(404, 5, "Not Found")

    def _osv_matches(self, ecosystem: str, name: str, version: str | None) -> list[dict[str, Any]]:
        with self._lock:
            records = sorted(self._osv.values(), key=lambda r: r["id"])
        return [
            record
            for record in records
            if (self.osv_query_withdrawn or not record.get("withdrawn"))
            and osv_affects(record, ecosystem, name, version or None)
        ]

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
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
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

    def do_POST(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        index = self.server.index
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        agent = index.drop_json_api_agent
        if (
            agent
            and self.path.startswith("/pypi/")
            and headers.get("user-agent", "").startswith(agent)
        ):
            index.log(self.command, self.path, headers, 0, body)
            self.close_connection = True  # no answer at all
            return
        response = index.handle(self.command, self.path, headers, body)
        index.log(self.command, self.path, headers, response.status, body)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head and response.status != 304:
            self._write(response)

    def _write(self, response: Response) -> None:
        """Send the body: whole, cut short (then close), or a byte at a time for a while."""
        body = response.body if response.send is None else response.body[: response.send]
        sent = 0
        if response.drip > 0:
            wake = response.wake or threading.Event()
            deadline = time.monotonic() + response.drip_for
            while sent < len(body) and not wake.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.wfile.write(body[sent : sent + 1])
                sent += 1
                wake.wait(min(response.drip, left))
        self.wfile.write(body[sent:])
        if response.send is not None:
            self.close_connection = True
