"""pipx behind the installer seam: spip plans with pipx's backend, pipx installs the files.

- The plan: ``pipx install`` plans as into a fresh venv of pipx's Python, ``pipx inject``
  inside the tool's venv, with the main specs and every ``--preinstall`` spec at once.
  pipx's pip backend is planned by pip (spip's pip installer, ``--ignore-installed`` for
  a fresh venv), its uv backend by uv (spip's uv installer, into an empty ``--target``
  folder for a fresh one), the very uv pipx would pick (its bundled one before PATH's).
- The install: pipx itself, told to take exactly the pins of the plan from spip's folder
  of verified files and nothing else: ``--skip-maintenance`` with
  ``PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE=1`` (no shared-library upgrade from an index),
  ``--pip-args="--isolated --no-index --find-links DIR"`` (uv backend: ``--no-config
  --offline --no-cache --no-index --find-links DIR``, the variables that add sources
  scrubbed). The folder holds only the plan's files, one version of each project.
- Afterwards pipx's record of the venv (``pipx_metadata.json``) gets back the specs and
  pip arguments the user typed, so that a later ``pipx upgrade`` asks the index again.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spip.core.atomic import atomic_write
from spip.core.logs import log
from spip.core.reqnames import requirement_name
from spip.installer import tool_envs
from spip.installer.pip import PipInstaller
from spip.installer.pip_args import parse as parse_pip_args
from spip.installer.pip_process import install_call, start_server, venv_python
from spip.installer.tools import interpreter_of
from spip.installer.uv import (
    UvInstaller,
    file_sources,
    fresh_target,
    hashed_pins,
    scrubbed_environ,
)
from spip.installer.uv_args import parse as parse_uv_args

if TYPE_CHECKING:
    from spip.installer.base import (
        Installer,
    )
    from spip.plan.report import PlannedDist

GUARDED = ("install", "inject", "run", "upgrade", "reinstall")
_IN_VENV = ("inject", "upgrade", "reinstall")  # commands on an existing venv
# pipx options that take a value, and those of them phase 2 passes on unchanged.
_VALUE_OPTIONS = frozenset(
    {
        "--suffix",
        "--python",
        "--fetch-python",
        "--preinstall",
        "--app",
        "--lock",
        "--index-url",
        "-i",
        "--pip-args",
        "--cooldown",
        "--backend",
        "--output",
        "--include-resources-from",
        "--upgrade-strategy",
        "-r",
        "--requirement",
        "--spec",
        "--with",
        "--python-args",
    }
)
_KEPT_VALUES = frozenset(
    {
        "--suffix",
        "--python",
        "--app",
        "--backend",
        "--output",
        "--include-resources-from",
        "--upgrade-strategy",
    }
)
# What spip cannot stand behind with name==version pins (or plans differently from pipx).
_REFUSED = {
    "--editable": "an editable install has no name==version pin",
    "-e": "an editable install has no name==version pin",
    "--lock": "a lock file install is pipx's own; `spip audit` the lock file instead",
    "-r": "spip guards the specs typed on the command line; give them there",
    "--requirement": "spip guards the specs typed on the command line; give them there",
    "--fetch-python": "spip plans with a Python that is already here",
    "--fetch-missing-python": "spip plans with a Python that is already here",
    "--python-args": "spip runs the app of a package, not a script",
    "--path": "spip runs the app of a package, not a script",
    "--pypackages": "spip runs the app of a package, not a script",
}


class PipxError(Exception):
    """The pipx command cannot be guarded (spip stops, exit 11), or pipx is not usable."""


@dataclass
class PipxArgs:
    """A ``pipx install|inject`` command line, read without running pipx."""

    command: str
    specs: list[str] = field(default_factory=list)  # install: the specs; inject: the deps
    venv: str | None = None  # inject: the environment
    preinstall: list[str] = field(default_factory=list)
    pip_args: list[str] = field(default_factory=list)  # --pip-args, split as pipx splits them
    index_url: str | None = None
    kept: list[str] = field(default_factory=list)  # options phase 2 passes on unchanged
    app: str | None = None  # run: the app, and its own arguments
    app_args: list[str] = field(default_factory=list)
    refresh: bool = False  # run: --no-cache / --refresh (plan and install again)

    def value(self, name: str) -> str | None:
        for i, tok in enumerate(self.kept[:-1]):
            if tok == name:
                return self.kept[i + 1]
        return None

    def has(self, name: str) -> bool:
        return name in self.kept


def parse(command: str, args: Sequence[str]) -> PipxArgs:
    """Read ``pipx COMMAND ARGS`` (``--opt value`` and ``--opt=value`` both)."""
    out = PipxArgs(command)
    positional: list[str] = []
    tokens = list(args)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        name, eq, inline = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        if tok == "--" or (command == "run" and not tok.startswith("-")):
            out.app = tokens[i + 1] if tok == "--" and i + 1 < len(tokens) else tok
            out.app_args = tokens[i + (2 if tok == "--" else 1) :]
            if command != "run":
                positional += [out.app, *out.app_args]
                out.app, out.app_args = None, []
            break
        if name in _REFUSED:
            raise PipxError(f"spip cannot guard `pipx {command} {name}`: {_REFUSED[name]}")
        if name in _VALUE_OPTIONS:
            if eq:
                value = inline
            elif i + 1 < len(tokens):
                i += 1
                value = tokens[i]
            else:
                raise PipxError(f"pipx {command}: {name} needs a value")
            _option(out, name, value)
        elif tok.startswith("-"):
            out.kept.append(tok)
        else:
            positional.append(tok)
        i += 1
    if command == "run":
        if out.app is None:
            raise PipxError("pipx run needs the app to run")
        if "/" in out.app or out.app.endswith(".py"):
            raise PipxError(f"spip cannot guard `pipx run {out.app}`: it runs packages' apps only")
        spec = out.value("--spec")
        positional = [spec or out.app]
        out.refresh = bool({"--no-cache", "--refresh"} & set(out.kept))
        run_only = ("--no-cache", "--refresh", "--no-path-check")
        out.kept = [t for t in out.kept if t not in run_only]
        if spec is not None:
            at = out.kept.index("--spec")
            del out.kept[at : at + 2]
    if command in _IN_VENV:
        if not positional or (command != "inject" and len(positional) > 1):
            what = "the environment and the packages" if command == "inject" else "one environment"
            raise PipxError(f"spip pipx {command} takes {what}")
        out.venv, positional = positional[0], positional[1:]
        if command != "inject":
            return out  # the specs are the venv's own, read when it is found
    if "--include-injected" in out.kept:
        raise PipxError("spip upgrades a tool's main package only: drop --include-injected")
    out.specs = positional
    if not out.specs:
        raise PipxError(f"pipx {command} needs a package to install")
    _index_projects([*out.specs, *out.preinstall])
    return out


def _index_projects(specs: Sequence[str]) -> None:
    for spec in specs:
        if requirement_name(spec) is None or "@" in spec or spec.endswith(".py"):
            raise PipxError(
                f"spip cannot guard {spec!r} through pipx (only index projects: a path, URL or "
                "script has no name==version pin); install it with the real pipx if you accept that"
            )


def _option(out: PipxArgs, name: str, value: str) -> None:
    if name in ("--preinstall", "--with"):
        out.preinstall.append(value)
    elif name == "--spec":
        out.kept += [name, value]
    elif name == "--pip-args":
        out.pip_args += shlex.split(value)
    elif name in ("--index-url", "-i"):
        out.index_url = value
    elif name == "--cooldown":
        if value.strip() not in ("0", ""):
            raise PipxError(_COOLDOWN)
    elif name in _KEPT_VALUES:
        out.kept += [name, value]


_COOLDOWN = (
    "spip plans pipx installs itself and does not apply pipx's cooldown; its own cooldown "
    "(fresh-release-hours) holds back young releases: drop --cooldown (or PIPX_COOLDOWN)"
)


class Pipx:
    """The pipx to run, the interpreter it runs in, and where it keeps its venvs."""

    def __init__(self, path: str, python: str, venvs: Path | subprocess.Popen[str]) -> None:
        self.path, self.python = path, python  # python: pipx's default for new venvs
        self._venvs = venvs

    @classmethod
    def find(cls, path: str, global_: bool, home: Path | None = None) -> Pipx:
        """``home``: a pipx home of spip's own (``pipx run``), whose venvs are known;
        else pipx is asked where its venvs are (while spip goes on)."""
        python = interpreter_of(path) or _default_python(path)
        if home is not None:
            return cls(path, python, home / _RUN_FOLDERS["PIPX_HOME"] / "venvs")
        ask = [path, "environment", *(["--global"] if global_ else []), "--value"]
        asking = subprocess.Popen(
            [*ask, "PIPX_LOCAL_VENVS"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        return cls(path, python, asking)

    @property
    def venvs(self) -> Path:
        if isinstance(self._venvs, subprocess.Popen):
            out, err = self._venvs.communicate()
            if self._venvs.returncode != 0 or not out.strip():
                raise PipxError(f"pipx did not say where its venvs are: {err.strip()[-200:]}")
            self._venvs = Path(out.strip())
        return self._venvs

    def stop(self) -> None:
        """Stop asking pipx where its venvs are, if it still runs."""
        if isinstance(self._venvs, subprocess.Popen) and self._venvs.poll() is None:
            self._venvs.kill()
            self._venvs.wait()

    def bundled_uv(self) -> str | None:
        """The uv pipx runs first: the one installed beside its interpreter (``pipx[uv]``)."""
        beside = Path(self.python).parent / ("uv.exe" if os.name == "nt" else "uv")
        return str(beside) if beside.is_file() else None


def _default_python(pipx: str) -> str:
    """pipx's default Python as its help says it (a pipx that is no Python script with a
    ``#!`` line: a pyenv shim, a zipapp)."""
    import re

    shown = subprocess.run(
        [pipx, "install", "--help"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    found = re.search(
        r"default python executable used to install a package is\s+(\S+)\s+and", shown.stdout
    )
    if found is None or not Path(found.group(1)).is_file():
        raise PipxError(f"cannot tell which Python {pipx} installs with; give --python")
    return found.group(1)


def _backend(args: PipxArgs, pipx: Pipx, venv: Path | None, uv: str | None) -> str:
    """pipx's choice: ``--backend``, the venv's recorded one, PIPX_DEFAULT_BACKEND, uv if found."""
    chosen = args.value("--backend")
    if chosen is None and venv is not None:
        chosen = _metadata(venv).get("backend")
    chosen = chosen or os.environ.get("PIPX_DEFAULT_BACKEND", "").strip() or None
    if chosen is None:
        chosen = "uv" if uv else "pip"
    if chosen not in ("pip", "uv"):
        raise PipxError(f"unknown pipx backend {chosen!r}")
    return chosen


def _packages(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The main package and the injected ones of a venv's record."""
    found = [record.get("main_package"), *(record.get("injected_packages") or {}).values()]
    return [p for p in found if isinstance(p, dict)]


def _recorded_specs(args: PipxArgs, record: dict[str, Any]) -> dict[str, list[str]]:
    """``upgrade``/``reinstall``: the specs come from the venv's record (reinstall: the
    injected ones too), and its pip arguments unless new ones were typed; returns each
    package's recorded pip arguments, which it keeps."""
    from packaging.utils import canonicalize_name

    packages = _packages(record)[: 1 if args.command == "upgrade" else None]
    specs = [str(p.get("package_or_url") or p.get("package") or "") for p in packages]
    _index_projects(specs)
    args.specs = specs
    if not args.pip_args and packages:
        args.pip_args = [str(a) for a in packages[0].get("pip_args") or []]
    return {
        canonicalize_name(str(p.get("package", ""))): [str(a) for a in p.get("pip_args") or []]
        for p in packages
    }


def _write_metadata(venv: Path, record: dict[str, Any]) -> None:
    path = venv / "pipx_metadata.json"
    try:
        atomic_write(path, json.dumps(record, indent=4, sort_keys=True))
    except OSError as exc:
        log.debug("could not write %s: %s", path, exc)


def _metadata(venv: Path) -> dict[str, Any]:
    try:
        found = json.loads((venv / "pipx_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def run_home(cache_dir: Path, pipx: str, args: PipxArgs) -> Path:
    """The pipx home, under spip's cache, that ``pipx run`` of these arguments installs into
    (one per package spec, extras, Python, backend and index settings)."""
    quiet = ("-q", "--quiet", "-v", "--verbose")
    key = [pipx, args.specs, args.preinstall, args.pip_args, args.index_url]
    key += [[t for t in args.kept if t not in quiet], os.environ.get("PIPX_DEFAULT_PYTHON")]
    key.append(os.environ.get("PIPX_DEFAULT_BACKEND"))
    return tool_envs.run_home(cache_dir, "pipx", key)


class PipxInstaller(tool_envs.PlannedByAnother):
    """``pipx install|inject|upgrade|reinstall|run``: planned by pipx's backend, installed
    by pipx from spip's folder of verified files."""

    name = "pipx"

    def __init__(
        self, pipx: Pipx, args: PipxArgs, cache_dir: Path, home: Path | None = None
    ) -> None:
        """``home``: ``pipx run``'s pipx home under spip's cache (``pipx install`` there)."""
        from packaging.utils import canonicalize_name

        self.pipx, self.args, self.home, self.cache_dir = pipx, args, home, cache_dir
        self._recorded: dict[str, list[str]] = {}  # upgrade, reinstall: pip args on record
        self._tmp = tempfile.TemporaryDirectory(prefix="spip-pipx-")
        self._dirs: subprocess.Popen[str] | None = None
        if args.command in _IN_VENV:
            assert args.venv is not None
            self._venv_name = canonicalize_name(args.venv)
            if not (self.venv / "pipx_metadata.json").is_file():
                raise PipxError(f"pipx has no environment {args.venv!r}")
            if args.command != "inject":
                self._recorded = _recorded_specs(args, _metadata(self.venv))
        else:
            main = requirement_name(args.specs[0]) or args.specs[0]
            self._venv_name = canonicalize_name(main + (args.value("--suffix") or ""))
        existing = self.venv if args.command in ("inject", "upgrade") else None
        uv = pipx.bundled_uv() or shutil.which("uv", path=tool_envs.path_without_shims())
        self.backend = _backend(args, pipx, self.venv if args.command in _IN_VENV else None, uv)
        self.python = str(venv_python(existing)) if existing else self._base_python()
        upgrade = ["--upgrade"] if args.command == "upgrade" else []
        plan_args = [*upgrade, *args.pip_args, *self._index(), *args.preinstall, *args.specs]
        self.planner: Installer
        if self.backend == "uv":
            if uv is None:
                raise PipxError("pipx's uv backend was asked for, but no uv was found")
            fresh = fresh_target(Path(self._tmp.name)) if existing is None else []
            parsed = parse_uv_args([*fresh, *plan_args])
            self.planner = UvInstaller(uv, parsed, self.python, cache_dir, installs=False)
        else:
            fresh = ["--ignore-installed"] if existing is None else []
            parsed = parse_pip_args([*fresh, *plan_args])
            self.planner = PipInstaller(parsed, self.python, start_server(self.python))

    @functools.cached_property
    def venv(self) -> Path:
        """The venv pipx writes to (for a new tool: where it will be)."""
        return self.pipx.venvs / self._venv_name

    def _index(self) -> list[str]:
        return ["--index-url", self.args.index_url] if self.args.index_url else []

    def _base_python(self) -> str:
        asked = self.args.value("--python") or os.environ.get("PIPX_DEFAULT_PYTHON")
        if not asked and self.args.command == "reinstall":
            source = _metadata(self.venv).get("source_interpreter")
            recorded = source.get("__Path__") if isinstance(source, dict) else None
            if recorded and Path(recorded).is_file():
                return str(recorded)
        if not asked:
            return self.pipx.python
        for candidate in (asked, f"python{asked}"):
            found = candidate if Path(candidate).is_file() else shutil.which(candidate)
            if found:
                return found
        raise PipxError(f"spip found no Python {asked!r} to plan with")

    @property
    def dry_run(self) -> bool:
        return False

    def prepare_install(self) -> None:
        """The directories of the venv pipx writes to (for a new one: where it will be)."""
        existing = self.args.command in ("inject", "upgrade")
        python = str(venv_python(self.venv)) if existing else self.python
        command = tool_envs.venv_dirs_command(python, self.venv)
        self._dirs = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def install(
        self, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
    ) -> int:
        """pipx installs the typed projects, pinned to the plan, from ``folder`` alone."""
        from spip.policy.gate import EXIT_UNSAFE

        if tool_envs.unverified_wheels(plan, files, "pipx"):
            return EXIT_UNSAFE

        if self.backend == "uv" and self.args.command in ("install", "run"):
            # A new venv and pinned specs: uv takes the hashes from a constraints file,
            # so every file is checked once more, and its cache can be spip's own.
            constraints = Path(self._tmp.name) / "constraints.txt"
            constraints.write_text(hashed_pins(plan), encoding="utf-8")
            pip_args = ["--no-config", "--offline", "--no-index"]
            pip_args += file_sources(self.cache_dir, plan, files, folder)
            pip_args += ["--require-hashes", "-c", str(constraints)]
        elif self.backend == "uv":  # the venv's own packages and specs carry no hashes
            pip_args = ["--no-config", "--offline", "--no-cache", "--no-index"]
            pip_args += ["--find-links", str(folder)]
        else:  # pip 23-25 takes no hashes from constraints: the folder is its only source
            pip_args = ["--isolated", "--no-index", "--find-links", str(folder)]
        verb = "install" if self.home is not None else self.args.command
        command = [self.pipx.path, verb, *self.args.kept, "--skip-maintenance"]
        command += ["--force"] if self.home is not None and self.args.refresh else []
        command += ["--backend", self.backend] if "--backend" not in self.args.kept else []
        if verb == "reinstall":
            return self._reinstall([*command, str(self.args.venv)], pip_args)
        command += [f"--pip-args={shlex.join(pip_args)}"]
        preinstall = tool_envs.pinned_specs(self.args.preinstall, plan)
        command += [t for p in preinstall for t in ("--preinstall", p)]
        if verb in _IN_VENV:
            command.append(str(self.args.venv))
        # upgrade: pipx asks for the venv's own spec, which only the planned file can meet
        command += tool_envs.pinned_specs(self.args.specs, plan) if verb != "upgrade" else []
        # ``pipx run``: pipx's own messages go to stderr, the app's stdout stays its own.
        out = sys.stderr if self.home is not None else None
        return self._finish(install_call(command, env=self._environ(), stdout=out))

    def _reinstall(self, command: list[str], pip_args: list[str]) -> int:
        """``pipx reinstall`` has no ``--pip-args``: it reads the venv's record, which says
        spip's folder while it runs (and what the user typed again afterwards)."""
        record = _metadata(self.venv)
        for package in _packages(record):
            package["pip_args"] = list(pip_args)
        _write_metadata(self.venv, record)
        try:
            status = install_call(command, env=self._environ())
        finally:
            self._finish(0)
        return status

    def _finish(self, status: int) -> int:
        if status == 0:
            self._restore_metadata()
        if status == 0 and self.home is not None:
            tool_envs.mark_installed(self.home, self.venv)
        return status

    def _environ(self) -> dict[str, str]:
        env = scrubbed_environ(os.environ)
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env["PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE"] = "1"
        env.pop("PIPX_COOLDOWN", None)
        env["PATH"] = tool_envs.path_without_shims()  # pipx finds the real uv, never spip's shim
        if self.home is not None:
            for variable, folder in _RUN_FOLDERS.items():
                env[variable] = str(self.home / folder)
        return env

    def _restore_metadata(self) -> None:
        """pipx recorded spip's pins and folder; it gets back what the user typed."""
        from packaging.utils import canonicalize_name

        record = _metadata(self.venv)
        typed = {canonicalize_name(requirement_name(s) or s): s for s in self.args.specs}
        for package in _packages(record):
            name = canonicalize_name(str(package.get("package", "")))
            if name in self._recorded:
                package["pip_args"] = self._recorded[name]
            elif name in typed:
                package["package_or_url"] = typed[name]
                package["pip_args"] = list(self.args.pip_args)
        _write_metadata(self.venv, record)

    def cancel(self) -> None:
        self.pipx.stop()
        self.planner.cancel()
        if self._dirs is not None and self._dirs.poll() is None:
            self._dirs.kill()
        self._tmp.cleanup()


# Where ``pipx run``'s install under spip's cache keeps its venvs, apps and pages.
_RUN_FOLDERS = {
    "PIPX_HOME": "home",
    "PIPX_BIN_DIR": "bin",
    "PIPX_MAN_DIR": "man",
    "PIPX_COMPLETION_DIR": "completions",
}
