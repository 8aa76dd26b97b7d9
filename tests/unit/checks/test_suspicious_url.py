"""``suspicious-url``: its rules, and against the local index."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from spip.checks import suspicious_url
from tests.fakeindex import FakeIndex
from tests.support import check
from tests.support import planned_wheel as planned

ONLY = (suspicious_url.CHECK,)  # the check under test


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
    (finding,) = check(fake_index, tmp_path, planned(fake_index, bad), ONLY)
    assert finding.message.startswith("its Homepage URL https://bit.ly/x goes through a link")
    assert check(fake_index, tmp_path, planned(fake_index, near), ONLY) == []
