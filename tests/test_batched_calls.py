"""Blocking calls shared out among a few threads: each caller gets its own result, in few hand-offs."""

from __future__ import annotations

import asyncio
import pickle
import threading
from concurrent.futures import Future

import pytest

from bot.batched_calls import BatchedCalls, Outcome, TurnBatches
from messaging.types import Attachment, AttachmentKind, Incoming, Location
from storage.outbox import Lease, OutboxItem


async def test_each_caller_gets_the_result_of_its_own_argument() -> None:
    calls = BatchedCalls(lambda n: n * n, threads=3)
    assert await asyncio.gather(*(calls(n) for n in range(50))) == [n * n for n in range(50)]
    calls.close()


async def test_an_error_reaches_only_the_caller_whose_call_raised() -> None:
    def check(n: int) -> int:
        if n == 7:
            raise ValueError("seven")
        return n

    calls = BatchedCalls(check, threads=2)
    results = await asyncio.gather(*(calls(n) for n in range(10)), return_exceptions=True)
    assert [r for r in results if isinstance(r, ValueError)] == [results[7]]
    assert [r for i, r in enumerate(results) if i != 7] == [0, 1, 2, 3, 4, 5, 6, 8, 9]
    calls.close()


async def test_calls_made_together_use_at_most_one_hand_off_per_thread() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def record(n: int) -> int:
        with lock:
            started.append(threading.get_ident())
        return n

    calls = BatchedCalls(record, threads=4)
    submitted = 0
    submit = calls._executor.submit

    def counting_submit(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal submitted
        submitted += 1
        return submit(*args, **kwargs)

    calls._executor.submit = counting_submit  # type: ignore[method-assign]
    await asyncio.gather(*(calls(n) for n in range(100)))
    assert submitted == 4 and len(set(started)) <= 4
    calls.close()


@pytest.mark.parametrize("threads", [1, 6])
async def test_one_callers_calls_in_sequence_keep_their_order(threads: int) -> None:
    seen: list[int] = []
    calls = BatchedCalls(seen.append, threads=threads)
    for n in range(20):
        await calls(n)
    assert seen == list(range(20))
    calls.close()


async def test_a_threads_share_goes_to_many_in_one_call() -> None:
    shares: list[list[int]] = []

    def squares(share: list[int]) -> list[int]:
        shares.append(share)
        return [n * n for n in share]

    calls = BatchedCalls(lambda n: -1, threads=2, many=squares)
    assert await asyncio.gather(*(calls(n) for n in range(10))) == [n * n for n in range(10)]
    assert sorted(map(len, shares)) == [5, 5]
    calls.close()


async def test_an_error_raised_by_many_reaches_every_caller_of_its_share() -> None:
    def fail(share: list[int]) -> list[int]:
        raise ValueError("the whole share")

    calls = BatchedCalls(lambda n: n, threads=1, many=fail)
    results = await asyncio.gather(*(calls(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
    calls.close()


async def test_routed_calls_go_to_their_lane_in_one_hand_off_per_lane() -> None:
    handed: list[tuple[int, list[int]]] = []

    def hand_over(lane: int, share: list[int]) -> Future[list[Outcome]]:
        handed.append((lane, share))
        done: Future[list[Outcome]] = Future()
        done.set_result([(True, n * 10 + lane) for n in share])
        return done

    calls: TurnBatches[int, int] = TurnBatches(3, hand_over, route=lambda n: n % 3)
    assert await asyncio.gather(*(calls(n) for n in range(9))) == [n * 10 + n % 3 for n in range(9)]
    assert sorted(handed) == [(0, [0, 3, 6]), (1, [1, 4, 7]), (2, [2, 5, 8])]


def test_messages_cross_to_worker_processes_and_back_unchanged() -> None:
    incoming = Incoming("telegram", "7", "7", text="dk khai sinh", attachments=(Attachment(AttachmentKind.PHOTO, "f"),),
                        location=Location(10.5, 106.7))
    item = OutboxItem(3, "telegram", "7", {"text": "Xin chào", "buttons": [[["Có", "y"]]]}, 1, 0, "12", False)
    lease = Lease("sender-h:1-abc", 15.0, frozenset({"telegram"}))
    assert pickle.loads(pickle.dumps([incoming, item, lease])) == [incoming, item, lease]
