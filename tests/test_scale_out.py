"""Two webhook workers behind a reverse proxy on one PostgreSQL share one delivery budget."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bot_process import GROUP, BotProcess, bot_env, reap
from tests.fake_telegram.harness import free_port
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.proxy import round_robin_proxy
from tests.fake_telegram.server import FakeTelegram


@pytest.fixture(autouse=True)
def _no_bot_left_running():
    yield
    reap()


async def test_two_webhook_workers_share_the_budget_and_keep_each_chat_in_order(pg_url: str, tmp_path: Path) -> None:
    async with FakeTelegram(limits=FloodLimits()) as tg:  # Telegram's limits on
        tg.add_group(GROUP)
        ports = [free_port(), free_port()]
        proxy, proxy_url = await round_robin_proxy([f"http://127.0.0.1:{p}" for p in ports])
        workers = []
        try:
            for i, port in enumerate(ports):
                env = bot_env(tg, pg_url, telegram_webhook_url=f"{proxy_url}/tg/hook",
                              telegram_webhook_host="127.0.0.1", telegram_webhook_port=port,
                              telegram_webhook_path="/tg/hook",
                              telegram_webhook_secret="s3cret-Token_1")
                worker = BotProcess(env, tmp_path / f"worker{i}.log")
                await worker.start(tg, ready="setWebhook")
                workers.append(worker)
            chats = [95_000 + i for i in range(80)]
            for chat in chats:
                tg.add_private_chat(chat)
            for round_ in range(3):  # 240 answers asked for within about two seconds: beyond 30 a second
                for chat in chats:
                    tg.send_text(chat, f"/lenh{round_}")
                await asyncio.sleep(0.7)
            await tg.wait_for(lambda: all(tg.sent_count(c) >= 3 for c in chats), 90, what="every answer")
            assert tg.rate_limited == 0  # the two workers never overran Telegram's limits together
            for chat in chats:
                assert [s.text.split("/lenh")[1][0] for s in tg.sent_to(chat)] == ["0", "1", "2"]
            hosts = {w.log.name for w in workers if "Telegram (aiogram) webhook" in w.log.read_text()}
            assert len(hosts) == 2
        finally:
            for worker in workers:
                await worker.stop()
            await proxy.cleanup()
