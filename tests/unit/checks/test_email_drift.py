"""``email-drift``: its rules, and against the local index."""

from __future__ import annotations

from pathlib import Path

from spip.checks import email_drift
from spip.local.history import History
from tests.fakeindex import FakeIndex
from tests.support import check
from tests.support import planned_wheel as planned

ONLY = (email_drift.CHECK,)  # the check under test


def test_organisation() -> None:
    assert email_drift.organisation("cs.Stanford.edu") == "stanford.edu"
    assert email_drift.organisation("mail.example.co.uk") == "example.co.uk"
    assert email_drift.organisation("example.org") == "example.org"
    assert email_drift.new_domains({"evil.example"}, set()) == set()
    assert email_drift.new_domains({"a.example.org", "evil.example"}, {"example.org"}) == {
        "evil.example"
    }


def test_email_drift_from_the_previous_release(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", metadata={"Author-email": "Ann <ann@example.org>"})
    moved = fake_index.publish(name, "1.1", metadata={"Author-email": "ann@protonmail.example"})
    (finding,) = check(fake_index, tmp_path, planned(fake_index, moved), ONLY)
    assert finding.message == (
        "the maintainers' e-mail domain is now protonmail.example (seen before: example.org "
        "in 1.0); a hijacked account often swaps in an address of its own — check the project "
        "announced the change before installing."
    )


def test_no_drift_from_nothing_or_within_the_organisation(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    first = fake_index.publish(name, "1.1", metadata={"Author-email": "ann@example.org"})
    same = fake_index.publish(
        name, "1.2", metadata={"Maintainer-email": "Bob <bob@lists.example.org>"}
    )
    assert check(fake_index, tmp_path, planned(fake_index, first), ONLY) == []
    assert check(fake_index, tmp_path, planned(fake_index, same), ONLY) == []


def test_email_drift_from_the_local_history(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """A mirror without per-release documents: the history still catches the change."""
    name = unique_name()
    installed = fake_index.publish(name, "1.0", metadata={"Author-email": "ann@example.org"})
    moved = fake_index.publish(name, "2.0", metadata={"Author-email": "x@drop.example"})
    fake_index.no_per_release_json = True
    assert check(fake_index, tmp_path, planned(fake_index, moved), ONLY) == []
    History(tmp_path).record_installed([planned(fake_index, installed)])
    (finding,) = check(fake_index, tmp_path, planned(fake_index, moved), ONLY)
    assert "(seen before: example.org in your earlier installs)" in finding.message
