"""End to end: the real ``spip`` command, real pip, the project's own index, fresh venvs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakeindex import build_wheel
from tests.support import on_terminal

REFUSED = 10
UNSAFE = 11


def frozen(venv, name: str) -> str | None:
    """``name``'s line in ``pip freeze`` (``name==1.0``, ``name @ url``), or None."""
    return next(
        (line for line in venv.freeze() if line.startswith((f"{name}==", f"{name} @ "))), None
    )


def findings_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["findings"]


@pytest.fixture
def clean_pkg(fake_index, unique_name):
    """A requested package with one dependency, both unremarkable."""
    dep, top = unique_name("dep"), unique_name("top")
    fake_index.publish(dep, "1.0")
    fake_index.publish(top, "2.0", requires=[f"{dep}>=1"])
    return top, dep


@pytest.fixture
def url_dep_pkg(fake_index, unique_name, tmp_path):
    """A package that declares a dependency by direct URL (a ``direct-url`` MEDIUM)."""
    dep, top = unique_name("urldep"), unique_name("urltop")
    wheel = build_wheel(tmp_path / "elsewhere", dep, "1.0")
    fake_index.add(wheel)  # served, but the dependency names its URL, not the index
    url = f"{fake_index.url}/files/{wheel.name}"
    fake_index.publish(top, "1.0", requires=[f"{dep} @ {url}"])
    return top, dep


# -- pass-through -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["freeze"],
        ["show", "pip"],
        ["show", "no-such-project-x"],
        ["config", "list"],
        ["frobnicate"],
    ],
)
def test_other_commands_are_plain_pip(run_spip, run_pip, args):
    ours, theirs = run_spip(*args), run_pip(*args)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    assert ours.stderr == theirs.stderr


def test_version_adds_spips_own(run_spip, run_pip):
    ours, theirs = run_spip("--version"), run_pip("--version")
    assert ours.returncode == 0
    assert ours.stdout.startswith(theirs.stdout)
    assert "spip 0.1.0 (popular-names list of" in ours.stdout


def test_install_help_shows_pips_and_spips_options(run_spip):
    result = run_spip("install", "--help")
    assert result.returncode == 0
    assert "--force-reinstall" in result.stdout and "--sensitivity" in result.stdout


# -- installs ---------------------------------------------------------------------------


def test_clean_install_installs_exactly_the_plan(run_spip, venv, clean_pkg, tmp_path):
    top, dep = clean_pkg
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert "Successfully installed" in result.stdout
    assert {f"{top}==2.0", f"{dep}==1.0"} <= venv.freeze()
    doc = json.loads(report.read_text())
    assert doc["decision"] == "installed" and doc["findings"] == []
    assert {(p["name"], p["requested"]) for p in doc["plan"]} == {(top, True), (dep, False)}
    assert all(len(p["sha256"]) == 64 for p in doc["plan"])
    assert {"phase1", "checks", "phase2", "total"} <= set(doc["timings"])
    assert doc["sensitivity"] == "low" and doc["spip_version"]


def test_empty_plan_prints_what_pip_prints(run_spip, venv, clean_pkg):
    top, _ = clean_pkg
    assert run_spip("install", top).returncode == 0
    again = run_spip("install", top)
    assert again.returncode == 0
    assert f"Requirement already satisfied: {top}" in again.stdout


def test_pip_errors_keep_pips_status(run_spip, run_pip, unique_name):
    name = unique_name("missing")
    ours, theirs = run_spip("install", name), run_pip("install", name)
    assert ours.returncode == theirs.returncode == 1
    assert "No matching distribution found" in ours.stderr


