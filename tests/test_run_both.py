"""`feedback-bot run` with Telegram and Zalo at once, as a real process: a Zalo citizen files a ticket, staff
answer from the Telegram group, the answer reaches Zalo. Limits on at both fake servers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.bot_process import GROUP, STAFF, BotProcess, bot_env, reap
from tests.fake_telegram.harness import free_port
from tests.fake_telegram.server import FakeTelegram
from tests.fake_zalo.server import FakeZalo

ZALO_USER = "8123456789"


@pytest.fixture(autouse=True)
def _no_bot_left_running():
    yield
    reap()


async def test_a_zalo_citizen_is_answered_by_staff_in_the_telegram_group(pg_url: str, tmp_path: Path) -> None:
    async with FakeTelegram() as tg, FakeZalo(followers={ZALO_USER}) as zalo:
        tg.add_group(GROUP, "Tổ tiếp nhận")
        tg.add_private_chat(STAFF)
        port = free_port()
        env = bot_env(tg, pg_url, zalo_access_token=zalo.access_token, zalo_app_id=zalo.app_id,
                      zalo_app_secret=zalo.app_secret, zalo_refresh_token=zalo.refresh_token,
                      zalo_oa_secret_key=zalo.oa_secret_key, zalo_api_base=zalo.base_url,
                      zalo_oauth_base=zalo.base_url, zalo_webhook_host="127.0.0.1", zalo_webhook_port=port)
        bot = BotProcess(env, tmp_path / "bot.log")
        await bot.start(tg)
        url = f"http://127.0.0.1:{port}/zalo/webhook"
        n = 0

        async def zalo_says(text: str | None = None, button: str | None = None, event: str = "user_send_text") -> str:
            nonlocal n
            n += 1
            before = len(zalo.to(ZALO_USER))
            message = {"msg_id": f"z{n}", "text": text if text is not None else f"#btn {button}"}
            for _ in range(50):  # the webhook may still be starting
                try:
                    status = await zalo.post_event(url, zalo.event(ZALO_USER, event, message, timestamp=str(n)))
                    break
                except OSError:
                    await asyncio.sleep(0.2)
            assert status == 200
            for _ in range(200):
                await asyncio.sleep(0.1)
                if len(zalo.to(ZALO_USER)) > before:
                    break
            await asyncio.sleep(1.0)
            return "\n".join(s.text for s in zalo.to(ZALO_USER)[before:])

        transcript = [await zalo_says("/start"), await zalo_says(button="consent:yes:menu"),
                      await zalo_says(button="m:feedback")]
        transcript.append(await zalo_says(button="fb:cat:infrastructure"))
        transcript.append(await zalo_says(button="fb:ag:-"))
        transcript.append(await zalo_says("Cột điện nghiêng trước nhà số 9 ngõ 40, sợ đổ khi mưa bão"))
        for _ in range(3):
            transcript.append(await zalo_says(button="fb:skip"))
        transcript.append(await zalo_says(button="fb:send"))
        code = re.search(r"PA-\d{4}-\d{6}", transcript[-1])
        assert code, transcript
        await tg.wait_for(lambda: any(code.group(0) in (s.text or "") for s in tg.sent_to(GROUP)), 20)
        tg.send_text(STAFF, f"/reply {code.group(0)} Điện lực sẽ đến chằng cột trong chiều nay.", chat_id=GROUP)
        for _ in range(200):
            await asyncio.sleep(0.1)
            if any("Điện lực sẽ đến" in s.text for s in zalo.to(ZALO_USER)):
                break
        assert any("Điện lực sẽ đến" in s.text for s in zalo.to(ZALO_USER))
        assert await bot.stop() == 0
        print("\n--- Zalo citizen's transcript ---\n" + "\n---\n".join(
            [*transcript, zalo.to(ZALO_USER)[-1].text]))
        print("--- staff group ---\n" + "\n---\n".join(s.text or "" for s in tg.sent_to(GROUP)))
