"""Running pip in a subprocess of the target interpreter (pip is never imported).

- :func:`target_python`: the interpreter whose environment pip would install into;
- :class:`WarmPip`: a pip started early, that waits for its arguments;
- :func:`resolve`: phase 1, ``pip install --dry-run --report``;
- :func:`install`: phase 2, pip installing exactly the verified files;
- :func:`install_dirs`: the directories an install writes to (for the snapshot).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spip.pip_args import PipInstallArgs


def venv_python(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def target_python(parsed: PipInstallArgs | None, environ: Mapping[str, str]) -> str:
    """The interpreter ``pip`` on the user's PATH would install for.

    pip's own ``--python`` wins; then the active virtual environment
    (``VIRTUAL_ENV``), so that ``alias pip=spip`` works in any venv even when
    spip itself lives elsewhere (pipx, a global install); else spip's own
    interpreter.
    """
    explicit = parsed.values("--python") if parsed else []
    if explicit:
        path = Path(explicit[-1])
        return str(venv_python(path) if path.is_dir() else path)
    venv = environ.get("VIRTUAL_ENV")
    if venv and venv_python(Path(venv)).exists():
        return str(venv_python(Path(venv)))
    return sys.executable


def pip_command(python: str, *args: str) -> list[str]:
    return [python, "-m", "pip", *args]


def passthrough(python: str, args: Sequence[str]) -> int:
    """Run pip with the user's arguments and stdio; its exit status is ours."""
    return subprocess.call(pip_command(python, *args))


@dataclass(frozen=True)
class Resolution:
    """What phase 1 gave: pip's report text (None on failure) and pip's own output."""

    returncode: int
    report: str | None
    stdout: str
    stderr: str

    def missing_wheels(self) -> list[str]:
        """Projects pip found no usable version of (under ``--only-binary :all:``)."""
        return re.findall(
            r"Could not find a version that satisfies the requirement ([A-Za-z0-9._-]+)",
            self.stderr,
        )


# Why pip is started "warm" instead of as a plain ``python -m pip``: pip spends
# about 0.3 s importing itself before it does anything, twice per install. spip
# starts it early with this script, which does what pip's ``__main__`` does (drop
# the current directory from sys.path, run pip's own ``main``) but first imports
# pip's install command and then waits on stdin for its arguments; spip sends them
# when it is ready (after the name screen for phase 1, after the gate for phase 2),
# so pip's start-up overlaps spip's own work. The arguments come through a pipe of
# their own, so phase 2's pip keeps the user's stdin for its questions (credentials);
# on Windows, which cannot pass it, through stdin. pip still runs in the target
# interpreter, in its own process. A pip that cannot be started this way exits
# with _COLD before it reads anything, and spip runs ``python -m pip`` instead.
# When pip's ``main`` has returned, the process ends at once (os._exit, after
# flushing), as spip itself does: the interpreter's teardown costs ~50 ms a run.
_COLD = 97
# Modules pip's install command imports only once it runs (its resolver, the
# installed-distributions backend): loaded while waiting, they are off the
# critical path of phase 2 (~10-15 ms on a 1-dist plan).
_MORE_MODULES = (
    "pip._internal.resolution.resolvelib.resolver",
    "pip._internal.metadata.importlib",
    "pip._internal.operations.install.wheel",
)
_WARM_PIP = f"""
import json, logging, os, sys
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
try:
    from pip._internal.cli.main import main
    import pip._internal.commands.install
except Exception:
    sys.exit({_COLD})
for module in {_MORE_MODULES!r}:  # what every install loads later, if this pip has it
    try:
        __import__(module)
    except Exception:
        pass
orders = os.fdopen(int(sys.argv[1])) if len(sys.argv) > 1 else sys.stdin
order = orders.readline()
orders.close()
if not order:
    sys.exit(0)
order = json.loads(order)
os.environ.update(order["env"])
sys.stdout.reconfigure(line_buffering=True)  # spip follows pip's progress line by line
status = main(order["args"])
# pip's work is done (its files closed, its temporary folders removed): leave
# without tearing its modules down, which takes pip ~50 ms at every exit.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(status if isinstance(status, int) else 1)
"""


