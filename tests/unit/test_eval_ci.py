"""The pure parts of ``make eval-ci`` (evaluations/eval_ci.py): no network, no subprocess."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from evaluations import eval_ci
from evaluations.eval_ci import ERROR, PASSED, PIP_FAILED, REFUSED, Result


def finding(severity: str, check: str = "x", package: str = "p", message: str = "m") -> dict:
    return {
        "check": check,
        "severity": severity,
        "package": package,
        "version": "1.0",
        "message": message,
        "evidence": {},
    }


def result(
    category: str,
    findings: list[dict[str, Any]] | None = None,
    *,
    exit_status: int | None = 0,
    name: str = "proj",
    **doc: Any,
) -> Result:
    document = {"sensitivity": "low", "findings": findings or [], "plan": [], **doc}
    return Result(1, name, category, exit_status, 1.0, document=document)


@pytest.mark.parametrize(
    ("severity", "sensitivity", "action"),
    [
        ("LOW", "low", "warn"),
        ("MEDIUM", "low", "ask"),
        ("HIGH", "low", "stop"),
        ("LOW", "medium", "ask"),
        ("MEDIUM", "medium", "stop"),
        ("HIGH", "medium", "stop"),
        ("LOW", "high", "stop"),
        ("MEDIUM", "high", "stop"),
        ("HIGH", "high", "stop"),
    ],
)
def test_gate_table_matches_the_readme(severity: str, sensitivity: str, action: str) -> None:
    assert eval_ci.gate_action(severity, sensitivity) == action


def test_a_question_nobody_answers_refuses() -> None:
    assert not eval_ci.gate_refuses([finding("LOW")], "low")
    assert eval_ci.gate_refuses([finding("LOW")], "medium")
    assert eval_ci.gate_refuses([finding("MEDIUM")], "low")
    assert not eval_ci.gate_refuses([], "high")


def test_classify_real_runs() -> None:
    assert eval_ci.classify(0, None) == PASSED
    assert eval_ci.classify(10, None) == REFUSED
    assert eval_ci.classify(1, {"decision": "pip-failed"}) == PIP_FAILED
    assert eval_ci.classify(1, None) == ERROR  # spip died without its document
    assert eval_ci.classify(11, {"decision": "failed"}) == ERROR
    assert eval_ci.classify(None, None) == ERROR  # timed out


def test_verdicts_at_each_sensitivity() -> None:
    low_only = result(PASSED, [finding("LOW")])
    assert [eval_ci.verdict(low_only, s) for s in ("low", "medium", "high")] == [
        PASSED,
        REFUSED,
        REFUSED,
    ]
    clean = result(PASSED)
    assert {eval_ci.verdict(clean, s) for s in ("low", "medium", "high")} == {PASSED}
    # spip stops at the first refusal, so the findings may be partial: stricter stays refused
    refused = result(REFUSED, [], exit_status=10)
    assert eval_ci.verdict(refused, "medium") == REFUSED
    failed = result(PIP_FAILED, exit_status=1)
    assert eval_ci.verdict(failed, "high") == PIP_FAILED
    sdist_then_fail = result(PIP_FAILED, [finding("LOW", "sdist-build")], exit_status=1)
    assert eval_ci.verdict(sdist_then_fail, "low") == PIP_FAILED
    assert eval_ci.verdict(sdist_then_fail, "medium") == REFUSED
    assert eval_ci.verdict(result(ERROR, [finding("HIGH")], exit_status=None), "low") == ERROR


def test_mismatch_between_exit_status_and_findings() -> None:
    assert eval_ci.mismatch(result(PASSED, [finding("MEDIUM")]))
    assert not eval_ci.mismatch(result(REFUSED, [finding("MEDIUM")], exit_status=10))
    assert not eval_ci.mismatch(result(PASSED, [finding("LOW")]))


def test_ranks_and_project_list() -> None:
    assert eval_ci.parse_ranks("1-300, 1001-1100,7") == [(1, 300), (1001, 1100), (7, 7)]
    with pytest.raises(ValueError):
        eval_ci.parse_ranks("5-1")
    lines = ["# comment", "1\tboto3", "2\tpackaging", "1001\tfoo", "5000\tbar", ""]
    projects = eval_ci.load_projects(lines, [(1, 1), (1000, 1001)])
    assert [(p.rank, p.name) for p in projects] == [(1, "boto3"), (1001, "foo")]


def test_shipped_list_has_the_500() -> None:
    lines = eval_ci.PROJECTS_FILE.read_text(encoding="utf-8").splitlines()
    projects = eval_ci.load_projects(lines, eval_ci.parse_ranks(eval_ci.DEFAULT_RANKS))
    assert len(projects) == 500
    assert len({p.name for p in projects}) == 500


def test_simulated_now_from_the_newest_file_of_the_newest_release() -> None:
    document = {
        "info": {"version": "2.0"},
        "urls": [
            {"upload_time_iso_8601": "2026-05-14T19:25:26.443000Z"},
            {"upload_time_iso_8601": "2026-05-14T19:25:27.735762Z"},
        ],
        "releases": {"1.0": [{"upload_time_iso_8601": "2027-01-01T00:00:00Z"}]},
    }
    version, upload = eval_ci.newest_release(document)
    assert version == "2.0"
    assert upload == datetime(2026, 5, 14, 19, 25, 27, 735762, tzinfo=timezone.utc)
    assert eval_ci.simulated_now(upload, 6) == "2026-05-15T01:25:27Z"
    assert eval_ci.newest_release({"info": {"version": "1"}, "urls": []}) is None


def test_report_lists_counts_findings_and_held_back() -> None:
    message = "a | b " + "y" * 300
    results = [
        result(PASSED, name="clean"),
        result(PASSED, [finding("LOW", "vulnerability")], name="lowish"),
        result(
            REFUSED,
            [finding("MEDIUM", "sdist-build", package="srconly", message=message)],
            exit_status=10,
            name="srconly",
        ),
        result(PIP_FAILED, exit_status=1, name="nowheel"),
        Result(9, "slow", ERROR, None, 600.0, reason="timed out after 600 s"),
    ]
    results[3].reason = "ERROR: No matching distribution found for nowheel"
    fresh = result(
        PASSED,
        name="fresh",
        plan=[{"name": "fresh", "version": "1.0"}],
        held_back=[{"name": "fresh", "version": "2.0", "installed_version": "1.0", "age": "6h"}],
    )
    fresh.newest_version, fresh.spip_now = "2.0", "2026-05-15T01:25:27Z"
    results.append(fresh)
    meta = {"ranks": "1-10", "spip_version": "0.1.0", "simulate_fresh": 6.0, "seconds": 3}
    text = eval_ci.render_report(results, ["low", "medium"], meta)

    assert "| `low` | 6 | 3 | 1 | 1 | 1 | 16.7% | <= 0% | **no** |" in text
    assert "| `medium` | 6 | 2 | 2 | 1 | 1 | 33.3% | <= 5% | **no** |" in text
    assert "No matching distribution found for nowheel" in text
    assert "timed out after 600 s" in text
    row = next(line for line in text.splitlines() if line.startswith("| srconly |"))
    assert "| sdist-build | MEDIUM |" in row
    assert "a \\| b " in row and "y" * 154 + " |" in row  # 160 chars, escaped
    assert "| fresh | 2026-05-15T01:25:27Z | fresh | 2.0 | 1.0 | 6h |" in text
    assert "- held back and reported: 1" in text
    assert "(the newest release of all 1 projects with a plan, 6 h < 48 h): yes" in text
    assert "no effect" not in text
    assert "`vulnerability`: 1" in text


def test_report_says_when_spip_now_had_no_effect() -> None:
    stale = result(PASSED, name="stale", plan=[{"name": "stale", "version": "2.0"}])
    stale.newest_version, stale.spip_now = "2.0", "2026-11-30T06:00:00Z"
    text = eval_ci.render_report([stale], ["low"], {"simulate_fresh": 6.0})
    assert "- still planned (not held back): 1: `stale` 2.0" in text
    assert "): **no**" in text
    assert "`SPIP_NOW` seems to have had no effect" in text


def test_report_without_simulation_has_no_held_back_section() -> None:
    text = eval_ci.render_report([result(PASSED)], ["low"], {"simulate_fresh": None})
    assert "Held-back" not in text
    assert "| `low` | 1 | 1 | 0 | 0 | 0 | 0.0% | <= 0% | yes |" in text


def test_a_project_with_no_recent_release_is_not_simulated() -> None:
    """A newest release years old would move the whole tree back to its time: run at the
    real time, counted apart, and not held against the held-back target."""
    old = result(PASSED, name="old", plan=[{"name": "old", "version": "1.0"}])
    old.newest_version = "1.0"  # spip_now stays None: not simulated
    text = eval_ci.render_report([old], ["low"], {"simulate_fresh": 6.0})
    assert "- not simulated, run at the real time (newest release over 90 days old): 1" in text
    assert "still planned (not held back): 0" in text
