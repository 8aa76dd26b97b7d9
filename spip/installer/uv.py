"""uv behind the installer seam: uv resolves, spip checks, uv installs the verified files.

- The plan: ``uv pip install --dry-run --output-format json`` (wheels only: no build
  code runs before the gate), which names every distribution and version uv would
  install into the target environment (what it has installed counts);
- its files: beside the dry-run, ``uv pip compile --format pylock.toml`` of the same
  requirements, with the user's index settings, gives each file's URL and sha256 (the
  wheel picked is the one the target interpreter ranks first, as uv does). A compile
  is a fresh resolution, so only its entries whose version the dry-run planned are
  used; the rest are asked for by exact pin (``--no-deps``) after the dry-run. spip
  turns that into the plan the checks read (pip's report shape), each file's core
  metadata read from spip's verified copy of it (:mod:`spip.install.wheel_metadata`);
- the install: ``uv --no-config pip install --offline --no-deps --no-index
  --find-links DIR --require-hashes`` of those pins, with the variables that add
  sources scrubbed, so uv can take no file but the verified ones. Its cache is spip's
  own (``SPIP_CACHE_DIR/uv``), filled only from verified files, each in a folder of
  its own sha256; uv takes a cached archive only when its recorded sha256 is the pin's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

from spip.core.atomic import atomic_link, atomic_write
from spip.core.logs import log
from spip.installer.base import BuildDeps, HoldBack, Resolution
from spip.installer.install_dirs import install_dirs, install_dirs_command
from spip.installer.pip_args import (
    PipInstallArgs,
    VersionLimits,
    typed_names,
    version_limits,
)
from spip.installer.pip_process import install_call, venv_python
from spip.installer.uv_args import (
    compile_options,
    direct_references,
    index_options,
    index_urls,
    install_options,
    plan_options,
)

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

# uv's debug log (``-v``) as it resolves: "DEBUG Selecting: name==1.0 [compatible] (file)";
# a file name only (the index names it: nothing with a path or a URL is followed).
_SELECTING = re.compile(r"DEBUG Selecting: \S+ \[[^\]]*\] \(([^\s()/\\:]+)\)$")
_DEBUG = ("DEBUG ", "TRACE ")
_INTERPRETER_READ = ("Using Python ", "Using CPython ")
MIN_UV = (0, 13)  # the first uv whose dry-run JSON spip was tried with
KNOWN_SCHEMAS = ("preview",)  # uv's dry-run JSON schema versions spip reads
READY_WAIT = 10.0  # seconds phase 2 waits for ready_install_cache at most
# Variables through which uv takes packages from somewhere else than the command line.
_SOURCE_VARIABLES = (
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_BUILD_CONSTRAINT",
    "UV_EXCLUDE",
    "UV_TORCH_BACKEND",
    "UV_CONFIG_FILE",
    "UV_NO_BINARY",
    "UV_ONLY_BINARY",
    "UV_PYTHON",
)
_INTERPRETER_SCRIPT = """
import platform, sys
sys.path.insert(0, sys.argv[1])
from packaging import tags
print("\\n".join(["python=" + platform.python_version(), *map(str, tags.sys_tags())]))
"""


class UvError(Exception):
    """uv is missing, too old, or said something spip cannot read."""


def scrubbed_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the variables that would give uv other sources."""
    return {k: v for k, v in environ.items() if not k.startswith(_SOURCE_VARIABLES)}


def uv_version(text: str) -> tuple[int, ...]:
    """``uv 0.13.9 (...)`` -> (0, 13, 9)."""
    parts = text.split()
    if len(parts) < 2:
        raise UvError(f"cannot read uv's version from {text.strip()!r}")
    try:
        return tuple(int(p) for p in parts[1].split(".")[:3])
    except ValueError:
        raise UvError(f"cannot read uv's version from {text.strip()!r}") from None


