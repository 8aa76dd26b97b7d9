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
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: ``python benchmarks/bench.py``
    sys.path.insert(0, str(ROOT))

T = TypeVar("T")
NAME_PREFIX = "spipbench"
DEFAULT_CASES = (1, 15, 60)
MODES = ("warm", "cold")
DEFAULT_DELAY = 0.03
CHECKS_PLAN_SIZE = 100
LIVE_CASES = {
    "requests": ["requests"],
    "flask+sqlalchemy+pydantic": ["flask", "sqlalchemy", "pydantic"],
    "jupyterlab": ["jupyterlab"],
}
# Issue 7's targets: the median of the per-pair ratio spip/pip.
STARTUP_TARGET = 0.150
CHECKS_TARGET = 0.150
MEMORY_TARGET_MB = 80.0
PHASES = ("startup", "phase1", "checks", "fetch_wait", "phase2", "total")


def ratio_target(plan_size: int, mode: str) -> float:
    """The ratio target of a plan: 1-dist 1.40; 15-dist 1.10; 60-dist 1.05 warm, 1.00 cold."""
    if plan_size <= 5:
        return 1.40
    if plan_size <= 30:
        return 1.10
    return 1.05 if mode == "warm" else 1.00


_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# -- the plan generator ---------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """One generated project: its dependencies and what its wheels contain."""

    name: str
    requires: tuple[str, ...]  # PEP 508 requirement strings
    deps: tuple[str, ...]  # the names of ``requires``
    modules: int
    source_bytes: int
    data_bytes: int = 0  # an incompressible data file (a stand-in for native code)
    script: bool = False


def plan_names(size: int, prefix: str = NAME_PREFIX) -> list[str]:
    return [f"{prefix}-p{size}-{i:03d}" for i in range(size)]


def make_tree(size: int, *, prefix: str = NAME_PREFIX, seed: int = 7) -> list[Project]:
    """``size`` projects whose first one (the root) depends, directly or not, on all others.

    A random recursive tree (every project but the root has a parent earlier
    in the list, so depth grows like log(size)), plus cross edges to later
    projects (diamonds, as real plans have). Edges only point forward: no cycles.
    Sizes are log-uniform from a few KiB to a few hundred KiB of source; in
    plans of 15 or more, one project is heavy (hundreds of modules, a MiB of
    binary data).
    """
    if size < 1:
        raise ValueError("a plan has at least one distribution")
    rng = random.Random(f"{prefix}/{size}/{seed}")
    names = plan_names(size, prefix)
    children: list[list[int]] = [[] for _ in range(size)]
    for i in range(1, size):
        children[rng.randrange(i)].append(i)
    for i in range(size - 2):
        if rng.random() < 0.3:
            j = rng.randrange(i + 1, size)
            if j not in children[i]:
                children[i].append(j)
    projects = []
    for i, name in enumerate(names):
        requires, deps = [], []
        for j in sorted(children[i]):
            spec = rng.choice([">=1.0", ">=1.0", ">=1.0,<2", "~=1.0"])
            marker = '; python_version >= "3.8"' if rng.random() < 0.15 else ""
            requires.append(f"{names[j]}{spec}{marker}")
            deps.append(names[j])
        heavy = size >= 15 and i == 1
        projects.append(
            Project(
                name=name,
                requires=tuple(requires),
                deps=tuple(deps),
                modules=300 if heavy else rng.randint(1, 8),
                source_bytes=3_000_000 if heavy else int(4_000 * (60 ** rng.random())),
                data_bytes=1_500_000 if heavy else 0,
                script=rng.random() < 0.2,
            )
        )
    return projects


def closure(projects: Sequence[Project], root: str) -> set[str]:
    """The names ``root`` needs, itself included; raises KeyError on a missing dependency."""
    by_name = {p.name: p for p in projects}
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(by_name[name].deps)
    return seen


