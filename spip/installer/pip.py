"""pip behind the installer seam: phase 1 is ``pip install --dry-run --report`` (wheels
first), phase 2 pip installing exactly the verified files, and the install-dirs probe.

Every pip this installer starts (the early phase-1 pip, the re-resolutions after the
gate allowed a build, phase 2, the probe) is tracked here and stopped by
:meth:`PipInstaller.cancel`.
"""

from __future__ import annotations

import functools
import os
import queue
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from spip.core.distfiles import parse_dist_filename
from spip.core.logs import log
from spip.core.tempdirs import make_temp_dir
from spip.core.versions import parse_version
from spip.index.netconf import pip_flag
from spip.installer.base import BuildDeps, HoldBack, Resolution
from spip.installer.distinfo import as_pip_would, requested_markers
from spip.installer.install_dirs import install_dirs, install_dirs_command
from spip.installer.local_sdists import Built, build, local_sdists
from spip.installer.pip_args import (
    PipInstallArgs,
    VersionLimits,
    index_urls,
    typed_names,
    version_limits,
    with_location_settings,
)
from spip.installer.pip_guard import BuildPins, Guard, Stopped, read_stop
from spip.installer.pip_output import PipOutput, display_path
from spip.installer.pip_process import (
    PipRun,
    PipServer,
    pip_runner,
    sigint_blocked,
    start_server,
    target_python,
)
from spip.ui import output

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

UPLOADED_PRIOR_TO = Version("26.0")  # the first pip with --uploaded-prior-to


# Plans the build dependencies a build asked for: (the report, or None and why not).
PlanBuild = Callable[[Sequence[str], HoldBack | None], tuple[str | None, str]]


class PipResolution:
    """Phase 1 running in the background: pip resolves while spip gets ready."""

    def __init__(
        self,
        pip: PipRun,
        args: Sequence[str],
        report: Path,
        guard: Guard,
        plan_build: PlanBuild,
        shown: PipOutput,
    ) -> None:
        self._pip, self._report, self._guard, self._shown = pip, report, guard, shown
        self.pip_version: str | None = None  # from the report, once there is one
        self._plan_build = plan_build
        pip.go(args, guard=guard.order())

    @property
    def lines(self) -> queue.SimpleQueue[str | None]:
        return self._pip.lines

    def wait(self) -> Resolution:
        status, stdout, stderr = self._pip.wait()
        ok = status == 0 and self._report.exists()
        report = self._report.read_text(encoding="utf-8") if ok else None
        stopped = read_stop(self._guard) if status != 0 else None
        if stopped is not None and stopped.kind == "build":
            plan, why = self._plan_build(stopped.requires, None)
            replan = functools.partial(self._plan_build, stopped.requires)
            return Resolution(
                status, None, stdout, why, stopped=stopped, build_plan=plan, replan_build=replan
            )
        self.pip_version = report_pip_version(report or "")
        return Resolution(
            status,
            report,
            self._shown.unshown(stdout),
            stderr,
            missing=_requirements(_MISSING, stderr),
            conflicts=_requirements(_DEPENDS_ON, stdout + stderr),  # pip says why on stdout
            python_ignored=_python_ignored(stderr),
            stopped=stopped,
        )


# pip's words (its resolver's messages, stable since 20.3) for what it could not find.
_MISSING = re.compile(r"Could not find a version that satisfies the requirement (.+)$", re.M)
_DEPENDS_ON = re.compile(r"^\s+\S+ \S+ depends on (.+)$", re.M)  # "The conflict is caused by:"
_PYTHON_IGNORED = re.compile(
    r"Ignored the following versions that require a different python version: (.+)$", re.M
)
_FROM = re.compile(r"(?: \(from [^()]*(?:\([^()]*\)[^()]*)*\))+\s*$")


def report_pip_version(report: str) -> str | None:
    """The version of the pip that wrote an installation report."""
    found = re.search(r'"pip_version"\s*:\s*"([^"]{1,40})"', report)
    return found.group(1) if found else None


def _requirements(pattern: re.Pattern[str], stderr: str) -> list[str]:
    """The requirements pip names in ``pattern``'s lines, without its ``(from ...)``."""
    return list(dict.fromkeys(_FROM.sub("", m.group(1)).strip() for m in pattern.finditer(stderr)))


