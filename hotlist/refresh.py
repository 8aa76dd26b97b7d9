"""Rebuild spip's popular-names list (``spip/data/hotlist.txt``).

Online (the default), it downloads the public ranking of PyPI projects by downloads over
the last 30 days published by the top-pypi-packages project. Offline, ``--source`` reads
that JSON from a file, or a ``rank<TAB>name`` TSV (which carries no date: give
``--snapshot``). Names are normalised (PEP 503); the output is one name a line in rank
order after a header line with the snapshot date (see ``spip/hotlist.py``). Then it
rewrites the typosquat detector's prebuilt indexes over it
(``spip/data/typosquat-index.txt``, see ``spip/checks/typosquat_index.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name

RANKING_URL = "https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json"
OUTPUT = Path(__file__).resolve().parent.parent / "spip" / "data" / "hotlist.txt"
INDEX = OUTPUT.with_name("typosquat-index.txt")
LIMIT = 15_000

Ranking = list[tuple[int, str]]


def parse_json(text: str) -> tuple[str, Ranking]:
    """The snapshot date and ``(rank, name)`` pairs of a top-pypi-packages JSON document."""
    data = json.loads(text)
    snapshot = str(data["last_update"]).split()[0]
    return snapshot, [(i, row["project"]) for i, row in enumerate(data["rows"], start=1)]


def parse_tsv(text: str) -> Ranking:
    """``(rank, name)`` pairs of ``rank<TAB>name`` lines."""
    pairs = []
    for line in text.splitlines():
        rank, _, name = line.partition("\t")
        if rank.strip().isdigit() and name.strip():
            pairs.append((int(rank), name.strip()))
    return pairs


def render(
    snapshot: str, ranking: Iterable[tuple[int, str]], source: str, limit: int = LIMIT
) -> str:
    """The shipped file: a header, then line N = the normalised name ranked N ("" if none)."""
    by_rank: dict[int, str] = {}
    seen: set[str] = set()
    for rank, name in sorted(ranking):
        normal = canonicalize_name(name)
        if 1 <= rank <= limit and normal not in seen:
            by_rank[rank] = normal
            seen.add(normal)
    last = max(by_rank, default=0)
    lines = [f"# spip-hotlist snapshot={snapshot} source={source}"]
    lines += [by_rank.get(rank, "") for rank in range(1, last + 1)]
    return "\n".join(lines) + "\n"


def _download(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help=f"a file or URL (default: {RANKING_URL})")
    parser.add_argument("--snapshot", help="the ranking's date (required for a TSV source)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--limit", type=int, default=LIMIT, help="how many ranks to keep")
    parser.add_argument(
        "--index-only",
        action="store_true",
        help="only rewrite the typosquat index of the shipped list (no ranking read)",
    )
    args = parser.parse_args(argv)
    if args.index_only:
        write_index()
        return 0

    source = args.source or RANKING_URL
    is_url = source.startswith(("https://", "http://"))
    text = _download(source) if is_url else Path(source).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        snapshot, ranking = parse_json(text)
    else:
        if not args.snapshot:
            parser.error("a TSV source has no date: give --snapshot YYYY-MM-DD")
        snapshot, ranking = args.snapshot, parse_tsv(text)
    snapshot = args.snapshot or snapshot
    output = render(snapshot, ranking, "top-pypi-packages-30-days", args.limit)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(output, encoding="utf-8")
    count = sum(1 for line in output.splitlines()[1:] if line)
    print(f"wrote {count} names (snapshot {snapshot}) to {args.output}", file=sys.stderr)
    if args.output == OUTPUT:
        write_index()
    return 0


def write_index() -> None:
    """Rebuild the typosquat detector's prebuilt indexes over the shipped list."""
    sys.path.insert(0, str(OUTPUT.parents[2]))  # this checkout's spip, installed or not
    from spip.checks import hotlist, typosquat_index
    from spip.checks.typosquat import NameIndex

    hotlist.load.cache_clear()
    shipped = hotlist.load()
    INDEX.write_text(typosquat_index.dump(NameIndex(shipped.ranks), shipped), encoding="utf-8")
    print(f"wrote the typosquat index to {INDEX}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
