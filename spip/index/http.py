"""The one async HTTP client of a run, configured like pip's own session."""

from __future__ import annotations

import os
import ssl

import httpx

from spip import __version__
from spip.core.redact import redact
from spip.index.errors import ClientSettingsError
from spip.index.netconf import NetSettings

# Enough parallelism to hide round trips, few enough connections that a mirror
# or a proxy is not flooded (measured: uncapped connections were slower).
MAX_CONNECTIONS = 16


def request_deadline(client: httpx.AsyncClient) -> float:
    """How long one request may take in all (connect, headers, body: httpx's own
    timeouts are per read, which a server sending a byte at a time never trips): pip's
    ``--timeout``, as the client was configured with it."""
    return client.timeout.read or NetSettings.timeout


def make_client(net: NetSettings) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that honours pip's proxy, certificate and timeout settings.

    ``HTTPS_PROXY``/``SSL_CERT_FILE`` and friends are honoured by httpx itself
    (``trust_env``); pip's ``--proxy``/``--cert`` override them.
    """
    verify: ssl.SSLContext | bool = True
    try:
        if net.cert or net.client_cert:
            if net.cert and os.path.isdir(net.cert):
                verify = ssl.create_default_context(capath=net.cert)
            else:
                verify = ssl.create_default_context(cafile=net.cert)
            if net.client_cert:
                verify.load_cert_chain(net.client_cert)
    except (OSError, ssl.SSLError) as exc:
        raise ClientSettingsError(
            f"cannot use the certificate {net.cert or net.client_cert}: {exc.strerror or exc}"
        ) from None
    try:
        return _client(net, verify)
    except (httpx.InvalidURL, ValueError) as exc:  # HTTPS_PROXY=http://host:port:x, ...
        raise ClientSettingsError(
            f"cannot use the proxy settings (--proxy, pip's proxy, HTTPS_PROXY/HTTP_PROXY/"
            f"ALL_PROXY): {redact(str(exc))}"
        ) from None


def _client(net: NetSettings, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        proxy=net.proxy,
        verify=verify,
        timeout=httpx.Timeout(net.timeout, connect=min(net.timeout, 10.0)),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
        ),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": f"spip/{__version__} (+https://spip.lamentxu.top)"},
        trust_env=True,
    )
