"""Zalo OA, end to end over real HTTP: a fake OA API server, the bot's webhook server, the outbox sender."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
from bot.zalo.service import make_zalo_sender, run_zalo, webhook_app
from knowledge import KnowledgeBase
from messaging.types import Button, Outgoing
from storage.credentials import load_credential
from storage.models import Citizen, OutboxMessage, Ticket
from storage.outbox import claim_due, mark_sent
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
    sender: OutboxSender

    async def event(self, name: str, message: dict | None = None, **kw: object) -> int:
        status = await self.zalo.post_event(self.url, self.zalo.event(USER, name, message or {}), **kw)
        await self.sender.idle()
        return status

    async def say(self, text: str, msg_id: str | None = None) -> int:
        self._n = getattr(self, "_n", 0) + 1
        return await self.event("user_send_text", {"msg_id": msg_id or f"m{self._n}", "text": text})

    async def press(self, data: str) -> int:
        return await self.say(BUTTON_PREFIX + data)

    async def drain_outbox(self) -> None:
        await self.sender.drain(timeout=20)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(followers={USER}) as fake:
        yield fake


@asynccontextmanager
async def zalo_bot(zalo: FakeZalo, settings: Settings, kb: KnowledgeBase,
                   env: tuple[str, str] | None = None) -> AsyncIterator[Bot]:
    """The bot's webhook and Zalo sender against the fake OA (a fresh app: a new process, same database).

    `env`: the access and refresh token in the environment (default: the fake's current ones)."""
    extra = {"zalo_access_token": env[0], "zalo_refresh_token": env[1]} if env else {}
    app = build_app(zalo_settings(settings, zalo, **extra), kb=kb)
    async with aiohttp.ClientSession() as session:
        tokens = ZaloTokens(app.engine, zalo.base_url, zalo.app_id, zalo.app_secret, app.settings.zalo_access_token,
                            app.settings.zalo_refresh_token)
        await tokens.load()
        client = ZaloClient(zalo.base_url, tokens, session)
        sender = make_zalo_sender(app, client, poll_interval=0.05, max_backoff=0.5)
        sender.start()
        server = TestServer(webhook_app(app, client))
        await server.start_server()
        try:
            yield Bot(app, client, str(server.make_url(app.settings.zalo_webhook_path)), zalo, sender)
        finally:
            await sender.shutdown()
            await server.close()


@pytest.fixture
async def bot(zalo: FakeZalo, settings: Settings, core_kb: KnowledgeBase) -> AsyncIterator[Bot]:
    async with zalo_bot(zalo, settings, core_kb) as running:
        yield running


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
    stored = json.loads(load_credential(bot.app.engine, "zalo_tokens") or "{}")
    assert (stored["access"], stored["refresh"]) == (zalo.access_token, zalo.refresh_token)


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


def test_a_second_bubble_of_buttons_says_what_it_is_and_keeps_a_row_together() -> None:
    rows = (*((Button(f"Loại {i}", f"c:{i}"),) for i in range(4)), (Button("◀️ Quay lại", "b"), Button("❌ Hủy", "x")))
    bodies = render(Outgoing("Chọn loại phản ánh", buttons=rows, meta={"lang": "vi"}))
    payloads = [b["attachment"]["payload"] for b in bodies]
    assert [len(p["buttons"]) for p in payloads] == [4, 2]
    assert payloads[1]["text"] == "👇 Hoặc:"


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
    await zalo_wait(lambda: bool(zalo.to(USER)))
    assert status == 200 and "Xin chào" in zalo.to(USER)[0].text
    stop.set()
    await asyncio.wait_for(task, 20)


async def zalo_wait(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- signatures: fixed vectors

# Computed once with `printf '%s' "<app_id><body><timestamp><oa_secret_key>" | sha256sum` (Zalo's formula:
# mac = sha256(appId + data + timeStamp + OAsecretKey)), not with any code of the bot.
VECTORS = [
    ("app-1", '{"app_id":"app-1","event_name":"user_send_text","timestamp":"1700000000000"}', "1700000000000",
     "oa-secret", "mac=a2ca2b6491bca65c5f418940e532ec2a266d3f940d0498d42f3927d4b438f62c"),
    ("4321", '{"event_name":"follow","follower":{"id":"8123"},"timestamp":"1735689600000"}', "1735689600000",
     "khóa-bí-mật", "mac=52e2de3bd1bfb2b602e0b29a6dee62a7dcb20b516b0b0505e2b87e1abb090f6d"),
]


@pytest.mark.parametrize(("app_id", "body", "timestamp", "secret", "expected"), VECTORS)
def test_signature_matches_the_fixed_vectors(app_id: str, body: str, timestamp: str, secret: str,
                                             expected: str) -> None:
    from bot.zalo.signature import is_valid, signature

    assert signature(app_id, body, timestamp, secret) == expected
    assert is_valid(expected, app_id, body, timestamp, secret)
    assert is_valid(expected.removeprefix("mac="), app_id, body, timestamp, secret)
    assert not is_valid(expected, app_id, body + " ", timestamp, secret)


@pytest.mark.parametrize(("app_id", "body", "timestamp", "secret", "expected"), VECTORS)
def test_the_fake_oa_signs_like_the_vectors(app_id: str, body: str, timestamp: str, secret: str,
                                            expected: str) -> None:
    from tests.fake_zalo.server import zalo_signature

    assert zalo_signature(app_id, body, timestamp, secret) == expected


# ---------------------------------------------------------------- bad input at the door


@pytest.mark.parametrize(("body", "why"), [
    (b'{"event_name": "user_send_text", "text": "\xff\xfe"}', "not UTF-8"),
    (b"<html>not json</html>", "not JSON"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deep"),
    (b'{"a":' * 200 + b"1" + b"}" * 200, "nested too deep"),
    (b'["user_send_text"]', "not a JSON object"),
])
async def test_a_malformed_webhook_body_gets_400_and_nothing_runs(bot: Bot, zalo: FakeZalo, body: bytes,
                                                                  why: str) -> None:
    assert await zalo.post_raw(bot.url, body, "mac=whatever") == 400
    assert zalo.sent == []


# ---------------------------------------------------------------- tokens


async def test_after_a_restart_the_stored_pair_wins_over_the_spent_one_in_the_environment(
        zalo: FakeZalo, settings: Settings, core_kb: KnowledgeBase) -> None:
    configured = (zalo.access_token, zalo.refresh_token)  # what .env holds, forever
    async with zalo_bot(zalo, settings, core_kb, configured) as first:
        zalo.expire_token()
        await first.say("/help")
    assert zalo.refreshes == 1  # refresh-1 is spent now; the bot stored token-2 / refresh-2
    async with zalo_bot(zalo, settings, core_kb, configured) as second:  # a restart, the same environment
        assert second.app.settings.zalo_refresh_token == configured[1]
        await second.say("/help", msg_id="after-1")  # works with the stored access token
        zalo.expire_token()
        await second.say("/menu", msg_id="after-2")  # refreshes with the stored refresh token, not the spent one
    assert zalo.refreshes == 2
    assert [ok for _, ok in zalo.refresh_uses] == [True, True]
    assert len(zalo.to(USER)) == 3


async def test_new_tokens_put_in_the_environment_replace_the_stored_pair(
        zalo: FakeZalo, settings: Settings, core_kb: KnowledgeBase) -> None:
    async with zalo_bot(zalo, settings, core_kb) as first:
        zalo.expire_token()
        await first.say("/help")
    zalo.access_token, zalo.refresh_token = "issued-by-hand", "refresh-by-hand"  # the office re-issued them
    async with zalo_bot(zalo, settings, core_kb) as second:
        await second.say("/help", msg_id="after-1")
    assert len(zalo.to(USER)) == 2 and zalo.refreshes == 1


async def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
        zalo: FakeZalo, any_engine, tmp_path) -> None:
    zalo.expire_token()
    tokens = [ZaloTokens(any_engine, zalo.base_url, zalo.app_id, zalo.app_secret, "token-1", "refresh-1")
              for _ in range(2)]
    for t in tokens:
        await t.load()
    results = await asyncio.gather(*(t.refresh(stale="token-1") for t in tokens))
    assert results == [True, True]
    assert zalo.refreshes == 1 and [ok for _, ok in zalo.refresh_uses] == [True]
    assert tokens[0].access == tokens[1].access == zalo.access_token


async def test_a_refused_refresh_leaves_the_stored_pair_alone(zalo: FakeZalo, bot: Bot) -> None:
    zalo.expire_token()
    await bot.say("/help")
    stored = load_credential(bot.app.engine, "zalo_tokens")
    zalo.refresh_token = "changed-elsewhere"  # the pair was spent by someone else
    zalo.expire_token()
    await bot.say("/help")
    assert load_credential(bot.app.engine, "zalo_tokens") == stored


# ---------------------------------------------------------------- delivery


async def test_a_message_outside_zalo_s_window_waits_for_the_citizen_and_staff_see_why(
        bot: Bot, zalo: FakeZalo) -> None:
    citizen = Chat(bot.app.dispatcher, USER, platform="zalo")
    citizen.start_and_consent()
    code = citizen.file_ticket()
    zalo.outside_window.add(USER)  # seven days without a word from the citizen
    staff = Chat(bot.app.dispatcher, "admin", chat_id="staff", is_group=True)
    staff.say(f"/reply {code} Đã sửa xong đèn đường.")
    await bot.drain_outbox()
    assert not any("Đã sửa xong" in s.text for s in zalo.to(USER))
    with Session(bot.app.engine) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == USER)).one()
        assert row.status == "waiting"
    staff_chat = []
    while batch := claim_due(bot.app.engine, "console", chat_id="staff"):  # what the staff console shows
        staff_chat += [i.payload["text"] for i in batch]
        mark_sent(bot.app.engine, [i.id for i in batch])
    assert any(code in text and "chưa gửi được" in text for text in staff_chat)
    zalo.outside_window.clear()
    await bot.say("Cảm ơn, cho tôi hỏi thêm")  # the citizen writes again
    await bot.drain_outbox()
    texts = [s.text for s in zalo.to(USER)]
    answer = next(i for i, t in enumerate(texts) if "Đã sửa xong" in t)
    assert answer < len(texts) - 1  # the waiting answer went first, then the reply to the new message


