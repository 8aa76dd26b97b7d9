"""A METADATA file as pip's report renders it."""

from __future__ import annotations

from spip.plan.metadata import metadata_json

HEADERS = """Metadata-Version: 2.1
Name: demo
Version: 1.0
Summary: A demo
Home-page: https://example.org
Maintainer: Someone
Project-URL: Source, https://github.com/o/demo
Project-URL: Docs, https://demo.example.org
Requires-Dist: dep>=1
Description: the old header
"""


def test_fields_lists_and_the_body_as_description() -> None:
    meta = metadata_json(HEADERS + "\nThe body\n")
    assert meta == {
        "name": "demo",
        "version": "1.0",
        "summary": "A demo",
        "home_page": "https://example.org",
        "maintainer": "Someone",
        "project_url": ["Source, https://github.com/o/demo", "Docs, https://demo.example.org"],
        "requires_dist": ["dep>=1"],
        "description": "The body\n",
    }


def test_without_a_body_the_description_header_and_absent_fields_stay_absent() -> None:
    meta = metadata_json(HEADERS)
    assert meta["description"] == "the old header"
    assert "author_email" not in meta and "download_url" not in meta
    assert metadata_json("Name: x\nVersion: 1\n") == {
        "name": "x",
        "version": "1",
        "project_url": [],
        "requires_dist": [],
    }


def test_a_multipart_content_type_does_not_hide_the_body() -> None:
    text = 'Name: x\nVersion: 1\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nhidden\n'
    assert metadata_json(text)["description"] == "--b\nhidden\n"
