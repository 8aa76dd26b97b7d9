"""``yanked``: its rules, and against the local index."""

from __future__ import annotations

from pathlib import Path

import msgspec.structs

from spip.checks import yanked
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, ids
from tests.support import planned_wheel as planned

ONLY = (yanked.CHECK,)  # the check under test


def test_yanked(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    bad = fake_index.publish(name, "1.0", yanked="broken \x1b[31mbuild")
    good = fake_index.publish(name, "1.1")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bad), ONLY)
    assert finding.severity is Severity.LOW
    assert finding.message.startswith(
        "1.0 was yanked by its maintainers (reason given: broken \\x1b[31mbuild)"
    )
    assert check(fake_index, tmp_path, planned(fake_index, good), ONLY) == []


def test_yanked_from_pips_report_when_the_index_is_down(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    fake_index.fail(name, "500")
    dist = msgspec.structs.replace(planned(fake_index, wheel), is_yanked=True)
    assert ids(check(fake_index, tmp_path, dist, ONLY)) == ["yanked"]
