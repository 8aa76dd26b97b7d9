"""spip's debug log: silent unless ``SPIP_DEBUG=1`` (or pip's ``-v``) asks for it.

Every swallowed failure (a head start that failed, a fetch fallback, the error behind
an ``unverified`` finding) is logged here with its traceback, so it can be seen.
"""

from __future__ import annotations

import logging
import os

from spip.core.redact import redact

log = logging.getLogger("spip")


def debug_wanted(verbose: bool = False) -> bool:
    return verbose or os.environ.get("SPIP_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


class _Redacting(logging.Formatter):
    """No URL credentials in the debug log either (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(verbose: bool = False) -> None:
    """Send spip's log to stderr when debugging was asked for; otherwise keep it silent."""
    if log.handlers:
        return
    if debug_wanted(verbose):
        handler = logging.StreamHandler()
        handler.setFormatter(_Redacting("spip: debug: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
    else:
        log.addHandler(logging.NullHandler())
    log.propagate = False
