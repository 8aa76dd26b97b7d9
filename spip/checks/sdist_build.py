"""``sdist-build``: a project with no usable wheel, whose build would run its code.

Unlike most checks this one runs during resolution, before there is a plan: the
installer resolves wheels only and, for each project it then cannot find that the
index really has a source release of that fits the requirement (:func:`needs_build`),
this check says what building it means. Building runs the project's ``setup.py`` (or
build backend) on this machine before any check could look at its files, so the gate
must agree first. Its risk is graded: a project on the popular list whose newest
source release is older than the cooldown (``docopt``, source-only for years) is LOW
(warned, built), and so is an old project off the list whose source releases have not
changed for a year (:func:`_established`); a young or changed one is MEDIUM.

At plan stage it says when the wheels-first plan took an older release than a newer,
source-only one that fits (pip alone would have built the newer): a LOW note naming
both, since ``--no-binary NAME`` installs the newer one; and when it took an older
release of a project the user asked for than a newer one with a wheel, which it could
only plan with a build (:func:`_passed_over`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from spip.checks import hotlist
from spip.checks.base import Check, DataUnavailable
from spip.core import clock
from spip.core.distfiles import SDIST_SUFFIXES
from spip.core.versions import parse_version
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.version import Version

    from spip.checks.base import CheckContext
    from spip.checks.fresh_release import Fresh
    from spip.index.pypi import DistFile, ProjectFiles
    from spip.plan.report import PlannedDist

ID = "sdist-build"
HISTORY_DAYS = 730
UNCHANGED_DAYS = 365


def _requirement(text: str) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _runs_on(f: DistFile, python: str | None) -> bool:
    """Whether the file's Requires-Python admits ``python`` (True when either is unknown)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not f.requires_python or not python:
        return True
    try:
        return SpecifierSet(f.requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True


def _fitting(
    files: Iterable[DistFile], req: Requirement, ignored: Sequence[str], python: str | None
) -> set[Version]:
    """The versions of ``files`` that satisfy ``req`` and run on ``python``, leaving out
    yanked files and the versions pip left out for their Requires-Python (``ignored``)."""
    left_out = {v for v in map(parse_version, ignored) if v is not None}
    versions = {
        v
        for f in files
        if not f.yanked and _runs_on(f, python) and (v := parse_version(f.version)) is not None
    }
    return set(req.specifier.filter(versions - left_out))


def _by_kind(files: ProjectFiles) -> tuple[list[DistFile], list[DistFile]]:
    sdists = [f for f in files.files if f.filename.endswith(SDIST_SUFFIXES)]
    wheels = [f for f in files.files if f.filename.endswith(".whl")]
    return sdists, wheels


async def needs_build(
    missing: Sequence[str],
    conflicts: Sequence[str],
    ignored: Sequence[str],
    python: str | None,
    ctx: CheckContext,
) -> list[str]:
    """The projects only a source build can provide, from a failed wheels-only run:

    every requirement pip found no wheel for (``missing``) must have a fitting source
    release on the index, else building would not help and pip's own error stands
    (``requests==99.0.0``, a version for a newer Python: empty list); of a conflict's
    requirements (``conflicts``), the ones with a fitting source release and no
    fitting wheel at all (a source-only pin such as ``construct==2.8.8``). ``python``:
    the target interpreter's version, for the files' Requires-Python.
    """
    import asyncio  # not at import time (see spip.checks.base)

    from packaging.utils import canonicalize_name

    async def fits(text: str, source_only: bool) -> str | None:
        req = _requirement(text)
        if req is None:
            return None
        try:
            sdists, wheels = _by_kind(await ctx.pypi.files(req.name))
        except DataUnavailable:
            return None
        built = _fitting(sdists, req, ignored, python)
        if not built or (source_only and _fitting(wheels, req, ignored, python)):
            return None
        return canonicalize_name(req.name)

    wanted = await asyncio.gather(*(fits(t, False) for t in missing))
    if not all(wanted):
        return []
    found = await asyncio.gather(*(fits(t, True) for t in conflicts))
    return [n for n in dict.fromkeys([*wanted, *found]) if n is not None]


def _established(name: str, sdists: Sequence[DistFile], ctx: CheckContext) -> str | None:
    """Why building ``name`` is a lesser risk, else None: on the popular list with its
    newest source release older than the cooldown; or, off the list, a source-only
    history of ``HISTORY_DAYS`` whose newest release is ``UNCHANGED_DAYS`` old (what
    ``socksipy-branch``, which a popular plugin requires, has been since 2012). A
    takeover comes with a new release, and a new release makes the project young again."""
    times = [f.upload_time for f in sdists if f.upload_time is not None]
    if not times:
        return None
    from spip.checks.fresh_release import describe_age

    now = clock.now()
    age = (now - max(times)).total_seconds()
    if hotlist.load().with_extra(ctx.config.hotlist_extra).rank(name) is not None:
        cooldown = (ctx.config.fresh_release_hours or 48.0) * 3600
        if age >= cooldown:
            return f"on the popular list, newest source release {describe_age(age)} old"
        older = [(now - t).total_seconds() for t in times if (now - t).total_seconds() >= cooldown]
        if not older or not ctx.config.cooled(name):
            return None
        return (
            f"on the popular list; the newest source release older than the cooldown "
            f"({describe_age(min(older))} old) is the one built, the younger ones held back"
        )
    history = (now - min(times)).days
    if history < HISTORY_DAYS or age < UNCHANGED_DAYS * 86400:
        return None
    return (
        f"source-only for {history // 365} years, newest release {describe_age(age)} old "
        "(a takeover would be a new release)"
    )


async def held_sources(names: Sequence[str], ctx: CheckContext) -> dict[str, Fresh]:
    """The source releases younger than the cooldown of ``names`` (projects the gate let
    build), where an older one can be built instead: the planning runs leave them out,
    as the cooldown does with wheels, so that a fresh sdist's build code never runs."""
    import asyncio  # not at import time (see spip.checks.base)

    from spip.checks.fresh_release import Fresh

    hours = ctx.config.fresh_release_hours
    cooled = [n for n in names if ctx.config.cooled(n)]
    if not cooled or hours <= 0:
        return {}
    cutoff = clock.now() - timedelta(hours=hours)
    held: dict[str, Fresh] = {}
    for name, project in zip(
        cooled, await asyncio.gather(*(ctx.pypi.files(n) for n in cooled)), strict=True
    ):
        sdists, _ = _by_kind(project)
        young = [f for f in sdists if f.upload_time and f.upload_time > cutoff and f.version]
        if young and any(f.upload_time and f.upload_time <= cutoff for f in sdists):
            newest = max(young, key=lambda f: f.upload_time or cutoff)
            versions = tuple(sorted({f.version for f in young if f.version}))
            held[name] = Fresh(name, newest.version or "", newest.upload_time or cutoff, versions)
    return held


async def unresolvable(names: Sequence[str], ctx: CheckContext) -> list[Finding]:
    import asyncio  # not at import time (see spip.checks.base)

    projects = await asyncio.gather(*(ctx.pypi.files(name) for name in names))
    findings = []
    for name, project in zip(names, projects, strict=True):
        sdists, _ = _by_kind(project)
        why = _established(name, sdists, ctx)
        shown = neutralise(name)
        allow = (
            f'allow = ["{shown}:sdist-build"] under [tool.spip], or --no-binary {shown}, '
            "builds it without a question"
        )
        what = (
            "has no wheel pip may use here (none for this platform, or a requirements file's "
            "--no-binary); installing it means building its sdist, which runs the project's "
            "own build code (setup.py or its build backend) now. "
        )
        if why:
            severity, advice = Severity.LOW, f"It is {why}: building it. {allow[0].upper()}"
            advice += allow[1:] + " and without this note."
        else:
            severity = Severity.MEDIUM
            advice = f"Continue only if you trust {shown}; {allow}."
        findings.append(
            Finding(
                check=ID,
                severity=severity,
                package=name,
                version=None,
                message=what + advice,
                evidence={"sdists": project.sdists()[-3:], "established": why},
            )
        )
    return findings


async def _requirements(plan: Sequence[PlannedDist]) -> dict[str, list[Requirement]]:
    """What the plan's releases require, by project (markers aside): parsed once a run."""
    from packaging.utils import canonicalize_name

    wanted: dict[str, list[Requirement]] = {}
    for text in (t for d in plan for t in d.metadata.requires_dist):
        if (req := _requirement(text)) is not None:
            wanted.setdefault(canonicalize_name(req.name), []).append(req)
    return wanted


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    planned = parse_version(dist.version)
    if planned is None:
        return []
    sdists, wheels = _by_kind(await ctx.pypi.files(dist.name))
    with_wheel = {v for f in wheels if (v := parse_version(f.version)) is not None}
    newer = {
        v
        for f in sdists
        if not f.yanked and (v := parse_version(f.version)) is not None and v > planned
    }
    newer -= with_wheel
    passed_over = _passed_over(dist, planned, wheels, ctx)
    if not newer and not passed_over:  # the common case: no need to read what the plan requires
        return []
    wanted = await ctx.once((ID, "requirements"), lambda: _requirements(ctx.plan))
    for req in wanted.get(dist.name, ()):
        newer = set(req.specifier.filter(newer))
        passed_over = set(req.specifier.filter(passed_over))
    name = neutralise(dist.name)
    if newer:
        newest = max(newer)
        message = (
            f"{newest} is newer but has only a source release; the wheels-first plan takes "
            f"{neutralise(dist.version)}. --no-binary {name} builds and installs {newest} "
            "(which runs its build code)."
        )
        evidence = {"newer_source_only": str(newest), "planned": dist.version}
    elif passed_over:
        newest = max(passed_over)
        message = (
            f"{newest} is newer and has a wheel for this Python, but the wheels-first plan "
            f"takes {neutralise(dist.version)}: a requirement of {newest} could not be met "
            "without building (a dependency with no wheel), within the cooldown (see what "
            f"it held back) or at all. `{name}=={newest}` says which, and asks before "
            "building anything."
        )
        evidence = {"newer_not_planned": str(newest), "planned": dist.version}
    else:
        return []
    return [
        Finding(ID, Severity.LOW, dist.name, dist.version, message, evidence, informational=True)
    ]


def _passed_over(
    dist: PlannedDist, planned: Version, wheels: Sequence[DistFile], ctx: CheckContext
) -> set[Version]:
    """Newer versions of a project the user asked for without limiting its version,
    with a pure-Python wheel that runs on the target, old enough for the cooldown: the
    plan passed them over for a requirement it could not meet, most often a dependency
    only a build provides (hydra-core 1.3 needs antlr4-python3-runtime 4.9, source-only,
    and without building the plan falls back to hydra-core 0.11, where pip builds),
    else one the index does not have (then pip falls back too)."""
    python = ctx.environment.get("python_full_version")
    if not dist.requested or dist.name in ctx.constrained or python is None:
        return set()
    cutoff = ctx.config.cooldown_cutoff() if ctx.config.cooled(dist.name) else None
    found = set()
    for f in wheels:
        version = parse_version(f.version)
        if version is None or version <= planned or f.yanked or not _runs_on(f, python):
            continue
        if version.is_prerelease and not planned.is_prerelease:
            continue
        if not f.filename.endswith("-none-any.whl"):  # other tags: the target may not fit
            continue
        if cutoff is not None and (f.upload_time is None or f.upload_time > cutoff):
            continue  # the cooldown holds it back, and says so
        found.add(version)
    return found


SUMMARY = (
    "A project has no usable wheel, so installing it would run its build code on this "
    "machine before any check saw its files (MEDIUM; LOW for a popular project whose "
    "newest sdist is older than the cooldown, or one unchanged for a year after two of "
    "history); a note when the plan passes over a newer source-only release, or a newer "
    "release whose requirements it could not meet without a build."
)

CHECK = Check(ID, unresolvable=unresolvable, run=run, summary=SUMMARY)
