"""The guard phase 1's pip resolves under: no build code runs before the gate agreed.

pip reads a project's metadata from its wheel, but to read an sdist's (or a direct
URL's, or a VCS checkout's) it runs that project's build backend. ``--only-binary
:all:`` keeps pip off the index's sdists, but not all of them, and not the others:

- a ``--no-binary x`` or ``--only-binary :none:`` line in a requirements file is read
  after the command line and wins over spip's ``--only-binary :all:``;
- a direct reference a wheel declares (``b @ https://.../b.tar.gz``, ``b @ git+...``)
  is fetched and built whatever ``--only-binary`` says (tried with pip 23.2.1 and
  pip 26.3: both run the sdist's ``setup.py`` during ``--dry-run``).

Reading the candidates' metadata alongside pip (PEP 658 files) and cancelling it is a
race that pip wins whenever it reaches the build first (``--no-build-isolation``, a
loaded machine). So the check sits in pip's own process, at the one place every
archive, URL and checkout goes through before pip builds it:
``RequirementPreparer.prepare_linked_requirement`` (pip 20.0 to 26 at least, with the
``original_link``/``user_supplied`` attributes used here). The warm pip script
(:mod:`spip.installer.pip_process`) wraps it before it runs pip's ``main``; pip is
still never imported into spip. When asked to prepare something it would have to
build and the gate has not allowed, the guard writes what it was (kind, project, URL)
to a file and raises pip's ``InstallationError``, so pip ends cleanly (its temporary
folders removed) before anything was built. spip gates it and resolves again.

What passes without a question: wheels (nothing runs to read them), what the user
typed (local projects, URLs, VCS references: the user's own choice, as on the command
line), the projects the user's own command-line ``--no-binary`` names, and what the
gate allowed. A pip whose internals have moved cannot be guarded: the script then
writes ``unguarded`` and exits before resolving, and spip refuses to go on (fail closed).

Building anything (a local project, an allowed sdist) first fills an isolated build
environment with the build's ``[build-system] requires`` (setuptools' legacy ones when
absent, then the backend's own ``get_requires_for_build_*``), which pip installs from
the index in a pip subprocess, and that code runs. The guard sits there too: pip
23.2-25.1's ``BuildEnvironment._install_requirements`` and, from pip 25.2, the
``install`` of its build-environment installers (subprocess and in-process). For a set
of requirements spip has not checked, it stops (``build``, with the requirements);
spip plans them wheels-only, checks and gates them like the plan, fetches and verifies
their files, and resolves again with those files (:class:`BuildPins`). The guard then
fills the build environment itself, the way phase 2 installs the plan: pip's own
runnable with ``--no-deps --no-index --require-hashes --only-binary :all:``, each file
pinned by sha256, ``PIP_FIND_LINKS`` set to spip's folder of verified files (it replaces
configured find-links) and the configured constraint and requirement files emptied.

Why not hand pip the pins and let it install them: a constraint pins versions, not
files, and what reaches the build pip differs by version (pip 23.2 passes the parent's
index and find-links on the build pip's command line, where ``PIP_NO_INDEX`` and
``PIP_CONSTRAINT`` from the environment are merged with them; pip 26 drops inherited
constraints, takes only ``--build-constraint``, and its in-process installer turns hash
checking off). A build pip that still sees an index can be given another file of the
same version; the one this guard runs sees nothing but the checked files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import msgspec

# Runs inside the warm pip, after pip was imported, when the order carries a guard.
GUARD_SCRIPT = """
def _spip_guard(guard):
    import json

    def stop(kind, name, url, message, requires=()):
        with open(guard["file"], "w", encoding="utf-8") as out:
            json.dump({"kind": kind, "name": name, "url": url, "requires": requires}, out)
        raise InstallationError("spip: " + message)

    try:
        from pip._internal.exceptions import InstallationError
        from pip._internal.operations.prepare import RequirementPreparer
        from pip._vendor.packaging.utils import canonicalize_name
        prepare = RequirementPreparer.prepare_linked_requirement
    except Exception as exc:
        with open(guard["file"], "w", encoding="utf-8") as out:
            json.dump({"kind": "unguarded", "name": "", "url": repr(exc)}, out)
        sys.exit(1)
    sources, urls = set(guard["sources"]), set(guard["urls"])
    builds = {tuple(b["requires"]): b for b in guard["builds"]}
    building = [""]  # what pip prepares, whose build environment it may be filling

    def guarded(self, req, *args, **kwargs):
        link = req.link
        building[0] = req.name or (link.url if link is not None else str(req))
        if link is not None and not link.is_wheel:
            name = canonicalize_name(req.name or "")
            if req.original_link is not None:
                url = req.original_link.url
                if not req.user_supplied and url not in urls:
                    stop("direct", name, url, f"stopped before building {name} from {url}")
            elif not guard["all_sources"] and name not in sources:
                stop("sdist", name, link.url, f"stopped before building the sdist of {name}")
        return prepare(self, req, *args, **kwargs)

    RequirementPreparer.prepare_linked_requirement = guarded

    def fill(pip_runnable, requirements, prefix, for_req=None):
        # Install the checked files of this build's requirements, or stop.
        import subprocess

        requires = sorted(set(requirements))
        if not requires:
            return
        who = (for_req.name if for_req is not None else None) or building[0]
        pins = builds.get(tuple(requires))
        if pins is None:
            message = f"stopped before installing the build dependencies of {who}"
            stop("build", who, "", message, requires)
        python = getattr(prefix, "venv_executable", None) or sys.executable
        env = dict(os.environ, PIP_FIND_LINKS=pins["folder"], PIP_NO_INDEX="1")
        env.update(PIP_CONSTRAINT="", PIP_REQUIREMENT="", PIP_BUILD_CONSTRAINT="")
        command = [
            python, pip_runnable, "install", "--ignore-installed", "--no-user",
            "--prefix", prefix.path, "--target", "", "--no-warn-script-location",
            "--disable-pip-version-check", "--no-deps", "--no-index", "--only-binary",
            ":all:", "--require-hashes", "--find-links", pins["folder"], "-r", pins["pins"],
        ]
        done = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if done.returncode != 0:
            raise InstallationError(
                f"spip: the checked build dependencies of {who} could not be installed:\\n"
                + done.stdout[-3000:]
            )

    try:
        from pip._internal import build_env
    except Exception as exc:
        with open(guard["file"], "w", encoding="utf-8") as out:
            json.dump({"kind": "unguarded", "name": "", "url": repr(exc)}, out)
        sys.exit(1)
    installers = [
        getattr(build_env, name, None)
        for name in ("SubprocessBuildEnvironmentInstaller", "InprocessBuildEnvironmentInstaller")
    ]
    installers = [cls for cls in installers if cls is not None]
    if installers:  # pip 25.2 and later
        runnable = getattr(build_env, "get_runnable_pip", None)
        if runnable is None:  # pip 26.2 and later
            from pip._internal.utils.misc import get_runnable_pip as runnable

        def install(self, requirements, prefix, *, kind, for_req=None):
            fill(runnable(), requirements, prefix, for_req)

        for cls in installers:
            cls.install = install
    elif hasattr(build_env.BuildEnvironment, "_install_requirements"):  # pip 23.2 to 25.1
        def install_requirements(pip_runnable, finder, requirements, prefix, *, kind):
            fill(pip_runnable, requirements, prefix)

        build_env.BuildEnvironment._install_requirements = staticmethod(install_requirements)
    else:
        with open(guard["file"], "w", encoding="utf-8") as out:
            reason = "pip's build environment cannot be watched"
            json.dump({"kind": "unguarded", "name": "", "url": reason}, out)
        sys.exit(1)
