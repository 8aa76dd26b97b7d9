"""Whether a process still runs (for what a run leaves behind it: folders, journal notes)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while process ``pid`` exists (also when it belongs to someone else)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user (or the platform cannot tell)
        return True
    return True
