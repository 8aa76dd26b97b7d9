"""Whether an index (any PEP 503 simple repository) serves a project: one page request."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from spip.index.errors import DataUnavailable
from spip.ui.sanitize import neutralise

__all__ = ["serves"]

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


def _host(url: str) -> str:
    return neutralise(urlsplit(url).netloc.rpartition("@")[2] or url, limit=60)


async def serves(client: httpx.AsyncClient, index_url: str, name: str) -> bool:
    """Whether the simple repository at ``index_url`` lists files of project ``name``."""
    url = f"{index_url.rstrip('/')}/{name}/"
    try:
        resp = await client.get(url, headers={"Accept": ACCEPT})
    except httpx.HTTPError as exc:
        raise DataUnavailable(
            f"{_host(index_url)} could not be reached ({type(exc).__name__})"
        ) from None
    if resp.status_code == 404:
        return False
    if resp.status_code != 200:
        raise DataUnavailable(f"{_host(index_url)} answered {resp.status_code} for {name}")
    if "json" in resp.headers.get("Content-Type", ""):
        try:
            files = json.loads(resp.content).get("files")
        except (ValueError, AttributeError):
            raise DataUnavailable(f"{_host(index_url)} sent invalid JSON for {name}") from None
        return bool(files)
    return "<a " in resp.text.lower()
