"""What phase 2 leaves in ``*.dist-info`` as pip would: the direct origin it records."""

from __future__ import annotations

import json
from pathlib import Path

from spip.installer.distinfo import as_pip_would
from spip.plan.report import parse_report


def test_a_direct_archive_records_the_reports_download_info_as_pip_wrote_it(
    tmp_path: Path,
) -> None:
    download_info = {  # PEP 610, as pip's report gives it: no null fields, a subdirectory
        "url": "https://example.org/demo-1.0.tar.gz",
        "subdirectory": "python",
        "archive_info": {"hash": "sha256=ab", "hashes": {"sha256": "ab"}},
    }
    report = {
        "version": "1",
        "install": [
            {
                "download_info": download_info,
                "is_direct": True,
                "requested": True,
                "metadata": {"name": "Demo", "version": "1.0"},
            }
        ],
    }
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("demo-1.0.dist-info/RECORD,,\n")
    as_pip_would(parse_report(json.dumps(report)).install, [tmp_path], {}, {})
    assert json.loads((info / "direct_url.json").read_text()) == download_info
    assert "demo-1.0.dist-info/direct_url.json,sha256=" in (info / "RECORD").read_text()
