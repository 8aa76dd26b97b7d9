"""The one place with the rules about startup files: code Python runs at every start.

Python's ``site`` module, at every interpreter start, reads each ``*.pth`` file
at the root of every site directory (a line starting with ``import`` is
executed, any other line is a path added to ``sys.path``) and imports the
modules ``sitecustomize`` and ``usercustomize`` if they exist. A package that
installs one runs code in every Python process, without anyone importing it:
the poisoned LiteLLM 1.82.8 release stole credentials this way.

This module says which names count, where a wheel member lands, which known-benign
files are allowed (the one list: setuptools' ``distutils-precedence.pth`` and
namespace ``-nspkg.pth``, editable installs of this install's projects, path-only
``.pth`` files, and any startup file the previous release installed byte for byte,
such as coverage's hook), and how severe the rest is, from their content. The
``pth-file`` check (before install), ``release-diff`` and the snapshot review
(after install) all decide here.

A ``.pth`` is split into lines as ``site.py`` splits it: Python 3.10-3.12 iterate
over a text file (universal newlines: ``\n``, ``\r``, ``\r\n``), 3.13 and later
use ``str.splitlines()`` (which also breaks at ``\x0b``, ``\x0c``, ``\x1c``-``\x1e``,
``\x85``, U+2028/2029). A file is judged under both, the worse verdict wins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from packaging.utils import canonicalize_name

from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

ID = "pth-file"

_STARTUP_MODULES = ("sitecustomize", "usercustomize")
# Forms an importable top-level module takes at the site-packages root.
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")

# The ``data`` scheme installs relative to the environment's prefix, and so reaches
# site-packages with a path like ``lib/python3.12/site-packages/`` (normalised first).
_DATA_SITE_PREFIX = re.compile(
    r"^(?:(?:lib|lib64)/python[\d.]+t?/site-packages|Lib/site-packages)/"
)
_SITE_SCHEMES = ("lib", "purelib", "platlib")  # wheelzip.ROOT and the two library schemes

LINE_LIMIT = 160  # characters of an offending line shown to a person
MAX_LINES = 3  # offending lines shown per file


def is_startup_name(name: str) -> bool:
    """True for a name at a site directory's root that Python runs at start-up.

    ``*.pth`` files, and the ``sitecustomize``/``usercustomize`` modules in any
    importable form (``.py``, ``.pyc``, extension module, package directory).
    """
    if name.endswith(".pth"):
        return True
    stem, dot, _ = name.partition(".")
    return stem in _STARTUP_MODULES and (not dot or name.endswith(_MODULE_SUFFIXES))


def site_root_path(dest: tuple[str, str] | None) -> str | None:
    """The path relative to site-packages of a member pip installs at ``dest`` (its
    scheme and normalised path, :func:`spip.index.wheelzip.destination`), or None if
    it goes elsewhere."""
    if dest is None:
        return None
    scheme, path = dest
    if scheme in _SITE_SCHEMES:
        return path
    match = _DATA_SITE_PREFIX.match(path) if scheme == "data" else None
    return path[match.end() :] if match else None


def startup_entry(dest: tuple[str, str] | None) -> str | None:
    """The site-packages root entry a member installed at ``dest`` makes, when that entry
    is a startup file.

    ``foo.pth`` → ``foo.pth``; ``purelib``/``sitecustomize.py`` →
    ``sitecustomize.py``; ``sitecustomize/__init__.py`` → ``sitecustomize``
    (a package is imported like a module); ``sub/foo.pth`` → None.
    """
    path = site_root_path(dest)
    if not path:
        return None
    root, slash, _ = path.partition("/")
    if slash:  # inside a directory: only a sitecustomize/usercustomize package counts
        return root if root in _STARTUP_MODULES else None
    return root if is_startup_name(root) else None


# Content that decodes or executes hidden code, or reaches the network: a line
# of a .pth (or of sitecustomize) with any of these is HIGH. Each with why.
_HIDDEN_CODE: tuple[tuple[str, str], ...] = (
    (r"\bexec\b", "exec runs code built at run time"),
    (r"\beval\b", "eval runs code built at run time"),
    (r"\bcompile\s*\(", "compile turns text into code"),
    (r"base64|b64decode|b32decode|b16decode|a85decode|b85decode", "decodes base64/baseN data"),
    (r"\bmarshal\b", "loads marshalled code objects"),
    (r"\bpickle\b|\bdill\b", "unpickling runs code"),
    (r"\bzlib\b|\blzma\b|\bbz2\b|\bgzip\b|decompress", "decompresses hidden data"),
    (r"codecs\.decode|rot_?13|fromhex|unhexlify", "decodes obfuscated text"),
    (r"\bsubprocess\b|\bPopen\b", "starts other programs"),
    (
        r"\bos\s*\.\s*(?:system|popen|exec\w*|spawn\w*|startfile|fork)\b"
        r"|\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|startfile)\s*\(",
        "runs shell commands or other programs",
    ),
    (r"\bpty\b|\bctypes\b|\bcffi\b", "reaches below Python (terminals, native calls)"),
    (r"\bsocket\b|\bssl\b|\basyncio\b", "opens network connections"),
    (
        r"\burllib\d?\b|\bhttp\.client\b|\brequests\b|\bhttpx\b|\baiohttp\b|urlopen",
        "makes web requests",
    ),
    (r"\b(?:https?|ftp|wss?)://", "contains a URL"),
    (r"__builtins__|\bgetattr\s*\(", "reaches functions indirectly"),
)


@functools.cache
def _hidden_res() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Compiled on first use: this module loads with the name screen (see checks.base)."""
    return tuple((re.compile(p), why) for p, why in _HIDDEN_CODE)


