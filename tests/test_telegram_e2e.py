"""End to end: the real aiogram and python-telegram-bot runtimes against the fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from handlers.categories import categories
from storage.db import session_scope
from storage.tickets import get_ticket
from tests.conftest import CORE_KB, route_category
from tests.fake_telegram.harness import BotHarness, database_url, sqlite_app, telegram_settings
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram

CITIZEN = 1001
STAFF = 9001
STAFF_CHAT = -1001000
MODES = [("aiogram", False), ("aiogram", True), ("ptb", False), ("ptb", True)]
MODE_IDS = ["aiogram-polling", "aiogram-webhook", "ptb-polling", "ptb-webhook"]


@asynccontextmanager
async def citizen_bot(tmp_path: Any, core_kb: Any, framework: str,
                      **settings: Any) -> AsyncIterator[tuple[FakeTelegram, BotHarness]]:
    """The bot on `framework`, on SQLite, against a fake server where one citizen has a private chat."""
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_private_chat(CITIZEN)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework, **settings), core_kb)
        async with BotHarness(tg, app) as bot:
            yield tg, bot


class Citizen:
    """Drives one citizen's private chat and waits for the bot's answers."""

    def __init__(self, tg: FakeTelegram, user_id: int = CITIZEN) -> None:
        self.tg = tg
        self.id = user_id
        tg.add_private_chat(user_id, first_name="Lan", language_code="vi")

    async def _expect(self, inject: Any, count: int) -> list[Any]:
        before = len(self.tg.sent_to(self.id))
        inject()
        sent = await self.tg.wait_sent(self.id, before + count)
        await asyncio.sleep(0.05)
        return sent[before:]

    async def say(self, text: str, count: int = 1) -> list[Any]:
        return await self._expect(lambda: self.tg.send_text(self.id, text), count)

    async def press(self, data: str, count: int = 1) -> list[Any]:
        return await self._expect(lambda: self.tg.press(self.id, data), count)

    async def photo(self, file_id: str, count: int = 1) -> list[Any]:
        return await self._expect(lambda: self.tg.send_photo(self.id, file_id), count)

    async def contact(self, phone: str, count: int = 1) -> list[Any]:
        return await self._expect(lambda: self.tg.send_contact(self.id, phone), count)


async def file_ticket_with_photo(citizen: Citizen) -> str:
    """/start -> consent -> menu -> feedback flow with a photo; returns the ticket code."""
    greeting = await citizen.say("/start")
    assert "consent:yes:menu" in greeting[-1].callback_data
    menu = await citizen.press("consent:yes:menu")
    assert "m:feedback" in menu[-1].callback_data
    ask_category = await citizen.press("m:feedback")
    category = categories()[0].id
    assert f"fb:cat:{category}" in ask_category[-1].callback_data
    await citizen.press(f"fb:cat:{category}")
    await citizen.press("fb:ag:-")
    ask_files = await citizen.say("Đèn đường ngõ 12 bị hỏng ba ngày nay, buổi tối rất tối.")
    assert "fb:next" in ask_files[-1].callback_data
    await citizen.photo("AgACbroken-lamp")
    ask_location = await citizen.press("fb:next", 2)
    assert ask_location[-1].keyboard[0][0].get("request_location") is True
    ask_contact = await citizen.press("fb:next", 2)
    assert ask_contact[-1].keyboard[0][0].get("request_contact") is True
    summary = await citizen.contact("0912345678", 2)  # the keyboard removal, then the summary
    assert "fb:send" in summary[-1].callback_data
    created = await citizen.press("fb:send")
    text = created[-1].text or ""
    code = next(word.strip(".,:;()") for word in text.split() if word.startswith("PA"))
    return code


@pytest.mark.parametrize(("framework", "webhook"), MODES, ids=MODE_IDS)
async def test_citizen_files_ticket_with_photo_and_receives_staff_answer_from_topic(
        tmp_path: Any, core_kb: Any, framework: str, webhook: bool) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_group(STAFF_CHAT, "Tổ tiếp nhận", is_forum=True)
        settings = telegram_settings(tg, database_url(tmp_path), framework, webhook, str(STAFF_CHAT))
        app = sqlite_app(settings, core_kb)
        async with BotHarness(tg, app):
            citizen = Citizen(tg)
            code = await file_ticket_with_photo(citizen)

            # The ticket got its own topic, with the card and the citizen's photo copied into it.
            await tg.wait_for(lambda: len(tg.topics[STAFF_CHAT]) == 1, what="topic")
            (thread_id, topic), = tg.topics[STAFF_CHAT].items()
            assert topic.name.startswith(f"{code} · ")
            in_topic = await tg.wait_sent(STAFF_CHAT, 2, thread_id=thread_id)
            assert code in (in_topic[0].text or "")
            assert in_topic[1].method == "sendPhoto" and in_topic[1].params["photo"] == "AgACbroken-lamp"
            with session_scope(app.engine) as session:
                ticket = get_ticket(session, code)
                assert ticket is not None

            # Staff answer in the topic; internal notes stay internal.
            before = len(tg.sent_to(CITIZEN))
            tg.send_text(STAFF, "# kiểm tra hiện trường trước", chat_id=STAFF_CHAT, thread_id=thread_id)
            tg.send_text(STAFF, "Chúng tôi đã cử đội điện lực sửa trong hôm nay.", chat_id=STAFF_CHAT,
                         thread_id=thread_id)
            answer = await tg.wait_sent(CITIZEN, before + 1)
            assert "Chúng tôi đã cử đội điện lực" in (answer[-1].text or "")
            confirm = await tg.wait_sent(STAFF_CHAT, 3, thread_id=thread_id)
            assert code in (confirm[-1].text or "")
            await asyncio.sleep(0.3)
            assert not any("kiểm tra hiện trường" in (s.text or "") for s in tg.sent_to(CITIZEN))

            # Closing the ticket closes its topic; reopening reopens it.
            tg.send_text(STAFF, f"/close {code} Đã sửa xong", chat_id=STAFF_CHAT, thread_id=thread_id)
            await tg.wait_for(lambda: topic.closed, what="topic closed")
            tg.send_text(STAFF, f"/reopen {code}", chat_id=STAFF_CHAT, thread_id=thread_id)
            await tg.wait_for(lambda: not topic.closed, what="topic reopened")
        assert tg.rate_limited == 0


async def test_close_typed_in_the_forums_general_topic_is_confirmed_there_and_closes_the_tickets_topic(
        tmp_path: Any, core_kb: Any) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_group(STAFF_CHAT, "Tổ tiếp nhận", is_forum=True)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), staff_chat_id=str(STAFF_CHAT)), core_kb)
        async with BotHarness(tg, app):
            code = await file_ticket_with_photo(Citizen(tg))
            await tg.wait_for(lambda: len(tg.topics[STAFF_CHAT]) == 1, what="topic")
            (thread_id, topic), = tg.topics[STAFF_CHAT].items()
            in_topic = len(await tg.wait_sent(STAFF_CHAT, 2, thread_id=thread_id))
            tg.send_text(STAFF, f"/close {code} Đã sửa xong", chat_id=STAFF_CHAT)  # General: no topic
            general = await tg.wait_sent(STAFF_CHAT, 1, thread_id=None)
            assert code in (general[-1].text or "")
            await tg.wait_for(lambda: topic.closed, what="topic closed")
            announced = await tg.wait_sent(STAFF_CHAT, in_topic + 1, thread_id=thread_id)
            assert code in (announced[-1].text or "")
            await asyncio.sleep(0.3)
            assert len(tg.sent_to(STAFF_CHAT, thread_id=None)) == 1


async def test_staff_answer_by_replying_to_ticket_message_in_plain_group(tmp_path: Any, core_kb: Any) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_group(STAFF_CHAT, "Tổ tiếp nhận", is_forum=False)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), staff_chat_id=str(STAFF_CHAT)), core_kb)
        async with BotHarness(tg, app):
            citizen = Citizen(tg)
            code = await file_ticket_with_photo(citizen)
            card, photo = await tg.wait_sent(STAFF_CHAT, 2)
            assert code in (card.text or "") and photo.method == "sendPhoto"
            assert not tg.calls_of("createForumTopic")
            before = len(tg.sent_to(CITIZEN))
            tg.send_text(STAFF, "Đã chuyển tổ dân phố xử lý.", chat_id=STAFF_CHAT, reply_to=card.message_id)
            answer = await tg.wait_sent(CITIZEN, before + 1)
            assert "Đã chuyển tổ dân phố" in (answer[-1].text or "")


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_forged_webhook_secret_is_refused_and_nothing_processed(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with citizen_bot(tmp_path, core_kb, framework, webhook=True) as (tg, bot):
        hook = tg.calls_of("setWebhook")[-1].params
        assert hook["secret_token"] == "s3cret-Token_1"
        assert set(hook["allowed_updates"]) == {"message", "callback_query"}
        update = {"update_id": 777, "message": {
            "message_id": 1, "date": 0, "text": "/start", "chat": {"id": CITIZEN, "type": "private"},
            "from": {"id": CITIZEN, "is_bot": False, "first_name": "Eve"}}}
        assert await bot.post_webhook(update, secret="wrong") == 401
        assert await bot.post_webhook(update, secret="") == 401
        await asyncio.sleep(0.3)
        assert tg.sent_to(CITIZEN) == []
        assert await bot.post_webhook(update) == 200
        await tg.wait_sent(CITIZEN, 1)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_update_delivered_twice_is_handled_once(tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with citizen_bot(tmp_path, core_kb, framework, webhook=True) as (tg, bot):
        update = {"update_id": 4242, "message": {
            "message_id": 5, "date": 0, "text": "/help", "chat": {"id": CITIZEN, "type": "private"},
            "from": {"id": CITIZEN, "is_bot": False, "first_name": "Lan"}}}
        statuses = await asyncio.gather(bot.post_webhook(update), bot.post_webhook(update))
        assert statuses == [200, 200]
        assert await bot.post_webhook(update) == 200
        first = await tg.wait_sent(CITIZEN, 1)
        await asyncio.sleep(0.3)
        assert len(tg.sent_to(CITIZEN)) == len(first)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_unparseable_update_is_skipped_and_polling_goes_on(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with citizen_bot(tmp_path, core_kb, framework) as (tg, bot):
        tg.inject({"message": {"message_id": "not-a-number", "chat": "?", "from": None}})
        tg.send_text(CITIZEN, "/help")
        await tg.wait_sent(CITIZEN, 1)
        assert bot.runtime is not None and bot.runtime.skipped == 1
        await tg.wait_for(lambda: tg.pending_updates == 0, what="all updates confirmed")


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_commands_registered_in_both_languages_and_staff_scope(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_group(STAFF_CHAT, is_forum=True)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework,
                                           staff_chat_id=str(STAFF_CHAT)), core_kb)
        async with BotHarness(tg, app):
            await tg.wait_for(lambda: len(tg.calls_of("setMyCommands")) == 4, what="4 setMyCommands")
        assert "feedback" in tg.commands_for() and "feedback" in tg.commands_for(language_code="en")
        staff_scope = {"type": "chat", "chat_id": STAFF_CHAT}
        assert "reply" in tg.commands_for(staff_scope) and "close" in tg.commands_for(staff_scope, "en")


async def test_a_categorys_own_telegram_group_gets_the_staff_command_menu_too(
        tmp_path: Any, core_kb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inspectors = STAFF_CHAT - 1
    route_category(tmp_path, monkeypatch, "attitude", f"telegram:{inspectors}")
    try:
        async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
            tg.add_group(STAFF_CHAT, is_forum=True)
            tg.add_group(inspectors)
            app = sqlite_app(telegram_settings(tg, database_url(tmp_path), staff_chat_id=str(STAFF_CHAT)), core_kb)
            async with BotHarness(tg, app):
                await tg.wait_for(lambda: len(tg.calls_of("setMyCommands")) == 6, what="6 setMyCommands")
            assert "reply" in tg.commands_for({"type": "chat", "chat_id": inspectors})
            assert "close" in tg.commands_for({"type": "chat", "chat_id": inspectors}, "en")
    finally:
        categories.cache_clear()


async def test_worker_processes_handle_updates_in_order_per_chat(tmp_path: Any, core_kb: Any) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        settings = telegram_settings(tg, database_url(tmp_path), staff_chat_id=None, telegram_workers=2,
                                     knowledge_dir=str(CORE_KB))
        app = sqlite_app(settings, core_kb)
        async with BotHarness(tg, app) as bot:
            assert bot.runtime is not None and bot.runtime.workers is not None
            citizens = [Citizen(tg, 1001 + i) for i in range(3)]
            greetings = await asyncio.gather(*(c.say("/start") for c in citizens))
            assert all("consent:yes:menu" in g[-1].callback_data for g in greetings)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_answers_to_one_chat_arrive_in_the_order_of_its_messages(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with citizen_bot(tmp_path, core_kb, framework) as (tg, _bot):
        commands = [f"/lenh{i}" for i in range(6)]
        for command in commands:  # all in one batch of getUpdates
            tg.send_text(CITIZEN, command)
        answers = await tg.wait_sent(CITIZEN, len(commands))
        assert [next(c for c in commands if c in a.text) for a in answers] == commands
