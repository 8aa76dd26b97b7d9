"""``repo-mismatch``: the metadata names a source repository that is not this project's.

Pointing a package at a famous repository ("starjacking") borrows its stars and
its reputation; a typo-squat often links the original's repository. A GitHub,
GitLab, Codeberg or Bitbucket URL is fine when the owner, the repository or a
monorepo folder in the URL, normalised (case, ``-_.``, ``python-``/``py``/``-py``/
``-python`` affixes), equals or abbreviates the package's name or shares a
distinctive word with it: ``someone/python-foo`` for ``foo``,
``googleapis/python-storage`` for ``google-cloud-storage``, ``abseil/abseil-py``
for ``absl-py``. Tuned on the 1,000 most downloaded projects, it fires on three,
whose metadata really names a differently named repository.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from spip.checks.base import EVERY_SOURCE, Check
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import Info
    from spip.plan.report import PlannedDist

ID = "repo-mismatch"
FORGES = frozenset({"github.com", "gitlab.com", "codeberg.org", "bitbucket.org"})
# fmt: off
# First path segments of forge pages that are not a repository.
NOT_OWNERS = frozenset({
    "sponsors", "orgs", "apps", "marketplace", "topics", "features", "settings", "about",
    "site", "collections", "enterprise", "users", "explore", "login", "search", "groups",
})
# Path segments of forge pages, not names: below the repository they are skipped, and
# on GitLab (where groups nest) the first of them ends the repository path.
FORGE_PAGES = frozenset({
    "-", "tree", "blob", "raw", "src", "issues", "pulls", "pull", "merge_requests",
    "releases", "tags", "wiki", "wikis", "commits", "actions", "discussions", "archive",
    "main", "master",
})
# Words too common in package, owner and file names to relate two names.
GENERIC = frozenset({
    "python", "python3", "api", "sdk", "lib", "libs", "core", "client", "tools", "util",
    "utils", "types", "stubs", "plugin", "plugins", "the", "for", "and", "dev", "org",
    "inc", "labs", "readme", "changelog", "changes", "history", "docs", "packages", "md",
    "rst", "txt",
})
# fmt: on
_AFFIXES = re.compile(r"^(python|py)-+|-+(python3?|py3?)$")
_MIN_COMMON = 3


class Repo(NamedTuple):
    owner: str
    name: str
    # Folder and file names below the repository (a monorepo's package folder).
    below: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [self.owner, self.name, f"{self.owner}-{self.name}", *self.below]


def repository(url: str) -> Repo | None:
    """The forge repository a URL points into, else None."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return None
    if host not in FORGES:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if host == "gitlab.com":  # group/subgroup/repo[/-/...]: keep the owner and the repo
        end = next((i for i, s in enumerate(segments) if i >= 2 and s in FORGE_PAGES), None)
        segments = [segments[0], *segments[end - 1 :]] if end else segments[:1] + segments[-1:]
    if len(segments) < 2 or segments[0].lower() in NOT_OWNERS:
        return None
    name = segments[1].removesuffix(".git")
    below = tuple(s.rpartition(".")[0] or s for s in segments[2:] if s.lower() not in FORGE_PAGES)
    return Repo(segments[0], name, below) if name else None


def normalise(name: str) -> str:
    """Lower case, separators dropped, ``python-``/``py``/``-py``/``-python`` affixes off."""
    name = re.sub(r"[-_.\s]+", "-", name.lower()).strip("-")
    while (shorter := _AFFIXES.sub("", name, count=1)) != name and shorter:
        name = shorter
    name = name.replace("-", "")
    glued_py = name.startswith("py") and not name.startswith("python") and len(name) > 3
    return name[2:] if glued_py else name


def _words(name: str) -> set[str]:
    """The whole normalised name and its distinctive words."""
    words = re.split(r"[^a-z0-9]+", name.lower())
    return {w for w in (*words, normalise(name)) if len(w) >= 2 and w not in GENERIC}


def _overlap(a: str, b: str) -> bool:
    """Equal words, or one of three letters or more inside the other."""
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer or (len(shorter) >= _MIN_COMMON and shorter in longer)


def _abbreviates(short: str, long: str) -> bool:
    """``absl`` for ``abseil``, ``msal`` for ``microsoft-authentication-library``.

    Same first letter, the letters in order, and at most two thirds as long, so that
    a dropped-letter typo (``requets``) is no abbreviation of ``requests``.
    """
    if len(short) < _MIN_COMMON or 3 * len(short) > 2 * len(long) or short[0] != long[0]:
        return False
    rest = iter(long)
    return all(letter in rest for letter in short)


def related(package: str, repo: Repo) -> bool:
    """Is ``repo`` plausibly where ``package`` is developed?

    Yes when a normalised name equals the package's or abbreviates it (or the
    reverse), or a distinctive word of one is inside a word of the other
    (``python-storage`` for ``google-cloud-storage``).
    """
    pkg = normalise(package)
    names = [normalise(n) for n in repo.names()]
    if any(pkg == n or _abbreviates(pkg, n) or _abbreviates(n, pkg) for n in names if n):
        return True
    theirs = set().union(*(_words(n) for n in repo.names()))
    return any(_overlap(a, b) for a in _words(package) for b in theirs)


def repositories(info: Info) -> list[tuple[Repo, str]]:
    """The forge repositories the release's URLs point into, with each URL's label."""
    return [(repo, label) for label, url in info.urls() if (repo := repository(url))]


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    info = await ctx.pypi.info(dist)
    repos = repositories(info)
    if not repos or any(related(dist.name, repo) for repo, _ in repos):
        return []
    repo, label = repos[0]
    return [
        Finding.about(
            dist,
            ID,
            Severity.LOW,
            message=(
                f"its {neutralise(label, limit=40)} URL points at the repository "
                f"{neutralise(repo.owner, limit=60)}/{neutralise(repo.name, limit=60)}, whose "
                "name has nothing to do with the package; borrowing a famous repository's "
                "reputation is a common trick — make sure this package really comes from there."
            ),
            evidence={"repositories": sorted({f"{r.owner}/{r.name}" for r, _ in repos})},
        )
    ]


SUMMARY = (
    "A GitHub/GitLab/Codeberg/Bitbucket URL in the metadata names a repository unrelated "
    "to the package, borrowing another project's reputation (LOW)."
)

CHECK = Check(ID, run=run, sources=EVERY_SOURCE, summary=SUMMARY)
