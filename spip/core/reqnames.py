"""The project name a requirement string names, the way pip tells names from paths."""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from spip.core.distfiles import SDIST_SUFFIXES

_ARCHIVE = (".whl", *SDIST_SUFFIXES)


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
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None
