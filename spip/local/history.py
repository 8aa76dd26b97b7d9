"""spip's local history: which versions of each project were installed, with which e-mail
domains in their metadata. Later runs compare against it (``email-drift``).

One SQLite database under the cache directory, in WAL mode with a busy timeout and one
transaction per write, so two runs at once, a run killed half-way or a full disk leave
it readable. Trouble never stops an install: it is collected in :attr:`History.warnings`
for the caller to print, and the run goes on without the history.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from spip.core.emails import email_domains

if TYPE_CHECKING:
    from spip.plan.report import PlannedDist

FILENAME = "history.sqlite3"
BUSY_TIMEOUT = 10.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    project  TEXT NOT NULL,
    version  TEXT NOT NULL,
    domains  TEXT NOT NULL,  -- space-separated e-mail domains of the release's metadata
    recorded REAL NOT NULL,
    PRIMARY KEY (project, version)
)
"""


class History:
    """The history store; opened lazily, so a run that never asks creates nothing."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILENAME
        self.warnings: list[str] = []
        self._conn: sqlite3.Connection | None = None
        self._unusable = False

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _warn(self, doing: str, exc: BaseException) -> None:
        message = (
            f"spip's history {self.path} could not be {doing} ({exc}); "
            "carrying on without it (move the file away if this persists)"
        )
        if message not in self.warnings:
            self.warnings.append(message)

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._unusable:
            conn = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
                self._conn = conn
            except (sqlite3.Error, OSError) as exc:
                self._unusable = True
                self._warn("opened", exc)
                if conn is not None:
                    conn.close()
        return self._conn

    def _rows(self, name: str) -> list[tuple[str, str]]:
        db = self._db()
        if db is None:
            return []
        try:
            return db.execute(
                "SELECT version, domains FROM releases WHERE project = ?",
                (canonicalize_name(name),),
            ).fetchall()
        except sqlite3.Error as exc:
            self._warn("read", exc)
            return []

    def domains(self, name: str) -> set[str]:
        """Every e-mail domain recorded for the project (empty when never installed)."""
        return {d for _, domains in self._rows(name) for d in domains.split()}

    def versions(self, name: str) -> set[str]:
        """The versions of the project installed before."""
        return {version for version, _ in self._rows(name)}

    def record(self, name: str, version: str, domains: set[str]) -> bool:
        """Record one installed release; False (and a warning) when it could not be written."""
        return self._record([(name, version, domains)])

    def _record(self, entries: Iterable[tuple[str, str, set[str]]]) -> bool:
        now = time.time()
        rows = [
            (canonicalize_name(name), version, " ".join(sorted(domains)), now)
            for name, version, domains in entries
        ]
        db = self._db()
        if db is None:
            return False
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO releases (project, version, domains, recorded) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (project, version) DO UPDATE"
                    " SET domains = excluded.domains, recorded = excluded.recorded",
                    rows,
                )
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._warn("written", exc)
            return False
        return True

    def record_installed(self, plan: Iterable[PlannedDist]) -> bool:
        """Record what an install put in place: call after pip installed ``plan``.

        Only distributions from an index are recorded: a local tree or a URL says
        nothing about what the index publishes under that name.
        """
        return self._record(
            (
                dist.name,
                dist.version,
                email_domains(dist.metadata.author_email, dist.metadata.maintainer_email),
            )
            for dist in plan
            if dist.source == "index"
        )


def _domains(dist: PlannedDist) -> set[str]:
    return email_domains(dist.metadata.author_email, dist.metadata.maintainer_email)
