"""Measure the typosquat detector: recall on known squats, false positives on real names.

Data (``hotlist/eval/``, see its README): ``squats.csv``, known PyPI typosquats with
the project each imitates and the source; ``legit_sample.txt``, PyPI projects outside
the 15,000 most downloaded that are not squats. The popular list is measured too:
each project ranked 5,001-15,000 against the top 5,000 alone.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from collections import Counter
from pathlib import Path

from spip import hotlist
from spip.checks.typosquat import Detector, Lookalike
from spip.findings import Severity

EVAL = Path(__file__).parent / "eval"
TOP = 5000
SPEED_NAMES = 100_000


def _rate(part: int, whole: int) -> str:
    return f"{part:>5}/{whole:<6} {100 * part / whole:6.2f}%" if whole else "    -"


def _count(results: list[Lookalike | None], severity: Severity) -> int:
    return sum(1 for r in results if r and r.severity >= severity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and hits")
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

    with (EVAL / "squats.csv").open(newline="") as fh:
        squats = list(csv.DictReader(fh))
    on_top = [s for s in squats if ranks.get(s["target"], TOP + 1) <= TOP]
    print(f"\nrecall on known squats ({len(squats)}; {len(on_top)} imitate a top-{TOP} project)")
    for label, rows in (("all squats", squats), (f"squats of top {TOP}", on_top)):
        results = [full.lookalike(s["squat"]) for s in rows]
        right = sum(1 for s, r in zip(rows, results, strict=True) if r and r.target == s["target"])
        print(
            f"  {label:<22} MEDIUM {_rate(_count(results, Severity.MEDIUM), len(rows))}   "
            f"MEDIUM-or-LOW {_rate(_count(results, Severity.LOW), len(rows))}   "
            f"same target {_rate(right, len(rows))}"
        )
        if args.verbose and rows is on_top:
            for s, r in zip(rows, results, strict=True):
                got = f"{r.severity} {r.kind} -> {r.target}" if r else "MISSED"
                print(f"      {s['squat']:<24} ({s['target']}): {got}")

    legit = (EVAL / "legit_sample.txt").read_text().split()
    top = Detector({n: r for n, r in ranks.items() if r <= TOP})
    popular = [n for n, r in ranks.items() if r > TOP]
    print("\nfalse positives")
    for label, names, detector in (
        ("legitimate sample", legit, full),
        (f"ranks {TOP + 1}-15,000 vs top {TOP}", popular, top),
    ):
        results = [detector.lookalike(n) for n in names]
        medium = _count(results, Severity.MEDIUM)
        low = _count(results, Severity.LOW) - medium
        print(f"  {label:<30} MEDIUM {_rate(medium, len(names))}   LOW {_rate(low, len(names))}")
        kinds = Counter(f"{r.severity}:{r.kind}" for r in results if r)
        print("      by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        if args.verbose:
            for r in results:
                if r and r.severity >= Severity.MEDIUM:
                    print(f"      {r.name:<30} {r.kind:<14} -> {r.target} ({r.rank})")

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
