"""The project name a requirement string names, the way pip tells names from paths."""

from __future__ import annotations

import re

from packaging.utils import NormalizedName, canonicalize_name

from spip.core.distfiles import SDIST_SUFFIXES

_ARCHIVE = (".whl", *SDIST_SUFFIXES)
# A PEP 508 name alone: no extras, version, marker or URL (most of what people type).
_BARE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")


def bare_name(text: str) -> NormalizedName | None:
    """The PEP 503 name of a requirement that is a name alone (``requests``), else None:
    such a line needs no parsing (packaging's requirement grammar, ~20 ms to import)."""
    match = _BARE.fullmatch(text)
    return canonicalize_name(match[1]) if match else None


def requirement_name(text: str) -> NormalizedName | None:
    """The PEP 503 name of a requirement (``requests[socks]>=2``, ``x @ https://...``).

    None for what pip reads as a path, a URL or an archive file (``./proj``,
    ``https://host/x.whl``, ``pkg-1.0.tar.gz``), and for text that is no requirement.
    """
    head = text.split(";", 1)[0].strip()
    if "@" not in head and (
        re.search(r"[/\\]", head) or head.startswith((".", "~")) or head.endswith(_ARCHIVE)
    ):
        return None
    if (bare := bare_name(text)) is not None:
        return bare
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None