def _python_ignored(stderr: str) -> list[str]:
    """The versions of pip's "Ignored ... different python version" line (``1.0
    Requires-Python >=3.12; 1.1 Requires-Python ...``)."""
    return [
        part.strip().split(" ", 1)[0]
        for m in _PYTHON_IGNORED.finditer(stderr)
        for part in m.group(1).split(";")
        if part.strip()
    ]


def _held_back(name: str, versions: Sequence[str]) -> str:
    """A constraint line leaving ``versions`` out. When they are pre-releases, pip chose
    a pre-release of this project (``--pre``, a pre-release pin, or nothing else to
    choose: opentelemetry-semantic-conventions has only ``0.NNbN``), and a constraint
    would end pip's fallback to pre-releases: ``>=0.dev0`` lets it choose one again."""
    if not versions:
        return ""
    specs = [f"!={v}" for v in versions]
    if any(v is not None and v.is_prerelease for v in map(parse_version, versions)):
        specs.append(">=0.dev0")
    return name + ",".join(specs)


def hold_back_args(
    hold: HoldBack, pip_version: str | None, user_args: PipInstallArgs, folder: Path
) -> list[str]:
    """The cooldown's part of a planning run's command line.

    A pip that filters by upload time itself (26.0+) gets ``--uploaded-prior-to`` when
    the cutoff may apply to every project and the user gave no cutoff of their own;
    otherwise a constraints file (written to ``folder``) leaves the young releases out
    by version, which every pip understands (the user's own constraints still apply).
    """
    try:
        new_pip = pip_version is not None and Version(pip_version) >= UPLOADED_PRIOR_TO
    except InvalidVersion:
        new_pip = False
    own = user_args.has("--uploaded-prior-to", "--exclude-newer")
    if new_pip and hold.everywhere and not own:
        return ["--uploaded-prior-to", hold.cutoff.strftime("%Y-%m-%dT%H:%M:%S+00:00")]
    lines = [_held_back(name, versions) for name, versions in sorted(hold.versions.items())]
    lines = [line for line in lines if line]
    path = folder / "cooldown-constraints.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return ["-c", str(path)]


def phase2_environment(folder: Path) -> dict[str, str]:
    """What the hashed phase-2 run changes in pip's environment.

    pip merges ``--find-links`` from the command line with ``find-links`` of
    its config files and ``PIP_FIND_LINKS``, even under ``--no-index``: a stray
    folder there could supply another file of the same version. The
    environment value replaces the files' value (an empty one is ignored), so
    ``PIP_FIND_LINKS=<spip's folder>`` leaves pip that folder and nothing
    else. Constraint and requirement files from the environment are emptied.
    """
    return {"PIP_FIND_LINKS": str(folder), "PIP_CONSTRAINT": "", "PIP_REQUIREMENT": ""}


def _pinnable(dist: PlannedDist) -> bool:
    """Whether pip can find this file by ``name==version`` in a find-links folder."""
    parsed = parse_dist_filename(dist.filename)
    try:
        return parsed is not None and (parsed.name, parsed.version) == (
            dist.name,
            Version(dist.version),
        )
    except InvalidVersion:
        return False


def _as_is(dist: PlannedDist, folder: Path) -> list[str]:
    """A requirement pip installs as the user gave it (directories, VCS, odd file names)."""
    if dist.source == "vcs":
        info = dist.download_info.vcs_info
        assert info is not None
        # PEP 610 records the URL without the ``git+`` prefix; pin the checked commit.
        url = f"{info.vcs}+{dist.url}@{info.commit_id or info.requested_revision or ''}".rstrip("@")
        subdir = getattr(dist.download_info, "subdirectory", None)
        # The bare URL form: older pips reject ``name @ git+file:///...``.
        url += f"#egg={dist.name}" + (f"&subdirectory={subdir}" if subdir else "")
        return ["-e", url] if dist.editable else [url]
    if dist.source == "dir":
        path = dist.local_path or dist.url
        return ["-e", path] if dist.editable else [path]
    return [f"{dist.name} @ {(folder / dist.filename).as_uri()}"]


