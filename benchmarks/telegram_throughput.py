"""Telegram throughput: simulated citizens through the fake Bot API server, vs a bare aiogram echo bot.

    .venv/bin/python benchmarks/telegram_throughput.py [--citizens 500] [--outbox-messages 10000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--skip-pg] [--skip-outbox] [--workers 2]

Each citizen holds a whole conversation (/start, consent, menu, the feedback flow to a filed ticket, a
procedure question), one step after the bot answered the previous one. The fake server's flood limits are
off for this part (they would cap both bots alike); the outbox part runs with Telegram's limits on.
Prints updates/s, p50/p99 handling latency (inside the bot) and round trip (as the citizen sees it), and each
rate as a share of the echo bot's, measured before and after the bot (its own rate drifts from run to run).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import BaseMiddleware, Bot, Dispatcher  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import CallbackQuery, Message  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.send_budget import SendLimits  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram.aiogram_runtime import AiogramRuntime  # noqa: E402
from bot.telegram.service import make_outbox_sender  # noqa: E402
from bot.telegram.workers import WorkerPool, worker_count  # noqa: E402
from handlers.categories import categories  # noqa: E402
from messaging.types import Outgoing  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import create_all, make_engine, session_scope  # noqa: E402
from tests.fake_telegram.limits import FloodLimits  # noqa: E402
from tests.fake_telegram.server import FakeTelegram  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
Step = tuple[str, str]


def conversation(question: bool = True) -> list[Step]:
    """One citizen's whole conversation: greeting, consent, a filed ticket, a procedure question."""
    steps: list[Step] = [
        ("text", "/start"), ("press", "consent:yes:menu"), ("press", "m:feedback"),
        ("press", f"fb:cat:{categories()[0].id}"), ("press", "fb:ag:-"),
        ("text", "Rác thải đổ trộm ở đầu ngõ 45 đã ba ngày, bốc mùi khó chịu."),
        ("press", "fb:skip"), ("press", "fb:skip"), ("press", "fb:skip"), ("press", "fb:send"),
    ]
    if question:
        steps.append(("text", "làm lại căn cước cần giấy tờ gì"))
    return steps


@dataclass
class Measure:
    """Latencies and counts of one run (`calls`: Bot API calls by method)."""

    handling: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    updates: int = 0
    seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Updates per second."""
        return self.updates / self.seconds if self.seconds else 0.0

    def line(self, name: str) -> str:
        """One printed row."""
        def pct(values: list[float], q: float) -> float:
            if not values:
                return float("nan")
            return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000
        return (f"{name:<28} {self.updates:>7} upd {self.seconds:>7.1f} s {self.rate:>8.1f} upd/s   "
                f"handling p50 {pct(self.handling, 50):6.1f} ms p99 {pct(self.handling, 99):7.1f} ms   "
                f"round trip p50 {pct(self.round_trip, 50):6.1f} ms p99 {pct(self.round_trip, 99):7.1f} ms\n"
                f"{'':<28} Bot API calls per update: {self.calls_per_update()}")

    def calls_per_update(self) -> str:
        """The Bot API calls the bot made, per citizen update, by method (getUpdates left out)."""
        per = {m: n / self.updates for m, n in sorted(self.calls.items()) if m != "getUpdates" and self.updates}
        return ", ".join(f"{m} {v:.2f}" for m, v in per.items()) or "none"


async def citizen_run(tg: FakeTelegram, user_id: int, steps: list[Step], answers: list[int],
                      measure: Measure) -> None:
    """Play the conversation, waiting for the expected answers after each step."""
    for (kind, value), expected in zip(steps, answers, strict=True):
        before = tg.sent_count(user_id)
        started = time.perf_counter()
        if kind == "text":
            tg.send_text(user_id, value)
        else:
            tg.press(user_id, value)
        await tg.wait_sent(user_id, before + expected, timeout=120)
        measure.round_trip.append(time.perf_counter() - started)
        measure.updates += 1


async def crowd(tg: FakeTelegram, citizens: int, steps: list[Step], answers: list[int],
                measure: Measure, first_id: int) -> None:
    """All citizens at once."""
    ids = [first_id + i for i in range(citizens)]
    for uid in ids:
        tg.add_private_chat(uid, language_code="vi")
    started = time.perf_counter()
    await asyncio.gather(*(citizen_run(tg, uid, steps, answers, measure) for uid in ids))
    measure.seconds = time.perf_counter() - started


async def calibrate(tg: FakeTelegram, steps: list[Step]) -> list[int]:
    """How many messages the bot answers to each step (one citizen, slowly)."""
    uid = 99_999
    tg.add_private_chat(uid)
    counts = []
    for kind, value in steps:
        before = tg.sent_count(uid)
        tg.send_text(uid, value) if kind == "text" else tg.press(uid, value)
        await tg.wait_sent(uid, before + 1, timeout=30)
        await asyncio.sleep(0.3)
        counts.append(tg.sent_count(uid) - before)
    return counts


# ------------------------------------------------------------------ the bare echo bot


class _Timer(BaseMiddleware):
    def __init__(self, sink: list[float]) -> None:
        self.sink = sink

    async def __call__(self, handler: Callable[..., Any], event: Any, data: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self.sink.append(time.perf_counter() - started)


class FakeProcess:
    """The fake server (and the simulated citizens) in a child process, so the bot's process is its own.

    `mode` is "echo" or "bot" (citizens hold conversations, flood limits off) or "outbox" (Telegram's flood
    limits on; `citizens` chats are registered and the child waits until each got its message).
    """

    def __init__(self, citizens: int, steps: list[Step], mode: str, first_id: int) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_child_main, args=(child, citizens, steps, mode, first_id), daemon=True)
        self.proc.start()
        self.api_base, self.token = self.conn.recv()

    async def drive(self) -> dict[str, Any]:
        """Tell the child the bot is up; wait for its measurements."""
        self.conn.send("go")
        result = await asyncio.to_thread(self.conn.recv)
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the child."""
        self.conn.send("stop")
        self.proc.join(10)


