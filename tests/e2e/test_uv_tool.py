"""``spip uv tool install|run`` and ``spip uvx`` with the real uv on the project's index:
checked like ``spip pipx``, installed by ``uv tool install`` from the verified files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spip.core.toml import loads as toml_loads
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

REFUSED = 10

try:
    UV = find_tool("uv", {"PATH": TOOLS_PATH})
except Exception:
    pytest.skip("uv is not installed", allow_module_level=True)


@pytest.fixture
def tool_env(spip_env, fake_index, tmp_path):
    """uv's tools and their commands in tmp; uv on the fake index with a private cache."""
    return tool_environ(
        spip_env,
        fake_index,
        tmp_path,
        UV_TOOL_DIR=str(tmp_path / "tools"),
        UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
    )


def tool_dists(env, tool: str) -> set[str]:
    return dists(Path(env["UV_TOOL_DIR"]) / tool)


def test_clean_install_and_findings_document(run_spip, tool_env, fake_index, unique_name, tmp_path):
    tool, dep = publish_tool(fake_index, unique_name)
    extra = unique_name("uvwith")
    fake_index.publish(extra, "2.0")
    report = tmp_path / "f.json"
    result = run_spip(
        *("uv", "tool", "install", tool, "--with", extra, "--findings-json", report),
        env=tool_env,
    )
    assert result.returncode == 0, result.stderr
    app = Path(tool_env["UV_TOOL_BIN_DIR"]) / tool
    assert subprocess.run([app], capture_output=True, text=True).stdout == "tool ran\n"
    assert {underscore_name(n) for n in (tool, dep, extra)} <= tool_dists(tool_env, tool)
    doc = json.loads(report.read_text())
    assert doc["installer"] == "uv" and doc["decision"] == "installed"
    assert {(p["name"], p["version"]) for p in doc["plan"]} == {
        (tool, "1.0"),
        (dep, "1.0"),
        (extra, "2.0"),
    }
    # every other uv tool command is plain uv: same output, same exit status
    ours = run_spip("uv", "tool", "list", env=tool_env)
    theirs = subprocess.run(
        [UV, "tool", "list"], env=tool_env, capture_output=True, text=True, cwd=tmp_path
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )
    assert f"{tool} v1.0" in ours.stdout
    # uv's record names what was typed, not spip's pins and folder: upgrades still work
    receipt = toml_loads((tmp_path / "tools" / tool / "uv-receipt.toml").read_text())["tool"]
    assert receipt["requirements"] == [{"name": tool}, {"name": extra}]
    assert "constraints" not in receipt and "options" not in receipt
    fake_index.publish(
        tool, "1.1", requires=[dep], entry_points={"console_scripts": {tool: "os:getcwd"}}
    )
    upgraded = subprocess.run([UV, "tool", "upgrade", tool], env=tool_env, capture_output=True)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"{underscore_name(tool)}-1.1.dist-info" in {
        p.name for p in next((tmp_path / "tools" / tool).glob("lib/*/site-packages")).iterdir()
    }


def test_a_new_tools_plan_counts_nothing_its_python_has_installed(
    run_spip, tool_env, venv, fake_index, unique_name, tmp_path
):
    """The tool's Python here has its dependency installed; the tool's new venv will
    not, so the plan (checked, then installed) holds it too."""
    tool, dep = tool_whose_dependency_is_in(venv, fake_index, unique_name)
    report = tmp_path / "f.json"
    result = run_spip(
        *("uv", "tool", "install", "--python", venv.python, tool, "--findings-json", report),
        env=tool_env,
    )
    assert result.returncode == 0, result.stderr
    assert planned_names(report) == {tool, dep}
    assert {underscore_name(tool), underscore_name(dep)} <= tool_dists(tool_env, tool)


def test_dry_run_plans_and_checks_but_installs_nothing(
    run_spip, tool_env, fake_index, unique_name, tmp_path
):
    """uv tool has no --dry-run: spip takes it, shows the checked plan, runs no uv tool."""
    tool, dep = publish_tool(fake_index, unique_name)
    result = run_spip("uv", "tool", "install", "--dry-run", tool, env=tool_env)
    assert result.returncode == 0, result.stderr
    assert f"{tool} 1.0 (requested, index)" in result.stderr
    assert f"{dep} 1.0" in result.stderr
    assert not (tmp_path / "tools").exists()


@pytest.mark.parametrize("command", [["uv", "tool", "install"], ["uvx"]])
def test_typosquat_refused_before_uv_runs(run_spip, tool_env, fake_index, tmp_path, command):
    fake_index.clear_log()
    result = run_spip(*command, "reqeusts", env=tool_env)
    assert result.returncode == REFUSED
    assert "typosquat" in result.stderr
    assert fake_index.requests == []
    assert not (tmp_path / "tools").exists()


