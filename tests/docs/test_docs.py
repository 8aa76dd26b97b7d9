"""The documentation site: its generated references hold every check id, setting and
option the code has, and it builds with warnings as errors with no broken internal link."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import click
import pytest

from spip.checks.registry import summaries
from spip.cli.audit import audit
from spip.cli.main import install
from spip.cli.quarantine import quarantine
from spip.core import toml
from spip.policy.config import SETTINGS_HELP, Config
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference")
    return {p.name: p.read_text() for p in _generator().generate(out)}


def test_every_check_id_is_in_the_check_reference_with_an_example(generated) -> None:
    page = generated["checks.md"]
    examples = toml.loads((DOCS / "examples.toml").read_text())
    for check_id, summary in summaries().items():
        assert f"## `{check_id}`" in page and summary in page
        assert examples.get(check_id), f"docs/examples.toml has no example for {check_id}"
        assert f"{check_id}: {examples[check_id]}" in page
    assert set(examples) <= set(summaries()), "an example for a check that does not exist"


def test_every_setting_is_in_the_settings_reference_with_its_variable(generated) -> None:
    page = generated["settings.md"]
    for f in fields(Config):
        assert SETTINGS_HELP.get(f.name), f"SETTINGS_HELP says nothing of {f.name}"
        key, var = f.name.replace("_", "-"), "SPIP_" + f.name.upper()
        assert f"| `{key}` | `{var}` |" in page


def _options(command: click.Command) -> list[str]:
    found = [o for p in command.params if isinstance(p, click.Option) for o in p.opts]
    if isinstance(command, click.Group):
        found += [o for sub in command.commands.values() for o in _options(sub)]
    return found


@pytest.mark.parametrize("command", [install, audit, quarantine], ids=lambda c: c.name)
def test_every_option_of_every_command_is_in_the_cli_reference(generated, command) -> None:
    page = generated["cli.md"]
    for option in _options(command):
        assert f"`{option}`" in page, option
    assert f"## `spip {command.name}`" in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_site_builds_strictly_and_no_internal_link_is_broken(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e .[docs]")
    source = tmp_path / "src"
    source.mkdir()
    shutil.copytree(DOCS, source / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "examples", source / "examples")
    shutil.copy(REPO_ROOT / "mkdocs.yml", source)
    subprocess.run([sys.executable, "docs/gen_reference.py"], cwd=source, check=True)
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=source,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert build.returncode == 0, build.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) > 15
    broken = []
    parsed = {page: _parse(page) for page in pages}
    for page, links in parsed.items():
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "mailto:")):
                continue
            path = unquote(parts.path)
            base = site if path.startswith("/") else page.parent  # 404.html links from the root
            target = (base / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert broken == []
    checks = (site / "reference" / "checks" / "index.html").read_text()
    assert all(re.search(rf'id="{re.escape(i)}"', checks) for i in summaries())
    docker = (site / "how-to" / "docker" / "index.html").read_text()
    assert "spip install" in docker and "USER" in docker  # the recipe is included