def _child_main(conn: Any, citizens: int, steps: list[Step], mode: str, first_id: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_child(conn, citizens, steps, mode, first_id))


async def _child(conn: Any, citizens: int, steps: list[Step], mode: str, first_id: int) -> None:
    limits = FloodLimits(enabled=mode == "outbox")
    async with FakeTelegram(limits=limits) as tg:
        conn.send((tg.api_base, tg.token))
        await asyncio.to_thread(conn.recv)
        try:
            if mode == "outbox":
                for i in range(citizens):
                    tg.add_private_chat(first_id + i)
                await tg.wait_for(lambda: len(tg.sent) >= citizens, citizens / 10 + 120)
                times = [c.at for c in tg.calls_of("sendMessage") if c.status == 200]
                conn.send({"sent": len(tg.sent), "distinct": len({s.chat_id for s in tg.sent}),
                           "rate_limited": tg.rate_limited, "seconds": times[-1] - times[0]})
            else:
                await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), 30)
                answers = await calibrate(tg, steps) if mode == "bot" else [1] * len(steps)
                measure = Measure()
                await crowd(tg, citizens, steps, answers, measure, first_id)
                conn.send({"round_trip": measure.round_trip, "updates": measure.updates,
                           "seconds": measure.seconds,
                           "calls": dict(collections.Counter(c.method for c in tg.calls))})
        except Exception as exc:  # noqa: BLE001 - report to the parent
            conn.send(exc)
        await asyncio.to_thread(conn.recv)


def _measure(result: dict[str, Any], handling: list[float]) -> Measure:
    return Measure(handling=handling, round_trip=result["round_trip"], updates=result["updates"],
                   seconds=result["seconds"], calls=result["calls"])


async def run_echo(citizens: int, steps: list[Step]) -> Measure:
    """A bare aiogram bot (its own polling) that echoes every message and button."""
    fake = FakeProcess(citizens, steps, "echo", 200_000)
    handling: list[float] = []
    bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.api_base), limit=100))
    dp = Dispatcher()
    dp.update.outer_middleware(_Timer(handling))

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "ok")

    @dp.callback_query()
    async def press(query: CallbackQuery) -> None:
        await query.answer()
        await bot.send_message(query.from_user.id, query.data or "ok")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        result = await fake.drive()
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
        fake.close()
    return _measure(result, handling)


# ------------------------------------------------------------------ the real bot


def settings_for(url: str) -> Settings:
    """Settings for a benchmark run (per-citizen flood guard relaxed, staff chat on the console)."""
    return Settings(_env_file=None, database_url=url, flood_max_messages=100_000,  # type: ignore[call-arg]
                    staff_chat="console:staff", telegram_bot_token="123456:TEST-TOKEN")


