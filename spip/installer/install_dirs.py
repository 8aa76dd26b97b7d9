"""Where an install writes its packages: asked of the target interpreter itself.

Kept apart from the installers so that starting one costs only what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spip.installer.pip_args import PipInstallArgs

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
    spec = {
        "target": user_args.last("-t"),
        "prefix": user_args.last("--prefix"),
        "user": user_args.has("--user"),
    }
    return [python, "-I", "-c", _PATHS_SCRIPT, json.dumps(spec)]


def install_dirs(output: str, user_args: PipInstallArgs) -> list[Path]:
    """Parse :func:`install_dirs_command`'s output, applying ``--root``."""
    dirs = [Path(d) for d in dict.fromkeys(json.loads(output))]
    roots = user_args.values("--root")
    if roots:
        dirs = [Path(roots[-1]) / d.relative_to(d.anchor) for d in dirs]
    return [d.resolve() for d in dirs]
