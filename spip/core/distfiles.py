"""What a distribution file's name says: project, version, and a wheel's tags."""

from __future__ import annotations

from urllib.parse import unquote

import msgspec
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


class DistFilename(msgspec.Struct, frozen=True):
    """A parsed wheel or sdist file name (``tags`` is empty for an sdist)."""

    filename: str
    name: NormalizedName
    version: Version
    tags: frozenset[Tag]

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


def parse_dist_filename(file: str) -> DistFilename | None:
    """Parse a wheel or sdist file name, or the last part of a URL; None if it is neither."""
    filename = unquote(file.rsplit("/", 1)[-1].split("#", 1)[0])
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            return DistFilename(filename, name, version, tags)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return DistFilename(filename, name, version, frozenset())
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        pass
    return None
