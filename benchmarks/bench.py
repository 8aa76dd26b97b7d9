"""``make bench``: ``spip install`` against ``pip install``, side by side, in fresh venvs.

What it does (see benchmarks/README.md and issue 7):

- builds a universe of real wheels with a dependency tree (a 1-, 15-, 60- and
  100-distribution plan, two releases per project) and serves it from the
  project's fake index on 127.0.0.1 with a per-request delay, so concurrency
  matters as it does against a real index;
- for every case (plan size x warm/cold caches) times ``python -m pip install ROOT``
  and ``python -m spip install ROOT`` alternately (pip, spip, pip, spip, ...),
  each into a fresh copy of one template venv (copied outside the timed part);
  cold = empty pip cache and empty spip cache for every install; warm = both
  caches filled by an earlier install of the same plan into another venv;
- reads spip's phase timings from its findings JSON, measures spip's start-up
  (imports, ``spip --version``, process start to phase 1) and the peak memory
  of the spip process, and the checks of a 100-distribution plan with a warm
  spip cache;
- prints one Markdown report (also ``--markdown PATH``; raw samples with ``--json PATH``).

pip is isolated from the machine's configuration (``PIP_CONFIG_FILE=os.devnull``,
no ``PIP_*`` variables) and pointed at the fake index. ``--live`` runs the
same comparison against the real PyPI with the machine's pip configuration
as it is (``make bench-live``).

The parts, each importing only those before it: ``benchmarks.cases`` (the
generated projects and plans, the case definitions), ``benchmarks.runner``
(venvs, the timed installs, the samples), ``benchmarks.report`` (medians,
targets, the Markdown and JSON report); this module parses the options and
runs them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if _CHECKOUT not in sys.path:  # run as a script: ``python benchmarks/bench.py``
    sys.path.insert(0, _CHECKOUT)

from benchmarks.cases import (  # noqa: E402
    CHECKS_PLAN_SIZE,
    DEFAULT_CASES,
    DEFAULT_DELAY,
    LIVE_CASES,
    MODES,
    RELEASES,
    make_tree,
    plan_names,
    publish,
)
from benchmarks.report import raw, report  # noqa: E402
from benchmarks.runner import Bench, CaseResult, RunFailed, Sample, Setting, log  # noqa: E402
from benchmarks.signals import signals_cost  # noqa: E402

if TYPE_CHECKING:
    from tests.fakeindex import FakeIndex

T = TypeVar("T")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options, checked, with their defaults filled in (``--quick``, ``--live`` change some)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--pairs", type=int, help="pip/spip pairs per case (default 5; --quick: 1)")
    parser.add_argument(
        "--cases",
        help="plan sizes, comma-separated (default 1,15,60; --live: " + ",".join(LIVE_CASES) + ")",
    )
    parser.add_argument("--modes", default="warm,cold", help="warm, cold or both (default)")
    parser.add_argument(
        "--installers",
        default="pip,uv",
        help="pip (spip install vs pip install), uv (spip uv pip install vs uv pip install), "
        "pipx (spip pipx install vs pipx install), comma-separated (default pip,uv; "
        "not with --live)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=DEFAULT_DELAY,
        help=f"seconds the fake index adds to every request (default {DEFAULT_DELAY})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast smoke run: 1 pair, no extra warm-up, few start-up repetitions",
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    parser.add_argument(
        "--checks-plan",
        type=int,
        default=None,
        help=f"measure the checks of a {CHECKS_PLAN_SIZE}-dist plan (1) or not (0); "
        "default: yes, except with --quick",
    )
    parser.add_argument(
        "--live", action="store_true", help="against the real PyPI (make bench-live)"
    )
    parser.add_argument(
        "--pip",
        metavar="SPEC",
        help="install this pip into the venvs (e.g. 'pip>=25.3'; default: the pip that "
        "ensurepip bundles with this Python)",
    )
    parser.add_argument(
        "--peer",
        metavar="SPEC",
        help="with --live: also time this guard from PyPI in the same rounds, in venvs of its "
        "own with the venvs' pip (make bench-live: secpipw, the upstream guard, with pip 25.3)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write every sample as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (venvs, caches)")
    args = parser.parse_args(argv)
    if args.pairs is None:
        args.pairs = 1 if args.quick else 5
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or set(args.modes) - set(MODES):
        parser.error("--modes takes warm, cold or warm,cold")
    args.installers = [i.strip() for i in args.installers.split(",") if i.strip()]
    if not args.installers or set(args.installers) - {"pip", "uv", "pipx"}:
        parser.error("--installers takes pip, uv and pipx, comma-separated")
    if args.peer and not args.live:
        parser.error("--peer needs --live (the peer looks its packages up on PyPI)")
    if args.live:
        args.installers = ["pip"]
    if args.live:
        names = args.cases.split(",") if args.cases else list(LIVE_CASES)
        unknown = [n for n in names if n not in LIVE_CASES]
        if unknown:
            parser.error(f"--live cases are {', '.join(LIVE_CASES)}")
        args.cases = names
    else:
        try:
            args.cases = (
                [int(n) for n in args.cases.split(",")] if args.cases else list(DEFAULT_CASES)
            )
        except ValueError:
            parser.error("--cases takes plan sizes such as 1,15,60")
        if any(n < 1 for n in args.cases):
            parser.error("plan sizes start at 1")
    if args.checks_plan is None:
        args.checks_plan = 0 if args.quick or args.live else 1
    return args


@contextlib.contextmanager
def serving(
    args: argparse.Namespace,
) -> Iterator[tuple[Setting, dict[str, list[str]], FakeIndex | None]]:
    """The setting, the install targets of every case, and the fake index (not live)."""
    if args.live:
        yield Setting.real(), {name: LIVE_CASES[name] for name in args.cases}, None
        return
    from tests.fakeindex import FakeIndex

    sizes = sorted(set(args.cases) | ({CHECKS_PLAN_SIZE} if args.checks_plan else set()))
    with FakeIndex() as index:
        started = time.perf_counter()
        for size in sizes:
            publish(index, make_tree(size))
        log(
            f"published {sum(sizes)} projects x {len(RELEASES)} releases "
            f"in {time.perf_counter() - started:.1f}s at {index.url}"
        )
        index.delay = args.delay
        targets = {f"{n}-dist": [plan_names(n)[0]] for n in sizes}
        yield Setting.fake(index, args.delay), targets, index


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; 1 when a part of it failed."""
    args = parse_args(argv)
    command = "python -m benchmarks.bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    work = Path(tempfile.mkdtemp(prefix="spip-bench-"))
    cases: list[CaseResult] = []
    startup: dict[str, list[float]] | None = None
    checks: list[Sample] | None = None
    signals: tuple[list[float], list[float]] | None = None
    errors: list[str] = []

    def attempt(what: str, job: Callable[..., T], *job_args: object) -> T | None:
        try:
            return job(*job_args)
        except RunFailed as exc:  # the rest of the report is still worth having
            log(f"{what}: FAILED\n{exc}")
            errors.append(f"{what}: {str(exc).splitlines()[0]}")
            return None

    try:
        with serving(args) as (setting, targets, index):
            bench = Bench(
                work, setting, pairs=args.pairs, quick=args.quick, pip_spec=args.pip, peer=args.peer
            )
            checks_key = f"{CHECKS_PLAN_SIZE}-dist"
            for label, names in targets.items():
                if args.checks_plan and label == checks_key and CHECKS_PLAN_SIZE not in args.cases:
                    continue
                for installer in args.installers:
                    for mode in args.modes:
                        what = f"{label} {installer} {mode}"
                        result = attempt(what, bench.case, label, mode, names, installer)
                        cases += [result] if result is not None else []
            if not args.no_startup:
                startup = attempt("start-up", bench.startup)
            if args.checks_plan and index is not None:
                checks = attempt("checks", bench.checks, targets[checks_key])
                names = plan_names(CHECKS_PLAN_SIZE)
                log("signal checks: with and without, in turns")
                rounds = 2 if args.quick else 15
                signals = signals_cost(index, names, work / "signals-cache", rounds)
        text = report(
            command.strip(),
            setting,
            cases,
            startup,
            checks,
            args.pairs,
            bench.venvs.pip_version,
            signals,
        )
    finally:
        if args.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if errors:
        text += "\n**Failed** (left out above):\n\n" + "".join(f"- {e}\n" for e in errors)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps(raw(cases, startup, checks), indent=2) + "\n", encoding="utf-8"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
