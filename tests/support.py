"""Helpers the tests of several layers share: pip's report entries for files on the
local index, and running checks the way one ``spip install`` does."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import hashlib
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import msgspec

from spip.checks import (
    email_drift,
    empty_description,
    fresh_release,
    repo_mismatch,
    suspicious_url,
    vulnerability,
    yanked,
    zero_version,
)
from spip.checks.base import Check, CheckContext
from spip.checks.registry import check_plan
from spip.index.artifacts import Artifacts
from spip.index.cache import Cache
from spip.index.http import Client, make_client
from spip.index.netconf import NetSettings
from spip.index.pypi import PyPIClient
from spip.local.history import History
from spip.plan.report import PlannedDist
from spip.policy.config import Config
from spip.policy.findings import Finding
from tests.fakeindex import FakeIndex

# The checks that judge a release by its metadata.
METADATA_CHECKS: tuple[Check, ...] = (
    fresh_release.CHECK,
    yanked.CHECK,
    vulnerability.CHECK,
    zero_version.CHECK,
    empty_description.CHECK,
    suspicious_url.CHECK,
    repo_mismatch.CHECK,
    email_drift.CHECK,
)
# The checks that need the index's data, not only the planned file's own metadata.
NEED_INDEX = {fresh_release.ID, yanked.ID, vulnerability.ID, email_drift.ID}


def ago(**delta: float) -> datetime:
    """An upload time ``delta`` before now."""
    return datetime.now(timezone.utc) - timedelta(**delta)


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.check for f in findings)


@contextlib.asynccontextmanager
async def pypi_client(
    index: FakeIndex, cache_dir: Path | None, timeout: float = 5.0
) -> AsyncIterator[PyPIClient]:
    """The client of one run against ``index`` (``cache_dir=None``: no disk cache)."""
    async with make_client(NetSettings(timeout=timeout)) as http:
        yield PyPIClient(http, index.url, Cache(cache_dir))


MULTIPLE_USE = {"project_url", "classifier", "requires_dist", "provides_extra", "dynamic"}


def planned_wheel(index: FakeIndex, wheel: Path, source: str = "index") -> PlannedDist:
    """The report entry pip writes for ``wheel`` (metadata as PEP 566 JSON)."""
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.Parser(policy=email.policy.compat32).parsestr(
            archive.read(member).decode()
        )
    metadata: dict[str, Any] = {}
    for key, value in message.items():
        field = key.lower().replace("-", "_")
        if field in MULTIPLE_USE:
            metadata.setdefault(field, []).append(value)
        else:
            metadata[field] = value
    if message.get_payload():
        metadata["description"] = message.get_payload()
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    url = index.file_url(wheel.name) if source == "index" else wheel.as_uri()
    if source == "dir":
        download: dict[str, Any] = {"url": wheel.parent.as_uri(), "dir_info": {}}
    else:
        download = {"url": url, "archive_info": {"hashes": {"sha256": sha256}}}
    return msgspec.convert(
        {"download_info": download, "is_direct": source != "index", "metadata": metadata},
        type=PlannedDist,
    )


def check(
    index: FakeIndex,
    tmp_path: Path,
    dist: PlannedDist,
    checks: Sequence[Check] = METADATA_CHECKS,
    timeout: float = 5.0,
    **config: Any,
) -> list[Finding]:
    """Run ``checks`` on ``dist`` as one spip run would (cache and history in ``tmp_path``)."""

    async def main() -> list[Finding]:
        async with pypi_client(index, tmp_path, timeout) as pypi:
            ctx = CheckContext(
                config=Config(cache_dir=tmp_path, **config),
                plan=[dist],
                pypi=pypi,
                history=History(tmp_path),
                artifacts=None,  # type: ignore[arg-type]
            )
            return await check_plan(ctx, checks)

    return asyncio.run(main())


def planned_file(index: FakeIndex, path: Path, version: str) -> PlannedDist:
    """The report entry pip writes for a file it picked from ``index``."""
    name = path.name.split("-")[0]
    return msgspec.convert(
        {
            "download_info": {
                "url": index.file_url(path.name),
                "archive_info": {
                    "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                },
            },
            "metadata": {"name": name, "version": version},
        },
        type=PlannedDist,
    )


def run_check(
    check: Check,
    index: FakeIndex,
    tmp_path: Path,
    dist: PlannedDist,
    *,
    prefetched: Callable[[], None] | None = None,
) -> list[Finding]:
    """Run one check on one planned distribution the way ``spip install`` does.

    With ``prefetched``, the check's prefetch for the file runs to its end first, as
    when pip names the file while it resolves; then ``prefetched()`` is called.
    """

    async def go() -> list[Finding]:
        async with httpx.AsyncClient() as http:
            client = Client.wrapping(http)
            artifacts = Artifacts(client, tmp_path / "cache")
            ctx = CheckContext(
                config=Config(cache_dir=tmp_path / "cache"),
                plan=[dist],
                pypi=PyPIClient(client, index.url, Cache(None)),
                history=None,  # type: ignore[arg-type]
                artifacts=artifacts,
            )
            if prefetched is not None:
                assert check.prefetch is not None
                await check.prefetch(dist.name, dist.version, dist.filename, ctx)
                prefetched()
            artifacts.start([dist])
            try:
                return await check_plan(ctx, [check])
            finally:
                artifacts.cleanup()

    return asyncio.run(go())


def on_terminal(
    cmd: Sequence[str], env: dict[str, str], cwd: Path, keys: bytes, timeout: float = 240
) -> tuple[int, str]:
    """Run ``cmd`` on a pseudo-terminal; press ``keys`` at spip's question. Returns the
    exit status and everything the terminal showed."""
    import os
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal on stdin/stdout/stderr
        os.chdir(cwd)
        os.execvpe(cmd[0], list(cmd), env)
    seen, pressed, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not pressed and b"install anyway?" in seen:
            time.sleep(0.3)  # the question has read its terminal settings by then
            os.write(fd, keys)
            pressed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")
