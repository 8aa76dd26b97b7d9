"""The typosquat check: the detector, its messages, and the popular-names list."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from spip.checks import hotlist, typosquat, typosquat_index
from spip.checks.base import CheckContext
from spip.checks.registry import check_plan
from spip.checks.typosquat import Detector, lookalike, screen_names
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Severity
from tests.conftest import REPO_ROOT

REFRESH = REPO_ROOT / "hotlist" / "refresh.py"


@pytest.mark.parametrize(
    ("name", "target", "kind", "severity"),
    [
        ("requsets", "requests", "transposition", Severity.MEDIUM),
        ("pandaz", "pandas", "keyboard", Severity.MEDIUM),
        ("colourama", "colorama", "added", Severity.MEDIUM),
        ("jeIlyfish", "jellyfish", "lookalike", Severity.MEDIUM),
        ("dateutil-python", "python-dateutil", "word-order", Severity.MEDIUM),
        ("py-yaml", "pyyaml", "separator", Severity.MEDIUM),
        ("setup_tools", "setuptools", "separator", Severity.MEDIUM),
        ("python3-dateutil", "python-dateutil", "digit", Severity.LOW),
        ("sixth", "six", "extension", Severity.LOW),
        ("python-flask", "flask", "affix", Severity.LOW),
        ("torchvisions", "torchvision", "plural", Severity.LOW),
    ],
)
def test_lookalikes(name: str, target: str, kind: str, severity: Severity) -> None:
    found = lookalike(name)
    assert found is not None
    assert (found.target, found.kind, found.severity) == (target, kind, severity)
    assert found.rank == hotlist.load().rank(target)


@pytest.mark.parametrize("name", ["requests", "Requests", "boto", "jinja2", "pyjwt", "jwt", "six"])
def test_popular_names_are_never_flagged(name: str) -> None:
    assert lookalike(name) is None


def test_unrelated_names_are_not_flagged() -> None:
    assert lookalike("zebra-crossing-simulator") is None
    assert lookalike("spip") is None


@pytest.mark.parametrize(
    ("name", "popular"),
    [("boto", "boto3"), ("jinja", "jinja2"), ("jwt", "pyjwt"), ("pil", "pillow")],
)
def test_legitimate_pairs_are_not_medium(name: str, popular: str) -> None:
    found = Detector({popular: 1}).lookalike(name)
    assert found is None or found.severity == Severity.LOW


def test_a_name_ranked_above_its_lookalike_is_not_flagged() -> None:
    detector = Detector({"fastapi": 1, "fastai": 2})
    assert detector.lookalike("fastai") is None
    assert detector.lookalike("fastapii") is not None


def test_no_medium_among_popular_names_against_the_top() -> None:
    """Every project ranked 5,001-15,000, screened against the top 5,000 alone."""
    ranks = hotlist.load().ranks
    top = Detector({n: r for n, r in ranks.items() if r <= typosquat.LISTED})
    medium = [
        found
        for name, rank in ranks.items()
        if rank > typosquat.LISTED
        and (found := top.lookalike(name))
        and found.severity >= Severity.MEDIUM
    ]
    assert medium == []


def test_hotlist_extra_names_are_targets_and_never_flagged() -> None:
    found = lookalike("acme-internl", extra=["Acme_Internal"])
    assert found is not None
    assert (found.target, found.rank, found.severity) == ("acme-internal", 0, Severity.MEDIUM)
    assert lookalike("acme-internal", extra=["acme-internal"]) is None


def test_screen_names_before_resolution() -> None:
    names = ["requsets==2.0", "requests[socks]>=2", "./some/path", "Requsets", "acme-internl"]
    findings = screen_names(names, Config(hotlist_extra=("acme-internal",)))
    assert [(f.package, f.version, f.severity) for f in findings] == [
        ("requsets", None, Severity.MEDIUM),
        ("acme-internl", None, Severity.MEDIUM),
    ]
    rank = hotlist.load().rank("requests")
    assert findings[0].message.startswith(
        f"`requsets` looks like `requests` (the {typosquat._ordinal(rank)} most downloaded "
        "project; two letters swapped); did you mean requests?"
    )
    assert "`requsets:typosquat`" in findings[0].message
    assert findings[0].evidence == {
        "target": "requests",
        "rank": rank,
        "kind": "transposition",
        "hotlist_snapshot": hotlist.snapshot_date(),
    }
    assert "on your hotlist-extra list" in findings[1].message


def _dist(name: str, requires: Sequence[str] = (), requested: bool = False) -> PlannedDist:
    return msgspec.convert(
        {
            "download_info": {"url": f"https://files.example/{name}-1.0-py3-none-any.whl"},
            "requested": requested,
            "metadata": {"name": name, "version": "1.0", "requires_dist": list(requires)},
        },
        type=PlannedDist,
    )


def _run(plan: list[PlannedDist]) -> list:
    """The plan stage of the check, as the registry runs it."""
    ctx = CheckContext(config=Config(), plan=plan, pypi=None, history=None, artifacts=None)
    return asyncio.run(check_plan(ctx, [typosquat.CHECK]))


def test_run_names_the_package_that_pulls_a_squat_in() -> None:
    squat = _dist("Requsets")
    parent = _dist("innocent", ["requsets>=1; python_version>'3'"], requested=True)
    (finding,) = _run([parent, squat])  # one finding: the parent is no squat
    assert (finding.check, finding.package, finding.version) == ("typosquat", "requsets", "1.0")
    assert "pulled in as a dependency of innocent" in finding.message


def test_run_skips_the_users_own_directory() -> None:
    local = msgspec.convert(
        {
            "download_info": {"url": "file:///src/requsets", "dir_info": {}},
            "is_direct": True,
            "requested": True,
            "metadata": {"name": "requsets", "version": "0.1"},
        },
        type=PlannedDist,
    )
    assert _run([local]) == []


def test_shipped_list_loads_with_its_snapshot_date() -> None:
    shipped = hotlist.load()
    assert shipped.snapshot
    assert len(shipped.ranks) > 10_000
    assert shipped.rank("requests") is not None
    assert all(name == name.lower() and "_" not in name for name in shipped.ranks)


def test_parse_keeps_ranks_across_gaps() -> None:
    parsed = hotlist.parse("# spip-hotlist snapshot=2026-11-01 source=x\nboto3\n\nurllib3\n")
    assert parsed.snapshot == "2026-11-01"
    assert parsed.ranks == {"boto3": 1, "urllib3": 3}
    with pytest.raises(hotlist.HotlistError):
        hotlist.parse("boto3\nurllib3\n")


def _refresh_module():
    spec = importlib.util.spec_from_file_location("hotlist_refresh", REFRESH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refresh_writes_the_shipped_format_from_the_published_json(tmp_path: Path) -> None:
    refresh = _refresh_module()
    ranking = {
        "last_update": "2026-11-01 07:12:00",
        "query": {"bytes_billed": 1},
        "rows": [
            {"download_count": 900, "project": "boto3"},
            {"download_count": 800, "project": "PyYAML"},
            {"download_count": 700, "project": "typing_extensions"},
            {"download_count": 600, "project": "pyyaml"},
            {"download_count": 500, "project": "zope.interface"},
        ],
    }
    source, output = tmp_path / "top.json", tmp_path / "hotlist.txt"
    source.write_text(json.dumps(ranking))
    assert refresh.main(["--source", str(source), "--output", str(output), "--limit", "4"]) == 0
    assert output.read_text().splitlines() == [
        "# spip-hotlist snapshot=2026-11-01 source=top-pypi-packages-30-days",
        "boto3",
        "pyyaml",
        "typing-extensions",
    ]
    parsed = hotlist.parse(output.read_text())
    assert parsed.ranks == {"boto3": 1, "pyyaml": 2, "typing-extensions": 3}


def test_refresh_reads_a_tsv_with_an_explicit_date(tmp_path: Path) -> None:
    refresh = _refresh_module()
    assert refresh.parse_tsv("1\tboto3\n2\tpackaging\n4\tcertifi\nbad line\n") == [
        (1, "boto3"),
        (2, "packaging"),
        (4, "certifi"),
    ]
    source, output = tmp_path / "top.tsv", tmp_path / "hotlist.txt"
    source.write_text("1\tboto3\n3\tcertifi\n")
    with pytest.raises(SystemExit):  # a TSV has no date
        refresh.main(["--source", str(source), "--output", str(output)])
    refresh.main(["--source", str(source), "--output", str(output), "--snapshot", "2026-11"])
    assert hotlist.parse(output.read_text()).ranks == {"boto3": 1, "certifi": 3}


def _typos_of_popular_names(count: int) -> list[str]:
    """Names one or two edits from the top of the list, as typos and squatters make them."""
    names = []
    for name in list(hotlist.load().ranks)[:count]:
        middle = len(name) // 2
        names += [
            name[:middle] + name[middle + 1 :],  # dropped
            name[:middle] + name[middle] + name[middle:],  # doubled
            name[:middle] + name[middle + 1 : middle + 2] + name[middle] + name[middle + 2 :],
            name + "s",
            "py" + name,
            name.replace("-", ""),
            name[1:] + "x",
        ]
    return names


def test_the_shipped_index_is_built_from_the_shipped_list() -> None:
    shipped = hotlist.load()
    text = (Path(typosquat.__file__).parent.parent / typosquat_index.PATH).read_text()
    fresh = typosquat_index.dump(typosquat.NameIndex(shipped.ranks), shipped)
    assert text == fresh, "stale: run `python hotlist/refresh.py --index-only`"
    assert isinstance(typosquat.detector().tables, typosquat_index.PackedIndex)


def test_the_prebuilt_index_finds_what_the_built_one_finds() -> None:
    shipped = hotlist.load()
    built = Detector(dict(shipped.ranks))
    packed = typosquat.detector()
    names = [*_typos_of_popular_names(1500), "spipbench-p1-000", "a", "zz-top-", "x" * 40]
    found = [built.lookalike(n) for n in names]
    assert sum(f is not None for f in found) > 3000
    assert [packed.lookalike(n) for n in names] == found


def test_extra_names_are_layered_over_the_prebuilt_index() -> None:
    extra = ("acme-internal-tools", "requests", "zorblax")
    ranks = hotlist.load().with_extra(extra).ranks
    built = Detector(dict(ranks))
    layered = typosquat.detector(tuple(sorted(extra)))
    assert isinstance(layered.tables, typosquat_index.Layered)
    names = ["acme-internal-tool", "acme-tools-internal", "zorblaxx", "reqests", "zorbax"]
    names += _typos_of_popular_names(300)
    assert [layered.lookalike(n) for n in names] == [built.lookalike(n) for n in names]
    assert layered.lookalike("acme-internal-tool").target == "acme-internal-tools"


def test_an_index_of_another_list_is_not_used() -> None:
    shipped = hotlist.load()
    other = hotlist.parse("# spip-hotlist snapshot=2026-01\nrequests\nnumpy\n")
    assert typosquat_index.load(shipped) is not None
    assert typosquat_index.load(other) is None


def test_packed_lookups_find_every_key_and_only_those() -> None:
    ranks = {"alpha-beta": 1, "gamma": 2, "delta-lambda-kappa": 3, "omega": 4}
    shipped = hotlist.parse("# spip-hotlist snapshot=2026-01\n" + "\n".join(ranks) + "\n")
    index = typosquat.NameIndex(ranks)
    text = typosquat_index.dump(index, shipped)
    body = text.index("\n") + 1
    packed = typosquat_index.PackedIndex(text.encode(), body, {r: n for n, r in ranks.items()})
    entries = list(index.entries())
    assert len(entries) > 20
    for table, key, names in entries:
        assert list(packed.every(table, key)) == list(names)
        assert packed.first(table, key) == names[0]
        for missing in (key + "0", key[:-1], "~" + key, ""):
            if missing not in {k for t, k, _ in entries if t == table}:
                assert packed.first(table, missing) is None
                assert packed.every(table, missing) == ()


def test_spips_wheel_ships_the_list_and_its_index(spip_wheel: Path) -> None:
    data = Path(typosquat.__file__).parent.parent / "data"
    with zipfile.ZipFile(spip_wheel) as wheel:
        for name in ("hotlist.txt", "typosquat-index.txt"):
            assert wheel.read(f"spip/data/{name}") == (data / name).read_bytes()


def test_known_neighbours_are_not_lookalikes() -> None:
    """Real projects named close to a popular one (the shipped neighbours list)."""
    assert {"httpx2", "httpcore2"} <= typosquat.known_neighbours()
    assert lookalike("httpx2") is None and lookalike("httpcore2") is None
    assert screen_names(["httpx2", "httpcore2"], Config()) == []


@pytest.mark.parametrize(("name", "releases", "days", "flagged"), [
    ("pandasx", 12, 900, False),  # old and many releases: a project of its own
    ("boto3x", 12, 30, True),  # many releases, all recent
    ("sixth", 2, 900, True),  # old, but a release or two
])  # fmt: skip
def test_an_established_project_is_no_loose_lookalike(
    fake_index, tmp_path: Path, name: str, releases: int, days: int, flagged: bool
) -> None:
    from datetime import timedelta

    from tests.support import check, planned_wheel

    assert lookalike(name).severity is Severity.LOW
    wheel = None
    for i in range(releases):
        age = timedelta(days=days - i)
        wheel = fake_index.publish(name, f"1.{i}", upload_time=age)
    found = check(fake_index, tmp_path, planned_wheel(fake_index, wheel), (typosquat.CHECK,))
    assert [f.check for f in found] == (["typosquat"] if flagged else [])