def test_dry_run_installs_nothing(run_spip, venv, clean_pkg, tmp_path):
    top, dep = clean_pkg
    report = tmp_path / "f.json"
    result = run_spip("install", "--dry-run", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert f"{top} 2.0 (requested" in result.stderr and f"{dep} 1.0 (dependency" in result.stderr
    assert not any(line.startswith((top, dep)) for line in venv.freeze())
    assert json.loads(report.read_text())["decision"] == "dry-run"


# -- the gate ---------------------------------------------------------------------------


def test_medium_without_terminal_is_refused(run_spip, venv, url_dep_pkg, tmp_path):
    top, dep = url_dep_pkg
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--findings-json", report)
    assert result.returncode == REFUSED
    assert "direct-url" in result.stderr and "--ignore-warning" in result.stderr
    assert f'"{dep}:direct-url"' in result.stderr
    assert not any(line.startswith((top, dep)) for line in venv.freeze())
    doc = json.loads(report.read_text())
    assert doc["decision"] == "refused" and doc["exit_status"] == REFUSED
    assert [(f["check"], f["severity"], f["package"]) for f in doc["findings"]] == [
        ("direct-url", "MEDIUM", dep)
    ]


@pytest.mark.parametrize("how", ["--no-input", "PIP_NO_INPUT"])
def test_no_input_answers_no(run_spip, spip_env, url_dep_pkg, how):
    top, _ = url_dep_pkg
    args = ["install", top] + (["--no-input"] if how == "--no-input" else [])
    env = {**spip_env, "PIP_NO_INPUT": "1"} if how == "PIP_NO_INPUT" else spip_env
    assert run_spip(*args, env=env).returncode == REFUSED


def test_ignore_warning_installs_and_still_reports(
    run_spip, venv, url_dep_pkg, tmp_path, spip_env, fake_index
):
    top, dep = url_dep_pkg
    report = tmp_path / "f.json"
    result = run_spip("install", top, "--ignore-warning", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert (frozen(venv, dep) or "").startswith(
        f"{dep} @ {fake_index.url}/files/"
    )  # as pip records it
    assert [f["check"] for f in findings_of(report)] == ["direct-url"]
    venv2 = run_spip(
        "install", top, "--force-reinstall", env={**spip_env, "SPIP_IGNORE_WARNING": "1"}
    )
    assert venv2.returncode == 0, venv2.stderr


@pytest.mark.parametrize("sensitivity", ["medium", "high"])
def test_stricter_sensitivity_stops_medium(run_spip, url_dep_pkg, sensitivity):
    top, _ = url_dep_pkg
    result = run_spip("install", top, "--sensitivity", sensitivity)
    assert result.returncode == REFUSED


def test_low_finding_warns_at_low_asks_at_medium_stops_at_high(
    run_spip, venv, fake_index, unique_name
):
    name = unique_name("zero")
    fake_index.publish(name, "0.0.0")
    assert run_spip("install", name, "--sensitivity", "high").returncode == REFUSED
    assert run_spip("install", name, "--sensitivity", "medium").returncode == REFUSED
    low = run_spip("install", name)
    assert low.returncode == 0 and "zero-version" in low.stderr


@pytest.mark.parametrize(("answer", "status"), [("y", 0), ("n", REFUSED), ("", REFUSED)])
def test_terminal_question(venv, spip_env, url_dep_pkg, tmp_path, answer, status):
    top, dep = url_dep_pkg
    cmd = [sys.executable, "-m", "spip", "install", top]
    code, screen = on_terminal(cmd, spip_env, tmp_path, answer.encode() + b"\n")
    assert "install anyway?" in screen
    assert code == status, screen
    assert (frozen(venv, dep) is not None) == (status == 0)


# -- installs exactly what was checked --------------------------------------------------


def test_file_swapped_after_resolution_is_never_installed(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name("swap")
    fake_index.publish(name, "1.0")
    evil = build_wheel(tmp_path / "evil", name, "1.0", files={"evil.pth": "import os\n"})
    fake_index.swap(f"{name.replace('-', '_')}-1.0-py3-none-any.whl", evil, after=1)
    result = run_spip("install", name)
    # Whoever downloads second sees the swap: spip (its verified copy differs from
    # pip's plan: UNSAFE) or pip itself (the index's hash no longer matches: pip's 1).
    assert result.returncode in (UNSAFE, 1), result.stderr
    if result.returncode == UNSAFE:
        assert "changed since pip saw it" in result.stderr
    else:
        assert "DO NOT MATCH THE HASHES" in result.stderr
    assert not any(line.startswith(name) for line in venv.freeze())
    assert not (venv.site_packages / "evil.pth").exists()


def test_stray_find_links_cannot_supply_another_file(
    run_spip, venv, spip_env, fake_index, unique_name, tmp_path
):
    name = unique_name("stray")
    fake_index.publish(name, "1.0", files={f"{name.replace('-', '_')}.py": "GOOD = 1\n"})
    stray = tmp_path / "stray"
    build_wheel(stray, name, "1.0", files={f"{name.replace('-', '_')}.py": "GOOD = 0\n"})
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nfind-links = {stray}\n")
    for env in (
        {**spip_env, "PIP_FIND_LINKS": str(stray)},
        {**spip_env, "PIP_CONFIG_FILE": str(config)},
    ):
        result = run_spip("install", "--force-reinstall", name, env=env)
        assert result.returncode == 0, result.stderr
        module = venv.site_packages / f"{name.replace('-', '_')}.py"
        assert module.read_text() == "GOOD = 1\n"


def test_freeze_shows_pins_not_urls(run_spip, venv, clean_pkg):
    top, dep = clean_pkg
    assert run_spip("install", top).returncode == 0
    lines = venv.freeze()
    assert {f"{top}==2.0", f"{dep}==1.0"} <= lines and not any("@" in line for line in lines)


# -- pip's option families --------------------------------------------------------------


def test_requirement_files_constraints_and_upgrade(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    a, b = unique_name("reqa"), unique_name("reqb")
    for version in ("1.0", "2.0"):
        fake_index.publish(a, version)
        fake_index.publish(b, version)
    (tmp_path / "nested.txt").write_text(f"{b}\n")
    (tmp_path / "req.txt").write_text(f"{a}  # pinned below\n-r nested.txt\n")
    (tmp_path / "c.txt").write_text(f"{a}==1.0\n{b}<2\n")
    result = run_spip("install", "-r", "req.txt", "-c", "c.txt")
    assert result.returncode == 0, result.stderr
    assert {f"{a}==1.0", f"{b}==1.0"} <= venv.freeze()
    result = run_spip("install", "--upgrade", a, "--pre")
    assert result.returncode == 0, result.stderr
    assert f"{a}==2.0" in venv.freeze()


def test_extras_and_markers(run_spip, venv, fake_index, unique_name):
    extra_dep, never, top = unique_name("xdep"), unique_name("never"), unique_name("xtop")
    fake_index.publish(extra_dep, "1.0")
    fake_index.publish(never, "1.0")
    fake_index.publish(
        top,
        "1.0",
        requires=[f'{extra_dep}; extra == "fast"', f'{never}; python_version < "3"'],
        metadata={"Provides-Extra": "fast"},
    )
    result = run_spip("install", f"{top}[fast]")
    assert result.returncode == 0, result.stderr
    installed = venv.freeze()
    assert f"{extra_dep}==1.0" in installed and f"{never}==1.0" not in installed


@pytest.mark.parametrize("where", ["--target", "--prefix", "--root"])
def test_install_location_options_are_carried_over(run_spip, venv, clean_pkg, tmp_path, where):
    top, dep = clean_pkg
    dest = tmp_path / "dest"
    result = run_spip("install", top, where, dest)
    assert result.returncode == 0, result.stderr
    names = {p.name for p in dest.rglob("*.dist-info")}
    assert {
        f"{top.replace('-', '_')}-2.0.dist-info",
        f"{dep.replace('-', '_')}-1.0.dist-info",
    } <= names
    assert not any(line.startswith(top) for line in venv.freeze())


def test_force_reinstall(run_spip, venv, clean_pkg):
    top, _ = clean_pkg
    assert run_spip("install", top).returncode == 0
    again = run_spip("install", "--force-reinstall", top)
    assert again.returncode == 0 and "Successfully installed" in again.stdout


def test_index_url_find_links_and_no_index(
    run_spip, venv, spip_env, fake_index, unique_name, tmp_path
):
    name, local = unique_name("idx"), unique_name("flinks")
    fake_index.publish(name, "1.0")
    links = tmp_path / "links"
    build_wheel(links, local, "1.0")
    env = {k: v for k, v in spip_env.items() if k != "PIP_INDEX_URL"}
    result = run_spip("install", "--index-url", fake_index.simple_url, name, env=env)
    assert result.returncode == 0, result.stderr
    result = run_spip(
        "install",
        "--extra-index-url",
        fake_index.simple_url,
        "--no-index",
        "--find-links",
        links,
        local,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert {f"{name}==1.0", f"{local}==1.0"} <= venv.freeze()


def write_project(root: Path, name: str, version: str = "0.1") -> Path:
    """A minimal setuptools project (with pyproject.toml, so pip needs only setuptools)."""
    package = root / name.replace("-", "_")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=40.8"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (root / "setup.py").write_text(
        f"from setuptools import setup\nsetup(name={name!r}, version={version!r}, "
        f"packages=[{package.name!r}])\n"
    )
    return root


def test_local_wheel_directory_and_editable(
    run_spip, venv, fake_index, unique_name, tmp_path, sdist_backend
):
    wheel_name, proj = unique_name("lwheel"), unique_name("lproj")
    wheel = build_wheel(tmp_path / "w", wheel_name, "1.0")
    project = write_project(tmp_path / "proj", proj)
    result = run_spip("install", wheel)
    assert result.returncode == 0, result.stderr
    assert "direct-url" not in result.stderr  # the user's own local file
    result = run_spip("install", "-e", project)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "empty-description" not in result.stderr  # the user's own tree is no release
    installed = venv.freeze()
    assert f"{wheel_name} @ {wheel.as_uri()}#sha256=" in "\n".join(installed)  # as after pip
    assert any(proj in line for line in installed)


def test_direct_url_requested_by_user(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name("durl")
    wheel = fake_index.publish(name, "1.0")
    url = f"{fake_index.url}/files/{wheel.name}"
    refused = run_spip("install", f"{name} @ {url}")
    assert refused.returncode == REFUSED and "direct URL" in refused.stderr
    accepted = run_spip("install", f"{name} @ {url}", "--ignore-warning")
    assert accepted.returncode == 0, accepted.stderr


def test_vcs_url(run_spip, venv, unique_name, tmp_path, sdist_backend):
    name = unique_name("vcs")
    repo = write_project(tmp_path / "repo", name, "1.0")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    result = run_spip("install", f"git+file://{repo}#egg={name}")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith(name) for line in venv.freeze())


def test_users_own_require_hashes(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name("hashed")
    wheel = fake_index.publish(name, "1.0")
    import hashlib

    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (tmp_path / "req.txt").write_text(f"{name}==1.0 --hash=sha256:{digest}\n")
    assert run_spip("install", "--require-hashes", "-r", "req.txt").returncode == 0
    (tmp_path / "bad.txt").write_text(f"{name}==1.0 --hash=sha256:{'0' * 64}\n")
    bad = run_spip("install", "--force-reinstall", "--require-hashes", "-r", "bad.txt")
    assert bad.returncode == 1 and "DO NOT MATCH" in bad.stderr


# -- configuration ----------------------------------------------------------------------


def test_configuration_precedence(run_spip, spip_env, tmp_path, fake_index, unique_name):
    name = unique_name("cfg")
    fake_index.publish(name, "0.0")  # a LOW finding (zero-version)
    (tmp_path / "pyproject.toml").write_text('[tool.spip]\nsensitivity = "high"\n')
    assert run_spip("install", "--dry-run", name).returncode == REFUSED
    env = {**spip_env, "SPIP_SENSITIVITY": "low"}
    assert run_spip("install", "--dry-run", name, env=env).returncode == 0
    assert (
        run_spip("install", "--dry-run", name, "--sensitivity", "high", env=env).returncode
        == REFUSED
    )
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.spip]\nsensitivity = "high"\nallow = ["{name}:zero-version"]\n'
    )
    assert run_spip("install", "--dry-run", name).returncode == 0


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "pyproject", "needle"),
    [
        (["--sensitivity", "loud"], None, "Invalid value for '--sensitivity'"),
        ([], "[tool.spip]\nsensitivity = 3\n", "must be one of"),
        ([], "[tool.spip\n", "cannot read"),
        (["--findings-json", "/nonexistent/dir/f.json"], None, "cannot write the findings file"),
        (["-r", "missing.txt"], None, "cannot read requirements file"),
        (["--cert", "/nonexistent/ca.pem"], None, "cannot use the certificate"),
    ],
)
def test_bad_input_is_one_clear_line(run_spip, tmp_path, args, pyproject, needle):
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    result = run_spip("install", "six", *args)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_a_certificate_file_that_is_none_is_one_clear_line(
    run_spip, venv, spip_env, fake_index, unique_name, tmp_path
):
    # Read at spip's first request, while pip resolves: still one line, status 2.
    name = unique_name("cert")
    fake_index.publish(name, "1.0")
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    result = run_spip("install", name, env={**spip_env, "REQUESTS_CA_BUNDLE": str(garbage)})
    assert result.returncode == 2, result.stderr
    assert not any(line.startswith(f"{name}==") for line in venv.freeze())
    assert "cannot use the certificate" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("mode", ["500", "garbage", "wrong-shape", "404"])
def test_broken_json_api_is_unverified_not_a_crash(
    run_spip, venv, fake_index, unique_name, tmp_path, mode
):
    name = unique_name("broken")
    fake_index.publish(name, "1.0")
    fake_index.fail(name, mode)
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--findings-json", report)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr  # LOW: warn and continue
    assert {f["check"] for f in findings_of(report)} == {"unverified"}
    high = run_spip("install", "--force-reinstall", name, "--sensitivity", "high")
    assert high.returncode == REFUSED


def test_metadata_index_down(run_spip, venv, spip_env, clean_pkg, tmp_path):
    top, _ = clean_pkg
    env = {**spip_env, "SPIP_PYPI_URL": "http://127.0.0.1:9"}  # nothing listens there
    result = run_spip("install", top, "--findings-json", tmp_path / "f.json", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "unverified" in result.stderr


def test_escape_sequences_in_metadata_are_neutralised(run_spip, fake_index, unique_name, tmp_path):
    name = unique_name("ansi")
    wheel = fake_index.publish(name, "0.0", summary="\x1b[2J\x1b[31mevil\x07")
    assert wheel.exists()
    result = run_spip("install", "--dry-run", name)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_file_spip_cannot_fetch_falls_back_to_pinned_hash(run_spip, venv, clean_pkg, fake_index):
    top, dep = clean_pkg
    fake_index.refuse_agent = "spip/"  # credentials only pip has, e.g. in a keyring
    result = run_spip("install", top)
    # The content checks could not see the files: fail closed, a question (No here) ...
    assert result.returncode == 10, result.stderr
    assert "could not get a verified copy" in result.stderr and "MEDIUM unverified" in result.stderr
    result = run_spip("install", "--ignore-warning", top)  # ... and when accepted:
    assert result.returncode == 0, result.stderr
    assert f"could not fetch {top} itself (HTTP 401" in result.stderr
    assert "pinned to the checked sha256" in result.stderr
    assert {f"{top}==2.0", f"{dep}==1.0"} <= venv.freeze()


def test_python_option_and_virtual_env_choose_the_environment(
    run_spip, venv, spip_env, clean_pkg, tmp_path
):
    top, _ = clean_pkg
    env = {k: v for k, v in spip_env.items() if k != "VIRTUAL_ENV"}
    result = run_spip("--python", venv.python, "install", top, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{top}==2.0" in venv.freeze()
    result = run_spip("install", "--python", venv.path, "--force-reinstall", top, env=env)
    assert result.returncode == 0, result.stderr


def test_users_report_is_written(run_spip, clean_pkg, tmp_path):
    top, dep = clean_pkg
    report = tmp_path / "pip-report.json"
    assert run_spip("install", "--dry-run", "--report", report, top).returncode == 0
    names = {item["metadata"]["name"] for item in json.loads(report.read_text())["install"]}
    assert names == {top, dep}


def test_slow_json_api_costs_about_the_timeout(run_spip, venv, fake_index, unique_name, tmp_path):
    name = unique_name("slow")
    fake_index.publish(name, "1.0")
    fake_index.fail(name, "slow")
    report = tmp_path / "f.json"
    result = run_spip("install", name, "--timeout", "2", "--findings-json", report)
    assert result.returncode == 0, result.stderr
    doc = json.loads(report.read_text())
    assert {f["check"] for f in doc["findings"]} == {"unverified"}
    assert doc["timings"]["checks"] < 15  # the client gives up; it does not wait 30 s


def test_control_characters_in_a_typed_name(run_spip):
    result = run_spip("install", "\x1b[31mevil\x07")
    assert result.returncode == 1  # pip's own "Invalid requirement"
    assert "\x1b" not in result.stderr and "Traceback" not in result.stderr
