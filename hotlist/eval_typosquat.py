"""Measure the typosquat detector: recall on known squats, false positives on real names.

Data (``hotlist/eval/``, see its README): ``squats.csv``, known PyPI typosquats with
the project each imitates and a source; ``legit_sample.txt``, PyPI projects outside
the 15,000 most downloaded that are not squats. The popular list is measured too:
each project ranked 5,001-15,000 against the top 5,000 alone. For comparison, the
plain rule: one Damerau-Levenshtein edit from a top-5,000 name of 4+ letters.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import jellyfish

from spip.checks import hotlist, typosquat
from spip.checks.typosquat import Detector, Lookalike
from spip.policy.findings import Severity

EVAL = Path(__file__).parent / "eval"
TOP = 5000
SPEED_NAMES = 100_000


def _rate(part: int, whole: int) -> str:
    return f"{part:>5}/{whole:<5} {100 * part / whole:6.2f}%"


def _plain_rule(popular: Sequence[str]) -> Callable[[str], bool]:
    """The baseline: is ``name`` one edit from one of ``popular`` (4+ letters)?"""
    index: dict[str, set[str]] = {}
    for name in popular:
        if len(name) >= 4:
            for key in {name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}:
                index.setdefault(key, set()).add(name)

    def flagged(name: str) -> bool:
        keys = {name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}
        near = set().union(*(index.get(k, ()) for k in keys))
        return any(jellyfish.damerau_levenshtein_distance(name, t) == 1 for t in near - {name})

    return flagged


def _row(label: str, results: Sequence[Lookalike | None], plain: int, low_separately: bool) -> None:
    medium = sum(1 for r in results if r and r.severity >= Severity.MEDIUM)
    low = sum(1 for r in results if r and r.severity == Severity.LOW)
    n = len(results)
    second = f"LOW {_rate(low, n)}" if low_separately else f"MEDIUM-or-LOW {_rate(medium + low, n)}"
    print(f"  {label:<32} MEDIUM {_rate(medium, n)}   {second}   plain rule {_rate(plain, n)}")


PROJECTS = EVAL / "legit_projects.tsv"


def _project_rule(detector: Detector, squats: Sequence[dict[str, str]], legit: list[str]) -> None:
    """The look-alike rule with the project behind the name (``typosquat.run``): a LOW
    look-alike is dropped when its project is established (old, many releases), and is
    MEDIUM when it is young (first upload within 90 days), has a single release or names
    no repository.

    The squats were removed from the index: every known squat was a young project when
    it struck, so its rows count as young. The legitimate names' projects are judged
    from ``legit_projects.tsv`` (the index's data, ``--refresh-projects``); a LOW name
    missing there counts as MEDIUM.
    """
    squat_results = [detector.lookalike(s["squat"]) for s in squats]
    legit_results = [detector.lookalike(n) for n in legit]
    flagged = sum(1 for r in squat_results if r)
    medium = sum(1 for r in legit_results if r and r.severity >= Severity.MEDIUM)
    low = [r.name for r in legit_results if r and r.severity == Severity.LOW]
    snapshot, judged = _projects()
    raised = [n for n in low if judged.get(n, "?") not in ("established", "")]
    unknown = sum(1 for n in low if n not in judged)
    rule = f"{typosquat.YOUNG_LOOKALIKE_DAYS} days old, or one release and no repo"
    print(f"\nwith the project rule ({rule})")
    print(f"  squats of top-{TOP} projects (young)   MEDIUM {_rate(flagged, len(squats))}")
    print(
        f"  legitimate sample, MEDIUM             {_rate(medium + len(raised), len(legit))}"
        f"   (projects as the index had them on {snapshot}; {unknown} not looked up)"
    )


def _projects() -> tuple[str, dict[str, str]]:
    """``legit_projects.tsv``: its snapshot date, and per name ``established``, ``""``
    (neither established nor small) or the marks that make a look-alike MEDIUM."""
    if not PROJECTS.exists():
        return "never", {}
    lines = PROJECTS.read_text(encoding="utf-8").splitlines()
    snapshot = lines[0].removeprefix("# snapshot ").split()[0] if lines else "never"
    rows = (line.split("\t") for line in lines if line and not line.startswith("#"))
    return snapshot, {name: verdict for name, verdict in rows}


def _refresh_projects(detector: Detector, legit: list[str], pypi_url: str) -> None:
    """Ask the index about every legitimate name the detector finds LOW, with the check's
    own functions (``typosquat.established``, ``typosquat.small_project``)."""
    import asyncio
    from datetime import date

    from spip.index.cache import Cache
    from spip.index.errors import DataUnavailable
    from spip.index.http import make_client
    from spip.index.netconf import net_settings
    from spip.index.pypi import PyPIClient

    names = [r.name for n in legit if (r := detector.lookalike(n)) and r.severity == Severity.LOW]

    async def judge(pypi: PyPIClient, name: str) -> str:
        try:
            history = await pypi.files(name)
            if typosquat.established(history):
                return "established"
            newest = (await pypi.release(name, history.versions[-1])).info
        except (DataUnavailable, IndexError):
            return "unavailable"
        return "; ".join(typosquat.small_project(history, newest)) if newest else "no metadata"

    async def run() -> list[str]:
        async with make_client(net_settings({})) as http:
            pypi = PyPIClient(http, pypi_url, Cache(None))
            return await asyncio.gather(*(judge(pypi, n) for n in names))

    verdicts = asyncio.run(run())
    header = f"# snapshot {date.today().isoformat()} {pypi_url}: name<TAB>verdict\n"
    rows = "".join(f"{n}\t{v}\n" for n, v in sorted(zip(names, verdicts, strict=True)))
    PROJECTS.write_text(header + rows, encoding="utf-8")
    print(f"wrote {PROJECTS} ({len(names)} names)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and MEDIUMs")
    parser.add_argument(
        "--refresh-projects",
        metavar="PYPI_URL",
        help="ask this index (e.g. https://pypi.org) about the sample's LOW look-alikes and "
        "write legit_projects.tsv (network)",
    )
    args = parser.parse_args()

    started = time.process_time()
    hotlist.load.cache_clear()
    ranks = dict(hotlist.load().ranks)
    loaded = time.process_time()
    full = Detector(ranks)
    built = time.process_time()
    print(
        f"hotlist snapshot {hotlist.snapshot_date()}: {len(ranks)} names; CPU time to load "
        f"{1000 * (loaded - started):.1f} ms, to index {1000 * (built - loaded):.0f} ms"
    )
    plain = _plain_rule([n for n, r in ranks.items() if r <= TOP])

    with (EVAL / "squats.csv").open(newline="") as fh:
        squats = list(csv.DictReader(fh))
    on_top = [s for s in squats if ranks.get(s["target"], TOP + 1) <= TOP]
    print(f"\nrecall on known squats ({len(squats)}; {len(on_top)} imitate a top-{TOP} project)")
    for label, rows in (("all squats", squats), (f"squats of top-{TOP} projects", on_top)):
        results = [full.lookalike(s["squat"]) for s in rows]
        _row(label, results, sum(plain(s["squat"]) for s in rows), low_separately=False)
        right = sum(1 for s, r in zip(rows, results, strict=True) if r and r.target == s["target"])
        print(f"  {'':<32} flagged with the expected target {_rate(right, len(rows))}")
        if args.verbose and rows is on_top:
            for s, r in zip(rows, results, strict=True):
                if not r or r.severity < Severity.MEDIUM:
                    got = f"{r.severity} {r.kind} -> {r.target}" if r else "missed"
                    print(f"      {s['squat']:<24} ({s['target']}): {got}")

    legit = (EVAL / "legit_sample.txt").read_text().split()
    popular = [n for n, r in ranks.items() if r > TOP]
    print("\nfalse positives")
    for label, names, detector in (
        ("legitimate sample", legit, full),
        (f"ranks {TOP + 1:,}-15,000 vs top {TOP:,}", popular, None),
    ):
        detector = detector or Detector({n: r for n, r in ranks.items() if r <= TOP})
        results = [detector.lookalike(n) for n in names]
        _row(label, results, sum(map(plain, names)), low_separately=True)
        kinds = Counter(f"{r.severity}:{r.kind}" for r in results if r)
        print("      by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        for r in results if args.verbose else ():
            if r and r.severity >= Severity.MEDIUM:
                print(f"      {r.name:<30} {r.kind:<14} -> {r.target} ({r.rank})")

    if args.refresh_projects:
        _refresh_projects(full, legit, args.refresh_projects)
    _project_rule(full, on_top, legit)

    names = list(itertools.islice(itertools.cycle(legit + popular), SPEED_NAMES))
    fresh = Detector(ranks)
    started = time.process_time()
    for name in names:
        fresh.lookalike(name)
    elapsed = time.process_time() - started
    print(
        f"\nspeed: {len(names):,} names screened in {elapsed:.2f} s of CPU time "
        f"({len(names) / elapsed:,.0f} names/s, one core)"
    )


if __name__ == "__main__":
    main()
