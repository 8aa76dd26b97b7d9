"""The release-metadata checks: their pure rules, and each one against the local index
(a package that triggers it and a near-miss that must not)."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hashlib
import re
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from spip.checks import (
    email_drift,
    empty_description,
    fresh_release,
    repo_mismatch,
    suspicious_url,
    vulnerability,
    yanked,
    zero_version,
)
from spip.checks.base import CheckContext
from spip.checks.registry import run_checks
from spip.config import Config
from spip.findings import Finding, Severity
from spip.history import History
from spip.pypi import Vulnerability
from spip.report import PlannedDist
from tests.fakeindex import FAIL_MODES, FakeIndex
from tests.test_pypi_client import pypi_client

MINE = (
    fresh_release,
    yanked,
    vulnerability,
    zero_version,
    empty_description,
    suspicious_url,
    repo_mismatch,
    email_drift,
)
# The checks that need the index's data, not only the planned file's own metadata.
NEED_INDEX = {fresh_release.ID, yanked.ID, vulnerability.ID, email_drift.ID}


def ago(**delta: float) -> datetime:
    """An upload time ``delta`` before now."""
    return datetime.now(timezone.utc) - timedelta(**delta)


MULTIPLE_USE = {"project_url", "classifier", "requires_dist", "provides_extra", "dynamic"}


def planned(index: FakeIndex, wheel: Path, source: str = "index") -> PlannedDist:
    """The report entry pip writes for ``wheel`` (metadata as PEP 566 JSON)."""
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.Parser(policy=email.policy.compat32).parsestr(
            archive.read(member).decode()
        )
    metadata: dict[str, Any] = {}
    for key, value in message.items():
        field = key.lower().replace("-", "_")
        if field in MULTIPLE_USE:
            metadata.setdefault(field, []).append(value)
        else:
            metadata[field] = value
    if message.get_payload():
        metadata["description"] = message.get_payload()
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    url = index.file_url(wheel.name) if source == "index" else wheel.as_uri()
    if source == "dir":
        download: dict[str, Any] = {"url": wheel.parent.as_uri(), "dir_info": {}}
    else:
        download = {"url": url, "archive_info": {"hashes": {"sha256": sha256}}}
    return PlannedDist.model_validate(
        {"download_info": download, "is_direct": source != "index", "metadata": metadata}
    )


def check(
    index: FakeIndex,
    tmp_path: Path,
    dist: PlannedDist,
    checks: tuple[ModuleType, ...] = MINE,
    timeout: float = 5.0,
    **config: Any,
) -> list[Finding]:
    """Run ``checks`` on ``dist`` as one spip run would (cache and history in ``tmp_path``)."""

    async def main() -> list[Finding]:
        async with pypi_client(index, tmp_path, timeout) as pypi:
            ctx = CheckContext(
                config=Config(cache_dir=tmp_path, **config),
                plan=[dist],
                pypi=pypi,
                history=History(tmp_path),
                artifacts=None,  # type: ignore[arg-type]
            )
            return await run_checks(ctx, checks)  # type: ignore[arg-type]

    return asyncio.run(main())


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.check for f in findings)


# -- fresh-release ------------------------------------------------------------------


def test_describe_age() -> None:
    assert fresh_release.describe_age(-5) == "0 minutes"
    assert fresh_release.describe_age(61) == "1 minute"
    assert fresh_release.describe_age(3 * 3600 + 50) == "3 hours"
    assert fresh_release.describe_age(47 * 3600) == "47 hours"
    assert fresh_release.describe_age(3 * 86400) == "3 days"


def test_fresh_release(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.2.3", upload_time=ago(hours=3, minutes=5))
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), (fresh_release,))
    assert finding.severity is Severity.MEDIUM
    assert finding.message == (
        "1.2.3 was uploaded 3 hours ago; new releases are when hijacked accounts strike — "
        "wait a day or pin the previous version unless you expected this release."
    )
    assert check(fake_index, tmp_path / "b", planned(fake_index, wheel), (fresh_release,),
                 fresh_release_hours=2) == []  # fmt: skip


def test_three_day_old_release_is_not_fresh(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    wheel = fake_index.publish(unique_name(), "1.0", upload_time=ago(days=3))
    assert check(fake_index, tmp_path, planned(fake_index, wheel), (fresh_release,)) == []


def test_brand_new_release_of_an_old_project(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", upload_time=ago(days=2000))
    fake_index.publish(name, "1.9", upload_time=ago(days=300))
    wheel = fake_index.publish(name, "2.0", upload_time=ago(minutes=20))
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), (fresh_release,))
    assert "2.0 was uploaded 20 minutes ago" in finding.message


def test_upload_time_of_the_selected_file(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """A wheel added to an old release today is fresh, whatever the release's age."""
    name = unique_name()
    fake_index.publish(name, "1.0", sdist=True, upload_time=ago(days=400))
    wheel = fake_index.publish(name, "1.0", upload_time=ago(hours=1))
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), (fresh_release,))
    assert finding.evidence["filename"] == wheel.name


