"""``suspicious-url``: a metadata URL that points somewhere no real project page lives.

Home page, download URL and project URLs (not links inside the description) are
checked for link shorteners, raw IP addresses, abused TLDs, punycode hosts,
embedded credentials, non-http(s) schemes, paste sites, file drops, tunnels and
chat webhooks. The host lists live in ``spip/data/suspicious_hosts.toml``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spip.checks.base import EVERY_SOURCE, Check
from spip.core import toml
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.plan.report import PlannedDist

ID = "suspicious-url"
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# The last label of a host in a numeric IPv4 notation (2130706433, 0x7f.1, 127.1).
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


@functools.cache
def host_lists() -> dict[str, tuple[str, tuple[str, ...]]]:
    """``{kind: (reason, entries)}`` from the data file."""
    text = resources.files("spip").joinpath("data/suspicious_hosts.toml").read_text("utf-8")
    return {
        kind: (table["reason"], tuple(entry.lower() for entry in table["entries"]))
        for kind, table in toml.loads(text).items()
    }


def _on(host: str, path: str, entry: str) -> bool:
    """Is ``host``/``path`` the listed ``entry`` (``host`` or ``host/path-prefix``)?"""
    entry_host, _, entry_path = entry.partition("/")
    on_host = host == entry_host or host.endswith("." + entry_host)
    return on_host and (not entry_path or path.startswith("/" + entry_path))


def concerns(url: str) -> list[str]:
    """Why ``url`` is suspicious, each as the end of "its URL X ..."; empty when it is not."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return []  # not a URL at all ("UNKNOWN", "www.example.org")
    if scheme.group()[:-1].lower() not in ("http", "https"):
        return [f"uses the {scheme.group().lower()} scheme instead of http(s)"]
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return ["is not a well-formed URL"]
    found = []
    if parts.username is not None or parts.password is not None:
        found.append("embeds a user name or password")
    try:
        ipaddress.ip_address(host)
        numeric = True
    except ValueError:
        numeric = bool(host) and _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]) is not None
    if numeric:
        found.append("uses a raw IP address instead of a domain name")
    elif not host.isascii() or any(label.startswith("xn--") for label in host.split(".")):
        found.append("uses an internationalised (punycode) host name, which can imitate another")
    for kind, (reason, entries) in host_lists().items():
        if kind == "tlds":
            tld = host.rsplit(".", 1)[-1]
            hits = [f".{tld}"] if not numeric and tld in entries else []
        else:
            hits = [entry for entry in entries if _on(host, parts.path, entry)]
        found += [reason.replace("{}", hit) for hit in hits[:1]]
    return found


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    info = await ctx.pypi.info(dist)
    findings = []
    for label, url in info.urls():
        found = concerns(url)
        if found:
            findings.append(
                Finding.about(
                    dist,
                    ID,
                    Severity.LOW,
                    message=(
                        f"its {neutralise(label, limit=40)} URL {neutralise(url, limit=100)} "
                        f"{'; it also '.join(found)} — find out where it leads before trusting "
                        "this package."
                    ),
                    evidence={"label": label, "url": url, "concerns": found},
                )
            )
    return findings


SUMMARY = (
    "A metadata URL uses a link shortener, a raw IP, an abused TLD, punycode, "
    "credentials, a non-http scheme, a paste site, a file drop, a tunnel or a chat "
    "webhook (LOW)."
)

CHECK = Check(ID, run=run, sources=EVERY_SOURCE, summary=SUMMARY)
