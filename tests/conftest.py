"""Fixtures shared by every test: the project's own package index, venvs, and runners.

- ``fake_index`` (session; one per xdist worker): a running ``FakeIndex``. Tests
  publish their own packages under names from ``unique_name()``; the knobs a
  test turns (``delay``, ``fail``, ``swap``, ``down``, ...) and the request log
  are reset after it.
- ``unique_name`` (session): ``unique_name(prefix="spiptest") -> str``.
- ``template_venv`` (session) and ``venv`` (function): a fresh venv with pip,
  copied from the template in a fraction of a second.
- ``spip_env`` (function): an environment isolated from this machine's pip
  configuration and pointed at ``fake_index`` and ``venv``; tests may change it.
- ``run_spip`` / ``run_pip`` (function): run ``python -m spip`` / ``<venv> -m pip``
  with that environment, stdin not a terminal, output captured as text.
- ``spip_wheel`` (session): spip's own wheel, built from a copy of the checkout.
- ``sdist_backend`` (session): setuptools (and wheel) published on
  ``fake_index``, so pip builds sdists offline in its isolated build env; tests
  that use it are skipped, with the reason, when no usable setuptools is found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.fakeindex import FakeIndex, build_backend_wheels
from tests.fakeindex import unique_name as make_unique_name

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"
# Top-level folders of the checkout that spip's wheel is not built from.
NOT_SOURCE = {".git", ".nox", ".venv", "build", "dist", "tests", ".pytest_cache", ".ruff_cache"}


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str],
    input: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with text output captured; stdin is closed unless ``input`` is given.

    With ``check``, a failure raises an ``AssertionError`` that shows the output.
    """
    result = subprocess.run(
        [str(part) for part in cmd],
        env=env,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        cwd=cwd,
        timeout=timeout,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{result.args} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )
    return result


def clean_environ() -> dict[str, str]:
    """``os.environ`` without pip's and spip's settings and without PYTHONPATH/PYTHONHOME."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SPIP_")) and key not in ("PYTHONPATH", "PYTHONHOME")
    }


def offline_env() -> dict[str, str]:
    """``clean_environ()`` for pip runs that must not read configuration or reach an index."""
    return {
        **clean_environ(),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def isolated_env(index: FakeIndex, tmp: Path, venv: Path) -> dict[str, str]:
    """An environment for pip and spip that sees only ``index`` and ``venv``.

    pip reads no configuration file (``PIP_CONFIG_FILE=os.devnull``) and no
    ``PIP_*`` variable of this machine; caches and user config live in ``tmp``;
    ``venv`` is the active virtual environment, as ``activate`` makes it.
    """
    return {
        **clean_environ(),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": index.simple_url,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(tmp / "pip-cache"),
        "SPIP_PYPI_URL": index.url,
        "SPIP_CACHE_DIR": str(tmp / "spip-cache"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "NO_COLOR": "1",
        **activation(venv),
    }


def activation(venv: Path) -> dict[str, str]:
    """The variables ``activate`` sets for ``venv``."""
    return {
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@dataclass(frozen=True)
class Venv:
    """A virtual environment with pip; ``pip()`` runs ``<python> -m pip`` in ``env``."""

    path: Path
    python: Path
    site_packages: Path
    env: dict[str, str] = field(repr=False)

    def pip(
        self, *args: str | os.PathLike[str], check: bool = True, **options: Any
    ) -> subprocess.CompletedProcess[str]:
        """``<python> -m pip ARGS``; raises with pip's output on failure unless ``check=False``."""
        options.setdefault("env", self.env)
        return run([self.python, "-m", "pip", *args], check=check, **options)

    def freeze(self) -> set[str]:
        """The lines of ``pip freeze`` (``name==1.0``, ``name @ url``)."""
        return set(self.pip("freeze").stdout.splitlines())

    def clone(self, dest: Path, env: dict[str, str]) -> Venv:
        """A working copy at ``dest``: scripts and ``activate`` point at the copy.

        Files under site-packages are hard links to the template's, which is
        fast and safe as long as they are replaced rather than edited in place:
        pip unlinks before it writes, Python replaces ``.pyc`` files. A test
        must not open a pre-installed file there for writing.
        """
        shutil.copytree(self.path, dest, symlinks=True, copy_function=self._link_or_copy)
        old, new = str(self.path).encode(), str(dest).encode()
        for script in (dest / BIN).iterdir():
            if script.is_file() and not script.is_symlink():
                data = script.read_bytes()
                if old in data:
                    script.write_bytes(data.replace(old, new))
        return Venv(
            path=dest,
            python=dest / self.python.relative_to(self.path),
            site_packages=dest / self.site_packages.relative_to(self.path),
            env=env,
        )

    def _link_or_copy(self, source: str, target: str) -> None:
        if Path(source).is_relative_to(self.site_packages):
            os.link(source, target)
        else:
            shutil.copy2(source, target)


