"""pip's installation report (format version 1) as typed, validated models.

pip writes it with ``pip install --dry-run --report FILE``; see
https://pip.pypa.io/en/stable/reference/installation-report/. Unknown fields
are ignored and missing optional ones tolerated, so newer pips keep working.
The uv and pipx installers write their plans in the same format.

The models are ``msgspec`` structs, not the ``pydantic`` models the design first
named: the same declared, strictly checked shapes, but pydantic cost every run
about 130 ms here (its import ~85 ms, building spip's 28 models ~40 ms), more than
half of what issue 14 allows spip over a warm ``uv pip install``; msgspec imports
in ~5 ms and builds a struct type in microseconds.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

import msgspec
from packaging.utils import canonicalize_name

__all__ = ["InstallationReport", "PlannedDist", "ReportError", "Source", "parse_report"]

Source = Literal["index", "url", "file", "dir", "vcs"]


class _Model(msgspec.Struct, frozen=True, omit_defaults=True):
    """Immutable; unset fields are left out when written back (``direct_url.json``)."""


class ArchiveInfo(_Model, frozen=True):
    hash: str | None = None
    hashes: dict[str, str] | None = None

    @property
    def sha256(self) -> str | None:
        if self.hashes and "sha256" in self.hashes:
            return self.hashes["sha256"].lower()
        if self.hash and self.hash.startswith("sha256="):
            return self.hash.split("=", 1)[1].lower()
        return None


class DirInfo(_Model, frozen=True):
    editable: bool = False


class VcsInfo(_Model, frozen=True):
    vcs: str
    commit_id: str | None = None
    requested_revision: str | None = None


class DownloadInfo(_Model, frozen=True):
    url: str
    subdirectory: str | None = None  # PEP 610: where in a VCS checkout or archive
    archive_info: ArchiveInfo | None = None
    dir_info: DirInfo | None = None
    vcs_info: VcsInfo | None = None


class CoreMetadata(_Model, frozen=True):
    """The distribution's core metadata, as pip's report renders it in JSON (PEP 566)."""

    name: str
    version: str
    summary: str | None = None
    description: str | None = None
    home_page: str | None = None
    download_url: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    project_url: list[str] = msgspec.field(default_factory=list)
    requires_dist: list[str] = msgspec.field(default_factory=list)


class PlannedDist(_Model, frozen=True, dict=True):  # dict: room for its cached properties
    """One entry of the report's ``install`` list: a distribution pip plans to install."""

    download_info: DownloadInfo
    metadata: CoreMetadata
    is_direct: bool = False
    is_yanked: bool = False
    requested: bool = False
    requested_extras: list[str] = msgspec.field(default_factory=list)

    @cached_property
    def name(self) -> str:
        """The PEP 503 normalised project name."""
        return canonicalize_name(self.metadata.name)

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def url(self) -> str:
        return self.download_info.url

    @property
    def sha256(self) -> str | None:
        info = self.download_info.archive_info
        return info.sha256 if info else None

    @cached_property
    def source(self) -> Source:
        """Where the distribution comes from.

        ``index``: a file an index or find-links page offered (whatever its scheme);
        ``url``/``file``: an archive the user or a dependency named by URL / local path;
        ``dir``: a local directory (``-e .``, ``./project``); ``vcs``: a VCS checkout.
        """
        info = self.download_info
        if info.vcs_info is not None:
            return "vcs"
        if info.dir_info is not None:
            return "dir"
        if not self.is_direct:
            return "index"
        return "file" if urlsplit(info.url).scheme == "file" else "url"

    @property
    def editable(self) -> bool:
        return bool(self.download_info.dir_info and self.download_info.dir_info.editable)

    @cached_property
    def filename(self) -> str:
        """The file name at the end of the URL (empty for directories and VCS checkouts);
        computed once: every check asks for it, many times a run."""
        if self.source in ("dir", "vcs"):
            return ""
        return unquote(PurePosixPath(urlsplit(self.url).path).name)

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def fetchable(self) -> bool:
        """An archive spip fetches and verifies itself (directories and VCS checkouts are not)."""
        return self.source in ("index", "url", "file") and bool(self.sha256) and bool(self.filename)

    @property
    def local_path(self) -> str | None:
        """The local filesystem path of a ``file://`` URL, else None."""
        parts = urlsplit(self.url.split("+", 1)[-1] if self.source == "vcs" else self.url)
        return unquote(parts.path) if parts.scheme == "file" else None


class InstallationReport(_Model, frozen=True):
    version: str
    pip_version: str | None = None
    install: list[PlannedDist] = msgspec.field(default_factory=list)
    environment: dict[str, str] = msgspec.field(default_factory=dict)


class ReportError(Exception):
    """pip's report could not be read or is not in a format spip understands."""


def parse_report(text: str | bytes) -> InstallationReport:
    try:
        report = msgspec.json.decode(text, type=InstallationReport)
    except msgspec.DecodeError as exc:  # not JSON, or not this shape
        raise ReportError(f"pip's installation report is not valid: {exc}") from None
    if report.version != "1":
        raise ReportError(
            f"pip wrote an installation report of version {report.version!r}; spip reads version 1"
        )
    return report