def planned_changes(text: str) -> list[tuple[str, str]]:
    """The ``name==version`` pairs uv's dry-run JSON would install.

    Fails (:class:`UvError`) on a schema version spip does not know: the format is
    marked experimental, and guessing at a plan is not checking it.
    """
    try:
        doc = json.loads(text)
        schema = doc["schema"]["version"]
        changes = doc["changes"]
    except (ValueError, KeyError, TypeError):
        raise UvError("uv's dry-run plan is not the JSON spip reads") from None
    if schema not in KNOWN_SCHEMAS:
        raise UvError(
            f"uv's dry-run plan has schema version {schema!r}, which spip does not know "
            f"(it reads {', '.join(KNOWN_SCHEMAS)}); update spip, or use a uv it knows"
        )
    out = []
    for change in changes:
        action = change.get("action")
        if action == "installed":
            out.append((str(change["name"]), str(change["version"])))
        elif action not in ("uninstalled", "removed"):
            raise UvError(f"uv's dry-run plan has an action spip does not know: {action!r}")
    return out


def planned_removals(text: str) -> list[str]:
    """The projects uv's dry-run JSON removes and installs no other version of (a sync)."""
    changes = json.loads(text)["changes"]
    installed = {_canonical(str(c["name"])) for c in changes if c.get("action") == "installed"}
    removed = [
        _canonical(str(c["name"])) for c in changes if c.get("action") in ("uninstalled", "removed")
    ]
    return [n for n in dict.fromkeys(removed) if n not in installed]


class LockedFile(msgspec.Struct, frozen=True):
    name: str
    version: str
    url: str
    sha256: str

    @property
    def key(self) -> tuple[str, str]:
        return pin_key(self.name, self.version)


def pin_key(name: str, version: str) -> tuple[str, str]:
    """A project and version as uv's dry-run and its lock files may each spell them."""
    from packaging.version import InvalidVersion, Version

    try:
        return _canonical(name), str(Version(version))
    except InvalidVersion:
        return _canonical(name), version


def _wheel_rank(filename: str, ranks: Mapping[str, int]) -> int:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return len(ranks) + 1
    return min((ranks.get(str(t), len(ranks)) for t in tags), default=len(ranks))


def locked_files(
    text: str,
    tags: Callable[[], Sequence[str]],
    source_allowed: Sequence[str],
    *,
    partial: bool = False,
) -> list[LockedFile]:
    """One file per package of a ``pylock.toml`` written for the target interpreter:
    its best-ranked wheel (``tags()``: the interpreter's order, asked for only when a
    package has more than one wheel), or its sdist when only a build can provide it
    (``source_allowed``). ``partial``: leave out the packages with no such file instead
    of failing (they are asked for again by pin)."""
    from packaging.utils import canonicalize_name

    from spip.core.toml import loads

    ranks: dict[str, int] = {}
    out = []
    for package in loads(text).get("packages", []):
        name, version = str(package["name"]), str(package["version"])
        wheels: list[dict[str, Any]] = package.get("wheels", [])
        chosen: dict[str, Any] | None = None
        if len(wheels) > 1:
            ranks = ranks or {tag: i for i, tag in enumerate(tags())}
            chosen = min(wheels, key=lambda w: _wheel_rank(w["url"].rsplit("/", 1)[-1], ranks))
        elif wheels:
            chosen = wheels[0]  # the dry-run planned this version, with no build: its wheel
        elif canonicalize_name(name) in source_allowed:
            chosen = package.get("sdist")
        if chosen is None or "sha256" not in chosen.get("hashes", {}):
            if partial:
                continue
            raise UvError(f"uv named no usable file with a sha256 for {name}=={version}")
        out.append(LockedFile(name, version, str(chosen["url"]), chosen["hashes"]["sha256"]))
    return out


def synthesised_report(
    files: Sequence[LockedFile],
    requested: Sequence[str],
    environment: Mapping[str, str] | None = None,
) -> str:
    """The plan in pip's installation report format (version 1), for the checks: each
    file's metadata is its name and version (the rest is read from the verified file,
    :attr:`Resolution.metadata_from_files`)."""
    install = [
        {
            "download_info": {"url": f.url, "archive_info": {"hashes": {"sha256": f.sha256}}},
            "requested": _canonical(f.name) in requested,
            "metadata": {"name": f.name, "version": f.version},
        }
        for f in files
    ]
    return json.dumps({"version": "1", "install": install, "environment": environment or {}})


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def missing_wheels(stderr: str) -> list[str]:
    """Projects uv found no usable wheel of in a wheels-only resolution."""
    return re.findall(r"Wheels are required for `([A-Za-z0-9._-]+)`", stderr)


