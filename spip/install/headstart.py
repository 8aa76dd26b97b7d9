"""Head starts: work begun on what the installer names while it still resolves.

While pip resolves, spip follows its output and starts, for each file it names,
what the checks and phase 2 will need: the index's documents, what checks prefetch
and, unless it is a dry run, the file itself. None of it decides anything (the
plan does); a head start that fails is logged and forgotten, and those the plan did
not need are cancelled before the client closes.
"""

from __future__ import annotations

import asyncio
import queue
import re
from collections.abc import Awaitable, Iterable
from typing import Any

from packaging.utils import canonicalize_name

from spip.checks.base import CheckContext, DataUnavailable
from spip.checks.registry import prefetch
from spip.core.distfiles import parse_dist_filename
from spip.core.logs import log
from spip.index.errors import ClientSettingsError

# A file pip names while it resolves: "Obtaining dependency information for x from
# URL.metadata", "Downloading URL (12 kB)"; newer pips (and pypi.org's files in any
# pip) show the file name only: "Downloading x-1.0-py3-none-any.whl.metadata (2 kB)".
FILE = re.compile(r"(\S+?\.(?:whl|tar\.gz|zip))(?:\.metadata)?(?=\s|$)")


class HeadStart:
    """The head starts of one install, on the context the checks will use."""

    def __init__(self, ctx: CheckContext, fetch: bool) -> None:
        self.ctx = ctx
        self._fetch = fetch  # also download the files (not for a dry run)

    def histories(self, names: Iterable[str]) -> None:
        """The installer starts with these: their release history is needed first."""
        for name in names:
            self._background(self.ctx.pypi.files(canonicalize_name(name)))

    async def follow(self, lines: queue.SimpleQueue[str | None]) -> None:
        """Start work on every file the installer names, until its output ends."""
        while (line := await asyncio.to_thread(lines.get)) is not None:
            for file in FILE.findall(line):
                self._named(file)

    def _named(self, file: str) -> None:
        found = parse_dist_filename(file)
        if found is not None:
            name, version, filename = found.name, str(found.version), found.filename
            self._background(self.ctx.pypi.release(name, version))
            self._background(self.ctx.pypi.previous_release(name, version))
            for job in prefetch(name, version, filename, self.ctx):
                self._background(job)
        if self._fetch and file.startswith(("https://", "http://")):
            self.ctx.artifacts.prefetch(file)
        elif self._fetch and found is not None:
            self.ctx.artifacts.prefetch_found(filename, self._url_of(name, version, filename))

    async def _url_of(self, name: str, version: str, filename: str) -> str | None:
        """The URL of a file named without it (newer pips; pypi.org's files; uv): the
        index's release document has it."""
        try:
            found = (await self.ctx.pypi.release(name, version)).file(None, filename)
        except (DataUnavailable, ClientSettingsError) as exc:  # the checks say it again
            log.debug("no URL for %s: %s", filename, exc)
            return None
        return found.url if found is not None and found.url else None

    @staticmethod
    def _background(job: Awaitable[object]) -> None:
        task = asyncio.ensure_future(job)
        task.add_done_callback(_forget)

    @staticmethod
    async def drop(keep: asyncio.Future[Any] | None = None) -> None:
        """Cancel the head starts still running (the plan did not need them), so that
        closing the client does not wait for their answers; ``keep`` goes on."""
        leftovers = asyncio.all_tasks() - {asyncio.current_task(), keep}
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


def _forget(task: asyncio.Future[object]) -> None:
    """A head start that failed: the checks ask again and report it if it matters."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.debug("a head start failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
