"""The one async HTTP client of a run, configured like pip's own session."""

from __future__ import annotations

import contextlib
import importlib
import os
import ssl
import urllib.request
from collections.abc import Iterator, Mapping

import certifi
import httpx

from spip import __version__
from spip.core.redact import redact
from spip.index.errors import ClientSettingsError
from spip.index.netconf import NetSettings

# Enough parallelism to hide round trips, few enough connections that a mirror
# or a proxy is not flooded (measured: uncapped connections were slower).
MAX_CONNECTIONS = 16
_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)


def request_deadline(client: httpx.AsyncClient) -> float:
    """How long one request may take in all (connect, headers, body: httpx's own
    timeouts are per read, which a server sending a byte at a time never trips): pip's
    ``--timeout``, as the client was configured with it."""
    return client.timeout.read or NetSettings.timeout


def make_client(net: NetSettings, environ: Mapping[str, str] | None = None) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that goes where pip goes, trusting what pip trusts.

    Proxies: pip's ``--proxy``, else ``HTTPS_PROXY``/``NO_PROXY`` and friends (httpx's
    ``trust_env``, as requests reads them for pip). Certificates: see
    :func:`_verified_context`; pip's trusted hosts are not verified at all.
    """
    environ = os.environ if environ is None else environ
    try:
        verify = _verified_context(net, environ)
        insecure = _context(net, verify=False)
    except (OSError, ssl.SSLError) as exc:
        raise ClientSettingsError(
            f"cannot use the certificate {net.cert or net.client_cert}: {exc.strerror or exc}"
        ) from None
    try:
        mounts: dict[str, httpx.AsyncBaseTransport] = {
            pattern: httpx.AsyncHTTPTransport(
                verify=insecure, proxy=_proxy(net, scheme, host), limits=_LIMITS
            )
            for host in net.trusted_hosts
            for pattern, scheme, host in _patterns(host)
        }
        return _client(net, verify, mounts)
    except (httpx.InvalidURL, ValueError) as exc:  # HTTPS_PROXY=http://host:port:x, ...
        raise ClientSettingsError(
            f"cannot use the proxy settings (--proxy, pip's proxy, HTTPS_PROXY/HTTP_PROXY/"
            f"ALL_PROXY): {redact(str(exc))}"
        ) from None


def load_closing() -> None:
    """Import now what closing a client imports: httpcore shields each pool's close with
    an anyio cancel scope, which loads anyio's asyncio backend (~25-40 ms of CPU) unless
    a request already did, as in a run whose documents were all cached. Called while
    phase 1's installer works and spip waits; the close comes as phase 2's order is
    being sent, where holding the interpreter delayed that order by as much."""
    with contextlib.suppress(ImportError):
        importlib.import_module("anyio._backends._asyncio")


def _verified_context(net: NetSettings, environ: Mapping[str, str]) -> ssl.SSLContext:
    """The certificates pip trusts, all of them: the system's store (pip 24.2 and later
    use it, through truststore) and pip's bundle: ``--cert``/``PIP_CERT``/pip.conf's,
    else requests' ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's (what older
    pips use alone). Trusting less than pip would make spip fail where pip works."""
    context = _context(net, verify=True)
    bundle = (
        net.cert
        or environ.get("REQUESTS_CA_BUNDLE")
        or environ.get("CURL_CA_BUNDLE")
        or certifi.where()
    )
    defaults = ssl.get_default_verify_paths()  # what the system store already loaded
    if os.path.isdir(bundle):
        if not _same(bundle, defaults.capath):
            context.load_verify_locations(capath=bundle)
    elif not _same(bundle, defaults.cafile):
        context.load_verify_locations(cafile=bundle)
    return context


def _same(path: str, other: str | None) -> bool:
    return other is not None and os.path.realpath(path) == os.path.realpath(other)


def _context(net: NetSettings, *, verify: bool) -> ssl.SSLContext:
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
    if net.proxy:
        return net.proxy
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(scheme) or proxies.get("all")


def _client(
    net: NetSettings, verify: ssl.SSLContext, mounts: dict[str, httpx.AsyncBaseTransport]
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        proxy=net.proxy,
        verify=verify,
        mounts=mounts,
        timeout=httpx.Timeout(net.timeout, connect=min(net.timeout, 10.0)),
        limits=_LIMITS,
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": f"spip/{__version__} (+https://spip.lamentxu.top)"},
        trust_env=True,
    )
