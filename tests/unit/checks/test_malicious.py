"""``malicious``: OSV's MAL- advisories (one batch per plan) and the shipped list, on the
local index and its OSV look-alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec.structs
import pytest

from spip.checks import malicious, malicious_list
from spip.checks.base import CheckContext
from spip.checks.registry import check_plan
from spip.local.history import History
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Finding, Severity
from tests.fakeindex import FakeIndex, osv_record
from tests.support import planned_wheel, pypi_client

ONLY = (malicious.CHECK,)


def run_plan(
    index: FakeIndex, tmp_path: Path, plan: list[PlannedDist], **config: object
) -> list[Finding]:
    async def main() -> list[Finding]:
        async with pypi_client(index, tmp_path) as pypi:
            ctx = CheckContext(
                config=Config(cache_dir=tmp_path, pypi_url=index.url, **config),  # type: ignore[arg-type]
                plan=plan,
                pypi=pypi,
                history=History(tmp_path),
                artifacts=None,  # type: ignore[arg-type]
            )
            return await check_plan(ctx, ONLY)

    return asyncio.run(main())


def osv_posts(index: FakeIndex) -> list[dict[str, object]]:
    return [r.json() for r in index.requests if r.path == "/v1/querybatch"]


def test_a_mal_advisory_is_high_and_the_plan_is_one_query(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    bad, good, cve = unique_name("bad"), unique_name("good"), unique_name("cve")
    plan = [
        planned_wheel(fake_index, fake_index.publish(bad, "1.0")),
        planned_wheel(fake_index, fake_index.publish(good, "1.0")),
        planned_wheel(fake_index, fake_index.publish(cve, "1.0")),
    ]
    fake_index.add_osv(
        osv_record("MAL-2099-1", bad, ["1.0"], summary=f"Malicious code in {bad} (PyPI)")
    )
    fake_index.add_osv(osv_record("PYSEC-2099-1", cve, ["1.0"]))  # stays with `vulnerability`
    fake_index.clear_log()
    (finding,) = run_plan(fake_index, tmp_path, plan, osv_url=fake_index.osv_url)
    assert (finding.check, finding.severity, finding.package) == ("malicious", Severity.HIGH, bad)
    assert finding.message.startswith(
        "1.0 is a known-malicious release (MAL-2099-1, see https://osv.dev/vulnerability/MAL-2099-1)"
    )
    assert finding.evidence["advisories"][0]["source"] == "osv"
    assert finding.evidence["advisories"][0]["summary"] == f"Malicious code in {bad} (PyPI)"
    (batch,) = osv_posts(fake_index)
    assert [q["package"]["name"] for q in batch["queries"]] == [bad, good, cve]
    # Warm: the answers come from the cache, no request at all.
    fake_index.clear_log()
    assert len(run_plan(fake_index, tmp_path, plan, osv_url=fake_index.osv_url)) == 1
    assert [r.path for r in fake_index.requests if r.path.startswith("/v1/")] == []


def test_a_withdrawn_advisory_does_not_count(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name("withdrawn")
    plan = [planned_wheel(fake_index, fake_index.publish(name, "1.0"))]
    fake_index.add_osv(osv_record("MAL-2099-2", name, ["1.0"], withdrawn="2099-01-02T00:00:00Z"))
    fake_index.osv_query_withdrawn = True  # even if the batch names it, its record says withdrawn
    assert run_plan(fake_index, tmp_path, plan, osv_url=fake_index.osv_url) == []


def test_names_from_another_index_are_never_sent(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    public, private = unique_name("public"), unique_name("private")
    with FakeIndex(tmp_path / "private-index") as other:
        plan = [
            planned_wheel(fake_index, fake_index.publish(public, "1.0")),
            planned_wheel(other, other.publish(private, "1.0")),
        ]
        fake_index.add_osv(osv_record("MAL-2099-3", private, ["1.0"]))
        fake_index.clear_log()
        assert run_plan(fake_index, tmp_path, plan, osv_url=fake_index.osv_url) == []
    (batch,) = osv_posts(fake_index)
    assert [q["package"]["name"] for q in batch["queries"]] == [public]
    assert private not in str(fake_index.requests)


def test_the_public_osv_gets_no_names_of_a_test_index(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    dist = planned_wheel(fake_index, fake_index.publish(unique_name(), "1.0"))
    config = Config(pypi_url=fake_index.url)
    assert malicious.from_pypi(dist, config) and not malicious.may_send(dist, config)
    url = "https://files.pythonhosted.org/packages/x/y-1.0-py3-none-any.whl"
    info = msgspec.structs.replace(dist.download_info, url=url)
    on_pypi = msgspec.structs.replace(dist, download_info=info)
    assert malicious.may_send(on_pypi, Config())
    assert not malicious.may_send(on_pypi, Config(osv_url=None))


@pytest.mark.parametrize("mode", ["500", "garbage", "wrong-shape"])
def test_osv_down_is_one_unverified_note_and_the_shipped_list_still_applies(
    fake_index: FakeIndex, unique_name, tmp_path: Path, mode: str
) -> None:
    shipped = "0requests"  # MAL-2026-15859 names 0requests 0.0.1 in spip/data/malicious.txt
    assert malicious_list.load().matching(shipped, "0.0.1")
    try:
        wheel = fake_index.publish(shipped, "0.0.1")
    except ValueError:  # published by another parametrisation of this test
        wheel = fake_index.workdir / shipped / "0requests-0.0.1-py3-none-any.whl"
    plan = [
        planned_wheel(fake_index, fake_index.publish(unique_name("a"), "1.0")),
        planned_wheel(fake_index, wheel),
        planned_wheel(fake_index, fake_index.publish(unique_name("b"), "1.0")),
    ]
    fake_index.fail_osv(mode)
    found = run_plan(fake_index, tmp_path, plan, osv_url=fake_index.osv_url)
    assert [(f.check, f.severity, f.package) for f in found] == [
        ("unverified", Severity.LOW, plan[0].name),
        ("malicious", Severity.HIGH, shipped),
    ]
    assert found[0].message.endswith(
        f"the plan was checked against spip's own list of known-malicious releases "
        f"({malicious_list.snapshot_date()}) only"
    )
    assert found[1].evidence["advisories"][0]["id"] == "MAL-2026-15859"
    assert found[1].evidence["advisories"][0]["source"].startswith("spip's known-malicious list")


def test_the_shipped_list() -> None:
    known = malicious_list.parse(
        "# spip-malicious snapshot=2026-12-01 source=x records=2\n"
        "evil\t*\tMAL-1\t2024-01-01\nhalf\t1.0,2.0\tMAL-2\t2024-01-02\n"
    )
    assert [e.id for e in known.matching("evil", "9")] == ["MAL-1"]
    assert [e.id for e in known.matching("half", "1")] == ["MAL-2"]  # 1 == 1.0
    assert known.matching("half", "1.5") == [] and known.matching("other", "1.0") == []
    assert malicious_list.snapshot_date() == malicious_list.load().snapshot
