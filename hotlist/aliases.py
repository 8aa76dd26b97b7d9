"""Rebuild ``spip/data/aliases.txt``: the console scripts and import names of the top projects.

Opt-in and bounded (``make aliases``; it is not part of ``make hotlist``'s default run):
for each of the ``--limit`` most downloaded projects of the shipped popular list, the
index's JSON API names the latest release's files; one wheel of it is opened with range
requests (its central directory, then ``entry_points.txt`` and ``top_level.txt``),
``--jobs`` at a time. An alias is a command or top-level import name whose PEP 503 form
differs from the project's own name; names that are themselves on the popular list are
left out (nobody else can squat them). Projects whose wheel cannot be read are skipped
and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

import httpx
from packaging.utils import canonicalize_name

from spip.checks import hotlist
from spip.checks.contents import console_scripts
from spip.index.wheelzip import ArchiveError, Budget, open_wheel

OUTPUT = Path(__file__).resolve().parent.parent / "spip" / "data" / "aliases.txt"


def _import_names(names: list[str], top_level: bytes | None) -> set[str]:
    if top_level:
        return {line.strip() for line in top_level.decode(errors="replace").splitlines()}
    found = set()
    for name in names:
        first = name.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")) or first.startswith("_"):
            continue
        found.add(first.removesuffix(".py") if "/" not in name else first)
    return {n for n in found if n.isidentifier()}


async def project_aliases(
    client: httpx.AsyncClient, pypi_url: str, project: str
) -> set[tuple[str, str]]:
    """``(alias, kind)`` of one project, from one wheel of its latest release."""
    resp = await client.get(f"{pypi_url.rstrip('/')}/pypi/{project}/json")
    resp.raise_for_status()
    wheels = [f["url"] for f in resp.json().get("urls", []) if f["filename"].endswith(".whl")]
    if not wheels:
        return set()
    pure = [u for u in wheels if u.endswith("-none-any.whl")]
    wheel = await open_wheel((pure or wheels)[0], Budget(), client)
    wanted = [
        n
        for n in wheel.names
        if n.endswith((".dist-info/entry_points.txt", ".dist-info/top_level.txt"))
    ]
    members = await wheel.read(wanted)
    entry = next((v for k, v in members.items() if k.endswith("entry_points.txt")), None)
    top = next((v for k, v in members.items() if k.endswith("top_level.txt")), None)
    out = {(canonicalize_name(c), "command") for c in console_scripts(entry or b"")}
    out |= {(canonicalize_name(n), "import") for n in _import_names(wheel.names, top) if n}
    return {(alias, kind) for alias, kind in out if alias != project}


async def collect(pypi_url: str, limit: int, jobs: int) -> tuple[list[str], int]:
    ranks = hotlist.load().ranks
    top = sorted((r, n) for n, r in ranks.items())[:limit]
    lines: set[str] = set()
    failed = 0
    gate = asyncio.Semaphore(jobs)
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:

        async def one(project: str) -> None:
            nonlocal failed
            async with gate:
                try:
                    found = await project_aliases(client, pypi_url, project)
                except (httpx.HTTPError, ArchiveError, ValueError, KeyError):
                    failed += 1
                    return
            for alias, kind in found:
                if alias not in ranks:
                    lines.add(f"{alias}\t{project}\t{kind}")

        await asyncio.gather(*(one(name) for _, name in top))
    return sorted(lines), failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pypi-url", default="https://pypi.org")
    parser.add_argument("--limit", type=int, default=500, help="how many top projects (500)")
    parser.add_argument("--jobs", type=int, default=4, help="projects read at a time (4)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    lines, failed = asyncio.run(collect(args.pypi_url, args.limit, args.jobs))
    header = f"# spip-aliases snapshot={date.today().isoformat()} source=wheels-of-top-{args.limit}"
    args.output.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(lines)} aliases ({failed} projects could not be read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
