"""Local sdists typed on the command line, built once, before phase 1.

Resolving a local sdist means preparing its metadata (its build code runs, in a
build environment pip fills first), and phase 2 would do all of that again to
build the wheel it installs. Instead pip builds each such sdist into a wheel once
(``pip wheel --no-deps``, what its install would have done, under the guard of
:mod:`spip.installer.pip_guard`: its build environment gets the checked build
dependencies or nothing, and the build waits until they are); phase 1 plans that
wheel, the checks look into it, phase 2 installs it, and the installed
distribution records the sdist as its origin, as ``pip install ./x.tar.gz`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from spip.core.distfiles import SDIST_SUFFIXES, parse_dist_filename
from spip.core.hashing import sha256_file
from spip.installer.pip_args import GENERAL_VALUE_OPTIONS, INDEX_OPTIONS, PipInstallArgs
from spip.installer.pip_guard import Guard, read_stop
from spip.installer.pip_process import PipRun

# The options of ``pip install`` that shape a build, and pip's general options
# (``pip wheel`` takes all of them; it refuses the install-only ones).
_BUILD_OPTIONS = (
    INDEX_OPTIONS
    | (GENERAL_VALUE_OPTIONS - {"--python"})
    | {
        "-C",
        "--global-option",
        "--build-option",
        "--no-build-isolation",
        "--use-pep517",
        "--no-use-pep517",
        "--check-build-dependencies",
        "--pre",
        "--no-clean",
        "-v",
        "-q",
        "--isolated",
        "--no-input",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-color",
    }
)


class Built(msgspec.Struct, frozen=True):
    """A wheel built from a local sdist, and the sdist's PEP 610 record."""

    wheel: Path
    origin: dict[str, object]


def local_sdists(args: PipInstallArgs, cwd: Path) -> list[str]:
    """The positional requirements that name a local sdist file (no extras, no URL)."""
    return [
        req
        for req in args.requirements
        if req.endswith(SDIST_SUFFIXES)
        and "://" not in req
        and parse_dist_filename(req) is not None
        and (cwd / req).is_file()
    ]


def build(
    pip: PipRun, args: PipInstallArgs, sdists: Sequence[str], into: Path, guard: Guard
) -> dict[str, Built] | None:
    """Build ``sdists`` into wheels in ``into`` (one pip run, under ``guard``: its build
    environment gets checked files or nothing); by requirement as typed.

    None when the guard stopped the build before its build dependencies were checked
    (build again once they are); when pip fails otherwise, nothing: phase 1 then meets
    the same error and reports it in pip's own words.
    """
    options = [t for o in args.options if o.name in _BUILD_OPTIONS for t in o.tokens]
    pip.go(["wheel", "--no-deps", "-w", str(into), *options, *sdists], guard=guard.order())
    if pip.wait()[0] != 0:
        return None if read_stop(guard) is not None else {}
    wheels = {}
    for wheel in into.glob("*.whl"):
        found = parse_dist_filename(wheel.name)
        if found is not None:
            wheels[(found.name, found.version)] = wheel
    built: dict[str, Built] = {}
    for sdist in sdists:
        found = parse_dist_filename(sdist)
        made = wheels.get((found.name, found.version)) if found else None
        if made is not None:
            path = Path(sdist).resolve()
            digest = sha256_file(path)
            archive = {"hash": f"sha256={digest}", "hashes": {"sha256": digest}}
            built[sdist] = Built(made, {"url": path.as_uri(), "archive_info": archive})
    return built