async def run_bot(engine: Any, url: str, citizens: int, steps: list[Step], workers: int = 0) -> Measure:
    """The real aiogram runtime, dispatcher and database (in `workers` processes when > 0)."""
    settings = settings_for(url)
    app = build_app(settings, engine=engine, migrate=False)
    fake = FakeProcess(citizens, steps, "bot", 300_000)
    handling: list[float] = []
    runtime = AiogramRuntime(fake.token, fake.api_base, app.dispatcher, engine, hub=app.senders)
    # the fake server's limits are off for both bots here: the sender's budget is off too (no budget reads);
    # every answer still goes through the outbox (written in its update's transaction, marked sent)
    sender = make_outbox_sender(runtime, SendLimits.unlimited())
    if workers:
        runtime.workers = WorkerPool(settings, workers)
        await runtime.workers.warm_up()
    await runtime.start()
    stop = asyncio.Event()
    sending = asyncio.create_task(sender.run(stop))
    polling = asyncio.create_task(runtime.run_polling(stop, timeout=1))
    runtime.on_handled = handling.append
    try:
        result = await fake.drive()
    finally:
        stop.set()
        await polling
        await sending
        await runtime.stop()
        fake.close()
        if runtime.workers is not None:
            runtime.workers.close()
    return _measure(result, handling)


def pg_engine(url: str) -> tuple[Any, str] | None:
    """An engine on a fresh schema of the PostgreSQL database, or None when it is unreachable."""
    schema = f"tgbench_{uuid.uuid4().hex[:8]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - report and skip
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}".splitlines()[0])
        return None
    engine = make_engine(schema_url(url, schema), pool_size=20, max_overflow=20)
    create_all(engine)
    return engine, schema


def schema_url(url: str, schema: str) -> str:
    """The URL with the schema as search_path (so worker processes use it too)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    """Remove the benchmark's schema."""
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


# ------------------------------------------------------------------ outbox


async def run_outbox(messages: int, engine: Any) -> None:
    """Queue `messages` to distinct citizens and drain them with Telegram's limits on."""
    first = 1_000_000
    with session_scope(engine) as session:
        for i in range(messages):
            outbox.enqueue(session, "telegram", str(first + i), Outgoing(f"Thông báo số {i}").to_dict())
    fake = FakeProcess(messages, [], "outbox", first)
    runtime = AiogramRuntime(fake.token, fake.api_base, None, engine)
    sender = make_outbox_sender(runtime, SendLimits())
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        result = await fake.drive()
    finally:
        stop.set()
        await task
        await runtime.stop()
        fake.close()
    rate = result["sent"] / result["seconds"]
    print(f"outbox: {result['distinct']}/{messages} citizens got their message in {result['seconds']:.1f} s = "
          f"{rate:.2f} msg/s ({rate / 30:.1%} of 30/s), 429 responses: {result['rate_limited']}, "
          f"duplicates: {result['sent'] - result['distinct']}")


async def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--outbox-messages", type=int, default=10_000)
    parser.add_argument("--pg", default=PG_DEFAULT)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-outbox", action="store_true")
    parser.add_argument("--only-outbox", action="store_true")
    parser.add_argument("--workers", type=int, default=2,
                        help="also run PostgreSQL with N dispatcher processes (besides auto and 0)")
    parser.add_argument("--no-question", action="store_true",
                        help="leave the procedure question out (its cost is the knowledge matcher's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    steps = conversation(question=not args.no_question)
    if args.only_outbox:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'outbox.db'}")
            create_all(engine)
            await run_outbox(args.outbox_messages, engine)
            engine.dispose()
        return
    print(f"{args.citizens} citizens x {len(steps)} updates each, aiogram runtime, fake Bot API server")

    echo = await run_echo(args.citizens, steps)
    print(echo.line("aiogram echo bot"))
    runs: list[tuple[str, Measure]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        create_all(engine)
        sqlite = await run_bot(engine, url, args.citizens, steps)
        print(sqlite.line("feedback bot, SQLite"))
        runs.append(("SQLite", sqlite))
        if not args.skip_outbox:
            await run_outbox(args.outbox_messages, engine)
        engine.dispose()
    if not args.skip_pg:
        auto = worker_count(settings_for(args.pg))
        variants = [(f"PostgreSQL, default (TELEGRAM_WORKERS=auto: {auto})", auto)]
        variants += [(f"PostgreSQL, TELEGRAM_WORKERS={n}", n) for n in sorted({0, args.workers} - {auto})]
        for label, workers in variants:
            made = pg_engine(args.pg)  # a fresh schema each: update ids restart at 1 and would be repeats
            if made is None:
                break
            engine, schema = made
            try:
                pg = await run_bot(engine, schema_url(args.pg, schema), args.citizens, steps, workers)
                print(pg.line(label[:30]))
                runs.append((label, pg))
            finally:
                engine.dispose()
                drop_schema(args.pg, schema)
    again = await run_echo(args.citizens, steps)  # the echo bot's own rate drifts: measured on both sides
    print(again.line("aiogram echo bot, again"))
    reference = (echo.rate + again.rate) / 2
    print(f"ratio to the echo bot's mean rate ({reference:.1f} upd/s); goal on PostgreSQL: at least 0.5")
    for label, measure in runs:
        print(f"  {label:<48} {measure.rate / reference:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