class Runner(Protocol):
    def __call__(
        self,
        *args: str | os.PathLike[str],
        venv: Venv | None = ...,
        env: dict[str, str] | None = ...,
        input: str | None = ...,
        cwd: Path | None = ...,
        timeout: float = ...,
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeIndex]:
    """The package index of this worker (``url`` for the JSON API, ``simple_url`` for pip)."""
    with FakeIndex(tmp_path_factory.mktemp("fakeindex")) as index:
        yield index


@pytest.fixture(autouse=True)
def _reset_fake_index(request: pytest.FixtureRequest) -> Iterator[None]:
    """Undo the knobs a test turned on the shared index (its catalogue stays)."""
    index = request.getfixturevalue("fake_index") if "fake_index" in request.fixturenames else None
    yield
    if index is not None:
        index.reset()


@pytest.fixture(scope="session")
def unique_name() -> Callable[..., str]:
    """``unique_name(prefix="spiptest")``: a project name no other test uses."""
    return make_unique_name


@pytest.fixture(scope="session")
def template_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """One ``python -m venv`` (with pip) per worker; tests get copies through ``venv``."""
    path = tmp_path_factory.mktemp("template") / "venv"
    env = offline_env()
    run([sys.executable, "-m", "venv", path], env=env, check=True)
    python = path / BIN / ("python.exe" if sys.platform == "win32" else "python")
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = run([python, "-c", code], env=env, check=True).stdout.strip()
    return Venv(path=path, python=python, site_packages=Path(purelib), env=env)


@pytest.fixture
def venv(template_venv: Venv, fake_index: FakeIndex, tmp_path: Path) -> Venv:
    """A fresh venv with pip at ``tmp_path/venv``; its ``pip()`` uses the isolated env."""
    dest = tmp_path / "venv"
    return template_venv.clone(dest, isolated_env(fake_index, tmp_path, dest))


@pytest.fixture
def spip_env(venv: Venv) -> dict[str, str]:
    """The isolated environment (see ``isolated_env``) that ``run_spip``/``run_pip`` use."""
    return dict(venv.env)


def _runner(
    command: Callable[[Venv], list[str | os.PathLike[str]]],
    default_venv: Venv,
    default_env: dict[str, str],
    default_cwd: Path,
) -> Runner:
    def runner(
        *args: str | os.PathLike[str],
        venv: Venv | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
        cwd: Path | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(default_env if env is None else env)
        if venv is not None:
            full_env.update(activation(venv.path))
        return run(
            [*command(venv or default_venv), *args],
            env=full_env,
            input=input,
            cwd=cwd or default_cwd,
            timeout=timeout,
        )

    return runner


@pytest.fixture
def run_spip(venv: Venv, spip_env: dict[str, str], tmp_path: Path) -> Runner:
    """``run_spip(*args, venv=, env=, input=, cwd=, timeout=300)``: the installed spip.

    Runs ``[sys.executable, "-m", "spip", *args]`` (spip is installed where pytest
    runs and targets ``venv`` through ``VIRTUAL_ENV``) in ``spip_env`` (read at
    call time), from ``tmp_path`` unless ``cwd`` is given.
    """
    return _runner(lambda _venv: [sys.executable, "-m", "spip"], venv, spip_env, tmp_path)


@pytest.fixture
def run_pip(venv: Venv, spip_env: dict[str, str], tmp_path: Path) -> Runner:
    """``run_pip(...)``: like ``run_spip`` but ``<venv python> -m pip``, for parity checks."""
    return _runner(lambda target: [target.python, "-m", "pip"], venv, spip_env, tmp_path)


def _not_source(directory: str, names: list[str]) -> list[str]:
    top = Path(directory) == REPO_ROOT
    return [
        name
        for name in names
        if (top and name in NOT_SOURCE) or name == "__pycache__" or name.endswith(".egg-info")
    ]


@pytest.fixture(scope="session")
def spip_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """spip's own wheel, built once per worker from a copy of the checkout.

    The copy keeps build debris out of the checkout and workers out of each
    other's way. Needs setuptools (>= 70.1, or with ``wheel``) where pytest runs.
    """
    source = tmp_path_factory.mktemp("spip-source")
    shutil.copytree(REPO_ROOT, source, dirs_exist_ok=True, ignore=_not_source)
    out = tmp_path_factory.mktemp("spip-wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out]
    run([*cmd, source], env=offline_env(), check=True)
    (wheel,) = out.glob("secured_pip-*.whl")
    return wheel


@pytest.fixture(scope="session")
def sdist_backend(fake_index: FakeIndex, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Serve setuptools (and wheel) on ``fake_index`` so that pip can build sdists offline.

    pip builds an sdist in an isolated environment that it fills from the
    index. The setuptools served is this interpreter's own, repacked into a
    wheel, else ``ensurepip``'s bundled one (Python <= 3.11); setuptools older
    than 70.1 also needs ``wheel``. Without them, the test is skipped.
    """
    try:
        wheels = build_backend_wheels(tmp_path_factory.mktemp("build-backend"))
    except LookupError as error:
        pytest.skip(f"pip cannot build sdists offline here: {error}")
    for wheel in wheels:
        fake_index.add(wheel)
    return wheels
