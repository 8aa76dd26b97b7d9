"""pip's installation report."""

from __future__ import annotations

import json

import pytest

from spip.plan.report import ReportError, parse_report


def test_report_parsing_and_sources():
    def item(url, **extra):
        return {
            "download_info": {"url": url, **extra.pop("info", {})},
            "metadata": {"name": "Foo_Bar", "version": "1.0"},
            **extra,
        }

    doc = {
        "version": "1",
        "install": [
            item(
                "https://f/foo_bar-1.0-py3-none-any.whl",
                info={"archive_info": {"hashes": {"sha256": "AB"}}},
            ),
            item(
                "https://f/x.tar.gz", is_direct=True, info={"archive_info": {"hash": "sha256=cd"}}
            ),
            item("file:///w/proj", is_direct=True, info={"dir_info": {"editable": True}}),
            item(
                "git+https://g/r",
                is_direct=True,
                info={"vcs_info": {"vcs": "git", "commit_id": "1"}},
            ),
        ],
        "future_field": 1,
    }
    plan = parse_report(json.dumps(doc)).install
    assert [d.source for d in plan] == ["index", "url", "dir", "vcs"]
    assert plan[0].name == "foo-bar" and plan[0].sha256 == "ab" and plan[0].is_wheel
    assert plan[1].sha256 == "cd" and plan[2].editable and plan[2].local_path == "/w/proj"


@pytest.mark.parametrize("text", ["not json", '{"version": "2", "install": []}', "[]"])
def test_bad_report_is_a_report_error(text):
    with pytest.raises(ReportError):
        parse_report(text)


def test_a_field_of_another_type_is_one_line_naming_where() -> None:
    doc = {
        "version": "1",
        "install": [{"download_info": {"url": "https://f/a.whl"}, "metadata": {"name": 7}}],
    }
    with pytest.raises(ReportError) as raised:
        parse_report(json.dumps(doc))
    message = str(raised.value)
    assert "\n" not in message and "$.install[0].metadata.name" in message


def test_unknown_fields_are_ignored_and_the_plan_is_immutable() -> None:
    entry = {
        "download_info": {"url": "https://f/a-1.0-py3-none-any.whl", "new": {"x": 1}},
        "metadata": {"name": "A", "version": "1.0", "license_expression": "MIT"},
        "future": [1],
    }
    dist = parse_report(json.dumps({"version": "1", "install": [entry]})).install[0]
    assert dist.name == "a" and dist.filename == "a-1.0-py3-none-any.whl"
    with pytest.raises(AttributeError):
        dist.is_yanked = True  # type: ignore[misc]
