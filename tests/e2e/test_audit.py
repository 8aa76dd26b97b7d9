"""End to end: ``spip audit`` on each kind of input, real pip, the project's own index.

Nothing is ever installed by an audit: every test that audits something the gate
would refuse also checks that the venv is as it was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from spip.checks import fresh_release
from spip.policy.gate import EXIT_REFUSED

SCHEMA = json.loads((Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text())
IMPORT_PTH = "import os\n"


def _checks(document: dict, package: str) -> set[str]:
    return {f["check"] for f in document["findings"] if f["package"] == package}


@pytest.fixture
def fresh_and_clean(fake_index, unique_name):
    """A clean project (released a month ago) and one whose only release is an hour old."""
    clean, fresh = unique_name("clean"), unique_name("fresh")
    fake_index.publish(clean, "1.0")
    fake_index.publish(fresh, "1.0", upload_time=timedelta(hours=1))
    return clean, fresh


def test_clean_requirements_pass_and_the_json_is_the_findings_document(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    dep, top = unique_name("dep"), unique_name("top")
    fake_index.publish(dep, "1.0")
    fake_index.publish(top, "2.0", requires=[f"{dep}>=1"])
    (tmp_path / "requirements.txt").write_text(f"{top}==2.0\n")
    before = venv.freeze()
    result = run_spip("audit", "-r", "requirements.txt", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["decision"] == "passed" and document["exit_status"] == 0
    assert {(d["name"], d["version"]) for d in document["plan"]} == {(top, "2.0"), (dep, "1.0")}
    assert document["audit"]["inputs"] == ["requirements"]
    assert venv.freeze() == before


def test_a_fresh_release_in_requirements_is_refused_with_its_line_in_sarif(
    run_spip, venv, fresh_and_clean, tmp_path
):
    clean, fresh = fresh_and_clean
    (tmp_path / "requirements.txt").write_text(f"# pinned\n{clean}==1.0\n{fresh}==1.0\n")
    before = venv.freeze()
    result = run_spip("audit", "requirements.txt", "--format", "sarif", "-o", "out.sarif")
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "fresh-release" in result.stderr  # the findings are shown as an install shows them
    log = json.loads((tmp_path / "out.sarif").read_text())
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    (result_,) = [r for r in run["results"] if r["ruleId"] == "fresh-release"]
    assert result_["properties"]["package"] == fresh
    assert result_["level"] == "warning"  # MEDIUM: the default gate would ask
    location = result_["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "requirements.txt"
    assert location["region"]["startLine"] == 3
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["fresh-release"]["help"]["text"] == fresh_release.CHECK.summary
    assert run["invocations"][0]["exitCode"] == EXIT_REFUSED
    assert venv.freeze() == before


def test_a_typo_squatted_name_is_screened_and_located(run_spip, fake_index, tmp_path):
    fake_index.publish("reqeusts", "1.0")
    (tmp_path / "requirements.txt").write_text("reqeusts\n")
    result = run_spip("audit", "-r", "requirements.txt", "--format", "json")
    assert result.returncode == EXIT_REFUSED, result.stderr
    squats = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "typosquat"]
    # once (the screen's and the plan's are one), with the version pip chose
    assert [(f["package"], f["version"]) for f in squats] == [("reqeusts", "1.0")]


def test_pyproject_dependencies_and_optional_ones_on_request(run_spip, fresh_and_clean, tmp_path):
    clean, fresh = fresh_and_clean
    (tmp_path / "pyproject.toml").write_text(
        "[project]\n"
        'name = "mine"\n'
        'version = "0.1"\n'
        f'dependencies = ["{clean}>=1"]\n'
        "[project.optional-dependencies]\n"
        f'new = ["{fresh}"]\n'
        'all = ["mine[new]"]\n'
    )
    plain = run_spip("audit", "pyproject.toml", "--format", "json")
    assert plain.returncode == 0, plain.stderr
    assert [d["name"] for d in json.loads(plain.stdout)["plan"]] == [clean]
    extra = run_spip("audit", "pyproject.toml", "--extra", "all", "--format", "json")
    assert extra.returncode == EXIT_REFUSED, extra.stderr
    assert "fresh-release" in _checks(json.loads(extra.stdout), fresh)
    unknown = run_spip("audit", "pyproject.toml", "--extra", "nope")
    assert unknown.returncode == 2
    assert "no optional dependencies nope (known: all, new)" in unknown.stderr


def _lock_entry(fake_index, wheel: Path, name: str) -> str:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return (
        "[[packages]]\n"
        f'name = "{name}"\n'
        'version = "1.0"\n'
        f'index = "{fake_index.simple_url}"\n'
        f'wheels = [{{ url = "{fake_index.url}/files/{wheel.name}", '
        f'hashes = {{ sha256 = "{digest}" }} }}]\n'
    )


def test_a_pylock_is_audited_file_by_file_without_resolving(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    clean, fresh = unique_name("lockclean"), unique_name("lockfresh")
    clean_wheel = fake_index.publish(clean, "1.0")
    fresh_wheel = fake_index.publish(fresh, "1.0", upload_time=timedelta(hours=2))
    lock = (
        'lock-version = "1.0"\ncreated-by = "test"\n\n'
        + _lock_entry(fake_index, clean_wheel, clean)
        + "\n"
        + _lock_entry(fake_index, fresh_wheel, fresh)
    )
    (tmp_path / "pylock.toml").write_text(lock)
    before = venv.freeze()
    result = run_spip("audit", "pylock.toml", "--format", "sarif")
    assert result.returncode == EXIT_REFUSED, result.stderr
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    (found,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "fresh-release"]
    region = found["locations"][0]["physicalLocation"]["region"]
    assert lock.splitlines()[region["startLine"] - 1] == f'name = "{fresh}"'
    assert venv.freeze() == before
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\n\n' + _lock_entry(fake_index, clean_wheel, clean)
    )
    clean_run = run_spip("audit", "pylock.toml", "--format", "json")
    assert clean_run.returncode == 0, clean_run.stderr
    assert [d["sha256"] for d in json.loads(clean_run.stdout)["plan"]] == [
        hashlib.sha256(clean_wheel.read_bytes()).hexdigest()
    ]


def test_a_lock_that_is_not_one_is_a_clear_error(run_spip, tmp_path):
    (tmp_path / "pylock.toml").write_text('[[packages]]\nname = "x"\n')
    result = run_spip("audit", "pylock.toml")
    assert result.returncode == 2
    assert "not a PEP 751 lock file" in result.stderr and "Traceback" not in result.stderr


def test_a_lock_entry_with_a_value_of_another_type_is_one_line(run_spip, tmp_path):
    lock = (
        'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "x"\n'
        'version = "1.0"\n[packages.vcs]\nurl = "https://example.org/x.git"\ncommit-id = 5\n'
    )
    (tmp_path / "pylock.toml").write_text(lock)
    result = run_spip("audit", "pylock.toml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "package x" in result.stderr and "commit_id" in result.stderr


def test_the_environment_startup_files_already_installed_are_found(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    name = unique_name("hooked")
    module = f"{name.replace('-', '_')}/__init__.py"
    fake_index.publish(name, "1.0", files={module: "", "hook.pth": IMPORT_PTH})
    venv.pip("install", name)  # plain pip: nothing stopped it
    result = run_spip("audit", "--format", "json")
    assert result.returncode == EXIT_REFUSED, result.stderr
    document = json.loads(result.stdout)
    assert document["audit"]["inputs"] == ["environment"]
    assert name in {d["name"] for d in document["plan"]}
    (planned,) = [d for d in document["plan"] if d["name"] == name]
    assert planned["source"] == "index" and planned["sha256"]  # found on the index
    pth = [f for f in document["findings"] if f["check"] == "pth-file" and f["package"] == name]
    assert pth and all(f["severity"] == "MEDIUM" for f in pth)
    assert (venv.site_packages / "hook.pth").exists()  # an audit moves nothing


def test_a_clean_environment_passes_and_markdown_summarises(
    run_spip, venv, fake_index, unique_name
):
    name = unique_name("plain")
    fake_index.publish(name, "1.0")
    venv.pip("install", name)
    result = run_spip("audit", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## spip audit: the environment\n")
    assert "**passed" in result.stdout


def test_a_missing_file_is_a_clear_error(run_spip):
    result = run_spip("audit", "-r", "nope.txt")
    assert result.returncode == 2
    assert result.stderr.strip() == "spip: error: no such file: nope.txt"
