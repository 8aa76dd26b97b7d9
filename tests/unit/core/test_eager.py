"""The eager gather the checks run through: gather's results, fewer tasks."""

from __future__ import annotations

import asyncio

import pytest

from spip.core import eager


async def _instant(value: int) -> int:
    return value


async def _after(event: asyncio.Event, value: int) -> int:
    await event.wait()
    return value


def test_results_come_in_order_and_only_waiting_jobs_become_tasks() -> None:
    async def main() -> tuple[list[int], int]:
        event = asyncio.Event()
        before = len(asyncio.all_tasks())
        gathered = asyncio.ensure_future(
            eager.gather_eagerly([_instant(1), _after(event, 2), _instant(3), _after(event, 4)])
        )
        await asyncio.sleep(0)  # the gather started every job and waits for two
        tasks = len(asyncio.all_tasks()) - before - 1  # less the gather itself
        event.set()
        return await gathered, tasks

    results, tasks = asyncio.run(main())
    assert results == [1, 2, 3, 4]
    assert tasks == 2


def test_a_job_that_never_waits_gives_a_done_future_and_its_error_is_kept() -> None:
    async def failing() -> int:
        raise ValueError("broken")

    async def main() -> None:
        done = eager.start(_instant(5))
        assert done.done() and done.result() == 5
        failed = eager.start(failing())
        assert failed.done()
        with pytest.raises(ValueError, match="broken"):
            await failed

    asyncio.run(main())


async def _waits_forever(cancelled: list[str]) -> int:
    """Waits until cancelled, and notes that it was."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.append("job")
        raise
    return 0


def test_cancelling_the_gather_cancels_the_waiting_jobs_inside() -> None:
    cancelled: list[str] = []

    async def main() -> None:
        jobs = [_waits_forever(cancelled), _instant(1)]
        gathered = asyncio.ensure_future(eager.gather_eagerly(jobs))
        await asyncio.sleep(0)
        gathered.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gathered

    asyncio.run(main())
    assert cancelled == ["job"]


def test_the_first_error_cancels_the_jobs_still_waiting() -> None:
    cancelled: list[str] = []

    async def fails_later() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("late")

    async def main() -> None:
        with pytest.raises(RuntimeError, match="late"):
            await eager.gather_eagerly([_waits_forever(cancelled), fails_later()])
        await asyncio.sleep(0)

    asyncio.run(main())
    assert cancelled == ["job"]


def test_a_resumed_job_can_also_be_awaited_directly() -> None:
    async def main() -> int:
        event = asyncio.Event()
        job = _after(event, 7)
        waiting_on = job.send(None)
        asyncio.get_running_loop().call_soon(event.set)
        return await eager._Resumed(job, waiting_on)

    assert asyncio.run(main()) == 7


def test_jobs_may_wait_on_one_future_and_its_owner_too() -> None:
    """asyncio marks a future awaited until a task takes it up, and C asyncio refuses a
    second await meanwhile: the jobs share the checks' documents that way."""

    async def main() -> tuple[list[int], int]:
        shared: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def reads() -> int:
            return await shared

        asyncio.get_running_loop().call_soon(shared.set_result, 8)
        return await eager.gather_eagerly([reads(), reads(), reads()]), await shared

    assert asyncio.run(main()) == ([8, 8, 8], 8)