def test_hidden_code_pth_is_refused(run_spip, tool_env, fake_index, unique_name, tmp_path):
    payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    tool, _ = publish_tool(fake_index, unique_name, files={"zz_hook.pth": payload})
    result = run_spip("uv", "tool", "install", tool, env=tool_env)
    assert result.returncode == REFUSED
    assert "HIGH   pth-file" in result.stderr
    assert not (tmp_path / "tools" / tool).exists()
    assert not (tmp_path / "bin").exists()


def _install_step(folder: Path, name: str, env: dict, cwd: Path) -> int:
    """``uv tool install`` of a plan of one wheel from ``folder``, as spip runs it."""
    script = f"""
import pathlib, sys
from spip.installer.uv import synthesised_report, LockedFile
from spip.installer.uv_tool import UvToolInstaller
from spip.installer.uv_tool_args import parse
from spip.plan.report import parse_report
url = "http://x/{underscore_name(name)}-1.0-py3-none-any.whl"
plan = parse_report(synthesised_report([LockedFile({name!r}, "1.0", url, "0" * 64)], []))
installer = UvToolInstaller({UV!r}, parse("install", [{name!r}]), pathlib.Path("cache"), None)
folder = pathlib.Path({str(folder)!r})
status = installer.install(plan.install, {{plan.install[0].name: folder}}, folder)
installer.cancel()
sys.exit(status)
"""
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=cwd).returncode


@pytest.mark.parametrize("config", ["user", "variable"])
def test_stray_configured_find_links_cannot_supply_a_file(tool_env, unique_name, tmp_path, config):
    """A find-links folder of bad files in the user's uv.toml (which uv tool reads without
    --no-config), in UV_CONFIG_FILE (which it reads even then), and UV_FIND_LINKS."""
    name = unique_name("uvtstray")
    module = f"{underscore_name(name)}.py"
    scripts = {"console_scripts": {name: f"{underscore_name(name)}:main"}}

    def wheel(folder: Path, good: int, **options) -> Path:
        code = f"GOOD = {good}\ndef main():\n    print(GOOD)\n"
        return build_wheel(
            folder, name, "1.0", files={module: code}, entry_points=scripts, **options
        )

    good = wheel(tmp_path / "good", 1)
    stray = tmp_path / "stray"  # a better-ranked wheel and a same-named one, both bad
    wheel(stray, 0)
    wheel(stray / "tagged", 0, tag=f"py{sys.version_info[0]}{sys.version_info[1]}-none-any")
    stray_config = f'find-links = ["{stray / "tagged"}"]\n'
    env = {**tool_env, "UV_FIND_LINKS": str(stray)}
    if config == "user":
        (Path(env["XDG_CONFIG_HOME"]) / "uv").mkdir(parents=True)
        (Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml").write_text(stray_config)
    else:
        (tmp_path / "stray.toml").write_text(stray_config)
        env["UV_CONFIG_FILE"] = str(tmp_path / "stray.toml")
    assert _install_step(good.parent, name, env, tmp_path) == 0
    site = next((tmp_path / "tools" / name).glob("lib/python*/site-packages"))
    assert (site / module).read_text().startswith("GOOD = 1\n")
    assert subprocess.run([tmp_path / "bin" / name], capture_output=True, text=True).stdout == "1\n"


def test_uvx_runs_the_command_with_its_arguments_and_status(
    run_spip, tool_env, fake_index, unique_name, tmp_path
):
    main = "import sys\ndef main():\n    print(' '.join(sys.argv[1:]))\n    sys.exit(3)\n"
    tool, _ = publish_tool(fake_index, unique_name, main=main)
    report = tmp_path / "f.json"
    result = run_spip("uvx", "--findings-json", report, tool, "--help", "x", env=tool_env)
    assert (result.returncode, result.stdout) == (3, "--help x\n"), result.stderr
    assert json.loads(report.read_text())["installer"] == "uv"
    assert not (tmp_path / "tools").exists()  # uv's own tool folder is not touched
    # checked and installed once: the next run asks the index nothing
    fake_index.clear_log()
    again = run_spip("uv", "tool", "run", tool, "y", env=tool_env)
    assert (again.returncode, again.stdout) == (3, "y\n"), again.stderr
    assert fake_index.requests == []
    # --from: the package, and the command it provides
    other = run_spip("uvx", "--from", f"{tool}==1.0", tool, "z", env=tool_env)
    assert (other.returncode, other.stdout) == (3, "z\n"), other.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["uv", "tool", "install", "--editable", "./x"],
        ["uv", "tool", "install", "./local-dir"],
        ["uvx", "--with-requirements", "r.txt", "x"],
        ["uvx", "./script.py"],
    ],
)
def test_what_spip_cannot_pin_is_refused(run_spip, tool_env, tmp_path, args):
    result = run_spip(*args, env=tool_env)
    assert result.returncode == 11, result.stderr
    assert "spip" in result.stderr and "cannot" in result.stderr
    assert not (tmp_path / "tools").exists()
