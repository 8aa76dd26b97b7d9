"""The typosquat detector's indexes over the shipped popular-names list, prebuilt.

Building them takes about 0.1 s, and the names the user typed are screened before
pip may start, so spip ships them in ``spip/data/typosquat-index.txt``: one sorted
line per key, ``TA KEY<TAB>RANK,RANK...`` (TA: the table name's first two letters),
after a header naming the sha256 of the ``hotlist.txt`` they were built from. A
lookup is a binary search in the file's bytes (some microseconds); nothing is parsed
up front. An index that does not match the shipped list is not used (the detector
then builds its own). ``hotlist/refresh.py`` writes it with the list;
``--index-only`` rewrites it alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spip.checks.hotlist import Hotlist
    from spip.checks.typosquat import NameIndex, Tables

PATH = "data/typosquat-index.txt"  # inside the spip package
_HEADER = "# spip-typosquat-index hotlist-sha256="


def dump(index: NameIndex, shipped: Hotlist) -> str:
    """The text of the index file for ``index``, built over ``shipped``."""
    lines = []
    for table, key, names in index.entries():
        if any(c in key for c in " \t\n"):
            raise ValueError(f"{table} key {key!r}: a key cannot hold blanks")
        ranks = ",".join(str(shipped.ranks[n]) for n in names)
        lines.append(f"{table[:2]} {key}\t{ranks}")
    # ASCII only (PEP 503 names), so the order of str is the order of the bytes.
    lines.sort()
    return f"{_HEADER}{shipped.digest}\n" + "\n".join(lines) + "\n"


class PackedIndex:
    """:class:`~spip.checks.typosquat.Tables` read from the index file's bytes."""

    def __init__(self, data: bytes, body: int, names: Mapping[int, str]) -> None:
        self._data = data
        self._body = body  # where the first line after the header starts
        self._names = names  # rank -> name

    def first(self, table: str, key: str) -> str | None:
        found = self._lookup(table, key)
        return None if found is None else self._names[int(found)]

    def every(self, table: str, key: str) -> Sequence[str]:
        found = self._lookup(table, key)
        return () if found is None else [self._names[int(r)] for r in found.split(b",")]

    def _lookup(self, table: str, key: str) -> bytes | None:
        """The ranks of ``key`` in ``table``: a binary search over the sorted lines."""
        prefix = f"{table[:2]} {key}\t".encode()
        data = self._data
        lo, hi = self._body, len(data)  # both always at the start of a line
        while lo < hi:
            start = data.rfind(b"\n", lo, (lo + hi) // 2) + 1 or lo
            end = data.find(b"\n", start)
            if data[start:end] < prefix:
                lo = end + 1
            else:
                hi = start
        if not data.startswith(prefix, lo):
            return None
        return data[lo + len(prefix) : data.find(b"\n", lo)]


class Layered:
    """Tables that look in each layer in turn (the user's extra names over the shipped)."""

    def __init__(self, *layers: Tables) -> None:
        self._layers = layers

    def first(self, table: str, key: str) -> str | None:
        return next(
            (name for layer in self._layers if (name := layer.first(table, key)) is not None),
            None,
        )

    def every(self, table: str, key: str) -> Sequence[str]:
        return [name for layer in self._layers for name in layer.every(table, key)]


def load(shipped: Hotlist) -> PackedIndex | None:
    """The shipped index, or None when it is missing or was built from another list."""
    try:
        data = files("spip").joinpath(PATH).read_bytes()
    except OSError:
        return None
    body = data.find(b"\n") + 1
    if data[: body - 1] != f"{_HEADER}{shipped.digest}".encode():
        return None
    return PackedIndex(data, body, {rank: name for name, rank in shipped.ranks.items()})
