"""``malicious``: the planned release is named by a known-malicious advisory.

Two sources: OSV's ``MAL-`` advisories (``osv-url``; one batch request for the whole
plan, see :mod:`spip.index.osv`), and the list of known-malicious PyPI releases shipped
with spip (:mod:`spip.checks.malicious_list`), which answers offline and when OSV
cannot be reached. Either is enough: the release is HIGH.

Private package names are secrets: only distributions whose file came from the
public PyPI go into the OSV query. When ``pypi-url`` names another server (a mirror,
a test index), names from it are sent only to an ``osv-url`` on that same server.
The shipped list is consulted for distributions from PyPI (or ``pypi-url``) only: a
private project that happens to share a malicious PyPI name is not that project.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spip.checks import malicious_list
from spip.checks.base import Check, DataUnavailable
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.osv import Advisory
    from spip.plan.report import PlannedDist
    from spip.policy.config import Config

ID = "malicious"
PUBLIC_PYPI_HOSTS = frozenset({"pypi.org", "files.pythonhosted.org", "pypi.python.org"})
SHOWN = 3


@functools.lru_cache(maxsize=4096)
def host(url: str | None) -> str:
    """The host (and port) of ``url``, without credentials, lower-cased."""
    return urlsplit(url or "").netloc.rpartition("@")[2].lower()


def from_pypi(dist: PlannedDist, config: Config) -> bool:
    """Whether ``dist`` is a file of the public PyPI, or of the index at ``pypi-url``."""
    where = host(dist.url)
    return dist.source == "index" and where in PUBLIC_PYPI_HOSTS | {host(config.pypi_url)}


def may_send(dist: PlannedDist, config: Config) -> bool:
    """Whether ``dist``'s name may go to ``osv-url`` (never a name from a private index)."""
    if config.osv_url is None or not from_pypi(dist, config):
        return False
    where = host(dist.url)
    return where in PUBLIC_PYPI_HOSTS or where == host(config.osv_url)


@dataclass
class _Answer:
    """OSV's answer for the plan: advisories by release, or why there is none."""

    found: dict[tuple[str, str], list[Advisory]] = field(default_factory=dict)
    error: str | None = None
    asked: list[str] = field(default_factory=list)  # the names sent, in plan order


async def _ask_osv(ctx: CheckContext) -> _Answer:
    from spip.index.cache import Cache
    from spip.index.osv import OSVClient

    sent = [d for d in ctx.plan if may_send(d, ctx.config)]
    if not sent or ctx.config.osv_url is None:
        return _Answer()
    osv = OSVClient(ctx.pypi.client, ctx.config.osv_url, Cache(ctx.config.cache_dir))
    answer = _Answer(asked=[d.name for d in sent])
    try:
        answer.found = await osv.malicious([(d.name, d.version) for d in sent])
    except DataUnavailable as exc:
        answer.error = str(exc)
    return answer


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    if not from_pypi(dist, ctx.config):
        return []
    from spip.index.osv import advisory_link  # loaded by then: the run has its HTTP client

    shipped = malicious_list.load()
    answer = await ctx.once((ID, "osv"), lambda: _ask_osv(ctx))
    advisories: dict[str, dict[str, str | None]] = {}
    for adv in answer.found.get((dist.name, dist.version), []):
        advisories[adv.id] = {
            "id": adv.id,
            "link": adv.link,
            "summary": adv.summary,
            "published": adv.published,
            "source": "osv",
        }
    for entry in shipped.matching(dist.name, dist.version):
        advisories.setdefault(
            entry.id,
            {
                "id": entry.id,
                "link": advisory_link(entry.id),
                "summary": None,
                "published": entry.date,
                "source": f"spip's known-malicious list of {shipped.snapshot}",
            },
        )
    if not advisories:
        if answer.error and answer.asked and answer.asked[0] == dist.name:
            # One note for the plan, on its first distribution that was to be asked about.
            raise DataUnavailable(
                f"{answer.error}; the plan was checked against spip's own list of "
                f"known-malicious releases ({shipped.snapshot}) only"
            )
        return []
    ids = list(advisories)
    listed = ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
    version = neutralise(dist.version, limit=40)
    link = advisories[ids[0]]["link"]
    return [
        Finding.about(
            dist,
            ID,
            Severity.HIGH,
            message=(
                f"{version} is a known-malicious release ({listed}, see {link}); "
                "do not install it, and if it ran anywhere, treat that machine's secrets as stolen."
            ),
            evidence={"advisories": list(advisories.values())},
        )
    ]


SUMMARY = (
    "A known-malicious advisory names the release: OSV's MAL- records (one batch query per "
    "plan, PyPI distributions only) or the list shipped with spip (HIGH)."
)

CHECK = Check(ID, run=run, summary=SUMMARY)
