"""The head starts: files pip names while it resolves."""

from __future__ import annotations

import pytest

from spip.core.distfiles import parse_dist_filename
from spip.install.headstart import FILE


@pytest.mark.parametrize(
    ("line", "files"),
    [
        (
            "  Obtaining dependency information for p from http://h/files/p-2.0-py3-none-any.whl"
            ".metadata",
            [("http://h/files/p-2.0-py3-none-any.whl", ("p", "2.0", "p-2.0-py3-none-any.whl"))],
        ),
        (
            "Downloading spip_x-1.1.0-py3-none-any.whl.metadata (502 bytes)",
            [
                (
                    "spip_x-1.1.0-py3-none-any.whl",
                    ("spip-x", "1.1.0", "spip_x-1.1.0-py3-none-any.whl"),
                )
            ],
        ),
        (
            "  Downloading http://h/f/foo%2Dx-1.0.tar.gz (3 kB)",
            [("http://h/f/foo%2Dx-1.0.tar.gz", ("foo-x", "1.0", "foo-x-1.0.tar.gz"))],
        ),
        ("Collecting foo>=1", []),
    ],
)
def test_files_pip_names_while_it_resolves(line, files):
    def named(file: str) -> tuple[str, str, str] | None:
        found = parse_dist_filename(file)
        return (found.name, str(found.version), found.filename) if found else None

    assert [(f, named(f)) for f in FILE.findall(line)] == files
