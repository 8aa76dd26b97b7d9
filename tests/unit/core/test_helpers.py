"""The small helpers of :mod:`spip.core`."""

from __future__ import annotations

from pathlib import Path

from spip.core.atomic import atomic_write
from spip.core.distfiles import parse_dist_filename
from spip.core.emails import email_domains
from spip.core.hashing import sha256_file
from spip.core.versions import same_version


def test_email_domains_reads_several_addresses_and_display_names() -> None:
    assert email_domains("Ann <ann@Example.ORG>, bob@mail.example.net", None, "") == {
        "example.org",
        "mail.example.net",
    }
    assert email_domains("not an address", "UNKNOWN") == set()
    assert email_domains('"Doe, Jane" <jane@doe.dev>') == {"doe.dev"}


def test_same_version_follows_pep_440() -> None:
    assert same_version("1.0", "1.0.0")
    assert not same_version("1.0", "1.0.post1")
    assert same_version("weird", "weird")


# -- against the local index ------------------------------------------------------------


def test_dist_filenames() -> None:
    wheel = parse_dist_filename("https://h/f/Foo_Bar-1.0-py3-none-any.whl#sha256=x")
    assert wheel is not None and (wheel.name, str(wheel.version), wheel.is_wheel) == (
        "foo-bar",
        "1.0",
        True,
    )
    sdist = parse_dist_filename("foo%2Dx-2.0.tar.gz")
    assert sdist is not None and (sdist.name, str(sdist.version), sdist.tags) == (
        "foo-x",
        "2.0",
        frozenset(),
    )
    assert parse_dist_filename("README.md") is None
    assert parse_dist_filename("bad-name-x-y-z.whl") is None


def test_atomic_write_and_hash(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, "one")
    atomic_write(target, b"two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temporary left behind
    assert sha256_file(target) == "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3"