# Known-benign files, each with the exact content that makes it benign.
#
# setuptools installs distutils-precedence.pth so its bundled distutils wins
# over the standard library's; the content is fixed (default 'local' since
# setuptools 60, 'stdlib' before).
_DISTUTILS_PRECEDENCE = re.compile(
    r"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; "
    r"enabled = os\.environ\.get\(var, '(?:local|stdlib)'\) == 'local'; "
    r"enabled and __import__\('_distutils_hack'\)\.add_shim\(\); ?"
)

# setuptools' ``*-nspkg.pth`` for pkg_resources-style namespace packages
# (setuptools/namespaces.py, old and new forms): one line per namespace, each
# statement one of these, with only quoted dotted names filled in.
_NAME = r"'[A-Za-z_][\w.]*'"
_NAMES = rf"\((?:{_NAME}, ?)*{_NAME},?\)"
_ROOT = r"(?:sys\._getframe\(1\)\.f_locals\['sitedir'\]|'[^'\\]*')"
_NSPKG_PATTERNS = (
    r"import sys, types, os",
    r"has_mfs = sys\.version_info > \(3, 5\)",
    rf"p = os\.path\.join\({_ROOT}, \*{_NAMES}\)",
    r"ie = os\.path\.exists\(os\.path\.join\(p,'__init__\.py'\)\)",
    r"importlib = (?:has_mfs and )?__import__\('importlib\.util'\)",
    r"(?:has_mfs and )?__import__\('importlib\.machinery'\)",
    rf"m = (?:has_mfs and )?sys\.modules\.setdefault\({_NAME}, importlib\.util\."
    rf"module_from_spec\(importlib\.machinery\.PathFinder\.find_spec\({_NAME}, "
    r"\[os\.path\.dirname\(p\)\]\)\)\)",
    rf"m = (?:m or|not ie and) sys\.modules\.setdefault\({_NAME}, "
    rf"types\.ModuleType\({_NAME}\)\)",
    r"mp = \(m or \[\]\) and m\.__dict__\.setdefault\('__path__',\[\]\)",
    r"\(p not in mp\) and mp\.append\(p\)",
    rf"m and setattr\(sys\.modules\[{_NAME}\], {_NAME}, m\)",
)


@functools.cache
def _nspkg_statements() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _NSPKG_PATTERNS)


