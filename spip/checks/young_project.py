"""``young-project``: the project's first release is days or weeks old; weak signals add up.

Most malicious PyPI projects imitate no popular name at all; what they share is that
they are new, with a few more marks of a project nobody means to answer for. A project
whose first file was uploaded less than ``YOUNG_DAYS`` ago is a LOW note on its own (new
legitimate projects exist). With any other weak signal on the same release it is
MEDIUM, and the message names every signal that added up:

- a look-alike name (:func:`spip.checks.typosquat.lookalike`);
- no repository URL, or one unrelated to the name (:mod:`spip.checks.repo_mismatch`);
- no summary and no description (:func:`spip.checks.empty_description.is_empty`);
- a suspicious URL (:func:`spip.checks.suspicious_url.concerns`);
- a first version of ``HIGH_FIRST_VERSION`` or more (99.0.0: the dependency-confusion
  pattern, a version meant to beat any private one);
- an author or maintainer e-mail on a throw-away domain
  (``spip/data/throwaway_email_domains.txt``).

Each signal is computed by the function its own check uses, so the two never disagree.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import TYPE_CHECKING

from spip.checks import empty_description, hotlist, repo_mismatch, suspicious_url, typosquat
from spip.checks.base import Check, DataUnavailable
from spip.core import clock
from spip.core.versions import parse_version
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import Info, ProjectFiles
    from spip.plan.report import PlannedDist

ID = "young-project"
YOUNG_DAYS = 30
HIGH_FIRST_VERSION = 90


@functools.cache
def throwaway_domains() -> frozenset[str]:
    text = files("spip").joinpath("data/throwaway_email_domains.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def weak_signals(
    dist: PlannedDist, info: Info, project: ProjectFiles, extra: tuple[str, ...]
) -> list[dict[str, str]]:
    """The weak signals on this release, each ``{"signal": id, "detail": text}``."""
    found: list[dict[str, str]] = []

    def add(signal: str, detail: str) -> None:
        found.append({"signal": signal, "detail": detail})

    look = typosquat.lookalike(dist.name, extra)
    if look is not None:
        add("look-alike", f"its name looks like `{look.target}` ({look.how})")
    repos = repo_mismatch.repositories(info)
    if not repos:
        add("no-repository", "it names no source repository")
    elif not any(repo_mismatch.related(dist.name, repo) for repo, _ in repos):
        repo = repos[0][0]
        add("repository-mismatch", f"its repository {repo.owner}/{repo.name} is unrelated")
    if empty_description.is_empty(info.summary) and empty_description.is_empty(info.description):
        add("empty-description", "it has no description")
    for _label, url in info.urls():
        if suspicious_url.concerns(url):
            add("suspicious-url", f"its URL {neutralise(url, limit=80)} looks suspicious")
            break
    first = parse_version(project.first_version())
    if first is not None and first.major >= HIGH_FIRST_VERSION:
        add("high-first-version", f"its first version is {first}")
    throwaway = sorted(info.email_domains() & throwaway_domains())
    if throwaway:
        add("throwaway-email", f"its e-mail is on the throw-away domain {throwaway[0]}")
    return found


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if hotlist.load().rank(dist.name) is not None:
        return []
    project = await ctx.pypi.files(dist.name)
    first = project.first_upload()
    if first is None:
        raise DataUnavailable(neutralise(f"the index gives no upload times for {dist.name}"))
    days = (clock.now() - first).total_seconds() / 86400
    if days >= YOUNG_DAYS:
        return []
    signals = weak_signals(dist, await ctx.pypi.info(dist), project, ctx.config.hotlist_extra)
    age = f"{int(days)} day{'' if int(days) == 1 else 's'} old"
    if signals:
        severity = Severity.MEDIUM
        listed = "; ".join(s["detail"] for s in signals)
        message = (
            f"the project is {age}, and {listed}: together these are the marks of a "
            "throw-away or malicious upload; make sure this is the project you meant."
        )
    else:
        severity = Severity.LOW
        message = (
            f"the project is {age} (its first release); new projects are where most "
            "malicious uploads are — make sure this is the project you meant."
        )
    return [
        Finding.about(
            dist,
            ID,
            severity,
            message=message,
            evidence={
                "first_upload": first.isoformat(),
                "age_days": round(days, 1),
                "signals": signals,
            },
        )
    ]


SUMMARY = (
    "The project's first release is under 30 days old (LOW); with another weak signal on "
    "the release (a look-alike name, no or an unrelated repository, no description, a "
    "suspicious URL, a first version of 90 or more, a throw-away e-mail) it is MEDIUM, "
    "naming every signal."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
