"""Rebuild ``spip/data/malicious.txt``: known-malicious PyPI releases, from OSV ``MAL-`` records.

Sources (OSV records of OpenSSF's malicious-packages project):

- ``--source DIR``: a checkout of https://github.com/ossf/malicious-packages (its
  ``osv/malicious/pypi/<name>/MAL-*.json``), or any folder of OSV records;
- ``--zip PATH_OR_URL``: OSV's export of every PyPI advisory (default, when online:
  ``https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip``), of which the
  ``MAL-`` records are kept.

Withdrawn records, records of other ecosystems and the unnumbered ``MAL-0000-*``
ingestion records are left out. One line per (advisory, package): the PEP 503 name, the
versions it names (or ``*`` when a range opens at 0 and never closes, or it lists
none), the id, the date it was published.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

OUTPUT = Path(__file__).resolve().parent.parent / "spip" / "data" / "malicious.txt"
OSV_ZIP = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
UNNUMBERED = "MAL-0000-"


def records_from_dir(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.rglob("MAL-*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def records_from_zip(source: str) -> Iterator[dict[str, Any]]:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=120) as resp:
            data = io.BytesIO(resp.read())
        archive = zipfile.ZipFile(data)
    else:
        archive = zipfile.ZipFile(source)
    with archive:
        for member in sorted(archive.namelist()):
            if member.startswith("MAL-") and member.endswith(".json"):
                yield json.loads(archive.read(member))


def _open_ended(affected: dict[str, Any]) -> bool:
    for span in affected.get("ranges") or []:
        events = span.get("events") or []
        if any(e.get("introduced") == "0" for e in events) and not any(
            "fixed" in e or "last_affected" in e for e in events
        ):
            return True
    return False


def lines(records: Iterable[dict[str, Any]]) -> list[str]:
    out = set()
    for record in records:
        advisory = str(record.get("id", ""))
        if not advisory.startswith("MAL-") or advisory.startswith(UNNUMBERED):
            continue
        if record.get("withdrawn"):
            continue
        published = str(record.get("published") or record.get("modified") or "")[:10]
        for affected in record.get("affected") or []:
            package = affected.get("package") or {}
            if package.get("ecosystem") != "PyPI" or not package.get("name"):
                continue
            versions = sorted({str(v) for v in affected.get("versions") or [] if str(v).strip()})
            listed = "*" if _open_ended(affected) or not versions else ",".join(versions)
            name = canonicalize_name(str(package["name"]))
            out.add(f"{name}\t{listed}\t{advisory}\t{published}")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--source", type=Path, help="a folder of OSV records (a checkout)")
    source.add_argument("--zip", default=OSV_ZIP, help="OSV's PyPI export (path or URL)")
    parser.add_argument("--snapshot", default=date.today().isoformat(), help="the date to record")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.source is not None:
        records = records_from_dir(args.source)
        origin = "ossf/malicious-packages"
    else:
        records = records_from_zip(args.zip)
        origin = "osv-PyPI-export"
    body = lines(records)
    if not body:
        print("no MAL- records found: nothing written", file=sys.stderr)
        return 1
    header = f"# spip-malicious snapshot={args.snapshot} source={origin} records={len(body)}"
    args.output.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(body)} advisories")
    return 0


if __name__ == "__main__":
    sys.exit(main())
