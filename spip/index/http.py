"""The one HTTP client of a run, configured like pip's own session, made when first used."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from spip import __version__
from spip.core.redact import redact
from spip.index.errors import ClientSettingsError
from spip.index.netconf import NetSettings

if TYPE_CHECKING:
    import ssl

    import httpx

# Enough parallelism to hide round trips, few enough connections that a mirror
# or a proxy is not flooded (measured: uncapped connections were slower).
MAX_CONNECTIONS = 16


class Client:
    """The run's HTTP client: an ``httpx.AsyncClient``, made at the first request.

    A warm run finds every document and file it needs in spip's cache and asks no index
    anything: it then never imports httpx, makes no TLS context and has no pool to close
    (~60-100 ms of CPU, which a uv install that takes 60 ms would wait for). What can be
    checked of the settings without making it is checked at once (:func:`make_client`);
    a certificate file that turns out not to be one fails the first request with
    :class:`ClientSettingsError`, which the checks let through (one clear error).
    """

    def __init__(
        self, make: Callable[[], httpx.AsyncClient], deadline: float, *, now: bool = False
    ) -> None:
        self._make = make
        self._client: httpx.AsyncClient | None = make() if now else None
        self._slots: asyncio.Semaphore | None = None  # see _slot
        # How long one request may take in all (connect, headers, body: httpx's own
        # timeouts are per read, which a server sending a byte at a time never trips):
        # pip's ``--timeout``.
        self.deadline = deadline

    @classmethod
    def wrapping(cls, client: httpx.AsyncClient) -> Client:
        """An httpx client of the caller's own (a transport of its own, in tests)."""
        return cls(lambda: client, client.timeout.read or NetSettings.timeout, now=True)

    @property
    def made(self) -> bool:
        return self._client is not None

    def httpx_client(self) -> httpx.AsyncClient:
        """The httpx client, made now if it was not yet."""
        if self._client is None:
            self._client = self._make()
        return self._client

    def _slot(self) -> asyncio.Semaphore:
        """One of the :data:`MAX_CONNECTIONS` requests that may be under way at once.

        The rest wait here, not in httpcore's pool: with hundreds queued there (the head
        starts of a big cold plan), every change of a connection's state made the pool
        walk the whole queue, checking each connection with a system call (measured:
        ~1 s of CPU for the ~360 requests of a 60-distribution plan)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        return self._slots

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        async with self._slot():
            return await self.httpx_client().get(url, **kwargs)

    @contextlib.asynccontextmanager
    async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        async with self._slot(), self.httpx_client().stream(method, url, **kwargs) as response:
            yield response

    def build_request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        return self.httpx_client().build_request(method, url, **kwargs)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        async with self._slot():
            return await self.httpx_client().send(request, **kwargs)

    def load_closing(self) -> None:
        """Import now what closing a made client imports: httpcore shields each pool's
        close with an anyio cancel scope, which loads anyio's asyncio backend (~25-40 ms
        of CPU) unless a request already did. Called while phase 1's installer works;
        the close comes as phase 2's order is being sent, where holding the interpreter
        delayed that order by as much. A client never made has nothing to close."""
        if self._client is not None:
            with contextlib.suppress(ImportError):
                importlib.import_module("anyio._backends._asyncio")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def make_client(net: NetSettings, environ: Mapping[str, str] | None = None) -> Client:
    """A client that goes where pip goes, trusting what pip trusts.

    Proxies: pip's ``--proxy``, else ``HTTPS_PROXY``/``NO_PROXY`` and friends (httpx's
    ``trust_env``, as requests reads them for pip). Certificates: see
    :func:`_verified_context`; pip's trusted hosts are not verified at all. A proxy
    makes the client at once (only httpx can say whether it can use one); a missing
    certificate file is an error at once.
    """
    environ = os.environ if environ is None else environ
    for path in (_bundle(net, environ), net.client_cert):
        if path and not os.access(path, os.R_OK):
            why = os.strerror(errno.ENOENT if not os.path.exists(path) else errno.EACCES)
            raise ClientSettingsError(f"cannot use the certificate {path}: {why}")
    proxies = any(
        k.lower().endswith("_proxy") and k.lower() != "no_proxy" and v for k, v in environ.items()
    )
    deadline = net.timeout or NetSettings.timeout
    now = bool(net.proxy) or proxies
    return Client(lambda: _httpx_client(net, environ), deadline, now=now)


def _httpx_client(net: NetSettings, environ: Mapping[str, str]) -> httpx.AsyncClient:
    import ssl

    import httpx

    # httpcore imports trio wherever it is installed, to lock its pools under trio's event
    # loop too (~55-100 ms of CPU here, in every run that makes a client); spip's loop is
    # asyncio's, and nothing else runs in its process: a None in sys.modules makes that
    # import fail, as if trio were absent.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]

    try:
        verify = _verified_context(net, environ)
        insecure = _context(net, verify=False)
    except (OSError, ssl.SSLError) as exc:
        raise ClientSettingsError(
            f"cannot use the certificate {net.cert or net.client_cert}: {exc.strerror or exc}"
        ) from None
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
    )
    try:
        mounts: dict[str, httpx.AsyncBaseTransport] = {
            pattern: httpx.AsyncHTTPTransport(
                verify=insecure, proxy=_proxy(net, scheme, host), limits=limits
            )
            for host in net.trusted_hosts
            for pattern, scheme, host in _patterns(host)
        }
        return httpx.AsyncClient(
            proxy=net.proxy,
            verify=verify,
            mounts=mounts,
            timeout=httpx.Timeout(net.timeout, connect=min(net.timeout, 10.0)),
            limits=limits,
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": f"spip/{__version__} (+https://spip.lamentxu.top)"},
            trust_env=True,
        )
    except (httpx.InvalidURL, ValueError) as exc:  # HTTPS_PROXY=http://host:port:x, ...
        raise ClientSettingsError(
            f"cannot use the proxy settings (--proxy, pip's proxy, HTTPS_PROXY/HTTP_PROXY/"
            f"ALL_PROXY): {redact(str(exc))}"
        ) from None


def _verified_context(net: NetSettings, environ: Mapping[str, str]) -> ssl.SSLContext:
    """The certificates pip trusts, all of them: the system's store (pip 24.2 and later
    use it, through truststore) and pip's bundle: ``--cert``/``PIP_CERT``/pip.conf's,
    else requests' ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's (what older
    pips use alone). Trusting less than pip would make spip fail where pip works."""
    import ssl

    import certifi

    context = _context(net, verify=True)
    bundle = _bundle(net, environ) or certifi.where()
    defaults = ssl.get_default_verify_paths()  # what the system store already loaded
    if os.path.isdir(bundle):
        if not _same(bundle, defaults.capath):
            context.load_verify_locations(capath=bundle)
    elif not _same(bundle, defaults.cafile):
        context.load_verify_locations(cafile=bundle)
    return context


def _bundle(net: NetSettings, environ: Mapping[str, str]) -> str | None:
    """The certificate bundle pip is told to use, if any (else certifi's)."""
    return net.cert or environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")


def _same(path: str, other: str | None) -> bool:
    return other is not None and os.path.realpath(path) == os.path.realpath(other)


def _context(net: NetSettings, *, verify: bool) -> ssl.SSLContext:
    import ssl

    if verify:
        context = ssl.create_default_context()
    else:  # a trusted host: encrypted, not authenticated (pip's --trusted-host); no CAs
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if net.client_cert:
        context.load_cert_chain(net.client_cert)
    return context


def _patterns(trusted: str) -> Iterator[tuple[str, str, str]]:
    """httpx mount patterns for a pip trusted host (``host``: any port, ``host:port``)."""
    host, _, port = trusted.strip().rpartition(":") if _has_port(trusted) else (trusted, "", "")
    host = host.strip().lower()
    if not host:
        return
    for scheme, default in (("https", "443"), ("http", "80")):
        yield f"{scheme}://{host}{':' + port if port else ''}", scheme, host
        if port == default:  # an URL without a port has none to match
            yield f"{scheme}://{host}", scheme, host


def _has_port(trusted: str) -> bool:
    head, sep, tail = trusted.strip().rpartition(":")
    return bool(sep) and tail.isdigit() and not head.endswith(":")


def _proxy(net: NetSettings, scheme: str, host: str) -> str | None:
    """The proxy a request to ``host`` takes: httpx picks it for the other hosts."""
    import urllib.request

    if net.proxy:
        return net.proxy
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(scheme) or proxies.get("all")
