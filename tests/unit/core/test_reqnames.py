"""The requirement-name parser."""

from __future__ import annotations

import pytest

from spip.core.reqnames import requirement_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("requests", "requests"),
        ("requests[socks]>=2", "requests"),
        ("pkg @ https://h/pkg.whl", "pkg"),
        ("Django==4; python_version>'3'", "django"),
        ("Foo.Bar_baz>=1", "foo-bar-baz"),
        ("pkg.whl", None),
        ("pkg-1.0.tar.gz", None),
        ("./local", None),
        ("dist/x-1.0-py3-none-any.whl", None),
        ("git+https://h/r", None),
        ("https://h/x.tar.gz", None),
    ],
)
def test_requirement_name(text, name):
    assert requirement_name(text) == name