# -- yanked, vulnerability ----------------------------------------------------------


def test_yanked(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    bad = fake_index.publish(name, "1.0", yanked="broken \x1b[31mbuild")
    good = fake_index.publish(name, "1.1")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bad), (yanked,))
    assert finding.severity is Severity.LOW
    assert finding.message.startswith(
        "1.0 was yanked by its maintainers (reason given: broken \\x1b[31mbuild)"
    )
    assert check(fake_index, tmp_path, planned(fake_index, good), (yanked,)) == []


def test_yanked_from_pips_report_when_the_index_is_down(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    fake_index.fail(name, "500")
    dist = planned(fake_index, wheel).model_copy(update={"is_yanked": True})
    assert ids(check(fake_index, tmp_path, dist, (yanked,))) == ["yanked"]


ADVISORIES = [
    {"id": "PYSEC-2024-1", "aliases": ["CVE-2024-1111"], "fixed_in": ["1.0.1", "0.9.9"]},
    {"id": "GHSA-aaaa-bbbb-cccc", "aliases": [], "fixed_in": ["1.2"]},
]


def test_vulnerability(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0", vulnerabilities=ADVISORIES)
    clean = fake_index.publish(name, "1.2")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, wheel), (vulnerability,))
    assert finding.severity is Severity.LOW
    assert finding.message == (
        "1.0 has 2 known vulnerabilities (PYSEC-2024-1 (CVE-2024-1111), GHSA-aaaa-bbbb-cccc); "
        "upgrade to 1.2 or later unless you must keep this version."
    )
    assert check(fake_index, tmp_path, planned(fake_index, clean), (vulnerability,)) == []


def test_first_fix() -> None:
    advisory = Vulnerability(id="X", fixed_in=["2.0", "1.4.2", "junk", "1.3"])
    assert str(vulnerability.first_fix(advisory, "1.4")) == "1.4.2"
    assert vulnerability.first_fix(Vulnerability(id="X"), "1.4") is None


def test_no_advisory_data_on_a_mirror_is_unverified(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """Without per-release documents only the latest release's advisories are known."""
    name = unique_name()
    old = fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0")
    fake_index.no_per_release_json = True
    (finding,) = check(fake_index, tmp_path, planned(fake_index, old), (vulnerability,))
    assert finding.check == "unverified"
    assert finding.message == (
        "could not run the vulnerability check: the index gives no advisory data for 1.0"
    )


# -- zero-version -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "zero"),
    [("0", True), ("0.0", True), ("0.0.0", True), ("0.0.0.dev3", True), ("0.0.1", False),
     ("0.1", False), ("1.0", False), ("not-pep-440", False)],
)  # fmt: skip
def test_is_zero(version: str, zero: bool) -> None:
    assert zero_version.is_zero(version) is zero


