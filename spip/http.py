"""The one async HTTP client of a run, configured like pip's own session."""

from __future__ import annotations

import httpx

from spip import __version__
from spip.netconf import NetSettings

# Enough parallelism to hide round trips, few enough connections that a mirror
# or a proxy is not flooded (measured: uncapped connections were slower).
MAX_CONNECTIONS = 16


def make_client(net: NetSettings) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that honours pip's proxy, certificate and timeout settings.

    ``HTTPS_PROXY``/``SSL_CERT_FILE`` and friends are honoured by httpx itself
    (``trust_env``); pip's ``--proxy``/``--cert`` override them.
    """
    verify: str | bool = net.cert or True
    return httpx.AsyncClient(
        proxy=net.proxy,
        verify=verify,
        cert=net.client_cert,
        timeout=httpx.Timeout(net.timeout, connect=min(net.timeout, 10.0)),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
        ),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": f"spip/{__version__} (+https://spip.lamentxu.top)"},
        trust_env=True,
    )
