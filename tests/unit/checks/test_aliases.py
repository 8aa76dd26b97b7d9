"""``typosquat`` kind ``alias`` (slopsquats) and the table's refresh, on the local index."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from hotlist.aliases import project_aliases
from spip.checks import aliases, typosquat
from spip.policy.config import Config
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex
from tests.support import check, planned_wheel


def test_a_popular_projects_command_or_import_name_is_an_alias() -> None:
    found = typosquat.lookalike("huggingface-cli")
    assert found is not None and (found.target, found.kind) == ("huggingface-hub", "alias")
    assert found.severity is Severity.LOW  # by its name alone (the name screen)
    assert typosquat.lookalike("huggingface-hub") is None  # the project itself
    assert typosquat.lookalike("sklearn") is None  # popular itself: not a squat
    (screened,) = typosquat.screen_names(["cv2"], Config())
    assert "looks like `opencv-python`" in screened.message
    assert "the name of its command or import package" in screened.message


def test_a_young_alias_project_is_medium(fake_index: FakeIndex, tmp_path: Path) -> None:
    wheel = fake_index.publish("huggingface-cli", "0.1", upload_time=timedelta(days=4))
    (finding,) = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), (typosquat.CHECK,))
    assert (finding.severity, finding.evidence["kind"]) == (Severity.MEDIUM, "alias")
    assert finding.evidence["target"] == "huggingface-hub"


def test_the_table_format() -> None:
    table = aliases.parse("# spip-aliases snapshot=x source=y\na\tb\tcommand\nsame\tsame\timport\n")
    assert table == {"a": aliases.Alias("b", "command")}
    assert aliases.load()["huggingface-cli"] == aliases.Alias("huggingface-hub", "command")


def test_the_refresh_reads_commands_and_import_names_from_a_wheel(
    fake_index: FakeIndex, unique_name
) -> None:
    name = unique_name("tool")
    fake_index.publish(
        name,
        "1.0",
        entry_points={"console_scripts": {"tool-cli": "toolpkg:main", name: "toolpkg:main"}},
        files={"toolpkg/__init__.py": "", "toolpkg/cli.py": ""},
    )

    async def main() -> set[tuple[str, str]]:
        async with httpx.AsyncClient() as client:
            return await project_aliases(client, fake_index.url, name)

    assert asyncio.run(main()) == {("tool-cli", "command"), ("toolpkg", "import")}
