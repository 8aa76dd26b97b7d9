"""The layout of spip's content-addressed store of verified files (in its own module:
an installer that only looks a file up need not load the fetching machinery)."""

from __future__ import annotations

from pathlib import Path


def stored_file(cache_dir: Path, sha256: str) -> Path:
    """Where the content-addressed store keeps the file of this sha256 (if it has it)."""
    return cache_dir / "files" / sha256[:2] / sha256
