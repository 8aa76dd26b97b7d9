"""The test index's newer surfaces: botched ranges, PEP 792, PEP 740, an OSV look-alike, uploads."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fakeindex import FakeIndex, osv_record
from tests.fakeindex.client import Answer, call
from tests.fakeindex.server import (
    FAIL_MODES,
    INTEGRITY_JSON,
    RANGE_MODES,
    WRONG_RANGE_SHIFT,
)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def post(base: str, path: str, body: Any) -> Answer:
    return call(base, path, {"Content-Type": "application/json"}, method="POST", body=body)


# -- range misbehaviour ---------------------------------------------------------------


@pytest.mark.parametrize("mode", [m for m in RANGE_MODES if m != "drip"])
def test_range_modes_botch_ranges_but_not_whole_downloads(
    fake_index: FakeIndex, unique_name, mode: str
) -> None:
    botched, healthy = (fake_index.publish(unique_name(), "1.0") for _ in range(2))
    data, path = botched.read_bytes(), f"/files/{botched.name}"
    fake_index.set_range_mode(mode, botched.name)
    size = len(data)

    if mode == "truncate":
        with pytest.raises(http.client.IncompleteRead) as cut:
            call(fake_index.url, path, {"Range": "bytes=-100"})
        assert cut.value.partial == data[-100:-50]
    else:
        tail = call(fake_index.url, path, {"Range": "bytes=-100"})
        if mode == "refuse":
            assert (tail.status, tail.body) == (200, data)
        elif mode == "416":
            assert (tail.status, tail.headers["content-range"]) == (416, f"bytes */{size}")
        else:  # wrong-range: the right bytes, claimed elsewhere
            first = size - 100 - WRONG_RANGE_SHIFT
            assert (tail.status, tail.body) == (206, data[-100:])
            assert tail.headers["content-range"] == f"bytes {first}-{first + 99}/{size}"
            head = call(fake_index.url, path, {"Range": "bytes=0-3"})
            assert (head.body, head.headers["content-range"]) == (
                b"PK\x03\x04",
                f"bytes {WRONG_RANGE_SHIFT}-{WRONG_RANGE_SHIFT + 3}/{size}",
            )

    whole = call(fake_index.url, path)
    assert (whole.status, whole.body) == (200, data)  # pip still gets the file
    other = call(fake_index.url, f"/files/{healthy.name}", {"Range": "bytes=-22"})
    assert (other.status, other.body) == (206, healthy.read_bytes()[-22:])  # per file
    fake_index.set_range_mode(None, botched.name)
    assert call(fake_index.url, path, {"Range": "bytes=-22"}).body == data[-22:]


def test_global_range_mode_yields_to_a_files_own_and_resets(
    fake_index: FakeIndex, unique_name
) -> None:
    first, second = (fake_index.publish(unique_name(), "1.0") for _ in range(2))
    fake_index.set_range_mode("416")
    fake_index.set_range_mode("refuse", second.name)
    assert call(fake_index.url, f"/files/{first.name}", {"Range": "bytes=0-3"}).status == 416
    assert call(fake_index.url, f"/files/{second.name}", {"Range": "bytes=0-3"}).status == 200
    with pytest.raises(ValueError, match="unknown range mode"):
        fake_index.set_range_mode("sideways")
    with pytest.raises(KeyError):
        fake_index.set_range_mode("416", "not-on-the-index-1.0-py3-none-any.whl")
    fake_index.reset()
    assert fake_index.range_mode is None
    for wheel in (first, second):
        answer = call(fake_index.url, f"/files/{wheel.name}", {"Range": "bytes=0-3"})
        assert (answer.status, answer.body) == (206, b"PK\x03\x04")


def test_drip_is_slow_bounded_and_ends_at_reset(fake_index: FakeIndex, unique_name) -> None:
    wheel = fake_index.publish(unique_name(), "1.0")
    data, path = wheel.read_bytes(), f"/files/{wheel.name}"
    fake_index.set_range_mode("drip", wheel.name)
    fake_index.drip_ms = 20
    started = time.monotonic()
    four = call(fake_index.url, path, {"Range": "bytes=0-3"})
    assert (four.status, four.body) == (206, b"PK\x03\x04")
    assert time.monotonic() - started >= 0.06  # 4 bytes, 3+ pauses of 20 ms

    fake_index.drip_max_seconds = 0.3  # the bound: then the rest at once
    started = time.monotonic()
    assert call(fake_index.url, path).body == data
    assert 0.3 <= time.monotonic() - started < 5

    fake_index.drip_ms, fake_index.drip_max_seconds = 1000, 60
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(call, fake_index.url, path)
        time.sleep(0.3)
        assert not pending.done()
        started = time.monotonic()
        fake_index.reset()
        assert pending.result(timeout=5).body == data
    assert time.monotonic() - started < 5


def test_pip_installs_while_every_range_is_botched(
    fake_index: FakeIndex, venv, unique_name
) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.set_range_mode("truncate")
    venv.pip("install", name)
    assert f"{name}==1.0" in venv.pip("freeze").stdout.split()


# -- PEP 792 project status ------------------------------------------------------------


def test_project_status_markers_in_json_and_html(fake_index: FakeIndex, unique_name) -> None:
    name, plain = unique_name(), unique_name()
    wheel = fake_index.publish(name, "1.0")
    fake_index.publish(plain, "1.0")
    page = call(fake_index.url, f"/simple/{plain}/", {"Accept": SIMPLE_JSON}).json()
    assert page["meta"]["api-version"] == "1.4"
    assert page["project-status"] == {"status": "active"}
    root = call(fake_index.url, "/simple/", {"Accept": SIMPLE_JSON}).json()
    assert root["meta"]["api-version"] == "1.4"

    fake_index.set_status(name, "archived", reason="moved to other-thing")
    document = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    assert document["project-status"] == {"status": "archived", "reason": "moved to other-thing"}
    assert [f["filename"] for f in document["files"]] == [wheel.name]  # still downloadable
    text = call(fake_index.url, f"/simple/{name}/", {"Accept": "text/html"}).body.decode()
    assert '<meta name="pypi:repository-version" content="1.4">' in text
    assert '<meta name="pypi:project-status" content="archived">' in text
    assert '<meta name="pypi:project-status-reason" content="moved to other-thing">' in text

    fake_index.project_status_shape = "meta"
    document = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    assert "project-status" not in document
    assert document["meta"]["project-status"] == "archived"
    assert document["meta"]["project-status-reason"] == "moved to other-thing"

    fake_index.set_status(name, "deprecated")
    fake_index.reset()  # the shape is a knob; the status is catalogue
    document = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    assert document["project-status"] == {"status": "deprecated"}
    with pytest.raises(ValueError, match="unknown project status"):
        fake_index.set_status(name, "haunted")


def test_quarantined_project_offers_nothing(fake_index: FakeIndex, venv, unique_name) -> None:
    name = unique_name()
    wheel = fake_index.publish(name, "1.0")
    fake_index.publish(name, "1.1", sdist=True)
    fake_index.set_status(name, "quarantined", reason="malware")
    document = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    assert document["project-status"] == {"status": "quarantined", "reason": "malware"}
    assert (document["files"], document["versions"]) == ([], ["1.0", "1.1"])
    text = call(fake_index.url, f"/simple/{name}/").body.decode()
    assert "<a " not in text and 'content="quarantined"' in text
    for path in (f"/files/{wheel.name}", f"/files/{wheel.name}.metadata", f"/pypi/{name}/json"):
        assert call(fake_index.url, path).status == 404
    result = venv.pip("install", name, check=False)
    assert result.returncode != 0 and "No matching distribution" in result.stderr
    fake_index.set_status(name, "active")
    assert call(fake_index.url, f"/files/{wheel.name}").status == 200


# -- PEP 740 provenance ----------------------------------------------------------------


def test_provenance_links_and_integrity_api(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name("Prov.Name")
    publisher = {"kind": "GitHub", "repository": "owner/repo", "workflow": "release.yml"}
    wheel = fake_index.publish(name, "1.0", provenance=publisher)
    bare = fake_index.publish(name, "1.0", sdist=True)
    url = fake_index.provenance_url(wheel.name)
    project = name.lower().replace(".", "-")
    assert url == f"{fake_index.url}/integrity/{project}/1.0/{wheel.name}/provenance"
    assert fake_index.provenance_url(bare.name) is None

    files = {
        f["filename"]: f
        for f in call(fake_index.url, f"/simple/{project}/", {"Accept": SIMPLE_JSON}).json()[
            "files"
        ]
    }
    assert (files[wheel.name]["provenance"], files[bare.name]["provenance"]) == (url, None)
    text = call(fake_index.url, f"/simple/{project}/").body.decode()
    assert text.count("data-provenance=") == 1 and f'data-provenance="{url}"' in text

    answer = call(fake_index.url, urlsplit(url).path)
    assert answer.headers["content-type"] == INTEGRITY_JSON
    document = answer.json()
    assert document["version"] == 1
    (bundle,) = document["attestation_bundles"]
    assert bundle["publisher"] == {**publisher, "environment": None, "claims": None}
    (attestation,) = bundle["attestations"]
    statement = json.loads(base64.b64decode(attestation["envelope"]["statement"]))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert statement["subject"] == [{"name": wheel.name, "digest": {"sha256": digest}}]

    for path in (
        f"/integrity/{project}/1.0/{bare.name}/provenance",  # no provenance
        f"/integrity/{project}/2.0/{wheel.name}/provenance",  # wrong version
        f"/integrity/other-project/1.0/{wheel.name}/provenance",
    ):
        assert call(fake_index.url, path).status == 404

    gitlab = {"kind": "GitLab", "repository": "ns/proj", "workflow_filepath": ".gitlab-ci.yml"}
    other = fake_index.publish(unique_name(), "1.0", provenance={**gitlab, "environment": "prod"})
    document = call(fake_index.url, urlsplit(fake_index.provenance_url(other.name) or "").path)
    assert document.json()["attestation_bundles"][0]["publisher"]["environment"] == "prod"


# -- the OSV look-alike ----------------------------------------------------------------


def test_osv_querybatch_answers_in_query_order(fake_index: FakeIndex, unique_name) -> None:
    name, clean = unique_name("Osv_Pkg"), unique_name()
    old = fake_index.add_osv(osv_record("PYSEC-2099-1", name, fixed="2.0", aliases=["CVE-1"]))
    mal = fake_index.add_osv(osv_record("MAL-2099-7", name, ["2.5"], summary="Malicious code"))
    fake_index.add_osv(
        osv_record("GHSA-xxxx-yyyy-zzzz", name, introduced="3.0", withdrawn=datetime.now())
    )
    queries: list[dict[str, Any]] = [
        {"package": {"name": name.upper(), "ecosystem": "PyPI"}, "version": "1.5"},
        {"package": {"name": clean, "ecosystem": "PyPI"}, "version": "1.0"},
        {"package": {"name": name, "ecosystem": "PyPI"}, "version": "2.5"},
        {"package": {"name": name, "ecosystem": "PyPI"}, "version": "3.1"},  # only withdrawn
        {"package": {"purl": f"pkg:pypi/{name.lower()}@0.1"}},
        {"package": {"name": name, "ecosystem": "npm"}, "version": "1.5"},
    ]
    fake_index.clear_log()
    answer = post(fake_index.osv_url, "/v1/querybatch", {"queries": queries})
    assert answer.status == 200
    short = {"id": old["id"], "modified": old["modified"]}
    assert answer.json() == {
        "results": [
            {"vulns": [short]},
            {},
            {"vulns": [{"id": mal["id"], "modified": mal["modified"]}]},
            {},
            {"vulns": [short]},
            {},
        ]
    }
    (logged,) = fake_index.requests
    assert (logged.method, logged.path, logged.status) == ("POST", "/v1/querybatch", 200)
    assert logged.json() == {"queries": queries}

    fake_index.osv_query_withdrawn = True
    answer = post(fake_index.osv_url, "/v1/querybatch", {"queries": queries[3:4]})
    assert answer.json()["results"][0]["vulns"][0]["id"] == "GHSA-xxxx-yyyy-zzzz"

    single = post(fake_index.osv_url, "/v1/query", queries[0]).json()
    assert [v["id"] for v in single["vulns"]] == ["PYSEC-2099-1"]
    assert single["vulns"][0]["affected"][0]["ranges"][0]["events"][-1] == {"fixed": "2.0"}
    assert post(fake_index.osv_url, "/v1/query", queries[1]).json() == {}
    every = post(fake_index.osv_url, "/v1/query", {"package": queries[0]["package"]}).json()
    assert {v["id"] for v in every["vulns"]} == {
        "PYSEC-2099-1",
        "MAL-2099-7",
        "GHSA-xxxx-yyyy-zzzz",
    }


def test_osv_vulns_records_etags_and_errors(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    published = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    fake_index.add_osv(
        {
            "id": "MAL-2099-42",
            "summary": f"Malicious code in {name} (PyPI)",
            "details": "Steals credentials.",
            "published": published,
            "modified": published + timedelta(days=1),
            "withdrawn": published + timedelta(days=2),
            "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": ["1.0"]}],
            "database_specific": {"malicious-packages-origins": [{"source": "ossf"}]},
        }
    )
    answer = call(fake_index.osv_url, "/v1/vulns/MAL-2099-42")
    record = answer.json()
    assert record["id"] == "MAL-2099-42" and record["aliases"] == []
    assert record["published"] == "2024-05-01T12:00:00.000000Z"
    assert record["modified"] == "2024-05-02T12:00:00.000000Z"
    assert record["withdrawn"] == "2024-05-03T12:00:00.000000Z"
    (affected,) = record["affected"]
    assert affected["package"]["purl"] == f"pkg:pypi/{name}" and affected["ranges"] == []
    assert record["database_specific"]["malicious-packages-origins"] == [{"source": "ossf"}]
    again = call(
        fake_index.osv_url, "/v1/vulns/MAL-2099-42", {"If-None-Match": answer.headers["etag"]}
    )
    assert (again.status, again.body) == (304, b"")
    query = {"package": {"name": name, "ecosystem": "PyPI"}, "version": "1.0"}
    assert post(fake_index.osv_url, "/v1/query", query).json() == {}  # withdrawn: left out

    missing = call(fake_index.osv_url, "/v1/vulns/PYSEC-0000-404")
    assert (missing.status, missing.json()["code"]) == (404, 5)
    assert post(fake_index.osv_url, "/v1/querybatch", {"queries": "nope"}).status == 400
    both = {"package": {"purl": f"pkg:pypi/{name}@1.0"}, "version": "1.0"}
    assert post(fake_index.osv_url, "/v1/query", both).status == 400
    assert call(fake_index.osv_url, "/v1/querybatch").status == 405
    with pytest.raises(ValueError):
        fake_index.add_osv({"summary": "no id"})


@pytest.mark.parametrize("mode", [m for m in FAIL_MODES if m != "slow"])
def test_osv_fail_modes(fake_index: FakeIndex, unique_name, mode: str) -> None:
    name = unique_name()
    fake_index.add_osv(osv_record("PYSEC-2099-9", name, ["1.0"]))
    body = {"queries": [{"package": {"name": name, "ecosystem": "PyPI"}, "version": "1.0"}]}
    fake_index.fail_osv(mode)
    answer = post(fake_index.osv_url, "/v1/querybatch", body)
    if mode in ("404", "500"):
        assert answer.status == int(mode)
    elif mode == "garbage":
        with pytest.raises(json.JSONDecodeError):
            answer.json()
    elif mode == "wrong-shape":
        assert isinstance(answer.json(), list)
    else:
        assert (answer.status, answer.headers["location"]) == (302, "/v1/querybatch")
    assert call(fake_index.url, "/simple/").status == 200  # the index is unaffected
    fake_index.reset()
    assert post(fake_index.osv_url, "/v1/querybatch", body).json()["results"][0]["vulns"]


# -- upload times, re-uploads, no per-release JSON ---------------------------------------


def file_times(index: FakeIndex, name: str, filename: str) -> tuple[str, str, str]:
    """(PEP 691/700 upload-time, JSON API upload_time, upload_time_iso_8601) of a file."""
    simple = call(index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    (entry,) = [f for f in simple["files"] if f["filename"] == filename]
    (release,) = [
        f for f in call(index.url, f"/pypi/{name}/json").json()["urls"] if f["filename"] == filename
    ]
    return entry["upload-time"], release["upload_time"], release["upload_time_iso_8601"]


def test_upload_time_is_the_same_everywhere(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    before = datetime.now(timezone.utc)
    wheel = fake_index.publish(name, "1.0", upload_time=timedelta(hours=1))
    pep691, legacy, iso = file_times(fake_index, name, wheel.name)
    moment = datetime.strptime(pep691, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert iso == pep691 and legacy == pep691[:19]
    assert timedelta(hours=1) <= before - moment + timedelta(seconds=5)
    assert before - moment < timedelta(hours=1, seconds=5)

    exact = datetime(2026, 1, 2, 3, 4, 5, 678901)  # naive: UTC
    other = fake_index.publish(name, "1.1", upload_time=exact)
    assert file_times(fake_index, name, other.name) == (
        "2026-01-02T03:04:05.678901Z",
        "2026-01-02T03:04:05",
        "2026-01-02T03:04:05.678901Z",
    )
    simple = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    assert simple["versions"] == ["1.0", "1.1"]  # PEP 700
    assert {f["size"] for f in simple["files"]} == {wheel.stat().st_size, other.stat().st_size}


def test_reupload_replaces_bytes_hash_and_upload_time(
    fake_index: FakeIndex, unique_name, tmp_path: Path
) -> None:
    name = unique_name()
    original = fake_index.publish(name, "1.0", upload_time=timedelta(days=90))
    old_bytes = original.read_bytes()
    new = fake_index.republish(name, "1.0", files={"sneaky.pth": "import os\n"})
    assert new.name == original.name and new != original
    assert original.read_bytes() == old_bytes  # the first build is left alone
    new_bytes = new.read_bytes()
    assert new_bytes != old_bytes

    pep691, _, iso = file_times(fake_index, name, new.name)
    uploaded = datetime.strptime(pep691, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert datetime.now(timezone.utc) - uploaded < timedelta(minutes=1) and iso == pep691
    simple = call(fake_index.url, f"/simple/{name}/", {"Accept": SIMPLE_JSON}).json()
    (entry,) = simple["files"]
    assert entry["hashes"] == {"sha256": hashlib.sha256(new_bytes).hexdigest()}
    assert entry["size"] == len(new_bytes)
    assert call(fake_index.url, f"/files/{new.name}").body == new_bytes
    release = call(fake_index.url, f"/pypi/{name}/1.0/json").json()
    assert release["urls"][0]["digests"]["sha256"] == hashlib.sha256(new_bytes).hexdigest()

    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    fake_index.reupload(original, upload_time=when)  # back to the first bytes
    assert file_times(fake_index, name, original.name)[2] == "2026-03-01T00:00:00.000000Z"
    assert call(fake_index.url, f"/files/{original.name}").body == old_bytes
    with pytest.raises(KeyError):
        fake_index.reupload(tmp_path / "never-published-1.0-py3-none-any.whl")


def test_no_per_release_json_like_a_frozen_mirror(fake_index: FakeIndex, unique_name) -> None:
    name = unique_name()
    fake_index.publish(name, "1.0")
    fake_index.no_per_release_json = True
    assert call(fake_index.url, f"/pypi/{name}/1.0/json").status == 404
    assert call(fake_index.url, f"/pypi/{name}/json").json()["info"]["version"] == "1.0"
    fake_index.reset()
    assert call(fake_index.url, f"/pypi/{name}/1.0/json").status == 200
