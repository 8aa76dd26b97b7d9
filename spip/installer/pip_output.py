"""pip's output, shown as a plain ``pip install`` shows it.

spip's pips print lines a plain install does not: phase 1 is a dry run ("Would
install ..."), and both phases name spip's own temporary folders ("Looking in
links: $TMPDIR/spip-files-...", "Processing $TMPDIR/spip-files-.../x.whl (from -r
$TMPDIR/spip-plan-.../requirements.txt (line 1))"). :class:`PipOutput` passes pip's
stdout on without those: at a terminal phase 1's lines as pip prints them (what
it collects and downloads, so a long resolution is not silent), then phase 2's,
where a local archive is shown by its own path, as pip shows it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from spip.ui import output

_PROCESSING = re.compile(r"Processing (.+?)(?: \(from .*\))?$")


def display_path(path: str) -> str:
    """A path as pip prints it: relative (``./x.whl``) under the current directory."""
    path = os.path.normcase(os.path.abspath(path))
    here = os.getcwd() + os.sep
    return "." + path[len(here) - 1 :] if path.startswith(here) else path


class PipOutput:
    """The filter between spip's pips and the user; ``folders``: spip's own, never shown."""

    def __init__(self, folders: Iterable[str], live: bool) -> None:
        self.folders = list(folders)
        self.live = live  # phase 1's lines are shown as pip prints them
        self.local: dict[str, str] = {}  # file name in spip's folders -> the path pip shows

    def ours(self, line: str) -> bool:
        """The line names one of spip's folders, or is phase 1's "Would install"."""
        return line.startswith("Would install ") or any(f in line for f in self.folders)

    def resolving(self, line: str) -> None:
        """Phase 1 at a terminal: pip's line, unless it is about spip's own doings."""
        if not self.ours(line):
            output.relay(line, err=True)

    def unshown(self, stdout: str) -> str:
        """What of phase 1's stdout :meth:`resolving` did not show."""
        if not self.live:
            return stdout
        return "".join(line for line in stdout.splitlines(keepends=True) if self.ours(line))

    def installing(self, line: str) -> None:
        """Phase 2: pip's line; spip's folders hidden, a local archive by its own path."""
        if not self.ours(line):
            output.relay(line)
            return
        found = _PROCESSING.match(line.rstrip("\r\n"))
        shown = self.local.get(os.path.basename(found.group(1))) if found else None
        if shown is not None and not self.live:  # at a terminal, phase 1 showed it
            output.relay(f"Processing {shown}")