# setuptools' PEP 660 editable install: ``__editable__.NAME-VERSION.pth``, whose
# content is a path or the import of its own finder module.
_EDITABLE_NAME = re.compile(r"__editable__\.(?P<name>.+)-[^-]+\.pth")
_EDITABLE_FINDER = re.compile(r"import (__editable___\w+_finder); \1\.install\(\)")


class Verdict(msgspec.Struct, frozen=True):
    """What one startup file does; ``severity`` None means known benign."""

    severity: Severity | None
    reason: str
    lines: tuple[str, ...] = ()  # offending lines, neutralised and shortened


def editables(plan: Iterable[PlannedDist]) -> dict[str, Path]:
    """The projects ``plan`` installs in editable mode: PEP 503 name -> project folder."""
    return {d.name: Path(d.local_path) for d in plan if d.editable and d.local_path}


def _is_nspkg_line(line: str) -> bool:
    statements = [s.strip() for s in line.strip().split(";") if s.strip()]
    return bool(statements) and all(
        any(p.fullmatch(s) for p in _nspkg_statements()) for s in statements
    )


def _within(line: str, sitedir: Path | None, dirs: tuple[Path, ...]) -> bool:
    path = Path(sitedir or "/", line.strip())
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved == d or d in resolved.parents for d in dirs)


def _benign(
    name: str, lines: list[str], sitedir: Path | None, editables: Mapping[str, Path]
) -> str | None:
    """Why a known-benign file is benign, or None."""
    code = [ln.rstrip("\r\n") for ln in lines if ln.strip() and not ln.startswith("#")]
    if (
        name == "distutils-precedence.pth"
        and len(code) == 1
        and _DISTUTILS_PRECEDENCE.fullmatch(code[0])
    ):
        return "setuptools' distutils-precedence.pth"
    if name.endswith("-nspkg.pth") and code and all(_is_nspkg_line(ln) for ln in code):
        return "a setuptools namespace-package .pth"
    if not editables:
        return None
    editable = _EDITABLE_NAME.fullmatch(name)
    if (
        editable
        and canonicalize_name(editable["name"]) in editables
        and all(_EDITABLE_FINDER.fullmatch(ln) or not _executes(ln) for ln in code)
    ):
        return "the editable install of a project in this install"
    # Other build backends (hatchling, flit, pdm) write a path-only .pth that
    # points into the project being installed in editable mode.
    dirs = tuple(d.resolve() for d in editables.values())
    if code and all(not _executes(ln) and _within(ln, sitedir, dirs) for ln in code):
        return "a path into a project installed in editable mode by this install"
    return None


def _executes(line: str) -> bool:
    """Exactly site.py's rule: such a line is passed to exec()."""
    return line.startswith(("import ", "import\t"))


def _hidden(line: str) -> list[str]:
    return [why for pattern, why in _hidden_res() if pattern.search(line)]


def _show(lines: list[str]) -> tuple[str, ...]:
    return tuple(neutralise(ln.strip(" \t\r\n"), LINE_LIMIT) for ln in lines[:MAX_LINES])


_UNIVERSAL_NEWLINE = re.compile(r"\r\n|\r|\n")


def pth_lines(text: str) -> list[str]:
    """Every line some supported Python's ``site.py`` sees in a ``.pth`` (see above):
    the lines of 3.10-3.12 (universal newlines), then those of 3.13+ that differ."""
    old = _UNIVERSAL_NEWLINE.split(text)
    new = text.splitlines()
    return old + [ln for ln in new if ln not in set(old)]