"""

StopKind = Literal["sdist", "direct", "build", "unguarded"]


class BuildPins(msgspec.Struct, frozen=True):
    """The checked files a build environment asking for ``requires`` gets: ``pins``, a
    requirements file of ``name==version --hash=sha256:...`` lines, all in ``folder``."""

    requires: tuple[str, ...]
    folder: Path
    pins: Path


class Guard(msgspec.Struct, frozen=True):
    """What the guarded pip may build: ``sources`` (projects, from the index's sdists),
    ``urls`` (direct references a dependency declared), or every sdist (``all_sources``:
    the user's own ``--no-binary :all:``); and with what build dependencies (``builds``:
    any other set stops pip before it is installed). A stop is written to ``file``."""

    file: Path
    sources: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    all_sources: bool = False
    builds: tuple[BuildPins, ...] = ()

    def order(self) -> dict[str, object]:
        """The guard as the warm pip's order carries it (JSON)."""
        return {
            "file": str(self.file),
            "sources": list(self.sources),
            "urls": list(self.urls),
            "all_sources": self.all_sources,
            "builds": [
                {"requires": sorted(set(b.requires)), "folder": str(b.folder), "pins": str(b.pins)}
                for b in self.builds
            ],
        }


class Stopped(msgspec.Struct, frozen=True):
    """What the guard stopped pip before building: the index's sdist of ``name``
    (``sdist``), a direct reference a dependency declared (``direct``: ``url``), the
    build dependencies ``requires`` of ``name`` (``build``), or nothing because this pip
    could not be guarded (``unguarded``: ``url`` says why)."""

    kind: StopKind
    name: str
    url: str
    requires: tuple[str, ...] = ()


def read_stop(guard: Guard) -> Stopped | None:
    """What the guard stopped, if it stopped anything (a file it could not write is a stop)."""
    try:
        data = json.loads(guard.file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Stopped("unguarded", "", "the guard's record could not be read")
    kind = data.get("kind") if isinstance(data, dict) else None
    requires = data.get("requires", []) if isinstance(data, dict) else None
    if kind not in ("sdist", "direct", "build", "unguarded") or not isinstance(requires, list):
        return Stopped("unguarded", "", "the guard's record could not be read")
    name, url = str(data.get("name") or ""), str(data.get("url") or "")
    return Stopped(kind, name, url, tuple(str(r) for r in requires))
