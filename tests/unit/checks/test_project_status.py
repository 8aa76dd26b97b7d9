"""``project-status``: PEP 792 markers in both JSON shapes and the HTML meta tags, on the
local index."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from spip.checks import project_status
from spip.index.pypi import html_project_status
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, planned_wheel, pypi_client

ONLY = (project_status.CHECK,)


@pytest.mark.parametrize("shape", ["top-level", "meta"])
@pytest.mark.parametrize(
    ("status", "severity"), [("archived", Severity.LOW), ("deprecated", Severity.LOW)]
)
def test_archived_and_deprecated_are_low_with_the_reason(
    fake_index: FakeIndex, unique_name, tmp_path: Path, shape: str, status: str, severity: Severity
) -> None:
    name = unique_name()
    dist = planned_wheel(fake_index, fake_index.publish(name, "1.0"))
    fake_index.set_status(name, status, "moved to other-project")
    fake_index.project_status_shape = shape
    (finding,) = check(fake_index, tmp_path, dist, ONLY)
    assert (finding.check, finding.severity) == ("project-status", severity)
    assert finding.message.startswith(f'{status} (reason given: "moved to other-project"): ')
    assert finding.evidence == {"status": status, "reason": "moved to other-project"}


def test_active_and_unmarked_projects_pass(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    plain, active = unique_name(), unique_name()
    first = planned_wheel(fake_index, fake_index.publish(plain, "1.0"))
    second = planned_wheel(fake_index, fake_index.publish(active, "1.0"))
    fake_index.set_status(active, "active")
    assert check(fake_index, tmp_path, first, ONLY) == []
    assert check(fake_index, tmp_path, second, ONLY) == []


def test_a_quarantined_project_in_the_plan_is_high(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    dist = planned_wheel(fake_index, fake_index.publish(name, "1.0"))  # e.g. from pip's cache
    fake_index.set_status(name, "quarantined")
    (finding,) = check(fake_index, tmp_path, dist, ONLY)
    assert finding.severity is Severity.HIGH and finding.evidence["status"] == "quarantined"


def test_the_html_meta_tags(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.set_status(name, "archived", "read-only now & forever")
    page = httpx.get(f"{fake_index.simple_url}{name}/", headers={"Accept": "text/html"}).text
    found = html_project_status(page)
    assert found is not None
    assert (found.status, found.reason) == ("archived", "read-only now & forever")
    assert html_project_status("<html><head><title>x</title></head></html>") is None


def test_an_html_only_index_quarantine_is_seen_without_its_json_api(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """A server that answers HTML to the JSON Accept header: the meta tag is read, and a
    quarantined project needs no (404) JSON API document."""
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.set_status(name, "quarantined", "malware report")

    async def main() -> object:
        async with pypi_client(fake_index, None) as pypi:
            original = pypi.client.get

            async def html_only(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
                return await original(url, headers={**(headers or {}), "Accept": "text/html"})

            pypi.client.get = html_only  # type: ignore[method-assign]
            return (await pypi.files(name)).status

    status = asyncio.run(main())
    assert status is not None and (status.status, status.reason) == (
        "quarantined",
        "malware report",
    )
