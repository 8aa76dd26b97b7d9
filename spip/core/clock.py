""" "Now", for ages and the cooldown: the real time, or ``SPIP_NOW`` (an ISO-8601 time,
UTC unless it says otherwise) so that an evaluation can make real releases look fresh
(``make eval-ci --simulate-fresh``). The one place spip asks what time it is."""

from __future__ import annotations

import os
from datetime import datetime, timezone

VARIABLE = "SPIP_NOW"


def parse_time(text: str) -> datetime:
    """An ISO-8601 time (``Z`` or an offset; none means UTC); ValueError when it is none."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def now() -> datetime:
    """The current time (aware, UTC); ValueError when ``SPIP_NOW`` is set but no time."""
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return datetime.now(timezone.utc)
    try:
        return parse_time(text).astimezone(timezone.utc)
    except ValueError:
        raise ValueError(f"{VARIABLE}={text!r} is not an ISO-8601 time") from None