def uv_hold_back_args(hold: HoldBack, user_args: PipInstallArgs, folder: Path) -> list[str]:
    """The cooldown's part of uv's planning run: ``--exclude-newer`` when the cutoff may
    apply to every project and the user gave none, else a constraints file by version."""
    if hold.everywhere and not user_args.has("--exclude-newer", "--exclude-newer-package"):
        return ["--exclude-newer", hold.cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")]
    lines = [f"{n}{','.join('!=' + v for v in vs)}\n" for n, vs in sorted(hold.versions.items())]
    path = folder / "cooldown-constraints.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return ["-c", str(path)]


class UvResolution:
    """The planning runs under way: the dry-run (the plan) and, beside it, the compile of
    the same requirements (the plan's files, where its versions agree).

    The dry-run's JSON comes at its end; while it resolves, its debug log names each
    distribution it selects, with its file (``-v``): :attr:`lines` passes those file
    names on, so that the head starts fetch what the checks will read while uv still
    works (as they follow pip's progress). They are a help only: the plan is the JSON.
    The log's own lines are left out of what is shown, unless the user asked for them.
    """

    def __init__(
        self, installer: UvInstaller, source_allowed: Sequence[str], held: Sequence[str] = ()
    ) -> None:
        self._installer, self._allowed = installer, list(source_allowed)
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        build = self._build_options()
        args = installer.args
        self._verbose = args.has("-v")
        # ``uv pip sync`` takes its files as arguments (spip reads them as ``-r``)
        sources = args.values("-r") if installer.sync else args.requirements
        self._dry = installer.spawn(
            [
                *("pip", "sync" if installer.sync else "install", "--dry-run"),
                *("--output-format", "json", "--python", installer.python, *build, *held),
                *plan_options(args, sync=installer.sync),
                *([] if self._verbose else ["-v"]),
                *sources,
            ]
        )
        self._stderr: list[str] = []
        self._compile = installer.compile_requested([*build, *held])
        assert self._dry.stderr is not None
        self._reader = threading.Thread(target=self._follow, args=(self._dry.stderr,), daemon=True)
        self._reader.start()

    def _follow(self, stream: IO[str]) -> None:
        """The dry-run's log, line by line: the files it selects go to :attr:`lines`."""
        try:
            for line in stream:
                if line.startswith(_INTERPRETER_READ):
                    self._installer.ready_install_cache()
                if (selected := _SELECTING.match(line)) is not None:
                    self.lines.put(selected[1])
                if self._verbose or not line.startswith(_DEBUG):
                    self._stderr.append(line)
        finally:
            self.lines.put(None)

    def _communicate(self) -> tuple[str, str]:
        """The dry-run's output and the part of its log that is shown."""
        assert self._dry.stdout is not None
        stdout = self._dry.stdout.read()
        self._reader.join()
        self._dry.wait()
        return stdout, "".join(self._stderr)

    def _build_options(self) -> list[str]:
        if not self._allowed:
            return ["--no-build"]
        return ["--only-binary", ":all:", *(t for n in self._allowed for t in ("--no-binary", n))]

    def wait(self) -> Resolution:
        stdout, stderr = self._communicate()
        try:
            self._installer.check_version()
        except UvError as exc:
            return Resolution(1, None, stdout, stderr, error=str(exc))
        if self._dry.returncode != 0:
            return Resolution(self._dry.returncode, None, stdout, stderr, missing_wheels(stderr))
        try:
            pins = planned_changes(stdout)
            self._installer.removals = planned_removals(stdout) if self._installer.sync else []
            if not pins:
                return Resolution(0, json.dumps({"version": "1", "install": []}), "", stderr)
            files = self._installer.locate(pins, self._allowed, self._compile)
        except UvError as exc:
            return Resolution(1, None, stdout, stderr, error=str(exc))
        environment = self._installer.environment()
        report = synthesised_report(files, self._installer.requested, environment)
        return Resolution(0, report, "", "", metadata_from_files=True)


class UvInstaller:
    """``uv pip install``, with the plan checked and the verified files installed offline."""

    name = "uv"

    def __init__(
        self,
        uv: str,
        args: PipInstallArgs,
        python: str,
        cache_dir: Path,
        sync: bool = False,
        installs: bool = True,
    ) -> None:
        """``sync``: ``uv pip sync`` (its files as ``-r`` in ``args``): the plan installs and
        removes, and the environment ends up with exactly the files' pins. ``installs``:
        False for a planner only (pipx and ``uv tool`` install with their own commands)."""
        self.uv, self.args, self.python, self.cache_dir = uv, args, python, cache_dir
        self.sync, self.installs = sync, installs
        self.removals: list[str] = []  # sync: what the plan uninstalls
        self.requested: list[str] = []
        self._procs: list[subprocess.Popen[str]] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="spip-uv-")
        self._version = self.spawn(["--version"])
        self._tags: list[str] = []
        self._python_version = ""
        self._dirs: subprocess.Popen[str] | None = None
        self._probe: subprocess.Popen[str] | None = None  # see probe_early
        self._ready: subprocess.Popen[str] | None = None  # see ready_install_cache

    @classmethod
    def start(
        cls, uv: str, args: PipInstallArgs, cache_dir: Path, sync: bool = False
    ) -> UvInstaller:
        direct = direct_references(args)
        if direct:
            raise UvError(
                f"spip cannot check {direct[0]!r} through uv (only index projects: a path, "
                "URL or editable has no name==version pin); use `spip install` for it"
            )
        return cls(uv, args, target_python(uv, args, os.environ), cache_dir, sync)

    def spawn(
        self, args: Sequence[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [self.uv, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(env) if env is not None else None,
        )
        self._procs.append(proc)
        return proc

    def check_version(self) -> None:
        found = uv_version(self._version.communicate()[0])
        if found[:2] < MIN_UV:
            raise UvError(
                f"uv {'.'.join(map(str, found))} is older than spip supports "
                f"({'.'.join(map(str, MIN_UV))} or newer); update uv"
            )

    @property
    def dry_run(self) -> bool:
        return self.args.has("--dry-run")

    @property
    def no_input(self) -> bool:
        return self.args.has("--no-input")

    @property
    def net_options(self) -> Mapping[str, Sequence[str]]:
        # uv's --allow-insecure-host (UV_INSECURE_HOST) is pip's --trusted-host.
        insecure = os.environ.get("UV_INSECURE_HOST", "").split()
        return {
            "cert": self.args.values("--cert"),
            "trusted-host": [*insecure, *self.args.values("--allow-insecure-host")],
        }

    def typed_names(self, cwd: Path) -> list[str]:
        # ``-r pyproject.toml`` (or setup.cfg, pylock.toml) is no requirements file to read
        # line by line; the plan's checks cover what it names.
        args = PipInstallArgs(
            [o for o in self.args.options if not (o.name == "-r" and _project_file(o.value))],
            self.args.requirements,
        )
        self.requested = [_canonical(n) for n in typed_names(args, cwd)]
        return self.requested

    @property
    def index_urls(self) -> list[str]:
        return index_urls(self.args, os.environ)

    def version_limits(self, cwd: Path) -> VersionLimits:
        return version_limits(self.args, cwd)

    def resolve(
        self,
        source_allowed: Sequence[str] = (),
        direct_allowed: Sequence[str] = (),
        hold_back: HoldBack | None = None,
        builds: Sequence[BuildDeps] = (),
    ) -> UvResolution:
        """``direct_allowed`` and ``builds`` have nothing to allow here: spip's uv support
        takes no direct references at all (see :meth:`start`), and no guard watches uv's
        build environments (uv fills them itself, README), so uv is never stopped for
        either."""
        held = uv_hold_back_args(hold_back, self.args, Path(self._tmp.name)) if hold_back else []
        resolution = UvResolution(self, source_allowed, held)
        self.probe_early()
        return resolution

    @functools.cached_property
    def compile_python(self) -> str:
        """The interpreter the compiles resolve for: the target's real file (a venv's
        base interpreter). A compile reads only its version, markers and wheel tags,
        which a venv shares with its base; and uv keeps what it read of an interpreter by
        its path, so for a new venv's path each compile would read it again (~50 ms),
        while the real file's stays known from one run to the next, and the compile
        starts beside the dry-run."""
        return str(Path(self.python).resolve())

    def compile_requested(self, build: Sequence[str]) -> subprocess.Popen[str] | None:
        """``uv pip compile`` of the user's own requirements, for their files and hashes."""
        sources = self.args.values("-r")
        if self.args.requirements:
            typed = Path(self._tmp.name) / "requested.in"
            typed.write_text("".join(f"{r}\n" for r in self.args.requirements), "utf-8")
            sources.append(str(typed))
        if not sources:
            return None
        return self.spawn(
            [
                *("pip", "compile", "--format", "pylock.toml", "--no-header", "--quiet"),
                *("--python", self.compile_python, *build, *compile_options(self.args)),
                *sources,
            ]
        )

    def locate(
        self,
        pins: Sequence[tuple[str, str]],
        allowed: Sequence[str],
        compiled: subprocess.Popen[str] | None = None,
    ) -> list[LockedFile]:
        """The file, URL and sha256 of each pin: from ``compiled`` (the compile of the
        user's requirements) where it locked the planned version, else ``uv pip compile``
        of the remaining pins, with the user's indexes."""
        tags = self.interpreter_tags
        allowed = [_canonical(n) for n in allowed]
        found: dict[tuple[str, str], LockedFile] = {}
        if compiled is not None:
            out, err = compiled.communicate()
            if compiled.returncode == 0:
                found = {f.key: f for f in locked_files(out, tags, allowed, partial=True)}
            else:
                log.debug("uv pip compile of the requirements failed: %s", err.strip()[-300:])
        missing = [(n, v) for n, v in pins if pin_key(n, v) not in found]
        if missing:
            found.update((f.key, f) for f in self._locate_pins(missing, allowed, tags))
        try:
            return [found[pin_key(n, v)] for n, v in pins]
        except KeyError as exc:
            raise UvError(f"uv named no file for {exc.args[0][0]} of its own plan") from None

    def _locate_pins(
        self,
        pins: Sequence[tuple[str, str]],
        allowed: Sequence[str],
        tags: Callable[[], Sequence[str]],
    ) -> list[LockedFile]:
        pins_in = Path(self._tmp.name) / "plan.in"
        pins_in.write_text("".join(f"{n}=={v}\n" for n, v in pins), encoding="utf-8")
        build = ["--no-build"] if not allowed else []
        compile_ = self.spawn(
            [
                *("pip", "compile", "--no-deps", "--format", "pylock.toml", "--no-header"),
                *("--quiet", "--python", self.compile_python, *build, *index_options(self.args)),
                str(pins_in),
            ]
        )
        out, err = compile_.communicate()
        if compile_.returncode != 0:
            raise UvError(f"uv could not name the files of its own plan: {err.strip()[-300:]}")
        return locked_files(out, tags, allowed)

    def interpreter_tags(self) -> list[str]:
        """The target interpreter's wheel tags, best first."""
        return self._interpreter()[1]

    def environment(self) -> dict[str, str]:
        """The target's environment markers the checks read (as in pip's report)."""
        return {"python_full_version": self._interpreter()[0]}

    def _interpreter(self) -> tuple[str, list[str]]:
        """The target interpreter's version and wheel tags; kept in spip's cache by the
        interpreter's real path and its file's identity (they never change for one). When
        they are not there yet, the probe started with the planning runs gives them."""
        if self._tags:
            return self._python_version, self._tags
        key, lines = self._cached_interpreter()
        if not lines:
            probe = self._probe or self._probe_interpreter()
            out, err = probe.communicate()
            lines = out.split()
            if probe.returncode != 0 or len(lines) < 2 or not lines[0].startswith("python="):
                raise UvError(f"cannot read the wheel tags of {self.python}: {err[-200:]}")
            cached = self.cache_dir / "uv" / "interpreters" / key
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(cached, "\n".join(lines))
            except OSError:
                log.debug("could not keep the wheel tags of %s", self.python, exc_info=True)
        self._python_version, self._tags = lines[0].removeprefix("python="), lines[1:]
        return self._python_version, self._tags

    def _cached_interpreter(self) -> tuple[str, list[str]]:
        """The cache key of the target interpreter, and what the cache holds for it."""
        real = Path(self.python).resolve()
        try:
            stat = real.stat()
        except OSError as exc:
            raise UvError(f"cannot read the target interpreter {self.python}: {exc}") from None
        key = hashlib.sha256(f"{real}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
        lines: list[str] = []
        with contextlib.suppress(OSError):
            lines = (self.cache_dir / "uv" / "interpreters" / key).read_text("utf-8").split()
        return key, lines if lines and lines[0].startswith("python=") else []

    def _probe_interpreter(self) -> subprocess.Popen[str]:
        """The target interpreter asked for its version and wheel tags."""
        probe = subprocess.Popen(
            [self.python, "-I", "-c", _INTERPRETER_SCRIPT, _packaging_home()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self._procs.append(probe)
        return probe

    def probe_early(self) -> None:
        """Ask the target interpreter now, beside the planning runs, if spip's cache does
        not know it (the plan's report needs its version: not after uv's dry-run)."""
        with contextlib.suppress(UvError):  # the plan says so, when it asks
            if self._probe is None and not self._cached_interpreter()[1]:
                self._probe = self._probe_interpreter()

    def resolved(self, resolution: Resolution) -> None:
        """uv writes no report of its own. A sync with nothing to install removes now
        what it removes (nothing to check), or, in a dry run, says so."""
        from spip.ui import output

        if not self.removals:
            return
        if self.dry_run:
            output.say(f"spip: uv pip sync would remove {', '.join(self.removals)}")
        elif not json.loads(resolution.report or "{}").get("install"):
            self._uninstall()

    def _uninstall(self) -> int:
        command = [self.uv, "--no-config", "pip", "uninstall", "--python", self.python]
        command += [t for o in self.args.options if o.name in ("-t", "--prefix") for t in o.tokens]
        return install_call([*command, *self.removals], env=scrubbed_environ(os.environ))

    def prepare_install(self) -> None:
        if self.dry_run:
            return
        command = install_dirs_command(self.python, self.args)
        self._dirs = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self._procs.append(self._dirs)

    def ready_install_cache(self) -> None:
        """Have uv read the target interpreter into the cache phase 2 uses, now, while the
        dry-run and the checks run: uv keys what it knows of an interpreter by its path, so
        for a new venv phase 2 would ask the interpreter again (~50 ms here, as long as the
        rest of a warm phase 2). Called once the dry-run has read the interpreter itself
        (its log says so): both at once slowed the dry-run down on two cores. The answer
        is the interpreter's own; no file comes from it."""
        if self.dry_run or not self.installs or self._ready is not None:
            return
        command = [self.uv, "--no-config", "--cache-dir", str(install_cache(self.cache_dir))]
        command += ["python", "find", "--no-python-downloads", self.python]
        self._ready = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env=scrubbed_environ(os.environ),
        )
        self._procs.append(self._ready)

    def install_dirs(self) -> list[Path]:
        if self._dirs is None:
            return []
        return install_dirs(self._dirs.communicate()[0], self.args)

    def install(
        self, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
    ) -> int:
        """uv installs the pins from ``folder`` alone, offline, every file hash-checked.

        An sdist's build needs its build dependencies from an index: only then are the
        user's index options kept (the pins stay hash-checked under --require-hashes).
        """
        from spip.policy.gate import EXIT_UNSAFE
        from spip.ui import output

        unfetched = [d.name for d in plan if files.get(d.name) is None]
        if unfetched:
            output.say(
                f"spip: error: spip could not fetch {', '.join(unfetched)} itself, and uv "
                "installs only verified files; nothing was installed.",
                fg="red",
            )
            return EXIT_UNSAFE
        pins = Path(self._tmp.name) / "pins.txt"
        pins.write_text(hashed_pins(plan), encoding="utf-8")
        needs_index = any(not d.is_wheel for d in plan)
        sources = index_options(self.args) if needs_index else ["--offline", "--no-index"]
        command = [self.uv, "--no-config", "pip", "install", "--python", self.python]
        command += ["--no-deps", *file_sources(self.cache_dir, plan, files, folder), *sources]
        command += ["--require-hashes", "-r", str(pins), *install_options(self.args)]
        if self._ready is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._ready.wait(READY_WAIT)  # else phase 2 asks the interpreter itself
        status = install_call(command, env=scrubbed_environ(os.environ))
        return self._uninstall() if status == 0 and self.removals else status

    def cancel(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self._tmp.cleanup()


def file_sources(
    cache_dir: Path, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
) -> list[str]:
    """uv's options for where it finds the verified files, and which cache it keeps.

    uv caches a find-links file by its path, so each file goes into a folder named by its
    own sha256 under spip's cache (a hard link to the verified copy), where it stays: the
    next install of that file takes uv's unpacked copy (~0.5 s less for 15 wheels), which
    uv uses only when the sha256 it recorded is the pin's (``--require-hashes``). Where
    that folder cannot be written, uv reads ``folder`` with no cache.
    """
    links = cache_dir / "uv" / "links"
    dirs = []
    try:
        for dist in plan:
            source = files[dist.name]
            assert source is not None and dist.sha256
            place = links / dist.sha256 / dist.filename
            if not (place.is_file() and os.path.samefile(place, source)):
                place.parent.mkdir(parents=True, exist_ok=True)
                atomic_link(source, place)
            dirs.append(place.parent)
    except OSError as exc:
        log.debug("uv reads the verified files with no cache: %s", exc)
        return ["--no-cache", "--find-links", str(folder)]
    cache = ["--cache-dir", str(install_cache(cache_dir))]
    return [*cache, *(t for d in dirs for t in ("--find-links", str(d)))]


def install_cache(cache_dir: Path) -> Path:
    """The uv cache of phase 2: spip's own, never the user's (see :func:`file_sources`)."""
    return cache_dir / "uv" / "cache"


def hashed_pins(plan: Sequence[PlannedDist]) -> str:
    """``name==version --hash=sha256:...`` lines, dependencies first."""
    return "".join(f"{d.name}=={d.version} --hash=sha256:{d.sha256}\n" for d in reversed(plan))


def _project_file(path: str | None) -> bool:
    return bool(path) and Path(path or "").name.endswith((".toml", ".cfg", ".py"))


def _packaging_home() -> str:
    """The folder spip's own ``packaging`` is imported from (pure Python: any target runs it)."""
    import packaging

    return str(Path(packaging.__file__).parent.parent)


def fresh_target(folder: Path) -> list[str]:
    """The planning options for a tool's new environment: uv plans into an empty
    ``--target`` folder (what the interpreter has installed does not count, as in a new
    venv), not into a throwaway venv: making one cost ~90 ms, and uv keeps what it read of
    an interpreter by its path, which for a new venv it reads again (~50 ms, twice: the
    dry-run and the compile); the base interpreter's path stays the same run after run."""
    empty = folder / "fresh-target"
    empty.mkdir(exist_ok=True)
    return ["--target", str(empty)]


def find_python(uv: str, request: str | None, system: bool) -> str:
    """``uv python find [REQUEST] [--system]``: the interpreter, as a path."""
    command = [uv, "python", "find", *([request] if request else [])]
    if system:
        command.append("--system")
    found = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if found.returncode != 0 or not found.stdout.strip():
        raise UvError(f"uv found no Python to install into: {found.stderr.strip()[-200:]}")
    return found.stdout.strip()


def target_python(uv: str, args: PipInstallArgs, environ: Mapping[str, str]) -> str:
    """The interpreter ``uv pip install`` would install into, as a path.

    A path given to ``--python`` is used as it is; else the active virtual environment
    (unless ``--system``); else uv's own discovery (``uv python find``), which every
    planning and install run then gets explicitly, so they all target the same one.
    """
    request = args.last("-p")
    if request and (os.sep in request or "/" in request):
        path = Path(request)
        return str(venv_python(path) if path.is_dir() else path)
    venv = environ.get("VIRTUAL_ENV")
    if not request and not args.has("--system") and venv and venv_python(Path(venv)).exists():
        return str(venv_python(Path(venv)))
    return find_python(uv, request, args.has("--system"))
