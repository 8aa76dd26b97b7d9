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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Runs inside the warm pip, after pip was imported, when the order carries a guard.
GUARD_SCRIPT = """
def _spip_guard(guard):
    import json

    def stop(kind, name, url, message):
        with open(guard["file"], "w", encoding="utf-8") as out:
            json.dump({"kind": kind, "name": name, "url": url}, out)
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

    def guarded(self, req, *args, **kwargs):
        link = req.link
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
"""

StopKind = Literal["sdist", "direct", "unguarded"]


@dataclass(frozen=True)
class Guard:
    """What the guarded pip may build: ``sources`` (projects, from the index's sdists),
    ``urls`` (direct references a dependency declared), or every sdist (``all_sources``:
    the user's own ``--no-binary :all:``). A stop is written to ``file``."""

    file: Path
    sources: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    all_sources: bool = False

    def order(self) -> dict[str, object]:
        """The guard as the warm pip's order carries it (JSON)."""
        return {
            "file": str(self.file),
            "sources": list(self.sources),
            "urls": list(self.urls),
            "all_sources": self.all_sources,
        }


@dataclass(frozen=True)
class Stopped:
    """What the guard stopped pip before building: the index's sdist of ``name``
    (``sdist``), a direct reference a dependency declared (``direct``: ``url``), or
    nothing because this pip could not be guarded (``unguarded``: ``url`` says why)."""

    kind: StopKind
    name: str
    url: str


def read_stop(guard: Guard) -> Stopped | None:
    """What the guard stopped, if it stopped anything (a file it could not write is a stop)."""
    try:
        data = json.loads(guard.file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Stopped("unguarded", "", "the guard's record could not be read")
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in ("sdist", "direct", "unguarded"):
        return Stopped("unguarded", "", "the guard's record could not be read")
    return Stopped(kind, str(data.get("name") or ""), str(data.get("url") or ""))
