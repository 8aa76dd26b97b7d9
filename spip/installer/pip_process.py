"""Running pip in a subprocess of the target interpreter (pip is never imported).

- :func:`target_python`: the interpreter whose environment pip would install into;
- :func:`passthrough`: a plain pip command with the user's stdio;
- :class:`WarmPip`: a pip started early, that waits for its arguments.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from spip.installer.pip_guard import GUARD_SCRIPT

if TYPE_CHECKING:
    from spip.installer.pip_args import PipInstallArgs


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


def python_version(python: str) -> str | None:
    """The version of the interpreter ``python`` (``3.11.7``); None when it cannot tell."""
    code = "import platform; print(platform.python_version())"
    try:
        done = subprocess.run(
            [python, "-I", "-c", code], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Start processes inside this: they are born with SIGINT blocked (a mask is
    inherited), so a Ctrl-C, which the terminal sends to every process of the group,
    never kills a pip half-way or makes a Python starting up print a fatal error.
    spip decides for them: it stops them, or lets phase 2 finish. Only this thread's
    mask changes: a Ctrl-C meanwhile still reaches spip, through another thread."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def install_call(
    command: Sequence[str], env: Mapping[str, str] | None = None, stdout: IO[str] | None = None
) -> int:
    """Run an installer's phase 2 (uv, pipx) to its end, born with SIGINT blocked like
    the pips (:func:`sigint_blocked`): a Ctrl-C lets it finish the install it is doing,
    and spip then reviews what landed."""
    with sigint_blocked():
        proc = subprocess.Popen(command, env=env, stdout=stdout)
    return proc.wait()


def pip_command(python: str, *args: str) -> list[str]:
    return [python, "-m", "pip", *args]


def passthrough(python: str, args: Sequence[str]) -> int:
    """Run pip with the user's arguments and stdio; its exit status is ours."""
    return subprocess.call(pip_command(python, *args))


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
# What every pip run computes before its first request, once per pip: the User-Agent
# header (pip 26 ~50 ms, pip 23.2 ~80 ms: it runs `lsb_release -a`, `rustc --version`
# and other commands, and looks for setuptools) and the truststore SSL context (~30 ms
# on pip 24.2+, which caches both per process; pip < 24 gets the same one-entry cache
# for its User-Agent). A warm pip computes them while it waits for its orders. The pip
# server forks a helper that computes the User-Agent as soon as pip's session module
# is imported, while the server imports the rest of pip, and makes the SSL context
# while its first run works: the runs it forks (phase 1 too) inherit both. The
# User-Agent's inputs (the interpreter, the environment's CI variables,
# PIP_USER_AGENT_USER_DATA) are the same for every run: an order's environment holds
# only spip's PIP_FIND_LINKS, PIP_CONSTRAINT and PIP_REQUIREMENT. What fails here is
# left for pip's own run to meet and report; an SSL context pip could not make (None:
# pip logs why) is not kept, so that each run says why again.
_PREWARM = """
def _spip_user_agent(known=None):
    import functools
    from pip._internal.network import session
    if known is not None:
        session.user_agent = functools.lru_cache(maxsize=1)(lambda: known)
    elif not hasattr(session.user_agent, "cache_info"):
        session.user_agent = functools.lru_cache(maxsize=1)(session.user_agent)
    return session.user_agent

def _spip_prewarm(user_agent=True):
    logging.disable(logging.CRITICAL)  # pip's own run logs what goes wrong, its way
    try:
        agent = _spip_user_agent()
        if user_agent:
            agent()
    except Exception:
        pass
    try:
        from pip._internal.cli import index_command
        make = index_command._create_truststore_ssl_context
        if hasattr(make, "cache_info") and make() is None:
            make.cache_clear()
    except Exception:
        pass
    logging.disable(logging.NOTSET)

def _spip_agent_helper():  # a process computing pip's User-Agent now: (pipe, pid)
    try:
        agent = _spip_user_agent()
        read, write = os.pipe()
        pid = os.fork()
    except Exception:
        return None
    if pid == 0:
        os.close(read)
        logging.disable(logging.CRITICAL)
        try:
            os.write(write, agent().encode())
        finally:
            os._exit(0)
    os.close(write)
    return read, pid

def _spip_agent_learn(helper):  # its User-Agent, for every run forked from here
    read, pid = helper
    try:
        chunks = []
        while chunk := os.read(read, 1 << 16):
            chunks.append(chunk)
        os.waitpid(pid, 0)
        if chunks:
            _spip_user_agent(b"".join(chunks).decode(errors="replace"))
    except Exception:
        pass
    finally:
        os.close(read)
"""
_WARM_PIP = f"""
import json, logging, os, sys
{GUARD_SCRIPT}
{_PREWARM}
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
_spip_prewarm()
orders = os.fdopen(int(sys.argv[1])) if len(sys.argv) > 1 else sys.stdin
order = orders.readline()
orders.close()
if not order:
    sys.exit(0)
order = json.loads(order)
os.environ.update(order["env"])
if order.get("guard"):
    _spip_guard(order["guard"])
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
    otherwise pip writes to spip's own stdout and stderr (phase 2). ``echo``
    gets each line pip prints on stdout, as it prints it (uncaptured, stdout
    then goes only through ``echo``; stderr stays spip's).
    """

    def __init__(
        self,
        python: str,
        *,
        capture: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.python = python
        self._capture = capture
        self._echo = echo
        self._orders: IO[str] | None
        pipe = subprocess.PIPE if capture else None
        out = subprocess.PIPE if capture or echo else None
        # Phase 1 never asks anything; phase 2's pip may ask the user.
        self._stdin = subprocess.DEVNULL if capture else None
        if sys.platform == "win32":
            self._proc = subprocess.Popen(  # (Windows: no SIGINT to shield it from)
                [python, "-c", _WARM_PIP],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=pipe,
                text=True,
            )
            self._orders, self._proc.stdin = self._proc.stdin, None
        else:
            read, write = os.pipe()
            with sigint_blocked():
                self._proc = subprocess.Popen(
                    [python, "-c", _WARM_PIP, str(read)],
                    pass_fds=(read,),
                    stdin=self._stdin,
                    stdout=out,
                    stderr=pipe,
                    text=True,
                )
            os.close(read)
            self._orders = os.fdopen(write, "w")
        self._order: tuple[list[str], dict[str, str]] | None = None
        self._guard: dict[str, object] | None = None
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._output: tuple[list[str], list[str]] = ([], [])
        self._readers = [
            threading.Thread(target=_drain, args=(stream, into, lines, echoes), daemon=True)
            for stream, into, lines, echoes in (
                (self._proc.stdout, self._output[0], self.lines, echo),
                (self._proc.stderr, self._output[1], None, None),
            )
            if stream is not None
        ]
        for reader in self._readers:
            reader.start()

    def go(
        self,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        guard: Mapping[str, object] | None = None,
    ) -> None:
        """Run pip with ``args`` (and ``env``), under ``guard`` if given
        (:mod:`spip.installer.pip_guard`)."""
        self._order = (list(args), dict(env or {}))
        self._guard = dict(guard) if guard is not None else None
        orders, self._orders = self._orders, None
        assert orders is not None, "go() once"
        order = {"args": self._order[0], "env": self._order[1], "guard": self._guard}
        try:
            orders.write(json.dumps(order) + "\n")
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
        return _cold(
            self.python, *self._order, capture=self._capture, echo=self._echo, guard=self._guard
        )

    def cancel(self) -> None:
        """Stop this pip unless it already finished (an unused one has done nothing yet)."""
        if self._orders is not None:
            with contextlib.suppress(OSError):
                self._orders.close()
            self._orders = None
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


def _cold(
    python: str,
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    capture: bool,
    echo: Callable[[str], None] | None,
    guard: Mapping[str, object] | None,
) -> tuple[int, str, str]:
    """A run the plain way, ``python -m pip`` (a pip that could not start warm)."""
    if guard is not None:  # plain pip cannot be guarded: do not run it (fail closed)
        record = {"kind": "unguarded", "name": "", "url": "pip's internals cannot be loaded"}
        Path(str(guard["file"])).write_text(json.dumps(record), encoding="utf-8")
        return 1, "", ""
    with sigint_blocked():
        cold = subprocess.run(
            pip_command(python, *args),
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL if capture else None,  # phase 1 never asks anything
            stdout=subprocess.PIPE if capture or echo else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
        )
    if echo is not None:
        for line in (cold.stdout or "").splitlines(keepends=True):
            echo(line)
    return cold.returncode, cold.stdout or "", cold.stderr or ""


def _drain(
    stream: IO[str],
    into: list[str],
    lines: queue.SimpleQueue[str | None] | None,
    echo: Callable[[str], None] | None,
) -> None:
    for line in stream:
        into.append(line)
        if lines is not None:
            lines.put(line)
        if echo is not None:
            echo(line)
    if lines is not None:
        lines.put(None)


# Where the platform can fork (Linux and the BSDs; not Windows, and not macOS, whose
# system frameworks do not survive a fork without exec), pip is imported once per
# install instead of once per run: a pip server imports it as the warm pip does and
# then forks a pip for each order, on the stdin, stdout and stderr that come with
# the order (passed over a Unix socket). Phase 2 then costs only its own work.
# A server that cannot start this way exits with _COLD and each run goes the plain
# way. The server and the pips it forks are born with SIGINT blocked (sigint_blocked):
# spip stops them on a Ctrl-C, or lets phase 2 finish.
_SERVER = f"""
import json, logging, os, signal, socket, sys
{GUARD_SCRIPT}
{_PREWARM}
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
helper = None
try:  # pip's session module, then its User-Agent in a helper, beside the rest of pip
    from pip._internal.network import session
    helper = _spip_agent_helper()
except Exception:
    pass
try:
    from pip._internal.cli.main import main
    import pip._internal.commands.install
    socket.recv_fds, os.waitstatus_to_exitcode  # Python 3.9+
except Exception:
    sys.exit({_COLD})
for module in {_MORE_MODULES!r}:
    try:
        __import__(module)
    except Exception:
        pass
if helper is not None:
    _spip_agent_learn(helper)
signal.signal(signal.SIGINT, signal.SIG_IGN)
orders = socket.socket(fileno=int(sys.argv[1]))
# A datagram socket says nothing when spip dies (kill -9): look at the parent now and then.
parent = int(sys.argv[2])
orders.settimeout(1.0)
warm = False
while True:
    try:
        order, fds, _, _ = socket.recv_fds(orders, 1 << 20, 3)
    except TimeoutError:
        if os.getppid() != parent:
            break
        continue
    except OSError:
        break
    if not order:
        break
    order = json.loads(order)
    pid = os.fork()
    if pid == 0:
        orders.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.update(order["env"])
        if order.get("guard"):
            _spip_guard(order["guard"])
        sys.stdout.reconfigure(line_buffering=True)
        status = main(order["args"])
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status if isinstance(status, int) else 1)
    for fd in fds:
        os.close(fd)
    orders.send(json.dumps({{"run": order["run"], "pid": pid}}).encode())
    if not warm:  # while the first run works (see _PREWARM)
        _spip_prewarm(user_agent=False)
        warm = True
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    orders.send(json.dumps({{"run": order["run"], "status": code}}).encode())
"""


def pip_runner(
    python: str,
    server: PipServer | None,
    *,
    capture: bool = False,
    echo: Callable[[str], None] | None = None,
) -> PipRun:
    """A run forked from ``server`` when there is one, else a warm pip of its own."""
    if server is not None:
        return ForkedPip(server, capture=capture, echo=echo)
    return WarmPip(python, capture=capture, echo=echo)


def start_server(python: str) -> PipServer | None:
    """A pip server for ``python``, importing pip from now on, where runs can be forked."""
    return PipServer(python) if can_fork() else None


_early: dict[str, PipServer] = {}  # started before the command line was read whole


def start_early(python: str) -> None:
    """Start ``python``'s pip server now, for :func:`take_server` to hand over; stopped at
    exit if nothing took it (a usage error, ``--help``)."""
    if python in _early:
        return
    try:
        server = start_server(python)
    except OSError:  # no such interpreter: the install says so, in its own words
        return
    if server is not None:
        _early[python] = server
        atexit.register(server.cancel)


def take_server(python: str) -> PipServer | None:
    """The pip server started early for ``python``, else a new one; an early one for
    another interpreter (the command line read another way) is stopped."""
    server = _early.pop(python, None)
    if server is not None:
        atexit.unregister(server.cancel)  # the installer stops it now
    for other in _early.values():
        other.cancel()
    _early.clear()
    return server or start_server(python)


def can_fork() -> bool:
    """Whether runs can be forked from one pip server here (see :class:`PipServer`)."""
    return (
        hasattr(os, "fork")
        and hasattr(socket, "send_fds")
        and not sys.platform.startswith(("darwin", "win32"))
    )


class PipServer:
    """One pip, imported once, that forks a pip for each run (:class:`ForkedPip`).

    Runs go one after the other, as an install's do; ``wait`` and ``cancel`` may
    come from different threads.
    """

    def __init__(self, python: str) -> None:
        self.python = python
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        with sigint_blocked():  # and so every pip it forks (see sigint_blocked)
            self._proc = subprocess.Popen(
                [python, "-c", _SERVER, str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()
        self._runs = 0
        self._pids: dict[int, int] = {}
        self._statuses: dict[int, int] = {}

    def send(
        self,
        args: Sequence[str],
        env: Mapping[str, str],
        guard: Mapping[str, object] | None,
        fds: Sequence[int],
    ) -> int:
        """Order a run on ``fds`` (stdin, stdout, stderr), under ``guard`` if given; its
        number, or -1 if the server is gone (it could not import pip: the plain way)."""
        self._runs += 1
        order = {"run": self._runs, "args": list(args), "env": dict(env), "guard": guard}
        try:
            socket.send_fds(self._sock, [json.dumps(order).encode()], list(fds))
        except OSError:
            return -1
        return self._runs

    def wait(self, run: int) -> int | None:
        """The run's exit status; None when the server ended without running it."""
        with self._lock:
            while run not in self._statuses:
                # A datagram socket tells nothing when its peer dies: look at the server.
                gone = self._proc.poll() is not None
                if not self._receive(timeout=0 if gone else 0.2) and gone:
                    return None
            return self._statuses[run]

    def _receive(self, *, timeout: float) -> bool:
        """Read one reply of the server, waiting up to ``timeout``; False if none came."""
        try:
            self._sock.settimeout(timeout)
            reply = self._sock.recv(4096)
        except OSError:  # the timeout, or a closed socket
            return False
        message = json.loads(reply)
        if "pid" in message:
            self._pids[message["run"]] = message["pid"]
        else:
            self._statuses[message["run"]] = message["status"]
        return True

    @property
    def cold(self) -> bool:
        return self._proc.poll() == _COLD

    def cancel(self, run: int | None = None) -> None:
        """Stop one run (or, with None, the server and every run still going); once is enough."""
        if self._sock.fileno() == -1:
            return
        if run is None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        while self._receive(timeout=0):  # pids the server had sent before it stopped
            pass
        for number, pid in self._pids.items():
            if (run is None or number == run) and number not in self._statuses:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if run is None:
            self._sock.close()


_Stream = tuple[
    int, list[str], "queue.SimpleQueue[str | None] | None", "Callable[[str], None] | None"
]


class ForkedPip:
    """One pip run forked from a :class:`PipServer`; the same interface as :class:`WarmPip`."""

    def __init__(
        self,
        server: PipServer,
        *,
        capture: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.python = server.python
        self._server, self._capture, self._echo = server, capture, echo
        self._run = 0
        self._order: tuple[list[str], dict[str, str]] | None = None
        self._guard: dict[str, object] | None = None
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._output: tuple[list[str], list[str]] = ([], [])
        self._readers: list[threading.Thread] = []

    def go(
        self,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        guard: Mapping[str, object] | None = None,
    ) -> None:
        """Run pip with ``args`` (and ``env``), under ``guard`` if given."""
        assert self._order is None, "go() once"
        self._order = (list(args), dict(env or {}))
        self._guard = dict(guard) if guard is not None else None
        fds, theirs = [0, 1, 2], []
        if self._capture:
            fds[0] = os.open(os.devnull, os.O_RDONLY)  # phase 1 never asks anything
            theirs.append(fds[0])
        # (fd in the run, where its lines go, the lines queue, the echo) per pipe
        streams: list[_Stream] = []
        if self._capture or self._echo:
            streams.append((1, self._output[0], self.lines, self._echo))
        if self._capture:
            streams.append((2, self._output[1], None, None))
        for target, into, lines, echo in streams:
            read, write = os.pipe()
            fds[target] = write
            theirs.append(write)
            stream = os.fdopen(read, encoding="utf-8", errors="replace")
            self._readers.append(
                threading.Thread(target=_drain, args=(stream, into, lines, echo), daemon=True)
            )
        self._run = self._server.send(*self._order, self._guard, fds)
        for fd in theirs:  # the server has its own copies now
            os.close(fd)
        for reader in self._readers:
            reader.start()

    def wait(self) -> tuple[int, str, str]:
        """pip's exit status and (when captured) output."""
        assert self._order is not None, "go() first"
        status = self._server.wait(self._run) if self._run > 0 else None
        for reader in self._readers:
            reader.join()
        if status is not None:
            return status, "".join(self._output[0]), "".join(self._output[1])
        return _cold(
            self.python, *self._order, capture=self._capture, echo=self._echo, guard=self._guard
        )

    def cancel(self) -> None:
        """Stop this run unless it finished (one that never started has done nothing)."""
        if self._run > 0:
            self._server.cancel(self._run)


PipRun = WarmPip | ForkedPip
