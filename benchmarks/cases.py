"""The benchmark's cases: the generated projects and dependency trees, and what is measured."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakeindex import FakeIndex

NAME_PREFIX = "spipbench"
DEFAULT_CASES = (1, 15, 60)  # plan sizes
MODES = ("warm", "cold")
DEFAULT_DELAY = 0.03  # seconds the fake index adds to every request
CHECKS_PLAN_SIZE = 100  # the plan whose checks are timed with a warm spip cache
LIVE_CASES = {  # --live: install targets on the real PyPI
    "requests": ["requests"],
    "ruff": ["ruff"],
    "flask+sqlalchemy+pydantic": ["flask", "sqlalchemy", "pydantic"],
    "jupyterlab": ["jupyterlab"],
}
RELEASES = (("1.0.0", 400), ("1.1.0", 90))  # (version, days since upload)


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
    projects: list[Project] = []
    for i, name in enumerate(names):
        requires: list[str] = []
        deps: list[str] = []
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
                script=rng.random() < 0.2 or i == 0,  # the root has an app: pipx installs it
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


def publish(index: FakeIndex, projects: Sequence[Project]) -> None:
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
