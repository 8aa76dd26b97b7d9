"""Projects with a console script, published on the project's index: what pipx and
``uv tool`` install."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.fakeindex import FakeIndex, underscore_name

# The test extra's uv and pipx beside this interpreter, before any other on PATH.
TOOLS_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def tool_environ(
    spip_env: dict[str, str], fake_index: FakeIndex, tmp_path: Path, **extra: str
) -> dict[str, str]:
    """spip's test environment with the tools on PATH and uv (pipx's backend too) on
    the fake index with a private cache; ``extra``: the tool's own folders."""
    return {
        **spip_env,
        "PATH": f"{Path(spip_env['VIRTUAL_ENV']) / 'bin'}{os.pathsep}{TOOLS_PATH}",
        "UV_INDEX_URL": fake_index.simple_url,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_PROGRESS": "1",
        **extra,
    }


def dists(venv: Path) -> set[str]:
    """The distributions installed in the venv at ``venv`` (their dist-info names)."""
    site = next(venv.glob("lib/python*/site-packages"))
    return {p.name.split("-")[0] for p in site.glob("*.dist-info")}


TOOL_RAN = "def main():\n    print('tool ran')\n"


def publish_tool(
    fake_index: FakeIndex, unique_name, main: str = TOOL_RAN, **options
) -> tuple[str, str]:
    """A tool (``main``: its module's code, with a ``main()``) and its dependency."""
    dep, tool = unique_name("pxdep"), unique_name("pxtool")
    fake_index.publish(dep, "1.0")
    module = underscore_name(tool)
    fake_index.publish(
        tool,
        "1.0",
        requires=[dep],
        files={f"{module}.py": main, **options.pop("files", {})},
        entry_points={"console_scripts": {tool: f"{module}:main"}},
        **options,
    )
    return tool, dep


def tool_whose_dependency_is_in(venv, fake_index: FakeIndex, unique_name) -> tuple[str, str]:
    """A tool (``publish_tool``) whose dependency ``venv``'s Python has installed already."""
    tool, dep = publish_tool(fake_index, unique_name)
    venv.pip("install", "--index-url", fake_index.simple_url, dep)
    return tool, dep


def planned_names(report: Path) -> set[str]:
    """The names of the plan in a findings document."""
    return {p["name"] for p in json.loads(report.read_text())["plan"]}
