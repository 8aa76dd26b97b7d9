"""The OSV API (https://osv.dev): which releases known-malicious advisories name.

One ``POST /v1/querybatch`` answers for every release of a plan at once, with advisory
ids and modification times only; the full record of each ``MAL-`` advisory it names
is then read (``GET /v1/vulns/ID``) to honour ``withdrawn`` and to say what it is.
Other advisory kinds are left to the index's own vulnerability data.

Both are cached under the cache dir: the batch's answer per release for
``ANSWER_TTL``, and each record with its validators (the ``modified`` time the batch
reports, and its ETag): a record is read again only when the batch says it changed.
Whoever calls this decides which names may leave the machine (the API is public).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import msgspec

from spip.index.cache import Cache
from spip.index.errors import DataUnavailable
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    import httpx

    from spip.index.http import Client

__all__ = ["MALICIOUS_PREFIX", "Advisory", "OSVClient", "advisory_link"]

MALICIOUS_PREFIX = "MAL-"
ANSWER_TTL = 3600.0  # a release's answer is reused this long (new advisories come in hours)
MAX_QUERIES = 1000  # per batch request, the API's limit

Release = tuple[str, str]  # (PEP 503 name, version)


def advisory_link(advisory_id: str) -> str:
    return f"https://osv.dev/vulnerability/{quote(advisory_id, safe='')}"


class Advisory(msgspec.Struct, frozen=True):
    """A known-malicious advisory naming a release."""

    id: str
    summary: str = ""
    published: str | None = None

    @property
    def link(self) -> str:
        return advisory_link(self.id)


class _Model(msgspec.Struct):
    """The API's answers (unknown fields ignored), as :mod:`spip.plan.report`'s models."""


class _Ref(_Model):
    id: str
    modified: str | None = None


class _Result(_Model):
    vulns: list[_Ref] = msgspec.field(default_factory=list)


class _Batch(_Model):
    results: list[_Result]


class _Record(_Model):
    id: str
    summary: str = ""
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None


class OSVClient:
    """The OSV API of one run (``base_url``: ``https://api.osv.dev`` or a look-alike)."""

    def __init__(self, client: Client, base_url: str, cache: Cache) -> None:
        self.client = client
        self._base = base_url.rstrip("/")
        self.host = neutralise(urlsplit(self._base).netloc or self._base, limit=60)
        self._cache = cache

    async def malicious(self, releases: Sequence[Release]) -> dict[Release, list[Advisory]]:
        """The ``MAL-`` advisories (not withdrawn) naming each of ``releases``.

        At most one batch request (per 1,000 releases not answered from the cache).
        Raises :class:`DataUnavailable` when the API cannot be asked.
        """
        answers: dict[Release, list[_Ref]] = {}
        asked: list[Release] = []
        for release in dict.fromkeys(releases):
            entry = self._cache.get(self._answer_key(release))
            if entry is not None and entry.age < ANSWER_TTL and isinstance(entry.data, list):
                try:
                    answers[release] = msgspec.convert(entry.data, type=list[_Ref])
                    continue
                except msgspec.ValidationError:
                    pass
            asked.append(release)
        for start in range(0, len(asked), MAX_QUERIES):
            chunk = asked[start : start + MAX_QUERIES]
            for release, refs in zip(chunk, await self._batch(chunk), strict=True):
                answers[release] = refs
                self._cache.put(self._answer_key(release), msgspec.to_builtins(refs))
        named = {r.id: r.modified for refs in answers.values() for r in refs}
        wanted = [i for i in named if i.startswith(MALICIOUS_PREFIX)]
        found = await asyncio.gather(*(self._record(i, named[i]) for i in wanted))
        standing = {i: adv for i, adv in zip(wanted, found, strict=True) if adv is not None}
        return {
            release: [standing[r.id] for r in answers.get(release, []) if r.id in standing]
            for release in releases
        }

    # -- machinery ------------------------------------------------------------------

    def _answer_key(self, release: Release) -> str:
        return " ".join(("osv-answer", self._base, *release))

    def _unavailable(self, what: str) -> DataUnavailable:
        return DataUnavailable(neutralise(f"{self.host} (OSV) {what}", limit=160))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        import httpx

        try:
            resp = await self.client.send(request)
        except httpx.TooManyRedirects:
            raise self._unavailable("redirected in a loop") from None
        except httpx.TimeoutException:
            raise self._unavailable("did not answer in time") from None
        except httpx.HTTPError as exc:
            raise self._unavailable(f"could not be reached ({type(exc).__name__})") from None
        if resp.status_code not in (200, 304, 404):
            raise self._unavailable(f"answered {resp.status_code}")
        return resp

    async def _batch(self, releases: Sequence[Release]) -> list[list[_Ref]]:
        queries = [
            {"package": {"ecosystem": "PyPI", "name": name}, "version": version}
            for name, version in releases
        ]
        request = self.client.build_request(
            "POST", self._base + "/v1/querybatch", json={"queries": queries}
        )
        resp = await self._send(request)
        if resp.status_code != 200:
            raise self._unavailable(f"answered {resp.status_code}")
        try:
            batch = msgspec.json.decode(resp.content, type=_Batch)
        except msgspec.DecodeError:
            raise self._unavailable("sent an answer of an unexpected shape") from None
        if len(batch.results) != len(releases):
            raise self._unavailable("answered another number of queries than were asked")
        return [result.vulns for result in batch.results]

    async def _record(self, advisory_id: str, modified: str | None) -> Advisory | None:
        """The advisory, None when withdrawn; a record that cannot be read still counts
        (the batch named it: fail closed)."""
        key = " ".join(("osv-record", self._base, advisory_id))
        entry = self._cache.get(key)
        cached = None
        if entry is not None:
            try:
                cached = msgspec.convert(entry.data, type=_Record)
            except msgspec.ValidationError:
                cached = None
        if cached is not None and entry is not None and modified and cached.modified == modified:
            return _advisory(cached)
        headers = {"If-None-Match": entry.etag} if cached and entry and entry.etag else {}
        url = f"{self._base}/v1/vulns/{quote(advisory_id, safe='')}"
        record = None
        try:
            resp = await self._send(self.client.build_request("GET", url, headers=headers))
            if resp.status_code == 304:
                record = cached
            elif resp.status_code == 200:
                record = msgspec.json.decode(resp.content, type=_Record)
        except (DataUnavailable, msgspec.DecodeError):
            pass
        if record is None:
            return _advisory(cached) if cached is not None else Advisory(advisory_id)
        self._cache.put(key, msgspec.to_builtins(record), resp.headers.get("ETag"))
        return _advisory(record)


def _advisory(record: _Record) -> Advisory | None:
    if record.withdrawn:
        return None
    return Advisory(record.id, record.summary, record.published)
