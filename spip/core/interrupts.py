"""Ctrl-C (SIGINT) and SIGTERM during an install: one way to stop, whatever the moment.

The first signal stops the run: the callbacks registered with :meth:`Interrupts.on_stop`
run at once (they kill the installer's processes, so nothing waits on them), then
``KeyboardInterrupt`` unwinds the run to the code that says what was installed.
While :meth:`Interrupts.deferred` is active (the installer is installing), the signal is
only recorded: the installer is let finish, since stopping it half-way could leave a
distribution's files without its ``.dist-info``. Later signals are ignored: the run is
already stopping.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self) -> None:
        self.received: int | None = None  # the first signal, once one came
        self._stops: list[Callable[[], None]] = []
        self._notice: Callable[[], None] | None = None  # set while deferred

    def install(self) -> None:
        """Handle SIGINT and SIGTERM from now on (main thread only)."""
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                signal.signal(signum, self._handle)

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._stops.append(callback)

    @contextlib.contextmanager
    def deferred(self, notice: Callable[[], None]) -> Iterator[None]:
        """While inside, a signal is recorded and ``notice`` called, nothing stopped."""
        self._notice = notice
        try:
            yield
        finally:
            self._notice = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            return
        self.received = signum
        if self._notice is not None:
            self._notice()
            return
        for stop in self._stops:
            stop()
        raise KeyboardInterrupt


interrupts = Interrupts()
