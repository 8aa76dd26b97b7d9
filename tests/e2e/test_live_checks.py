"""Opt-in (``-m live``, ``make test-live``): the release-metadata checks on the most
popular real projects, from the real PyPI (``SPIP_PYPI_URL`` to use another).

They must stay quiet on healthy packages. A finding passes only where PyPI's own
data shows it (a release uploaded hours ago, a published advisory, a yank) or it
is listed in ``EXPLAINED``; every finding is printed with its explanation.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from spip.checks import hotlist
from spip.checks.base import CheckContext
from spip.checks.registry import check_plan
from spip.index.cache import Cache
from spip.index.http import make_client
from spip.index.netconf import net_settings
from spip.index.pypi import PyPIClient
from spip.local.history import History
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Finding
from tests.support import METADATA_CHECKS

pytestmark = pytest.mark.live

PROJECTS = 40
BASE_URL = os.environ.get("SPIP_PYPI_URL", "https://pypi.org").rstrip("/")
# (project, check) -> why the live data really shows it. Empty while none fires.
EXPLAINED: dict[tuple[str, str], str] = {}


@pytest.fixture(autouse=True)
def _live_only(request: pytest.FixtureRequest) -> None:
    if "live" not in (request.config.getoption("-m") or ""):
        pytest.skip("uses the real PyPI: run with -m live (make test-live)")


def most_popular(count: int) -> list[str]:
    ranks = hotlist.load().ranks
    return sorted(ranks, key=ranks.__getitem__)[:count]


def as_planned(doc: dict[str, Any]) -> PlannedDist:
    """What pip's report would say about the latest release (its first wheel, else a file)."""
    info, files = doc["info"], doc["urls"]
    chosen = next((f for f in files if f["filename"].endswith(".whl")), files[0])
    metadata = {
        key: info.get(key)
        for key in ("name", "version", "summary", "description", "home_page", "download_url",
                    "author_email", "maintainer_email")
        if info.get(key) is not None
    }  # fmt: skip
    metadata["project_url"] = [f"{k}, {v}" for k, v in (info.get("project_urls") or {}).items()]
    return msgspec.convert(
        {
            "download_info": {
                "url": chosen["url"],
                "archive_info": {"hashes": {"sha256": chosen["digests"]["sha256"]}},
            },
            "metadata": metadata,
        },
        type=PlannedDist,
    )


def shown_by_data(finding: Finding, doc: dict[str, Any], hours: float) -> str | None:
    """Why PyPI's raw document justifies ``finding``, or None."""
    version = doc["info"]["version"]
    files = doc["releases"].get(version) or doc["urls"]
    if finding.check == "fresh-release":
        newest = max(datetime.fromisoformat(f["upload_time_iso_8601"].replace("Z", "+00:00"))
                     for f in files)  # fmt: skip
        age = (datetime.now(timezone.utc) - newest).total_seconds() / 3600
        return f"released {age:.1f} hours ago" if age < hours else None
    if finding.check == "vulnerability" and doc["vulnerabilities"]:
        return "advisories: " + ", ".join(v["id"] for v in doc["vulnerabilities"])
    if finding.check == "yanked" and all(f["yanked"] for f in files):
        return "yanked on PyPI"
    return EXPLAINED.get((finding.package, finding.check))


def test_popular_projects_are_quiet(tmp_path: Path) -> None:
    names = most_popular(PROJECTS)
    config = Config(cache_dir=tmp_path, pypi_url=BASE_URL)

    async def main() -> tuple[dict[str, dict[str, Any]], list[Finding], float]:
        async with make_client(net_settings({})) as http:
            limit = asyncio.Semaphore(4)  # be gentle with the real index

            async def document(name: str) -> dict[str, Any]:
                async with limit:
                    resp = await http.get(f"{BASE_URL}/pypi/{name}/json")
                    resp.raise_for_status()
                    return resp.json()

            docs = dict(zip(names, await asyncio.gather(*map(document, names)), strict=True))
            plan = [as_planned(doc) for doc in docs.values()]
            pypi = PyPIClient(http, BASE_URL, Cache(tmp_path))
            ctx = CheckContext(config, plan, pypi, History(tmp_path), None)  # type: ignore[arg-type]
            started = time.monotonic()
            found = await check_plan(ctx, METADATA_CHECKS)
            return docs, found, time.monotonic() - started

    try:
        docs, found, seconds = asyncio.run(main())
    except httpx.HTTPError as exc:
        pytest.skip(f"PyPI cannot be reached: {exc!r}")
    print(f"\n{len(METADATA_CHECKS)} checks on {len(docs)} projects in {seconds:.1f} s")
    unexplained = []
    for finding in found:
        why = shown_by_data(finding, docs[finding.package], config.fresh_release_hours)
        print(f"  {finding.package} {finding.version} {finding.check}: {finding.message}")
        print(f"    -> {why or 'NOT SHOWN BY THE DATA'}")
        if why is None:
            unexplained.append(finding)
    assert unexplained == []
