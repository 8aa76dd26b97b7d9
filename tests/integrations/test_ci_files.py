"""The CI integrations are well-formed: the composite action, the workflows, the
pre-commit hook and the Docker recipe (parsed and checked, never run or built here)."""

from __future__ import annotations

import re
import shlex

import yaml

from tests.conftest import REPO_ROOT


def _yaml(name: str):
    return yaml.safe_load((REPO_ROOT / name).read_text())


def test_the_action_is_composite_with_the_inputs_the_docs_promise() -> None:
    action = _yaml("action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    for name in ("command", "args", "sensitivity", "allow", "cooldown", "format", "shims"):
        assert name in inputs and inputs[name]["description"]
    steps = action["runs"]["steps"]
    assert all("shell" in s for s in steps if "run" in s)  # composite run steps need one
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/cache", "github/codeql-action/upload-sarif"]
    (cache,) = [s for s in steps if s.get("uses", "").startswith("actions/cache")]
    assert cache["with"]["path"] == "${{ env.SPIP_CACHE_DIR }}"
    run = next(s for s in steps if s.get("id") == "run")["run"]
    assert "spip audit" in run and "spip install" in run and "GITHUB_STEP_SUMMARY" in run
    # inputs reach the shell through the environment, never pasted into the script
    assert not re.search(r"\$\{\{\s*inputs\.", "".join(s.get("run", "") for s in steps))
    shims = next(s for s in steps if "shims" in s.get("name", "").lower())
    assert "spip shims --help" in shims["run"] and "::notice" in shims["run"]
    docs = (REPO_ROOT / "docs" / "how-to" / "ci.md").read_text()
    assert all(f"`{name}`" in docs for name in inputs)


def test_the_test_workflow_runs_ci_on_linux_and_macos_for_every_python() -> None:
    workflow = _yaml(".github/workflows/test.yml")
    job = workflow["jobs"]["test"]
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-latest", "macos-latest"}
    assert job["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert any(s.get("run") == ".ci/run" for s in job["steps"])


def test_the_spip_workflow_uses_the_action_on_the_project() -> None:
    workflow = _yaml(".github/workflows/spip.yml")
    used = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("uses") == "./"]
    commands = {s["with"]["command"] for s in used}
    assert commands == {"audit", "install"}
    audit = next(s for s in used if s["with"]["command"] == "audit")
    assert audit["with"]["upload-sarif"] == "true"
    assert workflow["jobs"]["audit"]["permissions"]["security-events"] == "write"


def test_the_pre_commit_hook_audits_changed_requirements_and_lock_files() -> None:
    (hook,) = _yaml(".pre-commit-hooks.yaml")
    assert hook["id"] == "spip-audit" and hook["entry"] == "spip audit"
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    files = re.compile(hook["files"])
    for path in (
        "requirements.txt",
        "sub/requirements-dev.txt",
        "requirements/base.txt",
        "pylock.toml",
        "pylock.prod.toml",
        "pyproject.toml",
    ):
        assert files.search(path), path
    for path in ("setup.py", "notes.txt", "pylock.toml.bak", "mypyproject.toml"):
        assert not files.search(path), path


def _instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile's instructions (continuation lines joined, comments dropped)."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_the_docker_recipe_installs_through_spip_as_a_user_with_a_cache_mount() -> None:
    steps = _instructions((REPO_ROOT / "examples" / "Dockerfile").read_text())
    keywords = [k for k, _ in steps]
    assert keywords[0] == "FROM"
    user = keywords.index("USER")
    assert dict(steps)["USER"] not in ("root", "0")
    runs = [(i, rest) for i, (k, rest) in enumerate(steps) if k == "RUN"]
    ((index, install),) = [(i, r) for i, r in runs if "spip install" in r]
    assert index > user  # installed as the user, not root
    assert "pip install" in install and "secured_pip" in install
    assert "spip install" in install and "-r requirements.txt" in install
    mount = re.search(r"--mount=type=cache,target=(\S+?)(,|\s)", install)
    env = dict(
        shlex.split(dict(steps)["ENV"])
        and (kv.split("=", 1) for kv in shlex.split(dict(steps)["ENV"]))
    )
    assert mount and mount.group(1) == env["SPIP_CACHE_DIR"]
