"""The template check: a case that fires and a near miss that must not."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from spip.checks import template
from spip.checks.base import Check, CheckContext, Stage
from spip.checks.registry import CHECKS, check_plan
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Severity


def _planned(version: str, source: str = "index") -> PlannedDist:
    url = f"https://files.example/demo-{version}-py3-none-any.whl"
    download: dict[str, object] = {"url": url}
    if source == "dir":
        download = {"url": "file:///src/demo", "dir_info": {}}
    return msgspec.convert(
        {
            "download_info": download,
            "is_direct": source != "index",
            "metadata": {"name": "demo", "version": version},
        },
        type=PlannedDist,
    )


def _run(dist: PlannedDist) -> list:
    ctx = CheckContext(Config(), [dist], None, None, None)  # type: ignore[arg-type]
    return asyncio.run(check_plan(ctx, [template.CHECK]))


def test_fires_on_an_implausibly_long_version() -> None:
    version = "1." + "0" * 45
    (finding,) = _run(_planned(version))
    assert (finding.check, finding.severity, finding.version) == (
        "long-version",
        Severity.LOW,
        version,
    )
    assert finding.evidence == {"length": 47}


def test_a_long_but_real_version_and_a_local_tree_raise_nothing() -> None:
    assert _run(_planned("2024.11.30.post123+g1234abcd")) == []
    assert _run(_planned("1." + "0" * 45, source="dir")) == []  # sources: index only


def test_the_template_is_not_registered_and_its_contract_holds() -> None:
    assert template.CHECK not in CHECKS
    assert template.CHECK.stages == {Stage.PLAN}
    with pytest.raises(TypeError, match="runs at no stage"):
        Check("nothing")


def test_every_registered_check_has_a_unique_id_and_a_stage() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) and all(c.stages for c in CHECKS)
