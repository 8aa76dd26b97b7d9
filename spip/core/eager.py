"""Run many coroutines concurrently, each started at once in the caller (Python 3.12's
eager tasks, for 3.10+).

The checks of a run are a thousand small coroutines (every check on every planned
distribution), and on a warm cache most finish without ever waiting: their documents
are already fetched. A task apiece costs asyncio several scheduled callbacks each (the
scheduling was the largest cost of a 100-distribution plan's checks). So each one runs
in the caller until it first waits; only those that wait become tasks, resumed from
where they stopped.

Unlike 3.12's eager tasks, that first step runs in the *caller's* task: a job must not
begin there what belongs to one task and then wait inside it (an HTTP request: httpx's
timeouts are cancel scopes of the task they began in). The checks ask for their data
through the run's index client, files and ``CheckContext.once``, which do all their
waiting in tasks of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def start(job: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """``asyncio.ensure_future(job)``, but ``job`` runs at once until it first waits; when
    it never waits, the future comes back done and nothing is scheduled."""
    try:
        waiting_on = job.send(None)
    except StopIteration as done:
        settled = asyncio.get_running_loop().create_future()
        settled.set_result(done.value)
        return settled
    except Exception as exc:  # kept for whoever awaits the future, as a task would
        settled = asyncio.get_running_loop().create_future()
        settled.set_exception(exc)
        return settled
    # A future that a job awaits raises this flag until a task takes it up (asyncio's
    # handshake, and C asyncio's guard against a second await before that): take it up
    # here, so that other jobs can await the same future; the task gets it again.
    if getattr(waiting_on, "_asyncio_future_blocking", False):
        waiting_on._asyncio_future_blocking = False
    return asyncio.ensure_future(_Resumed(job, waiting_on))


async def gather_eagerly(jobs: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """The results of ``jobs``, each :func:`start`-ed, in their order, as
    ``asyncio.gather`` gives them (but the first error cancels the jobs still waiting)."""
    futures: list[asyncio.Future[T]] = []
    try:
        futures.extend(start(job) for job in jobs)
        waiting = [f for f in futures if not f.done()]
        if waiting:
            await asyncio.gather(*waiting)
        return [f.result() for f in futures]
    except BaseException:  # none of the started jobs outlives the caller
        for future in futures:
            future.cancel()
        raise


class _Resumed(Coroutine[Any, Any, T]):
    """``job``, already started and suspended on ``waiting_on``, as a coroutine a task can
    drive from where it stopped: the task's first step gets ``waiting_on`` back, and a
    cancellation (even before that step) reaches the job where it waits."""

    def __init__(self, job: Coroutine[Any, Any, T], waiting_on: Any) -> None:
        self._job = job
        self._first: list[Any] = [waiting_on]

    def send(self, value: Any) -> Any:
        if not self._first:
            return self._job.send(value)
        waiting_on = self._first.pop()
        if hasattr(waiting_on, "_asyncio_future_blocking"):  # see start(): raised again
            waiting_on._asyncio_future_blocking = True
        return waiting_on

    def throw(self, *exc: Any) -> Any:
        self._first.clear()
        return self._job.throw(*exc)

    def close(self) -> None:
        self._job.close()

    def __await__(self) -> Generator[Any, Any, T]:
        """What ``await`` on it does (a task drives it by ``send``/``throw`` instead)."""
        try:
            signal = self.send(None)
            while True:
                try:
                    value = yield signal
                except BaseException as exc:  # passed on to the job
                    signal = self.throw(exc)
                else:
                    signal = self.send(value)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
