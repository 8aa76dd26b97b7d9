"""``empty-description``: its rules, and against the local index."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from spip.checks import empty_description
from tests.fakeindex import FakeIndex
from tests.support import check, ids
from tests.support import planned_wheel as planned

ONLY = (empty_description.CHECK,)  # the check under test


@pytest.mark.parametrize(
    ("text", "empty"),
    [(None, True), ("", True), ("  \n", True), ("UNKNOWN", True), ("n/a", True),
     ("Add your description here", True), ("A tiny tool.", False), ("工具", False)],
)  # fmt: skip
def test_is_empty(text: str | None, empty: bool) -> None:
    assert empty_description.is_empty(text) is empty


def test_empty_description(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    bare = fake_index.publish(name, "1.0", summary=None, description=None)
    unknown = fake_index.publish(name, "1.1", summary="UNKNOWN", description="UNKNOWN\n")
    summary_only = fake_index.publish(name, "1.2", summary="Parses things", description=None)
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bare), ONLY)
    assert finding.message.startswith("has neither a summary nor a description")
    assert ids(check(fake_index, tmp_path, planned(fake_index, unknown), ONLY))
    assert check(fake_index, tmp_path, planned(fake_index, summary_only), ONLY) == []


def test_popular_projects_are_not_judged_by_their_description(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    """protobuf really publishes no description; nobody else can upload as protobuf."""
    version = f"99.{uuid.uuid4().int % 10**9}"  # the index is shared by the session's tests
    wheel = fake_index.publish("protobuf", version, summary=None, description=None)
    assert check(fake_index, tmp_path, planned(fake_index, wheel), ONLY) == []
