"""Popular projects' other names: their console scripts and top-level import names.

A project named like another project's command or import package (``huggingface-cli``
is huggingface-hub's command, ``cv2`` opencv-python's import name) catches people and
language models that guess a project's name from what they type or import: a
slopsquat. ``spip/data/aliases.txt`` (header ``# spip-aliases snapshot=DATE
source=...``, then ``alias<TAB>project<TAB>command|import``, PEP 503 names) is written
by ``hotlist/aliases.py`` (``make aliases``, opt-in: it reads the top projects' wheels).
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files

import msgspec

__all__ = ["Alias", "load", "parse"]

_HEADER = re.compile(r"^# spip-aliases snapshot=(\S+)")


class Alias(msgspec.Struct, frozen=True):
    project: str
    kind: str  # "command" or "import"


def parse(text: str) -> dict[str, Alias]:
    header, _, body = text.partition("\n")
    if not _HEADER.match(header):
        raise ValueError(f"not a spip alias table (header {header[:60]!r})")
    table: dict[str, Alias] = {}
    for line in body.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] != fields[1]:
            table.setdefault(fields[0], Alias(fields[1], fields[2]))
    return table


@functools.cache
def load() -> dict[str, Alias]:
    """The shipped table, read once per process (unreadable: empty, as if not shipped)."""
    try:
        return parse(files("spip").joinpath("data/aliases.txt").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
