"""``uv tool install|run`` (and ``uvx``) behind the installer seam.

- The plan: spip's uv installer (:class:`spip.installer.uv.UvInstaller`) for the
  tool's Python, into an empty ``--target`` folder (a new environment), with the
  package and every ``--with`` spec at once, wheels only;
- the install: ``uv tool install --no-config --offline --no-cache --no-index
  --find-links DIR --python PY`` of the typed specs pinned to the plan, the plan's pins
  as constraints, the variables that add sources scrubbed. DIR holds only the plan's
  verified files, one version of each project: ``uv tool`` takes no
  ``--require-hashes`` and does not check a constraints file's hashes (tried), so the
  folder is its only source, and ``--no-cache`` keeps it from an archive cached before;
- ``run`` (``uvx``): the same install into a tool folder under spip's cache, whose
  command then runs with its arguments (:mod:`spip.installer.tool_envs`);
- afterwards uv's record of the tool (``uv-receipt.toml``) gets back the specs the user
  typed, without spip's pins and folder, so that a later ``uv tool upgrade`` asks the
  index again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spip.core.atomic import atomic_write
from spip.core.logs import log
from spip.installer import tool_envs
from spip.installer.pip_process import install_call
from spip.installer.uv import UvInstaller, find_python, fresh_target, scrubbed_environ
from spip.installer.uv_args import parse as parse_uv_args
from spip.installer.uv_tool_args import UvToolArgs, UvToolError

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

# What decides a ``uvx`` plan besides the command line (its tool folder is one per set).
_RUN_VARIABLES = ("UV_PYTHON", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL")


def run_home(cache_dir: Path, uv: str, args: UvToolArgs) -> Path:
    """The tool folder under spip's cache that ``uvx`` of these arguments installs into."""
    quiet = ("-q", "-v", "--color", "--no-progress")
    options = [t for o in args.options.options if o.name not in quiet for t in o.tokens]
    key = [uv, args.specs, options, [os.environ.get(v) for v in _RUN_VARIABLES]]
    return tool_envs.run_home(cache_dir, "uv", key)


class UvToolInstaller(tool_envs.PlannedByAnother):
    """``uv tool install|run``: planned by uv in a fresh venv of the tool's Python,
    installed by ``uv tool install`` from spip's folder of verified files."""

    name = "uv"

    def __init__(self, uv: str, args: UvToolArgs, cache_dir: Path, home: Path | None) -> None:
        """``home``: ``run``'s tool folder under spip's cache (else uv's own)."""
        from packaging.utils import canonicalize_name

        from spip.core.reqnames import requirement_name

        self.uv, self.args, self.home = uv, args, home
        self._tmp = tempfile.TemporaryDirectory(prefix="spip-uvtool-")
        self._dirs: subprocess.Popen[str] | None = None
        asking = None if home is not None else self._spawn(["tool", "dir"])
        request = args.options.last("-p") or os.environ.get("UV_PYTHON", "").strip() or None
        is_path = request is not None and (os.sep in request or "/" in request)
        self.python = request if request and is_path else find_python(uv, request, system=True)
        plan_args = [*fresh_target(Path(self._tmp.name)), *args.plan_tokens(), *args.specs]
        self.planner = UvInstaller(
            uv, parse_uv_args(plan_args), self.python, cache_dir, installs=False
        )
        if home is not None:
            tools = home / "tools"
        else:
            assert asking is not None
            out, err = asking.communicate()
            if asking.returncode != 0 or not out.strip():
                raise UvToolError(f"uv did not say where its tools are: {err.strip()[-200:]}")
            tools = Path(out.strip())
        self.venv = tools / canonicalize_name(requirement_name(args.package) or args.package)

    def _spawn(self, args: Sequence[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.uv, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    @property
    def dry_run(self) -> bool:
        return self.args.dry_run

    def prepare_install(self) -> None:
        """The directories of the tool's venv (for a new one: where it will be)."""
        command = tool_envs.venv_dirs_command(self.python, self.venv)
        self._dirs = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def install(
        self, plan: Sequence[PlannedDist], files: Mapping[str, Path | None], folder: Path
    ) -> int:
        """``uv tool install`` of the typed specs, pinned to the plan, from ``folder`` alone."""
        from spip.policy.gate import EXIT_UNSAFE

        if tool_envs.unverified_wheels(plan, files, "uv"):
            return EXIT_UNSAFE
        constraints = Path(self._tmp.name) / "constraints.txt"
        constraints.write_text("".join(f"{d.name}=={d.version}\n" for d in plan), "utf-8")
        command = [self.uv, "tool", "install", "--no-config", "--offline", "--no-cache"]
        command += ["--no-index", "--find-links", str(folder), "--python", self.python]
        command += ["-c", str(constraints), *self.args.install_tokens()]
        if self.home is not None and self.args.refresh:
            command.append("--reinstall")
        pins = tool_envs.pinned_specs
        command += [t for s in pins(self.args.with_specs, plan) for t in ("--with", s)]
        exe_from = pins(self.args.executables_from, plan)
        command += [t for s in exe_from for t in ("--with-executables-from", s)]
        command += pins([self.args.package], plan)
        env = scrubbed_environ(os.environ)
        if self.home is not None:
            env.update(UV_TOOL_DIR=str(self.home / "tools"), UV_TOOL_BIN_DIR=str(self.home / "bin"))
        # ``uvx``: uv's own messages go to stderr, the command's stdout stays its own.
        out = sys.stderr if self.home is not None else None
        status = install_call(command, env=env, stdout=out)
        if status == 0:
            restore_receipt(self.venv / "uv-receipt.toml", self.args.specs)
        if status == 0 and self.home is not None:
            tool_envs.mark_installed(self.home, self.venv)
        return status

    def cancel(self) -> None:
        self.planner.cancel()
        if self._dirs is not None and self._dirs.poll() is None:
            self._dirs.kill()
        self._tmp.cleanup()


def restore_receipt(path: Path, specs: Sequence[str]) -> None:
    """uv recorded spip's pins, constraints and folder: it gets back the typed ``specs``."""
    from packaging.requirements import Requirement

    from spip.core.toml import TOMLDecodeError, dumps, loads

    try:
        record = loads(path.read_text(encoding="utf-8"))
        tool = record["tool"]
    except (OSError, UnicodeDecodeError, TOMLDecodeError, KeyError) as exc:
        log.debug("could not read %s: %s", path, exc)
        return
    requirements = []
    for spec in specs:
        req = Requirement(spec)
        entry: dict[str, Any] = {"name": req.name}
        if req.extras:
            entry["extras"] = sorted(req.extras)
        if req.specifier:
            entry["specifier"] = str(req.specifier)
        if req.marker:
            entry["marker"] = str(req.marker)
        requirements.append(entry)
    tool["requirements"] = requirements
    tool.pop("constraints", None)
    options = tool.get("options", {})
    for key in ("no-index", "find-links"):
        options.pop(key, None)
    if not options:
        tool.pop("options", None)
    try:
        atomic_write(path, dumps(record))
    except OSError as exc:
        log.debug("could not write %s: %s", path, exc)
