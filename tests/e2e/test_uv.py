"""End to end: ``spip uv pip install`` with the real uv, the project's index, fresh venvs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from spip.installer.tools import find_tool
from tests.fakeindex import build_wheel, underscore_name

REFUSED, UNSAFE = 10, 11

try:
    UV = find_tool("uv")
except Exception:  # the test extra installs uv; without it these tests cannot run
    pytest.skip("uv is not installed", allow_module_level=True)


@pytest.fixture
def uv_env(spip_env, fake_index, tmp_path):
    """spip's test environment, with uv pointed at the fake index and a private cache."""
    return {
        **spip_env,
        "UV_INDEX_URL": fake_index.simple_url,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_PROGRESS": "1",
    }


def spip_uv(run_spip, env, *args):
    return run_spip("uv", "pip", *args, env=env)


def installed(venv) -> set[str]:
    return {p.name.split("-")[0] for p in venv.site_packages.glob("*.dist-info")}


def test_clean_install_and_findings_document(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    dep, top = unique_name("uvdep"), unique_name("uvtop")
    fake_index.publish(dep, "1.0")
    fake_index.publish(top, "2.0", requires=[f"{dep}>=1"])
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "install", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert {underscore_name(top), underscore_name(dep)} <= installed(venv)
    doc = json.loads(report.read_text())
    assert doc["installer"] == "uv" and doc["decision"] == "installed"
    assert {(p["name"], p["version"], p["requested"]) for p in doc["plan"]} == {
        (top, "2.0", True),
        (dep, "1.0", False),
    }
    assert all(len(p["sha256"]) == 64 and p["url"].startswith(fake_index.url) for p in doc["plan"])
    # Nothing left to do: uv's own word, exit 0.
    again = spip_uv(run_spip, uv_env, "install", top)
    assert again.returncode == 0, again.stderr


def test_dry_run_installs_nothing(run_spip, uv_env, venv, fake_index, unique_name):
    name = unique_name("uvdry")
    fake_index.publish(name, "1.0")
    result = spip_uv(run_spip, uv_env, "install", "--dry-run", name)
    assert result.returncode == 0, result.stderr
    assert f"{name} 1.0 (requested, index)" in result.stderr
    assert underscore_name(name) not in installed(venv)


def test_typosquat_refused_before_uv_runs(run_spip, uv_env, venv, fake_index):
    fake_index.clear_log()
    result = spip_uv(run_spip, uv_env, "install", "reqeusts")
    assert result.returncode == REFUSED
    assert "typosquat" in result.stderr
    assert fake_index.requests == []  # uv never asked the index


def test_fresh_release_is_refused_in_ci(run_spip, uv_env, venv, fake_index, unique_name, tmp_path):
    from datetime import timedelta

    name = unique_name("uvfresh")
    fake_index.publish(name, "1.0", upload_time=timedelta(hours=1))
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "install", name, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    assert [(f["check"], f["severity"]) for f in json.loads(report.read_text())["findings"]] == [
        ("fresh-release", "MEDIUM"),
        ("young-project", "MEDIUM"),  # an hour-old project with no repository
    ]
    assert underscore_name(name) not in installed(venv)


def test_hidden_code_pth_is_refused(run_spip, uv_env, venv, fake_index, unique_name):
    name = unique_name("uvpth")
    payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    fake_index.publish(name, "1.0", files={f"{underscore_name(name)}.pth": payload})
    result = spip_uv(run_spip, uv_env, "install", name)
    assert result.returncode == REFUSED
    assert "HIGH   pth-file" in result.stderr
    assert underscore_name(name) not in installed(venv)
    assert not (venv.site_packages / f"{underscore_name(name)}.pth").exists()


def test_file_swapped_after_planning_is_never_installed(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    name = unique_name("uvswap")
    fake_index.publish(name, "1.0")
    evil = build_wheel(tmp_path / "evil", name, "1.0", files={"evil.pth": "import os\n"})
    # uv's planning reads only metadata: the first GET of the wheel is spip's own.
    fake_index.swap(f"{underscore_name(name)}-1.0-py3-none-any.whl", evil, after=0)
    result = spip_uv(run_spip, uv_env, "install", name)
    assert result.returncode == UNSAFE, result.stderr
    assert underscore_name(name) not in installed(venv)
    assert not (venv.site_packages / "evil.pth").exists()


def test_checks_read_the_metadata_of_the_very_wheel_uv_installs(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    """uv's plan names files only: each wheel's metadata comes from spip's verified copy of
    it, not from the index's separate ``.metadata`` file (here a clean one)."""
    name = unique_name("uvmeta")
    wheel = fake_index.publish(
        name, "1.0", metadata={"Project-URL": ["Homepage, https://bit.ly/xyz"]}
    )
    fake_index.serve_metadata_of(wheel.name, build_wheel(tmp_path / "clean", name, "1.0"))
    fake_index.fail(name, "404")  # no JSON API for it: the checks read the plan's metadata
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr  # LOW findings warn and continue
    found = {(f["check"], f["package"]) for f in json.loads(report.read_text())["findings"]}
    assert ("suspicious-url", name) in found
    assert underscore_name(name) in installed(venv)


def test_a_wheel_whose_metadata_is_not_where_pip_reads_it_is_never_installed(
    run_spip, uv_env, venv, fake_index, unique_name
):
    """A second ``.dist-info`` folder: the checks cannot know which METADATA is the
    wheel's, so spip stops before uv runs."""
    name = unique_name("uvtwo")
    files = {f"{underscore_name(name)}/__init__.py": "", "other-1.0.dist-info/RECORD": ""}
    fake_index.publish(name, "1.0", files=files)
    result = spip_uv(run_spip, uv_env, "install", name)
    assert result.returncode == UNSAFE, result.stderr
    assert "cannot be checked: it has no single .dist-info folder" in result.stderr
    assert underscore_name(name) not in installed(venv)


def _phase2(
    venv, folder: Path, name: str, sha256: str, env: dict, cwd: Path, *args: str, cache: Path
) -> int:
    """uv's install step alone, as spip runs it (real uv, a plan of one wheel)."""
    script = f"""
import os, pathlib, sys
os.chdir({str(cwd)!r})
from spip.installer.uv import UvInstaller, synthesised_report, LockedFile
from spip.installer.uv_args import parse
from spip.plan.report import parse_report
url = "http://x/{underscore_name(name)}-1.0-py3-none-any.whl"
file = LockedFile({name!r}, "1.0", url, {sha256!r})
plan = parse_report(synthesised_report([file], [])).install
cache = pathlib.Path({str(cache)!r})
installer = UvInstaller({UV!r}, parse({list(args)!r}), {str(venv.python)!r}, cache)
folder = pathlib.Path({str(folder)!r})
status = installer.install(plan, {{plan[0].name: folder}}, folder)
installer.cancel()
sys.exit(status)
"""
    import subprocess

    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True).returncode


def test_stray_configured_find_links_cannot_supply_a_file(venv, uv_env, unique_name, tmp_path):
    import hashlib

    name = unique_name("uvstray")
    module = f"{underscore_name(name)}.py"
    good = build_wheel(tmp_path / "good", name, "1.0", files={module: "GOOD = 1\n"})
    stray = tmp_path / "stray"  # a better-ranked wheel and a same-named one, both bad
    build_wheel(stray, name, "1.0", files={module: "GOOD = 0\n"})
    build_wheel(stray / "tagged", name, "1.0", files={module: "GOOD = 0\n"}, tag="py311-none-any")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "uv.toml").write_text(f'[pip]\nfind-links = ["{stray / "tagged"}"]\n')
    env = {**uv_env, "UV_FIND_LINKS": str(stray)}
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    cache = tmp_path / "spip-cache"
    assert _phase2(venv, good.parent, name, sha, env, tmp_path / "proj", cache=cache) == 0
    assert (venv.site_packages / module).read_text() == "GOOD = 1\n"
    # --require-hashes fails closed: a file that does not match is not installed.
    other = tmp_path / "other"
    build_wheel(other, name, "1.0", files={module: "GOOD = 2\n"})
    assert _phase2(venv, other, name, sha, env, tmp_path, "--reinstall", cache=cache) != 0
    assert (venv.site_packages / module).read_text() == "GOOD = 1\n"


@pytest.mark.parametrize("args", [["pip", "list"], ["pip", "show", "no-such-project-x"], ["frob"]])
def test_other_uv_commands_pass_through(run_spip, uv_env, venv, args):
    import subprocess

    ours = run_spip("uv", *args, env=uv_env)
    theirs = subprocess.run(
        [UV, *args], env=uv_env, capture_output=True, text=True, cwd=venv.path.parent
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )


def _plan(report: Path) -> dict[str, tuple[str, str]]:
    return {p["name"]: (p["version"], p["sha256"]) for p in json.loads(report.read_text())["plan"]}


def test_plan_is_what_uv_installs_into_this_environment(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    """An installed version uv keeps changes the plan: not a fresh resolution's."""
    import hashlib

    top, mid, dep = unique_name("uvtop"), unique_name("uvmid"), unique_name("uvdep")
    old = {v: fake_index.publish(dep, v) for v in ("1.0", "1.1")}
    fake_index.publish(mid, "1.0", requires=[f"{dep}==1.0"])
    fake_index.publish(mid, "1.1", requires=[f"{dep}==1.1"])
    fake_index.publish(top, "1.0", requires=[f"{mid}>=1", dep])
    # mid 1.0 is installed (its dep removed): uv keeps it, so dep must be 1.0, although
    # a fresh resolution (the compile of the same requirement) picks mid 1.1 and dep 1.1.
    assert spip_uv(run_spip, uv_env, "install", f"{mid}==1.0").returncode == 0
    venv.pip("uninstall", "-y", dep)
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "install", top, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    sha = hashlib.sha256(old["1.0"].read_bytes()).hexdigest()
    assert _plan(report) == {top: ("1.0", _plan(report)[top][1]), dep: ("1.0", sha)}
    assert f"{underscore_name(dep)}-1.0.dist-info" in {
        p.name for p in venv.site_packages.glob("*.dist-info")
    }


def test_best_ranked_wheel_of_several(run_spip, uv_env, venv, fake_index, unique_name, tmp_path):
    name = unique_name("uvtags")
    module = f"{underscore_name(name)}.py"
    specific = f"py{sys.version_info[0]}{sys.version_info[1]}-none-any"
    fake_index.publish(name, "1.0", files={module: "TAG = 'generic'\n"})
    fake_index.publish(name, "1.0", files={module: "TAG = 'specific'\n"}, tag=specific)
    result = spip_uv(run_spip, uv_env, "install", name)
    assert result.returncode == 0, result.stderr
    assert (venv.site_packages / module).read_text() == "TAG = 'specific'\n"
    # the interpreter's tags are kept: a second plan needs no interpreter run for them
    assert list((Path(uv_env["SPIP_CACHE_DIR"]) / "uv" / "interpreters").iterdir())


def test_warm_install_uses_spips_own_uv_cache(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    """The second install of a file takes uv's unpacked copy from spip's cache; a link
    folder holding another file is put right first (uv, with its cache gone, would
    refuse it under --require-hashes), so the verified bytes land."""
    import shutil

    name = unique_name("uvwarm")
    module = f"{underscore_name(name)}.py"
    fake_index.publish(name, "1.0", files={module: "GOOD = 1\n"})
    assert spip_uv(run_spip, uv_env, "install", name).returncode == 0
    links = Path(uv_env["SPIP_CACHE_DIR"]) / "uv" / "links"
    (placed,) = [p for p in links.glob("*/*.whl") if p.name.startswith(underscore_name(name))]
    uv_cache = Path(uv_env["SPIP_CACHE_DIR"]) / "uv" / "cache"
    assert any(uv_cache.iterdir())
    shutil.rmtree(uv_cache)
    evil = build_wheel(tmp_path / "evil", name, "1.0", files={module: "GOOD = 0\n"})
    placed.unlink()
    placed.write_bytes(evil.read_bytes())
    for path in venv.site_packages.glob(f"{underscore_name(name)}*"):
        path.unlink() if path.is_file() else shutil.rmtree(path)
    result = spip_uv(run_spip, uv_env, "install", name)
    assert result.returncode == 0, result.stderr
    assert (venv.site_packages / module).read_text() == "GOOD = 1\n"


def test_sync_installs_the_pins_and_removes_the_rest(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    keep, drop, new = unique_name("uvkeep"), unique_name("uvdrop"), unique_name("uvnew")
    for name in (keep, drop, new):
        fake_index.publish(name, "1.0")
    fake_index.publish(keep, "1.1")
    assert spip_uv(run_spip, uv_env, "install", f"{keep}==1.0", drop).returncode == 0
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{keep}==1.1\n{new}==1.0\n")
    dry = spip_uv(run_spip, uv_env, "sync", "--dry-run", reqs)
    assert dry.returncode == 0, dry.stderr
    assert f"would remove {drop}" in dry.stderr
    assert underscore_name(drop) in installed(venv)
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "sync", reqs, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert {(p["name"], p["version"]) for p in json.loads(report.read_text())["plan"]} == {
        (keep, "1.1"),
        (new, "1.0"),
    }
    dists = {p.name for p in venv.site_packages.glob("*.dist-info")}
    assert f"{underscore_name(keep)}-1.1.dist-info" in dists
    assert underscore_name(new) in installed(venv) and underscore_name(drop) not in installed(venv)
    # nothing to install, one to remove: removed, nothing checked
    reqs.write_text(f"{keep}==1.1\n")
    assert spip_uv(run_spip, uv_env, "sync", reqs).returncode == 0
    assert underscore_name(new) not in installed(venv)


def test_sync_of_a_hidden_code_pth_is_refused(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    name = unique_name("uvsyncpth")
    payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
    fake_index.publish(name, "1.0", files={f"{underscore_name(name)}.pth": payload})
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{name}==1.0\n")
    result = spip_uv(run_spip, uv_env, "sync", reqs)
    assert result.returncode == REFUSED
    assert underscore_name(name) not in installed(venv)


def test_python_option_plans_for_that_environment(
    run_spip, uv_env, venv, template_venv, fake_index, unique_name, tmp_path
):
    """``--python OTHER``: uv's plan is for OTHER (which has the dependency), not for the
    active venv (which has not)."""
    other = template_venv.clone(tmp_path / "other", venv.env)
    top, dep = unique_name("uvtop"), unique_name("uvdep")
    fake_index.publish(dep, "1.0")
    fake_index.publish(top, "1.0", requires=[dep])
    python = str(other.python)
    assert spip_uv(run_spip, uv_env, "install", "--python", python, dep).returncode == 0
    report = tmp_path / "f.json"
    result = spip_uv(
        run_spip, uv_env, "install", "--python", python, top, "--findings-json", report
    )
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(report.read_text())["plan"]] == [top]
    assert underscore_name(top) in {
        p.name.split("-")[0] for p in other.site_packages.glob("*.dist-info")
    }
    assert underscore_name(top) not in installed(venv)


def test_older_release_taken_because_a_newer_ones_dependency_is_source_only_is_said(
    run_spip, uv_env, venv, fake_index, unique_name, tmp_path
):
    """As with pip: uv plans without building, so it falls back to the older release."""
    needed, name = unique_name("uvsrconly"), unique_name("uvneedsrc")
    fake_index.publish(needed, "1.0", sdist=True)
    fake_index.publish(name, "1.0")
    fake_index.publish(name, "2.0", requires=[needed])
    report = tmp_path / "f.json"
    result = spip_uv(run_spip, uv_env, "install", name, "--findings-json", report)
    assert result.returncode == 0, result.stderr
    assert underscore_name(name) in installed(venv)
    (note,) = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "sdist-build"]
    assert (note["version"], note["evidence"]["newer_not_planned"]) == ("1.0", "2.0")


def test_the_dry_run_names_its_files_as_it_resolves_and_its_log_stays_hidden(
    venv, uv_env, fake_index, unique_name, tmp_path
):
    top, dep = unique_name("top"), unique_name("dep")
    fake_index.publish(dep, "1.0")
    fake_index.publish(top, "1.0", requires=[dep])
    script = f"""
import json, pathlib, sys
from spip.installer.uv import UvInstaller
from spip.installer.uv_args import parse
cache = pathlib.Path({str(tmp_path / "spip-cache")!r})
out = {{}}
for case, names in (("found", [{top!r}]), ("missing", ["no-such-project-here"])):
    installer = UvInstaller.start({UV!r}, parse(names), cache)
    installer.typed_names(pathlib.Path("."))
    pending = installer.resolve()
    lines = []
    while (line := pending.lines.get()) is not None:
        lines.append(line)
    res = pending.wait()
    installer.cancel()
    out[case] = {{"lines": lines, "status": res.returncode, "stderr": res.stderr}}
print(json.dumps(out))
"""
    import subprocess

    env = {**uv_env, "VIRTUAL_ENV": str(venv.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    found, missing = json.loads(done.stdout)["found"], json.loads(done.stdout)["missing"]
    assert found["status"] == 0
    assert found["lines"] == [
        f"{underscore_name(top)}-1.0-py3-none-any.whl",
        f"{underscore_name(dep)}-1.0-py3-none-any.whl",
    ]
    assert missing["status"] != 0 and missing["lines"] == []
    assert "no-such-project-here" in missing["stderr"] and "DEBUG" not in missing["stderr"]


def test_phase_2s_cache_learns_the_interpreter_once_the_dry_run_has_read_it(
    venv, uv_env, fake_index, unique_name, tmp_path
):
    name = unique_name("ready")
    fake_index.publish(name, "1.0")
    script = f"""
import json, pathlib
from spip.installer.uv import UvInstaller, install_cache
from spip.installer.uv_args import parse
cache = pathlib.Path({str(tmp_path / "spip-cache")!r})
out = {{}}
cases = (("install", [{name!r}], True), ("dry-run", ["--dry-run", {name!r}], True),
         ("planner", [{name!r}], False))
for case, args, installs in cases:
    installer = UvInstaller.start({UV!r}, parse(args), cache / case)
    installer.installs = installs
    installer.typed_names(pathlib.Path("."))
    res = installer.resolve().wait()
    ready = installer._ready
    known = ready is not None and ready.wait() == 0
    entries = list(install_cache(cache / case).glob("interpreter-v*/*"))
    installer.cancel()
    out[case] = {{"status": res.returncode, "report": res.report, "ready": known,
                  "entries": len(entries)}}
print(json.dumps(out))
"""
    import subprocess

    from spip.installer.uv import _INTERPRETER_READ

    env = {**uv_env, "VIRTUAL_ENV": str(venv.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    install, dry, planner = out["install"], out["dry-run"], out["planner"]
    assert install["status"] == 0 and install["ready"] and install["entries"] >= 1
    assert json.loads(install["report"])["install"][0]["download_info"]["archive_info"]
    for other in (dry, planner):  # no phase 2 of uv's own: nothing to get ready
        assert other["status"] == 0 and not other["ready"] and other["entries"] == 0
    # The line phase 2's cache waits for comes before uv resolves anything.
    log = subprocess.run(
        [UV, "pip", "install", "--dry-run", "-v", "--python", str(venv.python), name],
        env=env,
        capture_output=True,
        text=True,
    ).stderr.splitlines()
    first = next(i for i, line in enumerate(log) if line.startswith(_INTERPRETER_READ))
    assert first < next(i for i, line in enumerate(log) if "Selecting:" in line)
