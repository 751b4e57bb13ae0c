"""Zalo OA, end to end over real HTTP: a fake OA API server, the bot's webhook server, the outbox sender."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.outbox_sender import OutboxSender
from bot.settings import Settings
from bot.zalo.client import ZaloClient, ZaloTokens
from bot.zalo.convert import BUTTON_PREFIX, event_to_incoming
from bot.zalo.render import MAX_BUTTONS, render
from bot.zalo.service import ZALO_LIMITS, run_zalo, send_outgoing, webhook_app
from knowledge import KnowledgeBase
from messaging.types import Button, Outgoing
from storage.credentials import load_credential
from storage.models import Citizen, Ticket
from tests.chat_driver import Chat, ticket_code_in
from tests.fake_zalo.server import FakeZalo

USER = "8123456789"


def zalo_settings(settings: Settings, zalo: FakeZalo, **extra: object) -> Settings:
    return settings.model_copy(update={
        "zalo_access_token": zalo.access_token, "zalo_app_id": zalo.app_id, "zalo_app_secret": zalo.app_secret,
        "zalo_refresh_token": zalo.refresh_token, "zalo_oa_secret_key": zalo.oa_secret_key,
        "zalo_api_base": zalo.base_url, "zalo_oauth_base": zalo.base_url, **extra})


@dataclass
class Bot:
    app: App
    client: ZaloClient
    url: str
    zalo: FakeZalo

    async def event(self, name: str, message: dict | None = None, **kw: object) -> int:
        return await self.zalo.post_event(self.url, self.zalo.event(USER, name, message or {}), **kw)

    async def say(self, text: str, msg_id: str | None = None) -> int:
        self._n = getattr(self, "_n", 0) + 1
        return await self.event("user_send_text", {"msg_id": msg_id or f"m{self._n}", "text": text})

    async def press(self, data: str) -> int:
        return await self.say(BUTTON_PREFIX + data)

    async def drain_outbox(self) -> None:
        async def deliver(item, throttle) -> None:  # noqa: ANN001
            await send_outgoing(self.client, item.chat_id, Outgoing.from_dict(item.payload), throttle)

        await OutboxSender(self.app.engine, "zalo", deliver, ZALO_LIMITS, poll_interval=0.05).drain(timeout=20)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(followers={USER}) as fake:
        yield fake


@pytest.fixture
async def bot(zalo: FakeZalo, settings: Settings, core_kb: KnowledgeBase) -> AsyncIterator[Bot]:
    app = build_app(zalo_settings(settings, zalo), kb=core_kb)
    async with aiohttp.ClientSession() as session:
        tokens = ZaloTokens(app.engine, zalo.base_url, zalo.app_id, zalo.app_secret, zalo.access_token,
                            zalo.refresh_token)
        client = ZaloClient(zalo.base_url, tokens, session)
        server = TestServer(webhook_app(app, client))
        await server.start_server()
        yield Bot(app, client, str(server.make_url(app.settings.zalo_webhook_path)), zalo)
        await server.close()


async def test_following_the_oa_greets_and_asks_for_consent(bot: Bot, zalo: FakeZalo) -> None:
    assert await bot.event("follow") == 200
    assert "Xin chào" in zalo.to(USER)[0].text
    assert f"{BUTTON_PREFIX}consent:yes:menu" in zalo.to(USER)[-1].buttons


async def test_citizen_files_a_ticket_with_a_photo_and_receives_the_staff_answer(
        bot: Bot, zalo: FakeZalo) -> None:
    await bot.say("/start")
    await bot.press("consent:yes:menu")
    await bot.press("m:feedback")
    await bot.press("fb:cat:infrastructure")
    await bot.press("fb:ag:mot-cua")
    await bot.say("Cột điện nghiêng trước nhà số 9 ngõ 40")
    await bot.event("user_send_image", {"msg_id": "img1", "attachments": [
        {"type": "image", "payload": {"url": "https://photo.example/cot-dien.jpg"}}]})
    await bot.press("fb:done")
    await bot.event("user_send_location", {"msg_id": "loc1", "attachments": [
        {"type": "location", "payload": {"coordinates": {"latitude": "20.9931", "longitude": "105.8042"}}}]})
    await bot.say("0987 654 321")
    await bot.press("fb:send")
    code = ticket_code_in(zalo.to(USER)[-1].text)
    with Session(bot.app.engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.latitude, ticket.phone) == (20.9931, "0987654321")

    staff = Chat(bot.app.dispatcher, "admin", chat_id="staff", is_group=True)
    staff.say(f"/reply {code} Điện lực sẽ xử lý trong hôm nay.")
    await bot.drain_outbox()
    assert "Điện lực sẽ xử lý" in zalo.to(USER)[-1].text


async def test_forged_signature_is_refused_and_nothing_processed(bot: Bot, zalo: FakeZalo) -> None:
    assert await bot.zalo.post_event(bot.url, zalo.event(USER, "user_send_text", {"msg_id": "x2", "text": "/start"}),
                                     secret="wrong") == 401
    assert zalo.sent == []


async def test_event_delivered_twice_is_handled_once(bot: Bot, zalo: FakeZalo) -> None:
    await bot.say("/help", msg_id="dup")
    count = len(zalo.sent)
    await bot.say("/help", msg_id="dup")
    assert len(zalo.sent) == count


async def test_sticker_gets_a_polite_answer(bot: Bot, zalo: FakeZalo) -> None:
    await bot.event("user_send_sticker", {"msg_id": "s1", "attachments": [{"type": "sticker"}]})
    assert "(sticker)" in zalo.to(USER)[-1].text


async def test_receipts_and_seen_marks_are_ignored(bot: Bot, zalo: FakeZalo) -> None:
    assert await bot.event("user_seen_message", {"msg_id": "z"}) == 200
    assert zalo.sent == []


async def test_expired_access_token_is_refreshed_and_the_new_pair_kept(bot: Bot, zalo: FakeZalo) -> None:
    zalo.expire_token()
    await bot.say("/help")
    assert zalo.refreshes == 1 and zalo.to(USER)
    assert load_credential(bot.app.engine, "zalo_refresh_token") == zalo.refresh_token


async def test_user_who_left_the_oa_is_recorded_unreachable(bot: Bot, zalo: FakeZalo) -> None:
    citizen = Chat(bot.app.dispatcher, USER, platform="zalo")
    citizen.start_and_consent()
    code = citizen.file_ticket()
    zalo.followers.clear()
    Chat(bot.app.dispatcher, "admin", chat_id="staff", is_group=True).say(f"/reply {code} Trả lời")
    await bot.drain_outbox()
    with Session(bot.app.engine) as s:
        assert s.exec(select(Citizen).where(Citizen.user_id == USER)).one().unreachable_at is not None


def test_long_text_and_many_buttons_fit_zalos_limits() -> None:
    buttons = tuple((Button(f"Lựa chọn {i}", f"x:{i}"),) for i in range(12))
    bodies = render(Outgoing("đoạn văn. " * 500, buttons=buttons))
    texts = [b.get("text") or b["attachment"]["payload"]["text"] for b in bodies]
    assert all(len(t) <= 2000 for t in texts)
    groups = [b["attachment"]["payload"]["buttons"] for b in bodies if "attachment" in b]
    assert [len(g) for g in groups] == [MAX_BUTTONS, MAX_BUTTONS, 2]


def test_button_press_comes_back_as_a_callback() -> None:
    incoming = event_to_incoming({"event_name": "user_send_text", "sender": {"id": "1"},
                                  "message": {"msg_id": "a", "text": "#btn fb:send"}})
    assert incoming is not None and incoming.callback == "fb:send" and incoming.text is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_run_zalo_serves_the_webhook_until_stopped(zalo: FakeZalo, settings: Settings,
                                                         core_kb: KnowledgeBase) -> None:
    port = _free_port()
    app = build_app(zalo_settings(settings, zalo, zalo_webhook_host="127.0.0.1", zalo_webhook_port=port), kb=core_kb)
    stop = asyncio.Event()
    task = asyncio.create_task(run_zalo(app, stop))
    url = f"http://127.0.0.1:{port}{app.settings.zalo_webhook_path}"
    for _ in range(50):
        try:
            status = await zalo.post_event(url, zalo.event(USER, "follow", {}))
            break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    assert status == 200 and "Xin chào" in zalo.to(USER)[0].text
    stop.set()
    await asyncio.wait_for(task, 20)