def classify(
    name: str,
    content: bytes | None,
    *,
    sitedir: Path | None = None,
    editables: Mapping[str, Path] | None = None,
    unchanged_since: str | None = None,
) -> Verdict:
    """Judge a startup file by its content.

    ``name`` is its site-packages root name; ``content`` None means it could
    not be read (a package directory). ``editables`` maps the PEP 503 names of
    projects this install puts in editable mode to their directories;
    ``sitedir`` is where the file sits (resolves relative paths).
    ``unchanged_since``: the previous release of the same project, when it
    installed this exact content: not a new risk, LOW at most.
    """
    verdict = _classify(name, content, sitedir, editables or {})
    if unchanged_since is None or verdict.severity is None or verdict.severity <= Severity.LOW:
        return verdict
    return Verdict(
        Severity.LOW,
        f"is unchanged since {neutralise(unchanged_since, 40)}, which installed the same "
        f"file (it {verdict.reason})",
        verdict.lines,
    )


def alarming(verdict: Verdict) -> bool:
    """Whether a new or changed startup file is worth an alarm (not benign, not path-only)."""
    return verdict.severity is not None and verdict.severity >= Severity.MEDIUM


def _classify(
    name: str, content: bytes | None, sitedir: Path | None, editables: Mapping[str, Path]
) -> Verdict:
    if content is None:
        return Verdict(Severity.MEDIUM, "is run at every Python start (content not inspected)")
    text = content.decode("utf-8-sig", errors="replace")
    lines = pth_lines(text) if name.endswith(".pth") else text.splitlines()
    if not name.endswith(".pth"):
        code = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        high = [ln for ln in code if _hidden(ln)]
        if high:
            whys = sorted({why for ln in high for why in _hidden(ln)})
            return Verdict(
                Severity.HIGH, "is run at every Python start and " + ", ".join(whys), _show(high)
            )
        return Verdict(Severity.MEDIUM, "is run at every Python start", _show(code))
    why = _benign(name, lines, sitedir, editables)
    if why:
        return Verdict(None, f"known benign: {why}")
    executed = [ln for ln in lines if _executes(ln)]
    high = [ln for ln in executed if _hidden(ln)]
    if high:
        whys = sorted({why for ln in high for why in _hidden(ln)})
        reason = f"runs hidden code at every Python start ({', '.join(whys)})"
        return Verdict(Severity.HIGH, reason, _show(high))
    if executed:
        return Verdict(
            Severity.MEDIUM, "runs an import line at every Python start", _show(executed)
        )
    return Verdict(Severity.LOW, "only adds folders to sys.path (no code runs)")


class Seen(msgspec.Struct, frozen=True):
    """A startup file that is not known benign: its root name, verdict and content hash."""

    name: str
    verdict: Verdict
    sha256: str | None


_ADVICE = {
    Severity.HIGH: "the LiteLLM 1.82.8 attack stole credentials this way; "
    "do not use this release unless you know why it does that.",
    Severity.MEDIUM: "only tools that hook into every Python process (coverage, debuggers) "
    "need one; make sure this package is such a tool.",
    Severity.LOW: "no code runs, but it changes where Python finds modules.",
}


def finding(
    package: str, version: str | None, seen: list[Seen], *, where: str | None = None
) -> Finding:
    """The ``pth-file`` finding for one package's startup files that are not known benign.

    ``where`` says where they were seen when not in the planned wheel (after
    install). The evidence lists the ``files`` by name, so a file accepted
    before install can be recognised after it.
    """
    severity = max(s.verdict.severity or Severity.LOW for s in seen)

    def describe(s: Seen) -> str:
        shown = f' ("{s.verdict.lines[0]}")' if s.verdict.lines else ""
        return f"{neutralise(s.name, 80)}, which {s.verdict.reason}{shown}"

    what = "; ".join(describe(s) for s in sorted(seen, key=lambda s: -(s.verdict.severity or 0)))
    return Finding(
        check=ID,
        severity=severity,
        package=package,
        version=version,
        message=f"installs {what}{f', {where}' if where else ''}; {_ADVICE[severity]}",
        evidence={
            "files": [s.name for s in seen],
            "where": where,
            "details": [
                {
                    "file": s.name,
                    "severity": str(s.verdict.severity),
                    "reason": s.verdict.reason,
                    "lines": list(s.verdict.lines),
                    "sha256": s.sha256,
                }
                for s in seen
            ],
        },
    )
