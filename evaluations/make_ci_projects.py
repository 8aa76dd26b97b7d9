"""Write ``evaluations/ci_projects.txt``, the projects ``make eval-ci`` dry-runs.

The list is data in the repository; this script is how it was made (and how to
remake it from a newer ranking)::

    python -m evaluations.make_ci_projects --source ../shared/data/top-pypi-packages.tsv

The source is the popular list (``rank<TAB>name`` per line; ranks without a name are
simply absent). The shipped list holds ranks 1-300, 1001-1100 and 5001-5100: 500
legitimate projects, from the most downloaded down to the long tail.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "ci_projects.txt"
DEFAULT_RANKS = ((1, 300), (1001, 1100), (5001, 5100))


def select(lines: Iterable[str], ranges: Sequence[tuple[int, int]]) -> list[tuple[int, str]]:
    """The (rank, name) pairs of ``lines`` (``rank<TAB>name``) whose rank is in ``ranges``."""
    chosen: list[tuple[int, str]] = []
    for line in lines:
        fields = line.strip().split("\t")
        if len(fields) < 2 or not fields[0].isdigit() or not fields[1].strip():
            continue
        rank = int(fields[0])
        if any(lo <= rank <= hi for lo, hi in ranges):
            chosen.append((rank, fields[1].strip()))
    return sorted(chosen)


def render(pairs: Sequence[tuple[int, str]], source: str) -> str:
    header = (
        f"# make eval-ci: {len(pairs)} legitimate projects, ranks "
        + ", ".join(f"{lo}-{hi}" for lo, hi in DEFAULT_RANKS)
        + f" of the popular list ({source}).\n"
        "# Made by: python -m evaluations.make_ci_projects. Format: rank<TAB>name.\n"
    )
    return header + "".join(f"{rank}\t{name}\n" for rank, name in pairs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--source", type=Path, required=True, help="the popular list, rank<TAB>name per line"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    lines = args.source.read_text(encoding="utf-8").splitlines()
    pairs = select(lines, DEFAULT_RANKS)
    args.output.write_text(render(pairs, args.source.name), encoding="utf-8")
    print(f"wrote {len(pairs)} projects to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