class WarmPip:
    """A pip process that imports itself now and runs ``go(args)`` later.

    ``capture`` collects pip's stdout and stderr (phase 1), and streams its
    stdout lines to :attr:`lines` as pip prints them (``None`` at the end), so
    spip can start work on what pip reports while it still resolves;
    otherwise pip writes to spip's own stdout and stderr (phase 2).
    """

    def __init__(self, python: str, *, capture: bool = False) -> None:
        self.python = python
        self._capture = capture
        pipe = subprocess.PIPE if capture else None
        # Phase 1 never asks anything; phase 2's pip may ask the user.
        self._stdin = subprocess.DEVNULL if capture else None
        if sys.platform == "win32":
            self._proc = subprocess.Popen(
                [python, "-c", _WARM_PIP],
                stdin=subprocess.PIPE,
                stdout=pipe,
                stderr=pipe,
                text=True,
            )
            self._orders, self._proc.stdin = self._proc.stdin, None
        else:
            read, write = os.pipe()
            self._proc = subprocess.Popen(
                [python, "-c", _WARM_PIP, str(read)],
                pass_fds=(read,),
                stdin=self._stdin,
                stdout=pipe,
                stderr=pipe,
                text=True,
            )
            os.close(read)
            self._orders = os.fdopen(write, "w")
        self._order: tuple[list[str], dict[str, str]] | None = None
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._output: tuple[list[str], list[str]] = ([], [])
        self._readers = [
            threading.Thread(target=_drain, args=(stream, into, lines), daemon=True)
            for stream, into, lines in (
                (self._proc.stdout, self._output[0], self.lines),
                (self._proc.stderr, self._output[1], None),
            )
            if stream is not None
        ]
        for reader in self._readers:
            reader.start()

    def go(self, args: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self._order = (list(args), dict(env or {}))
        orders, self._orders = self._orders, None
        assert orders is not None, "go() once"
        try:
            orders.write(json.dumps({"args": self._order[0], "env": self._order[1]}) + "\n")
            orders.close()
        except OSError:
            pass  # it could not warm up and is gone: wait() runs pip the plain way

    def wait(self) -> tuple[int, str, str]:
        """pip's exit status and (when captured) output."""
        assert self._order is not None, "go() first"
        status = self._proc.wait()
        for reader in self._readers:
            reader.join()
        if status != _COLD:
            return status, "".join(self._output[0]), "".join(self._output[1])
        args, env = self._order
        cold = subprocess.run(
            pip_command(self.python, *args),
            env={**os.environ, **env},
            stdin=self._stdin,
            capture_output=self._capture,
            text=True,
        )
        return cold.returncode, cold.stdout or "", cold.stderr or ""

    def cancel(self) -> None:
        """Stop this pip unless it already finished (an unused one has done nothing yet)."""
        if self._orders is not None:
            with contextlib.suppress(OSError):
                self._orders.close()
            self._orders = None
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


def _drain(stream: IO[str], into: list[str], lines: queue.SimpleQueue[str | None] | None) -> None:
    for line in stream:
        into.append(line)
        if lines is not None:
            lines.put(line)
    if lines is not None:
        lines.put(None)


class PendingResolution:
    """Phase 1 running in the background: pip resolves while spip gets ready."""

    def __init__(
        self,
        pip: WarmPip,
        user_args: PipInstallArgs,
        *,
        wheels_only: bool,
        source_allowed: Sequence[str] = (),
    ) -> None:
        self._pip = pip
        self._tmp = tempfile.TemporaryDirectory(prefix="spip-plan-")
        self._report = Path(self._tmp.name) / "report.json"
        args = ["install", "--dry-run", "--report", str(self._report)]
        if wheels_only:
            args += ["--only-binary", ":all:"]
            for name in source_allowed:
                args += ["--no-binary", name]
        args += user_args.tokens(drop={"--report", "--dry-run", "--python"})
        pip.go(args + user_args.requirements)

    @property
    def lines(self) -> queue.SimpleQueue[str | None]:
        """pip's stdout lines as it prints them; ``None`` when it is done."""
        return self._pip.lines

    def wait(self) -> Resolution:
        try:
            status, stdout, stderr = self._pip.wait()
            ok = status == 0 and self._report.exists()
            report = self._report.read_text(encoding="utf-8") if ok else None
        finally:
            self._tmp.cleanup()
        return Resolution(status, report, stdout, stderr)

    def cancel(self) -> None:
        self._pip.cancel()
        self._tmp.cleanup()


def resolve(
    pip: WarmPip,
    user_args: PipInstallArgs,
    *,
    wheels_only: bool,
    source_allowed: Sequence[str] = (),
) -> PendingResolution:
    """Phase 1: set ``pip`` on its plan (``--dry-run --report``), installing nothing.

    With ``wheels_only`` pip may not pick an sdist (whose build would run its
    code before the checks), except for ``source_allowed`` projects; the user's
    own ``--only-binary``/``--no-binary`` come after and so win.
    """
    return PendingResolution(pip, user_args, wheels_only=wheels_only, source_allowed=source_allowed)


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


def install(
    pip: WarmPip,
    user_args: PipInstallArgs,
    *,
    hashed_requirements: Sequence[str],
    folder: Path,
    needs_index: bool,
    as_is: Sequence[str],
) -> int:
    """Phase 2: install the verified files, then the user's own local/VCS requirements.

    ``hashed_requirements`` are ``name==version --hash=sha256:...`` lines served
    from ``folder`` under ``--require-hashes``, so pip fails rather than install
    anything else. ``needs_index`` keeps the user's index options (an sdist's
    build dependencies, or files spip could not fetch itself). ``as_is`` are
    local directories and VCS references, passed as the user gave them (pip
    cannot hash those, so they go in a second pip run without hash checking).
    """
    status = 0
    if hashed_requirements:
        req_file = Path(tempfile.mkdtemp(prefix="spip-req-")) / "requirements.txt"
        req_file.write_text("\n".join(hashed_requirements) + "\n", encoding="utf-8")
        args = ["install", "--no-deps", "--require-hashes", "-r", str(req_file)]
        if user_args.has("--isolated"):  # pip then ignores the environment
            args += ["--find-links", str(folder)]
        if not needs_index:
            args.append("--no-index")
        args += user_args.phase2_options(keep_index=needs_index)
        try:
            pip.go(args, phase2_environment(folder))
            status = pip.wait()[0]
        finally:
            req_file.unlink(missing_ok=True)
            req_file.parent.rmdir()
    else:
        pip.cancel()
    if status == 0 and as_is:
        args = ["install", "--no-deps", *user_args.phase2_options(keep_index=True)]
        status = subprocess.call(pip_command(pip.python, *args, *as_is))
    return status


_PATHS_SCRIPT = """
import json, site, sys, sysconfig
a = json.loads(sys.argv[1])
if a["target"]:
    dirs = [a["target"]]
elif a["user"]:
    dirs = [site.getusersitepackages()]
else:
    v = {"base": a["prefix"], "platbase": a["prefix"]} if a["prefix"] else None
    p = sysconfig.get_paths(vars=v) if v else sysconfig.get_paths()
    dirs = [p["purelib"], p["platlib"]]
print(json.dumps(dirs))
"""


def install_dirs_command(python: str, user_args: PipInstallArgs) -> list[str]:
    """A command printing (as JSON) the directories this install writes packages to."""
    last = {name: (user_args.values(name) or [None])[-1] for name in ("-t", "--prefix")}
    spec = {"target": last["-t"], "prefix": last["--prefix"], "user": user_args.has("--user")}
    return [python, "-I", "-c", _PATHS_SCRIPT, json.dumps(spec)]


def install_dirs(output: str, user_args: PipInstallArgs) -> list[Path]:
    """Parse :func:`install_dirs_command`'s output, applying ``--root``."""
    dirs = [Path(d) for d in dict.fromkeys(json.loads(output))]
    roots = user_args.values("--root")
    if roots:
        dirs = [Path(roots[-1]) / d.relative_to(d.anchor) for d in dirs]
    return [d.resolve() for d in dirs]
