"""``spip pipx``: install and inject guarded with the real pipx (both backends) on the
project's index; other commands are plain pipx; the rest of its installs are refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from spip.installer.tools import find_tool
from tests.e2e.tool_packages import (
    TOOLS_PATH,
    dists,
    planned_names,
    publish_tool,
    tool_environ,
    tool_whose_dependency_is_in,
)
from tests.fakeindex import build_wheel, underscore_name

REFUSED, UNSAFE = 10, 11

try:
    PIPX = find_tool("pipx", {"PATH": TOOLS_PATH})
except Exception:
    pytest.skip("pipx is not installed", allow_module_level=True)


@pytest.fixture
def pipx_env(spip_env, fake_index, tmp_path):
    """pipx's home and apps in tmp; uv (pipx's default backend here) on the fake index."""
    return tool_environ(
        spip_env,
        fake_index,
        tmp_path,
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(tmp_path / "bin"),
        PIPX_MAN_DIR=str(tmp_path / "man"),
    )


def venv_dists(env, tool: str) -> set[str]:
    return dists(Path(env["PIPX_HOME"]) / "venvs" / tool)


@pytest.mark.parametrize("backend", ["uv", "pip"])
def test_clean_install_and_findings_document(
    run_spip, pipx_env, fake_index, unique_name, tmp_path, backend
):
    tool, dep = publish_tool(fake_index, unique_name)
    extra = unique_name("pxpre")
    fake_index.publish(extra, "2.0")
    report = tmp_path / "f.json"
    result = run_spip(
        *("pipx", "install", "--backend", backend, tool, "--preinstall", extra),
        *("--findings-json", report),
        env=pipx_env,
    )
    assert result.returncode == 0, result.stderr
    app = Path(pipx_env["PIPX_BIN_DIR"]) / tool
    assert subprocess.run([app], capture_output=True, text=True).stdout == "tool ran\n"
    assert {underscore_name(n) for n in (tool, dep, extra)} <= venv_dists(pipx_env, tool)
    doc = json.loads(report.read_text())
    assert doc["installer"] == "pipx" and doc["decision"] == "installed"
    assert {(p["name"], p["version"]) for p in doc["plan"]} == {
        (tool, "1.0"),
        (dep, "1.0"),
        (extra, "2.0"),
    }
    # pipx's record names what was typed, not spip's pins and folder: upgrades still work
    record = json.loads(
        (Path(pipx_env["PIPX_HOME"]) / "venvs" / tool / "pipx_metadata.json").read_text()
    )
    assert record["backend"] == backend
    assert record["main_package"]["package_or_url"] == tool
    assert record["main_package"]["pip_args"] == []


@pytest.mark.parametrize("backend", ["uv", "pip"])
def test_a_new_venvs_plan_counts_nothing_its_python_has_installed(
    run_spip, pipx_env, venv, fake_index, unique_name, tmp_path, backend
):
    """pipx's Python here has the tool's dependency installed; the tool's new venv will
    not, so the plan (checked, then installed) holds it too."""
    tool, dep = tool_whose_dependency_is_in(venv, fake_index, unique_name)
    report = tmp_path / "f.json"
    result = run_spip(
        *("pipx", "install", "--backend", backend, "--python", venv.python, tool),
        *("--findings-json", report),
        env=pipx_env,
    )
    assert result.returncode == 0, result.stderr
    assert planned_names(report) == {tool, dep}
    assert {underscore_name(tool), underscore_name(dep)} <= venv_dists(pipx_env, tool)


def test_inject_plans_inside_the_venv(run_spip, pipx_env, fake_index, unique_name, tmp_path):
    tool, dep = publish_tool(fake_index, unique_name)
    assert run_spip("pipx", "install", tool, env=pipx_env).returncode == 0
    added = unique_name("pxadd")
    fake_index.publish(dep, "1.1")
    fake_index.publish(added, "1.0", requires=[f"{dep}>=1"])
    report = tmp_path / "f.json"
    result = run_spip("pipx", "inject", tool, added, "--findings-json", report, env=pipx_env)
    assert result.returncode == 0, result.stderr
    # dep 1.0 is in the venv and satisfies the new package: the plan is the new one alone
    assert [(p["name"], p["version"]) for p in json.loads(report.read_text())["plan"]] == [
        (added, "1.0")
    ]
    assert underscore_name(added) in venv_dists(pipx_env, tool)


def test_typosquat_refused_before_pipx_runs(run_spip, pipx_env, fake_index, tmp_path):
    fake_index.clear_log()
    result = run_spip("pipx", "install", "reqeusts", env=pipx_env)
    assert result.returncode == REFUSED
    assert "typosquat" in result.stderr
    assert fake_index.requests == []
    assert not (tmp_path / "pipx" / "venvs").exists()


def test_hidden_code_pth_is_refused(run_spip, pipx_env, fake_index, unique_name, tmp_path):
    payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    tool, _ = publish_tool(fake_index, unique_name, files={"zz_hook.pth": payload})
    result = run_spip("pipx", "install", tool, env=pipx_env)
    assert result.returncode == REFUSED
    assert "HIGH   pth-file" in result.stderr
    assert not (tmp_path / "pipx" / "venvs" / tool).exists()


def test_file_swapped_after_planning_is_never_installed(
    run_spip, pipx_env, fake_index, unique_name, tmp_path
):
    tool, _ = publish_tool(fake_index, unique_name)
    evil = build_wheel(tmp_path / "evil", tool, "1.0", files={"evil.pth": "import os\n"})
    # uv's planning reads only metadata: the first GET of the wheel is spip's own.
    fake_index.swap(f"{underscore_name(tool)}-1.0-py3-none-any.whl", evil, after=0)
    result = run_spip("pipx", "install", tool, env=pipx_env)
    assert result.returncode == UNSAFE, result.stderr
    assert not (tmp_path / "pipx" / "venvs" / tool).exists()


@pytest.mark.parametrize("args", [["--version"], ["list"], ["frobnicate"]])
def test_other_pipx_commands_pass_through(run_spip, pipx_env, tmp_path, args):
    ours = run_spip("pipx", *args, env=pipx_env)
    theirs = subprocess.run(
        [PIPX, *args], env=pipx_env, capture_output=True, text=True, cwd=tmp_path
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["pipx", "upgrade-all"],
        ["pipx", "reinstall-all"],
        ["pipx", "run", "./script.py"],
        ["pipx", "install", "./local-dir"],
        ["pipx", "install", "--editable", "x"],
    ],
)
def test_unguarded_install_commands_are_refused(run_spip, pipx_env, tmp_path, args):
    result = run_spip(*args, env=pipx_env)
    assert result.returncode == 11
    assert "spip" in result.stderr and (
        "does not check" in result.stderr or "cannot" in result.stderr
    )
    assert not (tmp_path / "pipx").exists()


def test_run_installs_into_spips_cache_then_runs(
    run_spip, pipx_env, fake_index, unique_name, tmp_path
):
    tool, _ = publish_tool(fake_index, unique_name)
    report = tmp_path / "f.json"
    result = run_spip("pipx", "run", "--findings-json", report, tool, "--help", env=pipx_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "tool ran\n"  # the app's own --help, which it ignores
    assert json.loads(report.read_text())["installer"] == "pipx"
    assert not (tmp_path / "pipx").exists()  # pipx's own home is not touched
    # checked and installed once: the next run asks the index nothing
    fake_index.clear_log()
    again = run_spip("pipx", "run", tool, env=pipx_env)
    assert (again.returncode, again.stdout) == (0, "tool ran\n"), again.stderr
    assert fake_index.requests == []


def test_run_of_a_typosquat_is_refused(run_spip, pipx_env, fake_index):
    result = run_spip("pipx", "run", "reqeusts", env=pipx_env)
    assert result.returncode == REFUSED
    assert "typosquat" in result.stderr


@pytest.mark.parametrize("backend", ["uv", "pip"])
def test_upgrade_and_reinstall_are_checked(
    run_spip, pipx_env, fake_index, unique_name, tmp_path, backend
):
    tool, dep = publish_tool(fake_index, unique_name)
    assert run_spip("pipx", "install", "--backend", backend, tool, env=pipx_env).returncode == 0
    # a new release whose .pth runs hidden code: the upgrade is refused, 1.0 stays
    payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    fake_index.publish(tool, "2.0", requires=[dep], files={"zz_hook.pth": payload})
    refused = run_spip("pipx", "upgrade", tool, env=pipx_env)
    assert refused.returncode == REFUSED, refused.stderr
    assert f"{underscore_name(tool)}-1.0.dist-info" in {
        p.name
        for p in next((tmp_path / "pipx" / "venvs" / tool).glob("lib/*/site-packages")).iterdir()
    }
    clean = unique_name("pxtool")  # a clean tool, upgraded, then reinstalled
    fake_index.publish(clean, "1.0", entry_points={"console_scripts": {clean: "os:getcwd"}})
    assert run_spip("pipx", "install", "--backend", backend, clean, env=pipx_env).returncode == 0
    fake_index.publish(clean, "1.1", entry_points={"console_scripts": {clean: "os:getcwd"}})
    report = tmp_path / "f.json"
    result = run_spip("pipx", "upgrade", clean, "--findings-json", report, env=pipx_env)
    assert result.returncode == 0, result.stderr
    assert [(p["name"], p["version"]) for p in json.loads(report.read_text())["plan"]] == [
        (clean, "1.1")
    ]
    record_path = tmp_path / "pipx" / "venvs" / clean / "pipx_metadata.json"
    assert json.loads(record_path.read_text())["main_package"]["package_version"] == "1.1"
    again = run_spip("pipx", "reinstall", clean, "--findings-json", report, env=pipx_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(report.read_text())["decision"] == "installed"
    record = json.loads(record_path.read_text())["main_package"]
    assert (record["package_or_url"], record["pip_args"]) == (clean, [])