def test_zero_version(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    zero = fake_index.publish(name, "0.0.0")
    near = fake_index.publish(name, "0.0.1")
    (finding,) = check(fake_index, tmp_path, planned(fake_index, zero), (zero_version,))
    assert finding.message.startswith("its version 0.0.0 is a placeholder")
    assert check(fake_index, tmp_path, planned(fake_index, near), (zero_version,)) == []
    local_tree = planned(fake_index, zero, source="dir")
    assert check(fake_index, tmp_path, local_tree, (zero_version,)) == []


# -- empty-description ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "empty"),
    [(None, True), ("", True), ("  \n", True), ("UNKNOWN", True), ("n/a", True),
     ("Add your description here", True), ("A tiny tool.", False), ("工具", False)],
)  # fmt: skip
def test_is_empty(text: str | None, empty: bool) -> None:
    assert empty_description.is_empty(text) is empty


def test_empty_description(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    bare = fake_index.publish(name, "1.0", summary=None, description=None)
    unknown = fake_index.publish(name, "1.1", summary="UNKNOWN", description="UNKNOWN\n")
    summary_only = fake_index.publish(name, "1.2", summary="Parses things", description=None)
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bare), (empty_description,))
    assert finding.message.startswith("has neither a summary nor a description")
    assert ids(check(fake_index, tmp_path, planned(fake_index, unknown), (empty_description,)))
    assert (
        check(fake_index, tmp_path, planned(fake_index, summary_only), (empty_description,)) == []
    )


def test_popular_projects_are_not_judged_by_their_description(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    """protobuf really publishes no description; nobody else can upload as protobuf."""
    version = f"99.{uuid.uuid4().int % 10**9}"  # the index is shared by the session's tests
    wheel = fake_index.publish("protobuf", version, summary=None, description=None)
    assert check(fake_index, tmp_path, planned(fake_index, wheel), (empty_description,)) == []


# -- suspicious-url -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "concern"),
    [
        ("https://bit.ly/3abc", "link shortener (bit.ly)"),
        ("http://203.0.113.7/pkg", "raw IP address"),
        ("http://[2001:db8::1]:8080/", "raw IP address"),
        ("http://2130706433/", "raw IP address"),
        ("https://free-stuff.tk/", "top-level domain (.tk)"),
        ("https://xn--pypi-xxa.org/", "punycode"),
        ("https://pypі.org/", "punycode"),  # Cyrillic і
        ("https://user:secret@example.org/", "user name or password"),
        ("ftp://example.org/pkg.tar.gz", "ftp: scheme"),
        ("javascript:alert(1)", "javascript: scheme"),
        ("https://pastebin.com/raw/abc", "paste site (pastebin.com)"),
        ("https://transfer.sh/abc/payload", "file-drop service (transfer.sh)"),
        ("https://files.catbox.moe/x.zip", "file-drop service (catbox.moe)"),
        ("https://abcd-1-2-3-4.ngrok-free.app/", "tunnel service (ngrok-free.app)"),
        ("https://discord.com/api/webhooks/1/tok", "chat webhook or request catcher"),
        ("https://api.telegram.org/bot123:abc/sendMessage", "(api.telegram.org/bot)"),
    ],
)
def test_suspicious_urls(url: str, concern: str) -> None:
    (found,) = suspicious_url.concerns(url)
    assert concern in found


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/psf/requests",
        "https://discord.gg/invite",  # a community invite, not a webhook
        "https://discord.com/channels/1/2",
        "https://t.me/project_chat",
        "https://docs.example.org/en/latest/",
        "https://bitly.example.org/",  # not bit.ly itself
        "UNKNOWN",
        "www.example.org",
    ],
)
def test_ordinary_urls(url: str) -> None:
    assert suspicious_url.concerns(url) == []


def test_host_list_file_documents_every_entry() -> None:
    text = resources.files("spip").joinpath("data/suspicious_hosts.toml").read_text("utf-8")
    entries = re.findall(r'^\s+"[^"]+",(.*)$', text, flags=re.MULTILINE)
    assert len(entries) > 100
    assert all(comment.strip().startswith("# ") for comment in entries)
    lists = suspicious_url.host_lists()
    assert set(lists) == {"shorteners", "tlds", "paste", "filedrops", "tunnels", "webhooks"}
    assert all("{}" in reason for reason, _ in lists.values())


