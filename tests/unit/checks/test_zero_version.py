"""``zero-version``: its rules, and against the local index."""

from __future__ import annotations

from pathlib import Path

import pytest

from spip.checks import zero_version
from tests.fakeindex import FakeIndex
from tests.support import check
from tests.support import planned_wheel as planned

ONLY = (zero_version.CHECK,)  # the check under test


@pytest.mark.parametrize(
    ("version", "zero"),
    [("0", True), ("0.0", True), ("0.0.0", True), ("0.0.0.dev3", True), ("0.0.1", False),
     ("0.1", False), ("1.0", False), ("not-pep-440", False)],
)  # fmt: skip
def test_is_zero(version: str, zero: bool) -> None:
    assert zero_version.is_zero(version) is zero


def test_zero_version(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    zero = fake_index.publish(name, "0.0.0")
    near = fake_index.publish(name, "0.0.1")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, zero), ONLY)
    assert finding.message.startswith("its version 0.0.0 is a placeholder")
    assert check(fake_index, tmp_path, planned(fake_index, near), ONLY) == []
    local_tree = planned(fake_index, zero, source="dir")
    assert check(fake_index, tmp_path, local_tree, ONLY) == []
