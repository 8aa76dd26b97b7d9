"""``repo-mismatch``: its rules, and against the local index."""

from __future__ import annotations

from pathlib import Path

import pytest

from spip.checks import repo_mismatch
from tests.fakeindex import FakeIndex
from tests.support import check
from tests.support import planned_wheel as planned

ONLY = (repo_mismatch.CHECK,)  # the check under test


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
    (finding,) = check(fake_index, tmp_path, planned(fake_index, star), ONLY)
    assert finding.message.startswith("its Source URL points at the repository psf/requests")
    assert finding.evidence == {"repositories": ["psf/requests"]}
    assert check(fake_index, tmp_path, planned(fake_index, own), ONLY) == []
