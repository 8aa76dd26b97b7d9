"""End to end: the signals of issue 17 through the real ``spip install``, real pip, the
project's own index (and its OSV look-alike) and fresh venvs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tests.fakeindex import osv_record

REFUSED = 10


def findings(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["findings"]


def test_a_known_malicious_release_is_refused(
    run_spip, spip_env, venv, fake_index, unique_name, tmp_path
):
    bad, dep = unique_name("mal"), unique_name("dep")
    fake_index.publish(dep, "1.0")
    fake_index.publish(bad, "1.0", requires=[dep])
    fake_index.add_osv(osv_record("MAL-2099-77", bad, ["1.0"], summary="Malicious code"))
    spip_env["SPIP_OSV_URL"] = fake_index.osv_url
    report = tmp_path / "f.json"
    fake_index.clear_log()
    result = run_spip("install", bad, "--findings-json", report)
    assert result.returncode == REFUSED, result.stderr
    (finding,) = [f for f in findings(report) if f["check"] == "malicious"]
    assert (finding["severity"], finding["package"]) == ("HIGH", bad)
    assert (
        finding["evidence"]["advisories"][0]["link"] == "https://osv.dev/vulnerability/MAL-2099-77"
    )
    assert "known-malicious release (MAL-2099-77" in result.stderr
    batches = [r for r in fake_index.requests if r.path == "/v1/querybatch"]
    assert len(batches) == 1  # one query for the plan
    assert sorted(q["package"]["name"] for q in batches[0].json()["queries"]) == sorted([bad, dep])
    assert venv.pip("show", bad, check=False).returncode != 0  # nothing installed


def test_a_quarantined_project_is_explained_after_pips_error(run_spip, fake_index, unique_name):
    name = unique_name("quarantined")
    fake_index.publish(name, "1.0")
    fake_index.set_status(name, "quarantined", "malware report under review")
    result = run_spip("install", name)
    assert result.returncode == 1, result.stderr  # pip's own status
    assert "No matching distribution found" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f'spip: {name} is quarantined by the index (reason given: "malware report under '
        'review"), which hides its files while a malware report is investigated: do not '
        "install it from elsewhere."
    )


def test_a_command_that_shadows_a_system_one_or_another_distributions(
    run_spip, venv, fake_index, unique_name, tmp_path
):
    """``ls`` shadows the system's; a second project's `tool-x` shadows the first's; the same
    project's own script on an upgrade is fine. The venv is active (its bin/ first on PATH)."""
    first, second, liar = unique_name("first"), unique_name("second"), unique_name("liar")
    tool = unique_name("tool")
    scripts = {"console_scripts": {tool: "pkg:main"}}
    fake_index.publish(first, "1.0", entry_points=scripts)
    fake_index.publish(first, "1.1", entry_points=scripts)
    fake_index.publish(second, "1.0", entry_points=scripts)
    fake_index.publish(liar, "1.0", entry_points={"console_scripts": {"ls": "pkg:main"}})
    assert run_spip("install", f"{first}==1.0").returncode == 0

    upgrade = run_spip("install", "--findings-json", tmp_path / "up.json", f"{first}==1.1")
    assert upgrade.returncode == 0, upgrade.stderr
    assert [f for f in findings(tmp_path / "up.json") if f["check"] == "new-command"] == []

    report = tmp_path / "f.json"
    result = run_spip("install", "--findings-json", report, second, liar)
    assert result.returncode == REFUSED, result.stderr
    found = {f["package"]: f for f in findings(report) if f["check"] == "new-command"}
    assert set(found) == {second, liar}
    assert found[second]["severity"] == "MEDIUM"
    assert found[second]["evidence"]["shadowed"][0]["owner"] == first
    assert f"`{tool}` ({first}'s)" in found[second]["message"]
    (ls,) = found[liar]["evidence"]["shadowed"]
    assert ls["command"] == "ls" and ls["owner"] is None and ls["path"].endswith("/ls")


def test_a_private_name_resolved_to_pypi_is_index_confusion(
    run_spip, spip_env, fake_index, unique_name, tmp_path
):
    """The extra index (a second FakeIndex, the "private" one) has the name at 1.0; the
    public one (``pypi-url``'s) has a young 2.0, which pip prefers: HIGH. An old public
    project is MEDIUM; a name only the public index serves is nothing."""
    from tests.fakeindex import FakeIndex

    young, old, public = unique_name("torchtriton"), unique_name("shared"), unique_name("pub")
    with FakeIndex(tmp_path / "private") as private:
        private.publish(young, "1.0")
        private.publish(old, "1.0")
        fake_index.publish(young, "2.0", upload_time=timedelta(days=5))
        fake_index.publish(old, "2.0", upload_time=timedelta(days=400))
        fake_index.publish(public, "1.0")
        spip_env["PIP_EXTRA_INDEX_URL"] = private.simple_url
        report = tmp_path / "f.json"
        result = run_spip("install", "--findings-json", report, young, old, public)
        assert result.returncode == REFUSED, result.stderr
        private_names = {
            r.path for r in private.requests if r.headers.get("user-agent", "").startswith("spip/")
        }
    found = {f["package"]: f for f in findings(report) if f["check"] == "index-confusion"}
    assert set(found) == {young, old}
    assert found[young]["severity"] == "HIGH" and found[old]["severity"] == "MEDIUM"
    assert found[young]["evidence"]["also_served_by"] == [private.url.removeprefix("http://")]
    assert "(a project 5 days old there)" in found[young]["message"]
    assert private_names == {f"/simple/{young}/", f"/simple/{old}/", f"/simple/{public}/"}