def _unchecked_build(status: int, guard: Guard) -> int:
    """pip's status, or spip's when the guard stopped phase 2 before a build environment
    phase 1 did not see (its dependencies were never checked)."""
    stopped: Stopped | None = read_stop(guard) if status != 0 else None
    if stopped is None:
        return status
    from spip.policy.gate import EXIT_UNSAFE
    from spip.ui import output
    from spip.ui.sanitize import neutralise

    what = ", ".join(stopped.requires) or stopped.url
    output.say(
        f"spip: error: building {neutralise(stopped.name)} asked for build dependencies that "
        f"were not checked ({neutralise(what)}); stopped before installing them.",
        fg="red",
    )
    return EXIT_UNSAFE


class PipInstaller:
    """pip, run as ``<python> -m pip`` in subprocesses of the target interpreter."""

    name = "pip"

    def __init__(self, args: PipInstallArgs, python: str, server: PipServer | None) -> None:
        """``server``: the pip server of ``python`` (:func:`start_server`); None: a pip per run."""
        self.args = args
        self.python = python
        self._tmp = make_temp_dir("spip-plan-")
        # pip's lines at a terminal as pip prints them; spip's own folders never
        self._output = PipOutput([str(self._tmp)], live=sys.stderr.isatty())
        # pip, imported once, forks every run where the platform can (else each run
        # is a pip of its own, started early so that its import overlaps spip's work)
        self._server = server
        self._next: PipRun | None = None  # a pip already importing itself, to resolve
        self._pips: list[PipRun] = []
        self._phase2: PipRun | None = None
        self._dirs: subprocess.Popen[str] | None = None
        self._dir_list: list[Path] | None = None
        self._resolutions = 0
        self._last: PipResolution | None = None
        self._build_pip: str | None = None  # the pip version of the last build plan
        self._builds: tuple[BuildPins, ...] = ()  # what builds may fill their environment with
        self._built: dict[str, Built] | None = None  # local sdists, built before phase 1

    @classmethod
    def start(
        cls, args: PipInstallArgs, python: str | None = None, server: PipServer | None = None
    ) -> PipInstaller:
        """A pip installer whose phase-1 pip starts importing itself now (~0.2 s), unless
        ``server``, already started for ``python`` (the target), does."""
        python = python or target_python(args, os.environ)
        installer = cls(args, python, server or start_server(python))
        installer._next = installer._resolver()
        return installer

    def _resolver(self) -> PipRun:
        """A pip for a planning run (its lines shown at a terminal), tracked for cancel()."""
        echo = self._output.resolving if self._output.live else None
        pip = pip_runner(self.python, self._server, capture=True, echo=echo)
        self._pips.append(pip)
        return pip

    @property
    def dry_run(self) -> bool:
        return self.args.has("--dry-run")

    @property
    def _prefix(self) -> str:
        """The target environment, whose ``pip.conf`` pip reads too."""
        return str(Path(self.python).parent.parent)

    @property
    def no_input(self) -> bool:
        return self.args.no_input or pip_flag("no-input", os.environ, self._prefix)

    @property
    def net_options(self) -> Mapping[str, Sequence[str]]:
        return self.args.network()

    @property
    def index_urls(self) -> list[str]:
        return index_urls(self.args, os.environ, self._prefix)

    def typed_names(self, cwd: Path) -> list[str]:
        return typed_names(self.args, cwd)

    def version_limits(self, cwd: Path) -> VersionLimits:
        return version_limits(self.args, cwd)

    def resolve(
        self,
        source_allowed: Sequence[str] = (),
        direct_allowed: Sequence[str] = (),
        hold_back: HoldBack | None = None,
        builds: Sequence[BuildDeps] = (),
    ) -> PipResolution:
        """Phase 1: ``--dry-run --report``, installing nothing.

        pip may not pick an sdist (whose build would run its code before the
        checks), except for ``source_allowed`` projects; the user's own
        ``--only-binary``/``--no-binary`` come after and so win. Whatever else pip
        would build (a requirements file's ``--no-binary``, a dependency's direct
        reference not in ``direct_allowed``) the guard stops first, and a build
        environment gets the checked files of ``builds`` or nothing
        (:mod:`spip.installer.pip_guard`). ``hold_back``: see :func:`hold_back_args`
        (pip's version comes from the last report).
        """
        self._builds = tuple(self._pins(b) for b in builds)
        if self._built is None:  # until the local sdists are built (or cannot be)
            self._built = self._build_local_sdists()
        pip, self._next = self._next or self._resolver(), None
        self._resolutions += 1
        report = self._tmp / f"report-{self._resolutions}.json"
        args = ["install", "--dry-run", "--report", str(report), "--only-binary", ":all:"]
        for name in source_allowed:
            args += ["--no-binary", name]
        if hold_back is not None:
            version = self._last.pip_version if self._last else None
            held = hold_back_args(hold_back, version, self.args, self._tmp)
            log.debug("the cooldown's planning run (pip %s): %s", version, " ".join(held))
            args += held
        args += self.args.tokens(drop={"--report", "--dry-run", "--python"})
        names, every = self.args.source_builds(source_allowed)
        guard = Guard(
            report.with_suffix(".stop"),
            tuple(sorted(names)),
            tuple(direct_allowed),
            every,
            self._builds,
        )
        built = {typed: str(b.wheel) for typed, b in (self._built or {}).items()}
        requirements = [built.get(req, req) for req in self.args.requirements]
        self._last = PipResolution(
            pip, args + requirements, report, guard, self._plan_build, self._output
        )
        return self._last

    def _pins(self, build: BuildDeps) -> BuildPins:
        """The hashed requirements file a build environment is filled from."""
        self._resolutions += 1
        pins = self._tmp / f"build-pins-{self._resolutions}.txt"
        lines = [f"{d.name}=={d.version} --hash=sha256:{d.sha256}\n" for d in build.plan]
        pins.write_text("".join(lines), encoding="utf-8")
        return BuildPins(build.requires, build.folder, pins)

    def _plan_build(
        self, requires: Sequence[str], hold_back: HoldBack | None
    ) -> tuple[str | None, str]:
        """The build dependencies ``requires`` as pip's build environment would get them:
        the user's index and network options, wheels only, into an empty environment
        (``--ignore-installed``), under a guard that lets nothing be built; ``hold_back``:
        the cooldown's, as for a plan (:func:`hold_back_args`). A requirement that is not
        a plain index requirement (a direct reference, unreadable) is not planned: pip
        would fetch and build it, which no check can see beforehand."""
        for line in requires:
            try:
                url = Requirement(line).url
            except InvalidRequirement:
                url = "unreadable"
            if url:
                return None, f"the build requirement {line!r} is not from an index"
        self._resolutions += 1
        report = self._tmp / f"build-{self._resolutions}.json"
        args = ["install", "--dry-run", "--ignore-installed", "--only-binary", ":all:"]
        args += ["--report", str(report), *self.args.phase2_options(keep_index=True)]
        if hold_back is not None:  # the first build plan, unheld, said which pip this is
            held = hold_back_args(hold_back, self._build_pip, self.args, self._tmp)
            log.debug("the cooldown's build plan (pip %s): %s", self._build_pip, " ".join(held))
            args += held
        pip = pip_runner(self.python, self._server, capture=True)
        self._pips.append(pip)
        pip.go([*args, "--", *requires], guard=Guard(report.with_suffix(".stop")).order())
        status, _, stderr = pip.wait()
        if status != 0 or not report.exists():
            return None, stderr
        text = report.read_text(encoding="utf-8")
        self._build_pip = report_pip_version(text)
        return text, ""

    def _build_local_sdists(self) -> dict[str, Built] | None:
        """Build the local sdists typed (see :mod:`spip.installer.local_sdists`) with the
        pip already started; phase 1 gets a new one, which imports itself meanwhile.
        None while their build dependencies wait to be checked (phase 1 then stops at the
        same build, and the next resolution has them)."""
        sdists = local_sdists(self.args, Path.cwd())
        if not sdists:
            return {}
        self._resolutions += 1
        guard = Guard(
            self._tmp / f"built-{self._resolutions}.stop",
            all_sources=True,
            builds=self._builds,
        )
        into = self._tmp / f"built-{self._resolutions}"
        builder = self._next or self._resolver()
        self._next = self._resolver()
        built = build(builder, self.args, sdists, into, guard)
        for typed, made in (built or {}).items():
            self._output.local[made.wheel.name] = display_path(typed)
        return built

    def resolved(self, resolution: Resolution) -> None:
        for path in self.args.values("--report"):  # the user asked pip for its report too
            if path == "-":  # as pip does: the report on stdout
                sys.stdout.write(resolution.report or "")
            else:
                Path(path).write_text(resolution.report or "", encoding="utf-8")
        if self.dry_run:  # pip's own last word in a dry run
            for line in resolution.stdout.splitlines():
                if line.startswith("Would install "):
                    output.relay(line)

    def prepare_install(self) -> None:
        """Phase 2's pip gets ready (a warm pip of its own starts importing itself, unless
        runs are forked), and the install-dirs probe runs."""
        if self.dry_run:
            return
        self._phase2 = pip_runner(self.python, self._server, echo=self._output.installing)
        self._pips.append(self._phase2)
        command = install_dirs_command(self.python, self._located)
        with sigint_blocked():
            self._dirs = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    @property
    def _located(self) -> PipInstallArgs:
        """The command line with the install location pip's settings add to it."""
        return with_location_settings(self.args, os.environ, self._prefix)

    def install_dirs(self) -> list[Path]:
        if self._dirs is None:
            return []
        if self._dir_list is None:
            self._dir_list = install_dirs(self._dirs.communicate()[0], self._located)
        return self._dir_list

    def install(
        self, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
    ) -> int:
        """Phase 2: the verified files, then the user's own local/VCS requirements.

        Archives are ``name==version --hash=sha256:...`` lines served from
        ``folder`` under ``--require-hashes``, so pip fails rather than install
        anything else. The user's index options stay when pip needs an index
        (files spip could not fetch itself); a build environment gets the checked
        files of phase 1 (the guard), never the index's. Local directories and VCS
        references are passed as the user gave them (pip cannot hash those), in a
        second pip run without hash checking.
        Then the ``.dist-info`` folders are made as a plain install leaves them
        (:mod:`spip.installer.distinfo`).
        """
        hashed, as_is = [], []
        needs_index = False
        # pip's report lists what was asked for first; installing in reverse puts
        # dependencies before their dependents, as a plain install would.
        for dist in reversed(plan):
            if dist.fetchable and (files.get(dist.name) is None or _pinnable(dist)):
                hashed.append(f"{dist.name}=={dist.version} --hash=sha256:{dist.sha256}")
                # A build's dependencies come from spip's checked files (the guard).
                needs_index |= files.get(dist.name) is None
            else:
                as_is.extend(_as_is(dist, folder))
        assert self._phase2 is not None, "prepare_install() first"
        self._output.folders.append(str(folder))
        for dist in plan:
            if dist.source == "file" and dist.local_path and dist.url not in self._built_urls():
                self._output.local[dist.filename] = display_path(dist.local_path)
        before = requested_markers(self.install_dirs())
        status = 0
        if hashed:
            status = self._install_hashed(hashed, folder, needs_index)
        else:
            self._phase2.cancel()
        if status == 0 and as_is:
            args = ["install", "--no-deps", *self.args.phase2_options(keep_index=True)]
            pip = pip_runner(self.python, self._server)
            self._pips.append(pip)
            guard = self._build_guard("as-is")
            pip.go([*args, *as_is], guard=guard.order())
            status = _unchecked_build(pip.wait()[0], guard)
        if status == 0:
            as_pip_would(plan, self.install_dirs(), before, self._built_urls())
        return status

    def _build_guard(self, run: str) -> Guard:
        """Phase 2 builds only what the plan holds (every sdist in it was allowed), with
        the checked build dependencies of phase 1."""
        return Guard(self._tmp / f"phase2-{run}.stop", all_sources=True, builds=self._builds)

    def _built_urls(self) -> dict[str, dict[str, object]]:
        """The wheels built from local sdists, by URL: the sdist's origin record."""
        return {b.wheel.as_uri(): b.origin for b in (self._built or {}).values()}

    def _install_hashed(self, requirements: list[str], folder: Path, needs_index: bool) -> int:
        assert self._phase2 is not None
        req_file = self._tmp / "requirements.txt"
        req_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        args = ["install", "--no-deps", "--require-hashes", "-r", str(req_file)]
        if self.args.has("--isolated"):  # pip then ignores the environment
            args += ["--find-links", str(folder)]
        if not needs_index:
            args.append("--no-index")
        args += self.args.phase2_options(keep_index=needs_index)
        guard = self._build_guard("hashed")
        self._phase2.go(args, phase2_environment(folder), guard=guard.order())
        return _unchecked_build(self._phase2.wait()[0], guard)

    def cancel(self) -> None:
        for pip in self._pips:
            pip.cancel()
        if self._server is not None:
            self._server.cancel()
        if self._dirs is not None and self._dirs.poll() is None:
            self._dirs.kill()
        shutil.rmtree(self._tmp, ignore_errors=True)
