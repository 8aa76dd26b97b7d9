"""Projects with a console script, published on the project's index: what pipx and
``uv tool`` install."""

from __future__ import annotations

from tests.fakeindex import FakeIndex, underscore_name

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
