"""What spip follows of uv's debug log while it resolves: file names, nothing else."""

from __future__ import annotations

import pytest

from spip.installer.uv import _SELECTING


@pytest.mark.parametrize(
    ("line", "file"),
    [
        (
            "DEBUG Selecting: a==1.0 [compatible] (a-1.0-py3-none-any.whl)\n",
            "a-1.0-py3-none-any.whl",
        ),
        ("DEBUG Selecting: b==2 [preference] (b-2.tar.gz)\n", "b-2.tar.gz"),
        (
            "DEBUG Selecting: a==1.0 [compatible] (https://evil.example/a-1.0-py3-none-any.whl)\n",
            None,
        ),
        ("DEBUG Selecting: a==1.0 [compatible] (../a-1.0-py3-none-any.whl)\n", None),
        ("DEBUG Selecting: a==1.0 [compatible] (a-1.0-py3-none-any.whl) and more\n", None),
        ("DEBUG Searching for a compatible version of a (>=1)\n", None),
    ],
)
def test_only_a_selected_file_name_is_followed(line, file):
    found = _SELECTING.match(line)
    assert (found[1] if found else None) == file