@pytest.mark.parametrize("failure", ["500", "502", "hang"])
async def test_a_failing_oa_api_loses_no_answer(bot: Bot, zalo: FakeZalo, failure: str) -> None:
    bot.client.session._timeout = aiohttp.ClientTimeout(total=1)  # a hang costs a second here
    zalo.fail_next(failure, times=2)
    status = await bot.zalo.post_event(bot.url, zalo.event(USER, "user_send_text", {"msg_id": "f1", "text": "/help"}))
    assert status == 200
    await bot.sender.idle(timeout=20)
    assert len(zalo.to(USER)) == 1


async def _crowd_says_start(bot: Bot, zalo: FakeZalo, users: list[str]) -> None:
    await asyncio.gather(*(zalo.post_event(bot.url, zalo.event(u, "user_send_text", {"msg_id": f"s-{u}",
                                                                                     "text": "/start"}))
                           for u in users))
    await bot.sender.drain(timeout=60)


async def test_a_crowd_at_once_is_answered_within_zalos_rate_limit(settings: Settings,
                                                                   core_kb: KnowledgeBase) -> None:
    users = [f"90000000{i:02d}" for i in range(40)]
    async with FakeZalo(followers=set(users), per_second=20) as zalo, zalo_bot(zalo, settings, core_kb) as bot:
        await _crowd_says_start(bot, zalo, users)
        assert zalo.rate_limited == 0
        assert all("Xin chào" in zalo.to(u)[0].text for u in users)


async def test_answers_refused_for_the_rate_limit_are_sent_again_and_none_is_lost(
        settings: Settings, core_kb: KnowledgeBase) -> None:
    users = [f"91000000{i:02d}" for i in range(25)]
    async with FakeZalo(followers=set(users), per_second=4) as zalo, zalo_bot(zalo, settings, core_kb) as bot:
        await _crowd_says_start(bot, zalo, users)  # the bot paces at 15 a second, Zalo here allows 4
        assert zalo.rate_limited > 0
        assert sorted(s.user_id for s in zalo.sent) == sorted(users)  # each greeted once
