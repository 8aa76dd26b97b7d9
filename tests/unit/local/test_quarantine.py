"""The quarantine store: an entry is listed only when its manifest is whole and well typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spip.local.quarantine import list_entries, quarantine_file


@pytest.mark.parametrize(
    ("field", "value"), [("package", 5), ("origin", ["/etc/passwd"]), ("sha256", {"x": 1})]
)
def test_a_manifest_field_of_another_type_is_no_entry(tmp_path: Path, field, value) -> None:
    suspect = tmp_path / "site" / "evil.pth"
    suspect.parent.mkdir()
    suspect.write_text("import os\n")
    cache = tmp_path / "cache"
    entry = quarantine_file(suspect, cache, package="evil", version="1.0", reason="pth")
    assert [e.id for e in list_entries(cache)] == [entry.id]
    manifest = next(cache.rglob("manifest.json"))
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, field: value}))
    assert list_entries(cache) == []
