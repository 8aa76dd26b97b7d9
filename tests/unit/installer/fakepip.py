"""A fake ``pip`` package for the warm pip's and the pip server's tests."""

from __future__ import annotations

import os
from pathlib import Path


def fake_pip(root: Path, main: str, modules: dict[str, str] | None = None) -> dict[str, str]:
    """A ``pip`` package whose ``main`` is ``main``; importing it appends to root/imports.
    ``modules``: more modules of it, by path under ``pip/_internal`` (``network/session.py``)."""
    internal = root / "pip" / "_internal"
    (internal / "cli").mkdir(parents=True)
    (internal / "commands").mkdir()
    for package in (root / "pip", internal, internal / "cli", internal / "commands"):
        (package / "__init__.py").write_text("")
    for path, text in (modules or {}).items():
        (internal / path).parent.mkdir(exist_ok=True)
        (internal / path).parent.joinpath("__init__.py").touch()
        (internal / path).write_text(text)
    (internal / "commands" / "install.py").write_text("")
    (internal / "cli" / "main.py").write_text(
        f"import os, sys\nopen({str(root / 'imports')!r}, 'a').write('x')\n{main}"
    )
    return {"PYTHONPATH": f"{root}{os.pathsep}{Path.cwd()}"}


def session_modules(root: Path, *, cached: bool, context: str = "object()") -> dict[str, str]:
    """pip's User-Agent (cached per process from pip 24 on) and its truststore SSL context
    (always cached), each writing the pid that computes it to a file under ``root``."""
    log = "open({file!r}, 'a').write(f'{{os.getpid()}}\\n')"
    return {
        "network/session.py": "import functools, os\n"
        + ("@functools.lru_cache(maxsize=1)\n" if cached else "")
        + "def user_agent():\n"
        + f"    {log.format(file=str(root / 'agents'))}\n"
        + "    return f'agent of {os.getpid()}'\n",
        "cli/index_command.py": "import functools, os\n@functools.lru_cache\n"
        + "def _create_truststore_ssl_context():\n"
        + f"    {log.format(file=str(root / 'contexts'))}\n"
        + f"    return {context}\n",
    }


SESSION_MAIN = (
    "from pip._internal.network import session\n"
    "from pip._internal.cli import index_command\n"
    "def main(args):\n"
    "    index_command._create_truststore_ssl_context()\n"
    "    print(os.getpid(), session.user_agent())\n"
    "    return 0\n"
)


def pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []
