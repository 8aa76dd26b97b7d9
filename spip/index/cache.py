"""spip's HTTP/metadata cache: one small JSON file per key under the cache directory.

Entries are written atomically (temporary file + ``os.replace``), so a run
killed half-way or two runs at once never leave half an entry; an entry that
cannot be read for any reason is a miss, never an error. The cache is an
optimisation only: a full disk or a read-only directory just means no caching.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import msgspec

from spip.core.atomic import atomic_write
from spip.core.logs import log

# Bump when the shape of what the client stores changes: old entries are then ignored.
FORMAT = "http-v1"


class Entry(msgspec.Struct, frozen=True):
    data: Any
    stored: float
    etag: str | None = None

    @property
    def age(self) -> float:
        """Seconds since the entry was stored (negative clock jumps count as fresh)."""
        return max(0.0, time.time() - self.stored)


class Cache:
    """Key -> JSON value store; ``Cache(None)`` caches nothing."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / FORMAT if directory is not None else None

    def _path(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".json")

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            raw = json.loads(path.read_bytes())
            if raw.get("key") != key:
                return None
            return Entry(raw["data"], float(raw["stored"]), raw.get("etag"))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def put(self, key: str, data: Any, etag: str | None = None) -> None:
        path = self._path(key)
        if path is None:
            return
        record = {"key": key, "stored": time.time(), "etag": etag, "data": data}
        try:
            text = json.dumps(record, separators=(",", ":"))
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        except (OSError, TypeError, ValueError):
            log.debug("cache: could not store %s", key, exc_info=True)
