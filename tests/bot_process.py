"""`feedback-bot run` as a real process against the fake servers, to kill -9 and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import CORE_KB, ROOT
from tests.fake_telegram.server import FakeTelegram

STAFF, GROUP = 9001, -1001000
_RUNNING: set[subprocess.Popen[bytes]] = set()


def reap() -> None:
    """Kill every bot process a test left running (a failed assertion skips its stop)."""
    for proc in list(_RUNNING):
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        _RUNNING.discard(proc)


def bot_env(tg: FakeTelegram, database_url: str, **extra: Any) -> dict[str, str]:
    """The environment of a bot process pointed at the fake Bot API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "DATABASE_URL"))}
    env.update({
        "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE": tg.api_base,
        "TELEGRAM_STAFF_CHAT_ID": str(GROUP), "TELEGRAM_ADMIN_IDS": str(STAFF), "ADMIN_IDS": "",
        "KNOWLEDGE_DIR": str(CORE_KB), "FLOOD_MAX_MESSAGES": "100000", "OUTBOX_LEASE_SECONDS": "3",
        "STAFF_CHAT": "", "PYTHONUNBUFFERED": "1", "OPEN311_ENABLED": "false",  # several bots on one host
    })
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return env


class BotProcess:
    """One bot process; its output goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    async def start(self, tg: FakeTelegram, ready: str = "getUpdates", timeout: float = 60.0) -> None:
        """Start and wait until the bot polls (or registered its webhook)."""
        since = time.monotonic()
        out = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT)
        _RUNNING.add(self.proc)
        out.close()
        await tg.wait_for(lambda: any(c.method == ready and c.at > since for c in tg.calls)
                          or self.proc.poll() is not None, timeout, what=f"the bot's {ready}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """kill -9."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM; the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        return int(self.proc.returncode)
