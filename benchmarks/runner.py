"""The runs: fresh venvs, pip and spip installing side by side (alternating), and their samples."""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.cases import CHECKS_PLAN_SIZE
from spip.installer.tools import find_tool

if TYPE_CHECKING:
    from tests.fakeindex import FakeIndex

ROOT = Path(__file__).resolve().parent.parent  # the checkout

# Every spip module the benchmark names (start-up imports, the probe's hook on the
# pre-started pip): rename them here, and only here, when spip's modules move.
SPIP_CLI = "spip.cli.main"
SPIP_INSTALL = "spip.install.pipeline"
SPIP_PIP_PROCESS = "spip.installer.pip_process"  # holds the classes below
SPIP_PIP_RUNS = ("WarmPip", "ForkedPip")  # a pip of its own; a pip forked from one import

_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


class Venvs:
    """Fresh virtual environments: copies of one template (made once, with pip)."""

    def __init__(
        self,
        work: Path,
        pip_spec: str | None = None,
        *,
        name: str = "venv",
        packages: Sequence[str] = (),
    ) -> None:
        self.work = work
        self.name = name
        self.template = work / f"template-{name}"
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
        if packages:  # the peer's guard, from the index (the machine's pip settings)
            log(f"installing {' '.join(packages)} into the {name} template ...")
            subprocess.run(
                [
                    str(venv_python(self.template)),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *packages,
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
        venv = self.work / f"{self.name}-{self._count:04d}"
        shutil.copytree(self.template, venv, symlinks=True)
        return venv

    @staticmethod
    def discard(venv: Path) -> None:
        shutil.rmtree(venv, ignore_errors=True)


@dataclass
class Timed:
    """What ``run_timed`` measured of one command."""

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
PROBE = (
    f"_HOOK = {(SPIP_PIP_PROCESS, SPIP_PIP_RUNS)!r}\n"
    + r"""
import atexit, importlib, json, os, resource, runpy, subprocess, sys, time
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
def _hook(run):
    go = run.go
    def _go(self, args, *a, **k):
        _phase1(args)
        return go(self, args, *a, **k)
    run.go = _go
for _name in _HOOK[1]:
    try:
        _hook(getattr(importlib.import_module(_HOOK[0]), _name))
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
)


# -- environments --------------------------------------------------------------------


@dataclass
class Setting:
    """Where pip and spip look for packages, and the environment they get."""

    live: bool
    env: dict[str, str]  # the base environment of every run
    description: str

    @classmethod
    def fake(cls, index: FakeIndex, delay: float) -> Setting:
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


def spip_pythonpath(env: dict[str, str], cwd: Path, python: str) -> dict[str, str]:
    """``env`` plus PYTHONPATH=<checkout> when ``python -m spip`` would not find this checkout.

    The checkout's modules are byte-compiled first, as ``pip install`` compiles an
    installed spip: under PYTHONDONTWRITEBYTECODE (or after an edit) every run would
    otherwise compile the stale ones again, a cost no installed spip has.
    """
    compileall.compile_dir(str(ROOT / "spip"), quiet=1)
    probe = subprocess.run(
        [python, "-c", "import spip, sys; sys.stdout.write(spip.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0 and Path(probe.stdout).resolve().parent == ROOT / "spip":
        return env
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path}


# The modules spip needs from the bench's own environment (pyproject.toml's dependencies).
SPIP_DEPENDENCIES: tuple[str, ...] = ("click", "httpx", "msgspec", "certifi", "jellyfish")
SPIP_DEPENDENCIES += ("packaging", "tomli")  # tomli: Python < 3.11 only


def user_like_python(work: Path) -> str:
    """An interpreter that starts as a user's spip does: a venv holding spip's
    dependencies, as ``pip install secured_pip`` makes one. They are this interpreter's
    own, named by a ``.pth`` file of plain paths, so that the site hooks of the
    machine's global interpreter (an editable install's finder, a certificate hook:
    ~30 ms of every start here) do not run in spip's timings while pip's fresh venvs
    skip them. With ``--live`` spip runs in this interpreter itself: it may need them.
    """
    venv = work / "spip-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv_python(venv))
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    homes = {
        str(Path(spec.origin).parent.parent)
        for name in SPIP_DEPENDENCIES
        if (spec := importlib.util.find_spec(name)) is not None and spec.origin
    }
    Path(purelib, "spip-dependencies.pth").write_text("".join(f"{h}\n" for h in sorted(homes)))
    return python


# -- the runs ------------------------------------------------------------------------


def uv_folder() -> str:
    """The folder of the uv binary both sides of a uv case run: the one installed beside
    the bench's Python (``.ci/run`` and ``make bench`` install it there), else the first
    on PATH. Not a version manager's shim: pyenv's is a bash script that costs ~60 ms a
    call here (uv's whole warm install is ~40 ms), and spip calls uv three times where
    ``uv pip install`` is one call, so a shim would be timed, not uv or spip."""
    beside = shutil.which("uv", path=str(Path(sys.executable).parent))
    return str(Path(beside or find_tool("uv")).parent)


class RunFailed(Exception):
    """An install (or a start-up command) failed: that part of the report is left out."""


@dataclass
class Sample:
    """One timed install by pip or spip (spip's also carry its findings JSON's figures)."""

    tool: str
    seconds: float
    maxrss_kb: int
    cpu: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)
    findings: int = 0
    plan_size: int = 0


@dataclass
class CaseResult:
    """The samples of one case (plan x warm/cold), pairs in order, and its probe's marks."""

    label: str
    mode: str
    targets: list[str]
    plan_size: int = 0
    installer: str = "pip"  # the baseline: pip (spip install), uv (spip uv pip), pipx
    pip: list[Sample] = field(default_factory=list)  # the baseline's samples
    spip: list[Sample] = field(default_factory=list)
    probe: dict[str, float] = field(default_factory=dict)
    peer: list[Sample] = field(default_factory=list)  # the upstream guard's (--peer)

    @property
    def ratios(self) -> list[float]:
        return [s.seconds / p.seconds for p, s in zip(self.pip, self.spip, strict=False)]

    @property
    def peer_ratios(self) -> list[float]:
        return [s.seconds / p.seconds for p, s in zip(self.pip, self.peer, strict=False)]

    def phase(self, key: str) -> list[float]:
        return [s.timings[key] for s in self.spip if key in s.timings]


class Bench:
    """Runs the cases, the start-up commands and the checks' installs in folders under ``work``.

    ``pairs``: timed pip/spip pairs per case; ``quick``: a smoke run (no untimed
    pair for cold, start-up and memory probed once, fewer repetitions);
    ``pip_spec``: another pip for the venvs than the one ensurepip bundles;
    ``peer``: a guard from the index (``secpipw``) timed in the same rounds, from
    venvs of its own (it installs into the environment it runs in) with that pip.
    """

    def __init__(
        self,
        work: Path,
        setting: Setting,
        *,
        pairs: int,
        quick: bool = False,
        pip_spec: str | None = None,
        peer: str | None = None,
    ) -> None:
        self.work = work
        self.setting = setting
        self.pairs = pairs
        self.quick = quick
        self.cwd = work / "cwd"  # no pyproject.toml: no [tool.spip] from here
        self.cwd.mkdir()
        self.venvs = Venvs(work, pip_spec)
        self.peer_venvs = Venvs(work, pip_spec, name="peer", packages=[peer]) if peer else None
        log("template venvs ready")
        self.spip_python = sys.executable if setting.live else user_like_python(work)
        self.spip_env = spip_pythonpath(setting.env, self.cwd, self.spip_python)
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
        venvs = self.peer_venvs if tool == "peer" and self.peer_venvs else self.venvs
        venv = venvs.fresh()
        pip_cache, spip_cache = caches
        python = str(venv_python(venv))
        uv_env = {
            "PATH": f"{uv_folder()}{os.pathsep}{self.setting.env.get('PATH', '')}",
            "UV_CACHE_DIR": str(pip_cache),
            "UV_INDEX_URL": self.setting.env.get("PIP_INDEX_URL", ""),
            "UV_NO_PROGRESS": "1",
        }
        if tool == "pip":
            env = {**self.setting.env, "PIP_CACHE_DIR": str(pip_cache)}
            cmd = [python, "-m", "pip", "install", *targets]
        elif tool == "peer":  # its own caches under the temporary folder, kept per case
            env = {**self.setting.env, "PIP_CACHE_DIR": str(pip_cache), "TMPDIR": str(spip_cache)}
            # Its ``spip`` script, run by this venv's python: the copy's shebang still
            # names the template's, which would install into the template.
            script = venv_python(venv).parent / "spip"
            ignore = ["--spip-ignore-warning"] if extra else []  # its name for --ignore-warning
            cmd = [python, str(script), "install", *targets, *ignore]
        elif tool == "uv":
            env = {**self.setting.env, **uv_env}
            cmd = [find_tool("uv", env), "pip", "install", "--python", python, *targets]
        elif tool == "pipx":
            env = {**self.setting.env, **uv_env, **self._pipx_home(pip_cache)}
            cmd = [find_tool("pipx", env), "install", *targets]
        else:
            findings = self.work / f"findings-{self._n}-{time.monotonic_ns()}.json"
            env = {
                **self.spip_env,
                "PIP_CACHE_DIR": str(pip_cache),
                "SPIP_CACHE_DIR": str(spip_cache),
                "VIRTUAL_ENV": str(venv),
                "PATH": f"{venv_python(venv).parent}{os.pathsep}{self.spip_env.get('PATH', '')}",
            }
            uv_env["PATH"] = f"{uv_folder()}{os.pathsep}{env['PATH']}"
            head = [self.spip_python, "-m", "spip"]
            marks_path = self.work / "probe.json"
            if probe:
                env["SPIP_BENCH_PROBE"] = str(marks_path)
                head = [self.spip_python, "-c", PROBE]
            command = {"spip-uv": ["uv", "pip", "install"], "spip-pipx": ["pipx", "install"]}
            command_words = command.get(tool, ["install"])
            if tool in ("spip-uv", "spip-pipx"):
                env.update(uv_env)
            if tool == "spip-pipx":
                env.pop("VIRTUAL_ENV")
                env.update(self._pipx_home(pip_cache))
            cmd = [*head, *command_words, *targets, *extra, "--findings-json", str(findings)]
        launched = time.time()
        result = run_timed(cmd, env, self.cwd, self.work)
        venvs.discard(venv)
        if result.returncode != 0:
            raise RunFailed(
                f"bench: {tool} install {' '.join(targets)} failed "
                f"with status {result.returncode}:\n"
                f"$ {shlex.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        sample = Sample(tool, result.seconds, result.maxrss_kb, result.cpu)
        marks: dict[str, float] = {}
        if tool.startswith("spip"):
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

    def _pipx_home(self, pip_cache: Path) -> dict[str, str]:
        """A new pipx home for one ``pipx install`` (its caches are the shared ones)."""
        home = self._dir("pipx-home")
        return {
            "PIPX_HOME": str(home / "home"),
            "PIPX_BIN_DIR": str(home / "bin"),
            "PIPX_MAN_DIR": str(home / "man"),
            "PIP_CACHE_DIR": str(pip_cache),
            # the pipx (and uv) installed with this checkout's tools, for both runs
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def case(
        self, label: str, mode: str, targets: Sequence[str], installer: str = "pip"
    ) -> CaseResult:
        """``installer`` pip: pip install against spip install; uv: uv pip install against
        spip uv pip install; pipx: pipx install against spip pipx install."""
        result = CaseResult(label, mode, list(targets), installer=installer)
        base, guarded = (installer, f"spip-{installer}") if installer != "pip" else ("pip", "spip")
        extra = ["--ignore-warning"] if self.setting.live else []
        shared = self.caches() if mode == "warm" else None

        def caches() -> tuple[Path, Path]:
            return shared if shared is not None else self.caches()

        if mode == "warm" or not self.quick:
            # warm: fill both caches with the same plan, in other venvs; cold: one
            # untimed pair, so that the OS's own caches settle before timing
            log(f"{label} {mode}: warming up")
            self.install(base, targets, caches())
            self.install(guarded, targets, caches(), extra)
        rounds = [(base, result.pip), (guarded, result.spip)]
        if self.peer_venvs is not None and installer == "pip":
            rounds.append(("peer", result.peer))
            if mode == "warm" or not self.quick:
                self.install("peer", targets, caches(), extra)
        for i in range(self.pairs):
            for tool, samples in rounds:
                samples.append(self.install(tool, targets, caches(), extra)[0])
            peer = f" peer {result.peer[-1].seconds:.3f}s" if result.peer else ""
            log(
                f"{label} {mode}: pair {i + 1}/{self.pairs}: {base} {result.pip[-1].seconds:.3f}s "
                f"{guarded} {result.spip[-1].seconds:.3f}s ({result.ratios[-1]:.2f}x){peer}"
            )
        result.plan_size = result.spip[0].plan_size
        if installer == "pip" and (not self.quick or self._probes == 0):  # --quick: once
            _, result.probe = self.install("spip", targets, caches(), extra, probe=True)
            self._probes += 1
        return result

    def startup(self) -> dict[str, list[float]]:
        """Start-up costs, alternating the commands; seconds per repetition."""
        reps = 2 if self.quick else 15
        env = self.spip_env
        python = self.spip_python
        commands = {
            "python": [python, "-c", "pass"],
            f"import {SPIP_CLI}": [python, "-c", f"import {SPIP_CLI}"],
            f"import {SPIP_INSTALL}": [python, "-c", f"import {SPIP_INSTALL}"],
            "pip --version": [python, "-m", "pip", "--version"],
            "spip --version": [python, "-m", "spip", "--version"],
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
        runs = 2 if self.quick else 5
        return [self.install("spip", targets, caches)[0] for _ in range(runs)]
