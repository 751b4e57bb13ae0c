"""A morning spike under Telegram's limits: 1,000 citizens write 2-3 messages each within 10 seconds.

    .venv/bin/python benchmarks/spike.py [--citizens 1000] [--window 10] [--workers 1 2] [--followups 0 10000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

The real bot runs as `feedback-bot run` processes (webhook mode behind a round-robin proxy; one or two of
them, on one PostgreSQL, sharing the delivery budget) against the fake Bot API with Telegram's limits ON
(30 a second in all, about 1 a second per chat), which runs in a process of its own with the citizens.
Each message is a command answered by exactly one message (/help, /menu, /contact), so the n-th answer in a
chat is the answer to its n-th message. With --followups N, N bulk follow-ups to other chats are queued in
the outbox before the spike.

Prints, per run: answers lost (goal 0), 429s received after the first second (goal 0), the reply rate while
a backlog drained (goal at least 27 a second, 90% of 30) and the p50/p99 time from a citizen's message to its
answer (with follow-ups queued, the p99 should not grow by more than a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from messaging.types import Outgoing  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from tests.fake_telegram.harness import free_port  # noqa: E402
from tests.fake_telegram.proxy import round_robin_proxy  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COMMANDS = ("/help", "/menu", "/contact")
FIRST_CITIZEN, FIRST_BULK = 1_000_000, 5_000_000


# ------------------------------------------------------------------ the fake Bot API and the citizens (child)


def _child_main(conn: Any, citizens: int, window: float, followups: int, seed: int) -> None:
    asyncio.run(_child(conn, citizens, window, followups, seed))


async def _child(conn: Any, citizens: int, window: float, followups: int, seed: int) -> None:
    from tests.fake_telegram.limits import FloodLimits
    from tests.fake_telegram.server import FakeTelegram

    rng = random.Random(seed)
    async with FakeTelegram(limits=FloodLimits(), webhook_retry_delay=1.0, webhook_max_attempts=30) as tg:
        tg.add_group(-1001000)
        ids = [FIRST_CITIZEN + i for i in range(citizens)]
        for uid in ids:
            tg.add_private_chat(uid)
        for i in range(followups):
            tg.add_private_chat(FIRST_BULK + i)
        conn.send((tg.api_base, tg.token))
        await asyncio.to_thread(conn.recv)  # the bots are up
        plan = [(rng.uniform(0, window), uid, k) for uid in ids for k in range(rng.choice((2, 3)))]
        per_chat = {uid: sum(1 for _, u, _ in plan if u == uid) for uid in ids}
        asked: dict[int, list[float]] = {uid: [] for uid in ids}
        started = time.monotonic()
        for at, uid, k in sorted(plan):
            delay = started + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            asked[uid].append(time.monotonic())
            tg.send_text(uid, COMMANDS[k])
        expected = sum(per_chat.values())
        deadline = time.monotonic() + expected / 20 + 120
        while time.monotonic() < deadline and sum(min(tg.sent_count(u), n) for u, n in per_chat.items()) < expected:
            await asyncio.sleep(0.2)
        latencies = []
        received = 0
        for uid in ids:
            answers = tg.sent_to(uid)
            received += min(len(answers), per_chat[uid])
            for asked_at, answer in zip(asked[uid], answers, strict=False):
                latencies.append(answer.at - asked_at)
        sends = [c for c in tg.calls if c.method == "sendMessage"]
        first = min((c.at for c in sends), default=started)
        citizen_sends = sorted(c.at for c in sends if c.status == 200 and int(c.params["chat_id"]) < FIRST_BULK)
        late_429 = sum(1 for c in sends if c.status == 429 and c.at > first + 1.0)
        bulk_sent = sum(1 for c in sends if c.status == 200 and int(c.params["chat_id"]) >= FIRST_BULK)
        all_ok = sorted(c.at for c in sends if c.status == 200)
        drain = _drain_rate(all_ok, started + window)
        conn.send({"expected": expected, "received": received, "late_429": late_429,
                   "all_429": sum(1 for c in sends if c.status == 429), "latencies": latencies,
                   "drain_rate": drain, "bulk_sent": bulk_sent, "span": (citizen_sends[-1] - started)
                   if citizen_sends else 0.0, "duplicates": sum(max(0, tg.sent_count(u) - n)
                                                                for u, n in per_chat.items())})
        await asyncio.to_thread(conn.recv)


def _drain_rate(times: list[float], spike_end: float) -> float:
    """Messages a second from the end of the spike until the backlog was gone (all sends, answers or bulk)."""
    after = [t for t in times if t >= spike_end]
    if len(after) < 2:
        return float("nan")
    return (len(after) - 1) / (after[-1] - after[0])


# ------------------------------------------------------------------ the bots (parent)


async def run(args: argparse.Namespace, workers: int, followups: int) -> dict[str, Any]:
    schema = f"spike_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    engine = make_engine(url)
    if followups:
        with session_scope(engine) as session:
            for i in range(followups):
                outbox.enqueue(session, "telegram", str(FIRST_BULK + i), Outgoing(f"Nhắc hạn {i}").to_dict(),
                               outbox.BULK)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    fake = ctx.Process(target=_child_main, args=(child, args.citizens, args.window, followups, args.seed),
                       daemon=True)
    fake.start()
    api_base, token = parent.recv()
    ports = [free_port() for _ in range(workers)]
    proxy, proxy_url = await round_robin_proxy([f"http://127.0.0.1:{p}" for p in ports])
    procs = []
    logs = Path(tempfile.mkdtemp(prefix="spike-"))
    try:
        for i, port in enumerate(ports):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
            env.update(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE=api_base,
                       TELEGRAM_STAFF_CHAT_ID="-1001000", TELEGRAM_WEBHOOK_URL=f"{proxy_url}/tg/hook",
                       TELEGRAM_WEBHOOK_HOST="127.0.0.1", TELEGRAM_WEBHOOK_PORT=str(port),
                       TELEGRAM_WEBHOOK_PATH="/tg/hook", TELEGRAM_WEBHOOK_SECRET="spike-secret", ADMIN_IDS="",
                       OPEN311_PORT=str(free_port()))
            out = (logs / f"worker{i}.log").open("wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                                          stdout=out, stderr=subprocess.STDOUT))
        await asyncio.sleep(args.startup)  # the workers load and register the webhook
        parent.send("go")
        result: dict[str, Any] = await asyncio.to_thread(parent.recv)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await proxy.cleanup()
        parent.send("stop")
        fake.join(10)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    return result


def report(label: str, r: dict[str, Any]) -> str:
    lat = sorted(r["latencies"])
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    return (f"{label:<34} answers lost {r['expected'] - r['received']:>4} of {r['expected']:>5}   "
            f"429 after the first second {r['late_429']:>3} (all {r['all_429']})   drain {r['drain_rate']:5.1f}/s   "
            f"message->answer p50 {p50:5.1f} s p99 {p99:5.1f} s   duplicates {r['duplicates']}   "
            f"bulk sent meanwhile {r['bulk_sent']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--followups", type=int, nargs="+", default=[0, 10_000])
    parser.add_argument("--pg", default=PG_DEFAULT)
    parser.add_argument("--startup", type=float, default=12.0, help="seconds to let the workers start")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{args.citizens} citizens, 2-3 messages each within {args.window:.0f} s; Telegram's limits on; "
          f"PostgreSQL; load average {os.getloadavg()[0]:.2f}")
    for followups in args.followups:
        for workers in args.workers:
            result = await run(args, workers, followups)
            label = f"{workers} worker{'s' if workers > 1 else ''}" + (f", {followups} follow-ups queued"
                                                                         if followups else "")
            print(report(label, result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