def test_suspicious_url(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    bad = fake_index.publish(
        name,
        "1.0",
        metadata={"Project-URL": ["Homepage, https://bit.ly/x", "Source, https://github.com/a/b"]},
    )
    near = fake_index.publish(
        name,
        "1.1",
        metadata={
            "Home-page": f"https://github.com/someone/{name}",
            "Project-URL": ["Chat, https://discord.gg/abc", "Docs, https://readthedocs.io/x"],
        },
    )
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bad), (suspicious_url,))
    assert finding.message.startswith("its Homepage URL https://bit.ly/x goes through a link")
    assert check(fake_index, tmp_path, planned(fake_index, near), (suspicious_url,)) == []


# -- repo-mismatch --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "owner", "repo"),
    [
        ("https://github.com/psf/requests", "psf", "requests"),
        ("https://www.github.com/psf/requests.git", "psf", "requests"),
        ("https://github.com/psf/requests/issues/12", "psf", "requests"),
        ("https://gitlab.com/group/sub/project/-/issues", "group", "project"),
        ("https://gitlab.com/group/sub/project", "group", "project"),
        ("https://codeberg.org/jpt/jellyfish/", "jpt", "jellyfish"),
        ("https://bitbucket.org/team/repo/src/main/", "team", "repo"),
    ],
)
def test_repository(url: str, owner: str, repo: str) -> None:
    found = repo_mismatch.repository(url)
    assert found is not None and (found.owner, found.name) == (owner, repo)


@pytest.mark.parametrize(
    "url",
    ["https://github.com/sponsors/someone", "https://github.com/psf", "https://example.org/a/b"],
)
def test_not_a_repository(url: str) -> None:
    assert repo_mismatch.repository(url) is None


@pytest.mark.parametrize(
    ("package", "url"),
    [
        ("foo", "https://github.com/someone/python-foo"),
        ("foo", "https://github.com/someone/foo-py"),
        ("foo-bar", "https://github.com/someone/Foo_Bar"),
        ("foo", "https://github.com/foo/project"),  # the owner is the project
        ("pyyaml", "https://github.com/yaml/pyyaml"),
        ("av", "https://github.com/PyAV-Org/PyAV"),
        ("google-cloud-storage", "https://github.com/googleapis/python-storage"),
        ("azure-storage-blob", "https://github.com/Azure/azure-sdk-for-python"),
        ("google-auth", "https://github.com/googleapis/google-cloud-python/tree/main/packages/google-auth"),
        ("absl-py", "https://github.com/abseil/abseil-py"),
        ("msal", "https://github.com/AzureAD/microsoft-authentication-library-for-python"),
        ("uv-build", "https://github.com/astral-sh/uv"),
        ("types-requests", "https://github.com/typeshed-internal/stub_uploader/blob/main/data/changelogs/requests.md"),
    ],
)  # fmt: skip
def test_related_repositories(package: str, url: str) -> None:
    repo = repo_mismatch.repository(url)
    assert repo is not None and repo_mismatch.related(package, repo)


@pytest.mark.parametrize(
    ("package", "url"),
    [
        ("colorsys-helper", "https://github.com/psf/requests"),
        ("reqeusts", "https://github.com/psf/requests"),
        ("requets", "https://github.com/psf/requests"),  # a dropped letter is no abbreviation
        ("fastjsonx", "https://github.com/pallets/flask"),
    ],
)
def test_unrelated_repositories(package: str, url: str) -> None:
    repo = repo_mismatch.repository(url)
    assert repo is not None and not repo_mismatch.related(package, repo)


def test_normalise() -> None:
    assert repo_mismatch.normalise("Python-Foo_Bar.py") == "foobar"
    assert repo_mismatch.normalise("py-foo") == repo_mismatch.normalise("foo-python") == "foo"
    assert repo_mismatch.normalise("pyyaml") == "yaml"
    assert repo_mismatch.normalise("python") == "python"


