"""End to end: what the content checks read is spip's verified copy, read as pip's
installer reads it (real spip, real pip, fresh venvs, crafted wheels and servers).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from spip.policy.gate import EXIT_REFUSED, EXIT_UNSAFE
from tests.fakeindex import build_wheel, underscore_name
from tests.fakeindex.wheels import RawMember, crafted_wheel

HIGH_PTH = "import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
OLD = timedelta(days=30)  # older than the cooldown: only the content checks speak


def _findings(path: Path) -> list[tuple[str, str]]:
    return [(f["check"], f["severity"]) for f in json.loads(path.read_text())["findings"]]


def _content(path: Path) -> list[tuple[str, str]]:
    return [f for f in _findings(path) if f[0] in ("pth-file", "release-diff", "unverified")]


@pytest.mark.parametrize("mode", ["refuse", "wrong-range", "truncate", "416", "drip"])
def test_a_server_that_botches_ranges_cannot_slip_a_pth_through(
    run_spip, venv, fake_index, unique_name, tmp_path, mode
):
    name = unique_name()
    path = fake_index.publish(
        name, "1.0", files={f"{underscore_name(name)}/__init__.py": "", "evil.pth": HIGH_PTH}
    )
    fake_index.drip_max_seconds = 1.0
    fake_index.set_range_mode(mode, path.name)
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert _content(report) == [("pth-file", "HIGH")]
    assert not (venv.site_packages / "evil.pth").exists()


SPELLINGS = [
    "pkg/../x.pth",
    "./x.pth",
    "pkg//../x.pth",
    "pkg\\..\\x.pth",  # on POSIX a file of that name at the root, which site.py reads
    "{stem}.data/purelib/./x.pth",
    "{stem}.data//platlib/x.pth",
    "{stem}.data/data/lib/{python}/site-packages/../site-packages/x.pth",
]


@pytest.mark.parametrize("member", SPELLINGS)
def test_every_spelling_pip_lands_at_the_site_root_is_seen_before_install(
    run_spip, venv, fake_index, unique_name, tmp_path, member
):
    name = unique_name()
    stem = f"{underscore_name(name)}-1.0"
    member = member.format(stem=stem, python=venv.site_packages.parent.name)
    files = {f"{underscore_name(name)}/__init__.py": "", member: HIGH_PTH}
    path = build_wheel(tmp_path / "wheels", name, "1.0", files=files)
    fake_index.add(path, upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert ("pth-file", "HIGH") in _findings(report)
    landed = venv.site_packages / ("pkg\\..\\x.pth" if "\\" in member else "x.pth")
    assert not landed.exists()
    # ... and pip itself does put it at the root of site-packages
    venv.pip("install", "--no-deps", path)
    assert landed.read_text() == HIGH_PTH


UNFIT = {
    "traversal": [RawMember("../../evil.py", b"print('outside')\n")],
    "duplicate": [RawMember("mod.py", b"a = 1\n"), RawMember("mod.py", b"import os\n")],
    "header-mismatch": [RawMember("mod.py", b"a = 1\n", local_name="mod.pth")],
    "bad-crc": [RawMember("mod.py", b"a = 1\n", bad_crc=True)],
    "pth-over-limit": [RawMember("big.pth", b"#" * (1024 * 1024 + 1))],
}


@pytest.mark.parametrize("case", sorted(UNFIT))
def test_a_wheel_pip_would_refuse_or_half_install_never_reaches_it(
    run_spip, venv, fake_index, unique_name, tmp_path, case
):
    name = unique_name()
    path = crafted_wheel(tmp_path / "wheels", name, "1.0", UNFIT[case])
    fake_index.add(path, upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--ignore-warning", "--findings-json", report)
    assert result.returncode == EXIT_UNSAFE, result.stderr
    assert f"{path.name}" in result.stderr and "nothing was installed" in result.stderr
    assert ("unverified", "MEDIUM") in _findings(report)
    assert name not in venv.pip("freeze").stdout
    assert not (venv.site_packages / "mod.py").exists()


def test_a_central_directory_padded_to_24_mb_is_read(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name()
    pad = [RawMember(f"pad/{i}.txt", b"", comment=b"P" * 65_000) for i in range(380)]
    path = crafted_wheel(
        tmp_path / "wheels", name, "1.0", [*pad, RawMember("e.pth", HIGH_PTH.encode())]
    )
    assert path.stat().st_size > 24_000_000
    fake_index.add(path, upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert _content(report) == [("pth-file", "HIGH")]


def test_a_dry_run_reads_a_file_url_from_disk(run_spip, venv, unique_name, tmp_path):
    name = unique_name()
    files = {f"{underscore_name(name)}/__init__.py": "", "evil.pth": HIGH_PTH}
    wheels = tmp_path / "wheels"
    build_wheel(wheels, name, "1.0", files=files)
    report = tmp_path / "f.json"
    result = run_spip(
        "install", "--dry-run", "--no-index", "--find-links", wheels.as_uri(), name,
        "--findings-json", report,
    )  # fmt: skip
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert ("pth-file", "HIGH") in _findings(report)
    unverified = [
        f for f in json.loads(report.read_text())["findings"] if f["check"] == "unverified"
    ]
    assert not [f for f in unverified if f["evidence"]["check"] in ("pth-file", "release-diff")]


def test_a_hook_unchanged_since_the_previous_release_installs_with_one_low_note(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name()
    module = {f"{underscore_name(name)}/__init__.py": ""}
    hook = {**module, "a1_coverage.pth": HIGH_PTH}
    fake_index.publish(name, "7.13.0", files=hook, upload_time=OLD)
    fake_index.publish(name, "7.13.1", files=hook, upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", f"{name}==7.13.1", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert _content(report) == [("pth-file", "LOW")]  # once: not again after install
    assert (venv.site_packages / "a1_coverage.pth").exists()
    changed = {**module, "a1_coverage.pth": HIGH_PTH.replace("cHJp", "ZXZp")}
    fake_index.publish(name, "7.13.2", files=changed, upload_time=OLD)
    result = run_spip("install", "--upgrade", name, "--findings-json", report)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert sorted(_content(report)) == [("pth-file", "HIGH"), ("release-diff", "MEDIUM")]


def test_a_placeholder_predecessor_is_no_baseline(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name()
    fake_index.publish(name, "0.0.1", files={}, upload_time=OLD)
    native = {f"{underscore_name(name)}/_c.abi3.so": b"\x7fELF"}
    fake_index.publish(name, "10.3.0", files=native, upload_time=OLD)
    report = tmp_path / "f.json"
    result = run_spip("install", "--dry-run", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert _content(report) == []
