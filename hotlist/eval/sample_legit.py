"""Draw the sample of legitimate PyPI names the typosquat evaluation uses.

Input: a TSV of PyPI projects with the columns ``name, version, month,
rank_among_15000_most_downloaded, summary`` (first line: the header). Kept: projects
outside the 15,000 most downloaded, with a summary, that are not themselves
typo-squat placeholders or known squats. Output: ``legit_sample.txt``, one name a line.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

HERE = Path(__file__).parent
SAMPLE_SIZE = 10_000
SEED = 20261101
# Summaries of defensive registrations of typos ("did you mean requests?") and of squats.
_NOT_LEGIT = re.compile(r"typo-?squat|misspel|did you mean|malicious|slopsquat", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pypi_tsv", type=Path)
    args = parser.parse_args()
    with (HERE / "squats.csv").open(newline="") as fh:
        squats = {row["squat"] for row in csv.DictReader(fh)}
    names = set()
    with args.pypi_tsv.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or cols[3] or not cols[4].strip() or _NOT_LEGIT.search(cols[4]):
                continue
            names.add(canonicalize_name(cols[0]))
    pool = sorted(names - squats)
    sample = sorted(random.Random(SEED).sample(pool, SAMPLE_SIZE))
    (HERE / "legit_sample.txt").write_text("\n".join(sample) + "\n", encoding="utf-8")
    print(f"{len(sample)} names drawn from {len(pool)}", file=sys.stderr)


if __name__ == "__main__":
    main()