def _module_source(rng: random.Random, size: int, title: str) -> str:
    parts = [
        f'"""{title}: generated for spip\'s benchmark."""\n\n\ndef main():\n    print(__name__)\n'
    ]
    total, k = 0, 0
    while total < size:
        k += 1
        a, b = rng.randrange(1 << 30), rng.randrange(1 << 30)
        block = (
            f'\n\ndef f_{k}(x, y={a}):\n    """Mix x with {b} and y."""\n    return (x * y) ^ {b}\n'
        )
        parts.append(block)
        total += len(block)
    return "".join(parts)


def wheel_contents(project: Project, version: str) -> dict[str, bytes | str]:
    """The files of ``project``'s wheel (deterministic for a project and version)."""
    rng = random.Random(f"{project.name}=={version}")
    package = project.name.replace("-", "_")
    per_module = max(200, project.source_bytes // project.modules)
    files: dict[str, bytes | str] = {f"{package}/__init__.py": f'__version__ = "{version}"\n'}
    for m in range(project.modules):
        files[f"{package}/mod_{m:03d}.py"] = _module_source(
            rng, per_module, f"{package}.mod_{m:03d}"
        )
    files[f"{package}/cli.py"] = "def main():\n    print('ok')\n"
    if project.data_bytes:
        files[f"{package}/data/blob.bin"] = rng.randbytes(project.data_bytes)
    return files


RELEASES = (("1.0.0", 400), ("1.1.0", 90))  # (version, days since upload)


def publish(index, projects: Sequence[Project]) -> None:
    """Build two releases of every project and put them on ``index``."""
    now = datetime.now(timezone.utc)
    for project in projects:
        for version, age in RELEASES:
            index.publish(
                project.name,
                version,
                requires=list(project.requires),
                summary=f"{project.name}: a generated project for spip's benchmark",
                description=f"# {project.name}\n\nGenerated by benchmarks/bench.py.\n",
                metadata={
                    "Author-email": "Bench Maintainers <bench@example.org>",
                    "Project-URL": f"Source, https://github.com/spipbench/{project.name}",
                    "Requires-Python": ">=3.8",
                },
                files=wheel_contents(project, version),
                entry_points=(
                    {
                        "console_scripts": {
                            f"{project.name}-cli": f"{project.name.replace('-', '_')}.cli:main"
                        }
                    }
                    if project.script
                    else None
                ),
                upload_time=now - timedelta(days=age),
            )


# -- processes ---------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


class Venvs:
    """Fresh virtual environments: copies of one template (made once, with pip)."""

    def __init__(self, work: Path, pip_spec: str | None = None) -> None:
        self.work = work
        self.template = work / "template-venv"
        self._count = 0
        log(f"creating the template venv with {sys.executable} ...")
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(self.template)], check=True
        )
        # pip alone, from the wheel ensurepip bundles (no setuptools: a smaller copy,
        # and what a Python 3.12+ venv holds anyway); offline, no pip configuration.
        import ensurepip

        bundled = Path(ensurepip.__file__).parent / "_bundled"
        wheel = sorted(bundled.glob("pip-*.whl"))[-1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        subprocess.run(
            [
                str(venv_python(self.template)),
                f"{wheel}/pip",
                "install",
                "--quiet",
                "--no-index",
                "--disable-pip-version-check",
                "--no-cache-dir",
                str(wheel),
            ],
            check=True,
            env=env,
        )
        if pip_spec:  # another pip than the bundled one, with the machine's pip settings
            log(f"installing {pip_spec} into the template venv ...")
            subprocess.run(
                [
                    str(venv_python(self.template)),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--upgrade",
                    pip_spec,
                ],
                check=True,
            )
        version = subprocess.run(
            [str(venv_python(self.template)), "-m", "pip", "--version"],
            capture_output=True,
            text=True,
            env=env,
        )
        self.pip_version = version.stdout.split(" from ")[0].strip() or "pip"

    def fresh(self) -> Path:
        self._count += 1
        venv = self.work / f"venv-{self._count:04d}"
        shutil.copytree(self.template, venv, symlinks=True)
        return venv

    @staticmethod
    def discard(venv: Path) -> None:
        shutil.rmtree(venv, ignore_errors=True)


@dataclass
class Timed:
    seconds: float
    returncode: int
    maxrss_kb: int  # the largest process of the tree (Linux: children count)
    cpu: float  # user + system seconds of the whole process tree
    stdout: str
    stderr: str


def run_timed(cmd: Sequence[str], env: dict[str, str], cwd: Path, out_dir: Path) -> Timed:
    """Run ``cmd`` and return its wall time, status and peak RSS (wait4)."""
    out_path, err_path = out_dir / "last.out", out_dir / "last.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            maxrss = usage.ru_maxrss
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover - Windows
            proc.wait()
            seconds = time.perf_counter() - start
            maxrss, cpu = 0, float("nan")
    return Timed(
        seconds,
        proc.returncode,
        maxrss,
        cpu,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )


# Runs spip in-process with two marks: when phase 1 starts (pip gets the
# ``install --dry-run`` arguments: a new process, or spip's pre-started "warm"
# pip receiving them) and the spip process's own peak RSS and CPU time at exit
# (RUSAGE_SELF: the spip process alone, not its pip children).
PROBE = r"""
import atexit, json, os, resource, runpy, subprocess, sys, time
out = os.environ.pop("SPIP_BENCH_PROBE")
marks = {}
def _phase1(args):
    if "phase1_at" not in marks and "--dry-run" in [str(a) for a in args]:
        marks["phase1_at"] = time.time()
_init = subprocess.Popen.__init__
def _popen(self, args, *a, **k):
    _phase1(args)
    return _init(self, args, *a, **k)
subprocess.Popen.__init__ = _popen
try:
    import spip.installer.pip_process as runner
    _go = runner.WarmPip.go
    def _warm_go(self, args, *a, **k):
        _phase1(args)
        return _go(self, args, *a, **k)
    runner.WarmPip.go = _warm_go
except (ImportError, AttributeError):
    pass
def _done():
    if "maxrss_kb" in marks:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    marks["maxrss_kb"] = usage.ru_maxrss
    marks["cpu_self"] = usage.ru_utime + usage.ru_stime
    with open(out, "w") as fh:
        json.dump(marks, fh)
atexit.register(_done)
_exit = os._exit
def _quick_exit(status):  # spip may skip the interpreter's teardown
    _done()
    _exit(status)
os._exit = _quick_exit
sys.argv[0] = "spip"
runpy.run_module("spip", run_name="__main__", alter_sys=True)
"""


# -- environments --------------------------------------------------------------------


@dataclass
class Setting:
    """Where pip and spip look for packages, and the environment they get."""

    live: bool
    env: dict[str, str]  # the base environment of every run
    description: str

    @classmethod
    def fake(cls, index, delay: float) -> Setting:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "SPIP_"))}
        env.pop("VIRTUAL_ENV", None)
        env.update(
            PIP_CONFIG_FILE=os.devnull,
            PIP_INDEX_URL=index.simple_url,
            # pip caches HTTP answers only from https origins and trusted hosts: without
            # this, a "warm" pip would download every file again from the http index.
            PIP_TRUSTED_HOST=f"{index.host}:{index.port}",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            SPIP_PYPI_URL=index.url,
        )
        text = f"the project's fake index on 127.0.0.1, {delay * 1000:.0f} ms per request"
        return cls(False, env, text)

    @classmethod
    def real(cls) -> Setting:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPIP_")}
        env.pop("VIRTUAL_ENV", None)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        return cls(True, env, "the real PyPI (the machine's pip configuration as it is)")


