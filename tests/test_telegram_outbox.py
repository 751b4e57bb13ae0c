"""The durable outbox sender against the fake server's flood limits, errors and restarts."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.outbox_sender import OutboxSender, SendLimits
from bot.telegram.aiogram_runtime import AiogramRuntime
from bot.telegram.ptb_runtime import PtbRuntime
from bot.telegram.runtime import Runtime
from bot.telegram.service import make_outbox_sender
from messaging.types import Outgoing
from storage import outbox
from storage.citizens import get_citizen, get_or_create_citizen
from storage.db import create_all, make_engine, session_scope
from storage.models import OutboxMessage
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram

RUNTIMES = {"aiogram": AiogramRuntime, "ptb": PtbRuntime}


def make_engine_for(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_all(engine)
    return engine


def enqueue(engine: Any, chat_ids: list[int], text: str = "Thông báo {chat}") -> None:
    with session_scope(engine) as session:
        for chat in chat_ids:
            outbox.enqueue(session, "telegram", str(chat), Outgoing(text.format(chat=chat)).to_dict())


async def new_sender(tg: FakeTelegram, engine: Any, framework: str = "aiogram",
                     limits: SendLimits | None = None) -> tuple[Runtime, OutboxSender]:
    runtime = RUNTIMES[framework](tg.token, tg.api_base, None, engine)
    await runtime.start()
    return runtime, make_outbox_sender(runtime, limits, poll_interval=0.05, max_backoff=0.2)


def statuses(engine: Any) -> Counter[str]:
    with Session(engine) as session:
        return Counter(row.status for row in session.exec(select(OutboxMessage)))


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_outbox_drains_at_telegram_pace_without_a_single_429(tmp_path: Path, framework: str) -> None:
    engine = make_engine_for(tmp_path)
    async with FakeTelegram() as tg:
        chats = list(range(2001, 2031))
        for chat in [*chats, 3001]:
            tg.add_private_chat(chat)
        enqueue(engine, chats)
        enqueue(engine, [3001] * 4, "Tin {chat}")  # four to one citizen: a burst of two, then a second apart
        runtime, sender = await new_sender(tg, engine, framework)
        started = time.monotonic()
        await sender.drain(timeout=30)
        elapsed = time.monotonic() - started
        await runtime.stop()
        assert tg.rate_limited == 0
        assert sorted(s.chat_id for s in tg.sent if s.chat_id != 3001) == chats
        same_chat = [c.at for c in tg.calls_of("sendMessage") if c.params["chat_id"] == 3001]
        # The bot paces 1/s itself: four sends from a bucket of two take 2 s from the first grant to the last.
        # Arrivals are compared, and the first one may arrive late (a new connection), so allow 0.5 s of it;
        # unpaced, all four arrive within a few hundredths of a second.
        assert len(same_chat) == 4 and same_chat[3] - same_chat[0] >= 1.5
        assert elapsed >= 30 / 30  # never faster than Telegram allows
        assert statuses(engine) == {"sent": 34}


async def test_429_retry_after_pauses_every_send_and_nothing_is_lost(tmp_path: Path) -> None:
    engine = make_engine_for(tmp_path)
    async with FakeTelegram(limits=FloodLimits(global_per_second=10)) as tg:
        chats = list(range(4001, 4031))
        for chat in chats:
            tg.add_private_chat(chat)
        enqueue(engine, chats)
        runtime, sender = await new_sender(tg, engine, limits=SendLimits(global_per_second=1000))
        await sender.drain(timeout=30)
        await runtime.stop()
        assert tg.rate_limited > 0
        limited = [c for c in tg.calls if c.status == 429]
        assert limited[0].error == "Too Many Requests: retry after 1"
        for hit in limited:
            # sends already on the wire when the 429 came may land a little later on a loaded machine
            quiet_from, quiet_to = hit.at + 0.25, hit.at + 1.0 - 0.1
            assert not [c for c in tg.calls_of("sendMessage") if quiet_from < c.at < quiet_to]
        assert Counter(s.chat_id for s in tg.sent) == Counter(chats)
        assert statuses(engine) == {"sent": 30}


async def test_blocked_citizen_is_recorded_unreachable_and_not_retried(tmp_path: Path) -> None:
    engine = make_engine_for(tmp_path)
    with session_scope(engine) as session:
        get_or_create_citizen(session, "telegram", "77", "77")
    async with FakeTelegram() as tg:
        tg.add_private_chat(77, blocked=True)
        enqueue(engine, [77])
        runtime, sender = await new_sender(tg, engine)
        await sender.drain(timeout=10)
        await runtime.stop()
        assert len(tg.calls_of("sendMessage")) == 1
        assert tg.calls_of("sendMessage")[0].error == "Forbidden: bot was blocked by the user"
    assert statuses(engine) == {"failed": 1}
    with Session(engine) as session:
        citizen = get_citizen(session, "telegram", "77")
        assert citizen is not None and citizen.unreachable_at is not None


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_server_errors_are_retried_with_backoff_until_delivered_once(
        tmp_path: Path, framework: str) -> None:
    engine = make_engine_for(tmp_path)
    async with FakeTelegram() as tg:
        tg.add_private_chat(88)
        tg.fail_next("sendMessage", 502, times=2)
        enqueue(engine, [88])
        runtime, sender = await new_sender(tg, engine, framework)
        await sender.drain(timeout=15)
        await runtime.stop()
        assert [c.status for c in tg.calls_of("sendMessage")] == [502, 502, 200]
        assert len(tg.sent_to(88)) == 1
    assert statuses(engine) == {"sent": 1}


async def test_restart_mid_drain_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    engine = make_engine_for(tmp_path)
    async with FakeTelegram() as tg:
        chats = list(range(5001, 5031))
        for chat in chats:
            tg.add_private_chat(chat)
        enqueue(engine, chats)
        runtime, sender = await new_sender(tg, engine, limits=SendLimits(global_per_second=15))
        stop = asyncio.Event()
        first = asyncio.create_task(sender.run(stop))
        await tg.wait_for(lambda: len(tg.sent) >= 8, what="8 sent")
        stop.set()
        await first
        await runtime.stop()
        assert 8 <= len(tg.sent) < 30
        runtime, sender = await new_sender(tg, engine)  # a new process: fresh limiter, same database
        await sender.drain(timeout=15)
        await runtime.stop()
        assert Counter(s.chat_id for s in tg.sent) == Counter(chats)
    assert statuses(engine) == {"sent": 30}


async def test_sender_keeps_polling_while_the_database_is_unavailable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")  # no tables yet: every claim fails
    async with FakeTelegram() as tg:
        tg.add_private_chat(6001)
        runtime, sender = await new_sender(tg, engine)
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(0.3)
        assert not running.done()
        create_all(engine)  # the database is back
        enqueue(engine, [6001])
        await tg.wait_for(lambda: len(tg.sent_to(6001)) == 1, what="the queued message")
        stop.set()
        await running
        await runtime.stop()
