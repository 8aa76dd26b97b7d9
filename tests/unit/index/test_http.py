"""The HTTP client: what closing it needs is loaded before the close."""

from __future__ import annotations

import subprocess
import sys

# A client closed without a request (a run whose documents were all cached): after
# load_closing() the close imports nothing; without it, anyio's asyncio backend.
SCRIPT = """
import asyncio, sys
from spip.index.http import load_closing, make_client
from spip.index.netconf import NetSettings

async def main():
    client = make_client(NetSettings())
    if sys.argv[1] == "load":
        load_closing()
    before = set(sys.modules)
    await client.aclose()
    print(sorted(m for m in set(sys.modules) - before if m.startswith("anyio")))

asyncio.run(main())
"""


def closing_imports(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_closing_imports_nothing_once_load_closing_ran():
    assert closing_imports("load") == "[]"
    assert "anyio._backends._asyncio" in closing_imports("no")  # what load_closing spares