def spip_pythonpath(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """``env`` plus PYTHONPATH=<checkout> when ``python -m spip`` would not find this checkout."""
    probe = subprocess.run(
        [sys.executable, "-c", "import spip, sys; sys.stdout.write(spip.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0 and Path(probe.stdout).resolve().parent == ROOT / "spip":
        return env
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path}


# -- the cases -----------------------------------------------------------------------


class RunFailed(Exception):
    """An install (or a start-up command) failed: that part of the report is left out."""


@dataclass
class Sample:
    tool: str
    seconds: float
    maxrss_kb: int
    cpu: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)
    findings: int = 0
    plan_size: int = 0


@dataclass
class CaseResult:
    label: str
    mode: str
    targets: list[str]
    plan_size: int = 0
    pip: list[Sample] = field(default_factory=list)
    spip: list[Sample] = field(default_factory=list)
    probe: dict[str, float] = field(default_factory=dict)

    @property
    def ratios(self) -> list[float]:
        return [s.seconds / p.seconds for p, s in zip(self.pip, self.spip, strict=False)]

    @property
    def target(self) -> float:
        return ratio_target(self.plan_size, self.mode)

    def phase(self, key: str) -> list[float]:
        return [s.timings[key] for s in self.spip if key in s.timings]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, setting: Setting) -> None:
        self.args = args
        self.work = work
        self.setting = setting
        self.cwd = work / "cwd"  # no pyproject.toml: no [tool.spip] from here
        self.cwd.mkdir()
        self.venvs = Venvs(work, args.pip)
        log("template venv ready")
        self.spip_env = spip_pythonpath(setting.env, self.cwd)
        self._n = 0
        self._probes = 0

    def _dir(self, kind: str) -> Path:
        self._n += 1
        path = self.work / f"{kind}-{self._n:04d}"
        path.mkdir()
        return path

    def caches(self) -> tuple[Path, Path]:
        return self._dir("pip-cache"), self._dir("spip-cache")

    def install(
        self,
        tool: str,
        targets: Sequence[str],
        caches: tuple[Path, Path],
        extra: Sequence[str] = (),
        probe: bool = False,
    ) -> tuple[Sample, dict[str, float]]:
        """One timed install into a fresh venv (made and removed outside the timing)."""
        venv = self.venvs.fresh()
        pip_cache, spip_cache = caches
        python = str(venv_python(venv))
        if tool == "pip":
            env = {**self.setting.env, "PIP_CACHE_DIR": str(pip_cache)}
            cmd = [python, "-m", "pip", "install", *targets]
        else:
            findings = self.work / f"findings-{self._n}-{time.monotonic_ns()}.json"
            env = {
                **self.spip_env,
                "PIP_CACHE_DIR": str(pip_cache),
                "SPIP_CACHE_DIR": str(spip_cache),
                "VIRTUAL_ENV": str(venv),
                "PATH": f"{venv_python(venv).parent}{os.pathsep}{self.spip_env.get('PATH', '')}",
            }
            head = [sys.executable, "-m", "spip"]
            marks_path = self.work / "probe.json"
            if probe:
                env["SPIP_BENCH_PROBE"] = str(marks_path)
                head = [sys.executable, "-c", PROBE]
            cmd = [*head, "install", *targets, *extra, "--findings-json", str(findings)]
        launched = time.time()
        result = run_timed(cmd, env, self.cwd, self.work)
        self.venvs.discard(venv)
        if result.returncode != 0:
            raise RunFailed(
                f"bench: {tool} install {' '.join(targets)} failed "
                f"with status {result.returncode}:\n"
                f"$ {shlex.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        sample = Sample(tool, result.seconds, result.maxrss_kb, result.cpu)
        marks: dict[str, float] = {}
        if tool == "spip":
            document = json.loads(findings.read_text())
            findings.unlink()
            if document.get("decision") not in ("installed", "nothing-to-install"):
                raise RunFailed(f"bench: spip did not install: {json.dumps(document)[:3000]}")
            sample.timings = {k: float(v) for k, v in (document.get("timings") or {}).items()}
            sample.findings = len(document.get("findings") or [])
            sample.plan_size = len(document.get("plan") or [])
            if probe:
                try:
                    probed = json.loads(marks_path.read_text())
                    marks_path.unlink()
                except (OSError, ValueError):
                    log("the probe left no marks: start-up and memory unknown for this case")
                    probed = {}
                if "phase1_at" in probed:
                    marks["start_to_phase1"] = probed["phase1_at"] - launched
                marks["maxrss_kb"] = probed.get("maxrss_kb", 0)
                marks["cpu_self"] = probed.get("cpu_self", float("nan"))
        return sample, marks

    def case(self, label: str, mode: str, targets: Sequence[str]) -> CaseResult:
        args = self.args
        result = CaseResult(label, mode, list(targets))
        extra = ["--ignore-warning"] if self.setting.live else []
        shared = self.caches() if mode == "warm" else None

        def caches() -> tuple[Path, Path]:
            return shared if shared is not None else self.caches()

        if mode == "warm" or not args.quick:
            # warm: fill both caches with the same plan, in other venvs; cold: one
            # untimed pair, so that the OS's own caches settle before timing
            log(f"{label} {mode}: warming up")
            self.install("pip", targets, caches())
            self.install("spip", targets, caches(), extra)
        for i in range(args.pairs):
            for tool in ("pip", "spip"):
                sample, _ = self.install(tool, targets, caches(), extra)
                getattr(result, tool).append(sample)
            log(
                f"{label} {mode}: pair {i + 1}/{args.pairs}: pip {result.pip[-1].seconds:.3f}s "
                f"spip {result.spip[-1].seconds:.3f}s ({result.ratios[-1]:.2f}x)"
            )
        result.plan_size = result.spip[0].plan_size
        if not args.quick or self._probes == 0:  # --quick: start-up and memory once
            _, result.probe = self.install("spip", targets, caches(), extra, probe=True)
            self._probes += 1
        return result

    def startup(self) -> dict[str, list[float]]:
        """Start-up costs, alternating the commands; seconds per repetition."""
        reps = 2 if self.args.quick else 15
        env = self.spip_env
        commands = {
            "python": [sys.executable, "-c", "pass"],
            "import spip.cli.main": [sys.executable, "-c", "import spip.cli.main"],
            "import spip.install.state": [sys.executable, "-c", "import spip.install.state"],
            "pip --version": [sys.executable, "-m", "pip", "--version"],
            "spip --version": [sys.executable, "-m", "spip", "--version"],
        }
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(reps):
            for key, cmd in commands.items():
                result = run_timed(cmd, env, self.cwd, self.work)
                if result.returncode != 0:
                    raise RunFailed(f"bench: {shlex.join(cmd)} failed:\n{result.stderr[-2000:]}")
                times[key].append(result.seconds)
        return times

    def checks(self, targets: Sequence[str]) -> list[Sample]:
        """Installs of a big plan with a warm spip cache: the checks' time."""
        caches = self.caches()
        log(f"checks of a {CHECKS_PLAN_SIZE}-dist plan: warming up")
        self.install("spip", targets, caches)
        runs = 2 if self.args.quick else 5
        return [self.install("spip", targets, caches)[0] for _ in range(runs)]


# -- the report ----------------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def secs(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return f"{med(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def ms(value: float) -> str:
    return "-" if value != value else f"{value * 1000:.0f} ms"


def verdict(value: float, target: float) -> str:
    if value != value:
        return "-"
    return "PASS" if value <= target else "FAIL"


def _floor(cases: Sequence[CaseResult]) -> list[str]:
    """For each missed target: how much of it the two pip runs alone take."""
    missed = [c for c in cases if verdict(med(c.ratios), c.target) == "FAIL" and c.spip]
    if not missed:
        return []
    lines = [
        "",
        "### Why a target is missed",
        "",
        "spip's wall time holds its two pip runs: phase 1 resolves (and pip < 26 also downloads "
        "every wheel in `--dry-run`), phase 2 resolves again and installs the verified files. "
        "The floor is those two phases alone against pip's whole install; the rest is spip's "
        "own share (start-up, checks, waiting for files, exit).",
        "",
        "| case | target | spip/pip | floor: (phase1 + phase2) / pip | spip's own share |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in missed:
        pips = med(c.phase("phase1")) + med(c.phase("phase2"))
        floor = pips / med([s.seconds for s in c.pip])
        own = med([s.seconds for s in c.spip]) - pips
        lines.append(
            f"| {c.label} {c.mode} | {c.target:.2f}x | {med(c.ratios):.2f}x | {floor:.2f}x "
            f"| {ms(own)} |"
        )
    return lines


def report(
    command: str,
    setting: Setting,
    cases: Sequence[CaseResult],
    startup: dict[str, list[float]] | None,
    checks: list[Sample] | None,
    pairs: int,
    pip_version: str = "pip",
) -> str:
    lines = [
        "## spip install vs pip install",
        "",
        f"`{command}` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {pip_version} in the venvs; "
        f"against {setting.description}. "
        f"{pairs} pairs per case, alternating pip/spip, every install into a fresh venv; "
        "cold = empty pip and spip caches, "
        "warm = both filled by an earlier install of the same plan.",
        "",
        "| case | dists | pip: median (min-max) | spip: median (min-max) "
        "| spip/pip (median of pairs) | target | result |",
        "|---|---:|---|---|---:|---:|---|",
    ]
    for c in cases:
        ratio = med(c.ratios)
        lines.append(
            f"| {c.label} {c.mode} | {c.plan_size} | {secs([s.seconds for s in c.pip])} "
            f"| {secs([s.seconds for s in c.spip])} | {ratio:.2f}x | <= {c.target:.2f}x "
            f"| {verdict(ratio, c.target)} |"
        )
    lines += [
        "",
        "### Where spip's time goes (medians, from `--findings-json` timings)",
        "",
        "| case | launch -> phase 1 | " + " | ".join(PHASES) + " | wall - total "
        "| CPU s: spip / pip |",
        "|---|" + "---:|" * (len(PHASES) + 3),
    ]
    for c in cases:
        walls = [s.seconds - s.timings["total"] for s in c.spip if "total" in s.timings]
        cells = [ms(c.probe.get("start_to_phase1", float("nan")))]
        cells += [ms(med(c.phase(key))) for key in PHASES]
        cpu = f"{med([s.cpu for s in c.spip]):.2f} / {med([s.cpu for s in c.pip]):.2f}"
        cells += [ms(med(walls)), cpu]
        lines.append(f"| {c.label} {c.mode} | " + " | ".join(cells) + " |")
    found = sum(s.findings for c in cases for s in c.spip)
    lines += [
        "",
        "`launch -> phase 1`: from launching `python -m spip` to phase 1's pip getting its "
        "arguments (one extra run per case); `startup`: spip's own mark of the same moment, "
        "counted from its first import. `wall - total`: the part of the wall time outside "
        "spip's own `total` (interpreter start, imports, exit). CPU: user + system "
        "time of all processes of a run (medians), a figure that load on the machine "
        "disturbs less than wall time."
        + (f" Findings reported across all runs: {found}." if found else ""),
    ]
    lines += _floor(cases)
    lines += [
        "",
        "### Start-up and memory",
        "",
        "| measure | value | target | result |",
        "|---|---:|---:|---|",
    ]
    if startup:
        base = med(startup["python"])
        net_cli = med(startup["import spip.cli.main"]) - base
        net_install = med(startup["import spip.install.state"]) - base
        version_extra = med(startup["spip --version"]) - med(startup["pip --version"])
        lines += [
            f"| `python -c pass` | {ms(base)} | | |",
            f"| `import spip.cli.main` (beyond `python -c pass`) | {ms(net_cli)} | | |",
            f"| `import spip.install.state` (beyond `python -c pass`) | {ms(net_install)} | | |",
            f"| `spip --version` - `pip --version` ({ms(med(startup['spip --version']))} - "
            f"{ms(med(startup['pip --version']))}) | {ms(version_extra)} | <= {ms(STARTUP_TARGET)} "
            f"| {verdict(version_extra, STARTUP_TARGET)} |",
        ]
    probed = [c for c in cases if c.probe]
    for c in probed:
        value = c.probe.get("start_to_phase1", float("nan"))
        lines.append(
            f"| launch -> phase 1, {c.label} {c.mode} | {ms(value)} | <= {ms(STARTUP_TARGET)} "
            f"| {verdict(value, STARTUP_TARGET)} |"
        )
    for c in cases:
        value = med(c.phase("startup"))
        if value == value:
            lines.append(
                f"| `timings.startup` (median), {c.label} {c.mode} | {ms(value)} "
                f"| <= {ms(STARTUP_TARGET)} | {verdict(value, STARTUP_TARGET)} |"
            )
    for c in probed:
        mb = c.probe.get("maxrss_kb", 0) / 1024
        tree_spip = med([s.maxrss_kb for s in c.spip]) / 1024
        tree_pip = med([s.maxrss_kb for s in c.pip]) / 1024
        lines.append(
            f"| peak RSS of the spip process, {c.label} {c.mode} (largest process: spip run "
            f"{tree_spip:.0f} MB, pip run {tree_pip:.0f} MB) | {mb:.0f} MB "
            f"| <= {MEMORY_TARGET_MB:.0f} MB | {verdict(mb, MEMORY_TARGET_MB)} |"
        )
    for c in probed:
        value = c.probe.get("cpu_self", float("nan"))
        lines.append(
            f"| CPU time of the spip process itself (not its pip runs), {c.label} {c.mode} "
            f"| {ms(value)} | | |"
        )
    if checks:
        values = [s.timings["checks"] for s in checks if "checks" in s.timings]
        value = med(values)
        detail = f"{ms(value)} ({ms(min(values))}-{ms(max(values))})" if values else "-"
        lines.append(
            f"| all checks, {CHECKS_PLAN_SIZE}-dist plan, warm spip cache | {detail} "
            f"| <= {ms(CHECKS_TARGET)} | {verdict(value, CHECKS_TARGET)} |"
        )
    return "\n".join(lines) + "\n"


def raw(cases: Sequence[CaseResult], startup, checks) -> dict:
    def samples(items: Sequence[Sample]) -> list[dict]:
        return [vars(s) for s in items]

    return {
        "cases": [
            {
                "label": c.label,
                "mode": c.mode,
                "targets": c.targets,
                "plan_size": c.plan_size,
                "pip": samples(c.pip),
                "spip": samples(c.spip),
                "probe": c.probe,
                "ratios": c.ratios,
            }
            for c in cases
        ],
        "startup": startup,
        "checks": samples(checks or []),
    }


# -- main ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--pairs", type=int, help="pip/spip pairs per case (default 5; --quick: 1)")
    parser.add_argument(
        "--cases",
        help="plan sizes, comma-separated (default 1,15,60; --live: " + ",".join(LIVE_CASES) + ")",
    )
    parser.add_argument("--modes", default="warm,cold", help="warm, cold or both (default)")
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
def serving(args: argparse.Namespace) -> Iterator[tuple[Setting, dict[str, list[str]]]]:
    """The setting and the install targets of every case."""
    if args.live:
        yield Setting.real(), {name: LIVE_CASES[name] for name in args.cases}
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
        yield Setting.fake(index, args.delay), {f"{n}-dist": [plan_names(n)[0]] for n in sizes}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks.bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    work = Path(tempfile.mkdtemp(prefix="spip-bench-"))
    cases: list[CaseResult] = []
    startup = checks = None
    errors: list[str] = []

    def attempt(what: str, job: Callable[..., T], *job_args: object) -> T | None:
        try:
            return job(*job_args)
        except RunFailed as exc:  # the rest of the report is still worth having
            log(f"{what}: FAILED\n{exc}")
            errors.append(f"{what}: {str(exc).splitlines()[0]}")
            return None

    try:
        with serving(args) as (setting, targets):
            bench = Bench(args, work, setting)
            checks_key = f"{CHECKS_PLAN_SIZE}-dist"
            for label, names in targets.items():
                if args.checks_plan and label == checks_key and CHECKS_PLAN_SIZE not in args.cases:
                    continue
                for mode in args.modes:
                    result = attempt(f"{label} {mode}", bench.case, label, mode, names)
                    cases += [result] if result is not None else []
            if not args.no_startup:
                startup = attempt("start-up", bench.startup)
            if args.checks_plan and not args.live:
                checks = attempt("checks", bench.checks, targets[checks_key])
        text = report(
            command.strip(), setting, cases, startup, checks, args.pairs, bench.venvs.pip_version
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