def test_repo_mismatch(fake_index: FakeIndex, unique_name, tmp_path: Path) -> None:
    name = unique_name("colorsys-helper")
    star = fake_index.publish(
        name, "1.0", metadata={"Project-URL": "Source, https://github.com/psf/requests"}
    )
    own = fake_index.publish(
        name, "1.1", metadata={"Project-URL": f"Source, https://github.com/someone/python-{name}"}
    )
    (finding,) = check(fake_index, tmp_path, planned(fake_index, star), (repo_mismatch,))
    assert finding.message.startswith("its Source URL points at the repository psf/requests")
    assert finding.evidence == {"repositories": ["psf/requests"]}
    assert check(fake_index, tmp_path, planned(fake_index, own), (repo_mismatch,)) == []


# -- email-drift ----------------------------------------------------------------------


def test_organisation() -> None:
    assert email_drift.organisation("cs.Stanford.edu") == "stanford.edu"
    assert email_drift.organisation("mail.example.co.uk") == "example.co.uk"
    assert email_drift.organisation("example.org") == "example.org"
    assert email_drift.new_domains({"evil.example"}, set()) == set()
    assert email_drift.new_domains({"a.example.org", "evil.example"}, {"example.org"}) == {
        "evil.example"
    }


def test_email_drift_from_the_previous_release(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", metadata={"Author-email": "Ann <ann@example.org>"})
    moved = fake_index.publish(name, "1.1", metadata={"Author-email": "ann@protonmail.example"})
    (finding,) = check(fake_index, tmp_path, planned(fake_index, moved), (email_drift,))
    assert finding.message == (
        "the maintainers' e-mail domain is now protonmail.example (seen before: example.org "
        "in 1.0); a hijacked account often swaps in an address of its own — check the project "
        "announced the change before installing."
    )


def test_no_drift_from_nothing_or_within_the_organisation(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    first = fake_index.publish(name, "1.1", metadata={"Author-email": "ann@example.org"})
    same = fake_index.publish(
        name, "1.2", metadata={"Maintainer-email": "Bob <bob@lists.example.org>"}
    )
    assert check(fake_index, tmp_path, planned(fake_index, first), (email_drift,)) == []
    assert check(fake_index, tmp_path, planned(fake_index, same), (email_drift,)) == []


def test_email_drift_from_the_local_history(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    """A mirror without per-release documents: the history still catches the change."""
    name = unique_name()
    installed = fake_index.publish(name, "1.0", metadata={"Author-email": "ann@example.org"})
    moved = fake_index.publish(name, "2.0", metadata={"Author-email": "x@drop.example"})
    fake_index.no_per_release_json = True
    assert check(fake_index, tmp_path, planned(fake_index, moved), (email_drift,)) == []
    History(tmp_path).record_installed([planned(fake_index, installed)])
    (finding,) = check(fake_index, tmp_path, planned(fake_index, moved), (email_drift,))
    assert "(seen before: example.org in your earlier installs)" in finding.message


# -- local files, and an index in trouble -----------------------------------------------


def test_local_files_are_checked_without_the_index(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    wheel = fake_index.publish(
        unique_name(),
        "0.0",
        summary=None,
        description=None,
        metadata={"Home-page": "http://198.51.100.4/"},
    )
    fake_index.clear_log()
    findings = check(fake_index, tmp_path, planned(fake_index, wheel, source="file"))
    assert ids(findings) == ["empty-description", "suspicious-url", "zero-version"]
    assert fake_index.requests == []


@pytest.mark.parametrize("mode", FAIL_MODES)
def test_index_failures_end_in_unverified(
    fake_index: FakeIndex, unique_name, tmp_path: Path, mode: str
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0", metadata={"Author-email": "a@example.org"})
    wheel = fake_index.publish(name, "1.1", metadata={"Author-email": "a@example.org"})
    fake_index.fail(name, mode)
    findings = check(fake_index, tmp_path, planned(fake_index, wheel), timeout=1.0)
    assert {f.check for f in findings} == {"unverified"}
    assert {f.evidence["check"] for f in findings} == NEED_INDEX
    for finding in findings:
        assert finding.severity is Severity.LOW
        assert "internal error" not in finding.message
        assert f"127.0.0.1:{fake_index.port}" in finding.message
