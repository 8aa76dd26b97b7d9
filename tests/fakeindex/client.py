"""A raw HTTP client for testing the index itself: one request per fresh connection."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    body: Any = None,
    timeout: float = 10,
) -> Answer:
    """One request on a fresh connection (``body`` is sent as JSON), redirects not followed."""
    location = urlsplit(base)
    assert location.hostname and location.port
    connection = http.client.HTTPConnection(location.hostname, location.port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()
