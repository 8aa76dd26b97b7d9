"""What spip's dependencies would import for nothing stays out of spip's process."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from spip.cli.main import skip_unused_imports
skip_unused_imports()
import httpx, httpcore
httpx.AsyncClient  # still whole
print(sorted(m for m in ("trio", "rich", "pygments", "httpx._main") if sys.modules.get(m)))
"""


def test_httpx_and_httpcore_load_without_trio_or_httpxs_command_line_client():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
