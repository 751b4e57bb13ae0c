"""End to end (issue 10, problem 3): on Telegram, a citizen's reply to an office message joins that ticket,
through the real runtimes, the outbox sender and the fake Bot API server."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.categories import categories
from storage.db import session_scope
from storage.models import TicketEvent
from storage.threads import ticket_for_thread
from storage.tickets import get_ticket, ticket_events
from tests.fake_telegram.harness import BotHarness, database_url, sqlite_app, telegram_settings
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram
from tests.test_telegram_e2e import CITIZEN, STAFF, STAFF_CHAT, Citizen, file_ticket_with_photo


def _linked(app: Any, chat_id: int, message_id: int) -> bool:
    """Whether delivery has linked a sent message to its ticket (it does so right after the send)."""
    with session_scope(app.engine) as session:
        return ticket_for_thread(session, "telegram", str(chat_id), message_id=str(message_id)) is not None


def _citizen_messages(app: Any, code: str) -> list[TicketEvent]:
    with session_scope(app.engine) as session:
        ticket = get_ticket(session, code)
        assert ticket is not None
        return [e for e in ticket_events(session, ticket, public_only=True) if e.kind == "citizen_message"]


async def file_another(citizen: Citizen) -> str:
    """A second ticket from the menu (consent was given with the first); returns its code."""
    await citizen.press("m:feedback")
    await citizen.press(f"fb:cat:{categories()[-1].id}")
    await citizen.press("fb:ag:-")
    await citizen.say("Rác tồn đọng đầu ngõ 12 ba ngày nay, bốc mùi.")
    await citizen.press("fb:next", 2)
    await citizen.press("fb:next", 2)
    await citizen.contact("0912345678", 2)  # the keyboard removal, then the summary
    created = await citizen.press("fb:send")
    return next(word.strip(".,:;()") for word in (created[-1].text or "").split() if word.startswith("PA"))


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_citizens_telegram_reply_to_an_office_message_joins_that_ticket(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_group(STAFF_CHAT, "Tổ tiếp nhận", is_forum=False)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework,
                                           staff_chat_id=str(STAFF_CHAT)), core_kb)
        async with BotHarness(tg, app):
            citizen = Citizen(tg)
            first = await file_ticket_with_photo(citizen)
            second = await file_another(citizen)
            before = len(tg.sent_to(CITIZEN))
            tg.send_text(STAFF, f"/reply {first} Bạn cho biết đèn ở cột số mấy?", chat_id=STAFF_CHAT)
            office = (await tg.wait_sent(CITIZEN, before + 1))[-1]
            assert f"tk:re:{first}" in office.callback_data
            before = len(tg.sent_to(CITIZEN))  # the second ticket's office message is the latest one
            tg.send_text(STAFF, f"/reply {second} Đội vệ sinh sẽ đến chiều nay.", chat_id=STAFF_CHAT)
            await tg.wait_sent(CITIZEN, before + 1)

            before = len(tg.sent_to(CITIZEN))
            staff_before = len(tg.sent_to(STAFF_CHAT))
            await tg.wait_for(lambda: _linked(app, CITIZEN, office.message_id), what="office message linked")
            tg.send_text(CITIZEN, "Cột số 3 đầu ngõ 12", reply_to=office.message_id)
            joined = (await tg.wait_sent(CITIZEN, before + 1))[-1]
            assert f"phản ánh {first}" in (joined.text or "")
            relayed = (await tg.wait_sent(STAFF_CHAT, staff_before + 1))[-1]
            assert first in (relayed.text or "") and "Cột số 3 đầu ngõ 12" in (relayed.text or "")
            assert [e.text for e in _citizen_messages(app, first)] == ["Cột số 3 đầu ngõ 12"]
            assert _citizen_messages(app, second) == []

            # staff answer the citizen's message by replying to it in the group: it reaches the citizen
            before = len(tg.sent_to(CITIZEN))
            await tg.wait_for(lambda: _linked(app, STAFF_CHAT, relayed.message_id), what="relayed message linked")
            tg.send_text(STAFF, "Cảm ơn, tổ điện sẽ thay trong hôm nay.", chat_id=STAFF_CHAT,
                         reply_to=relayed.message_id)
            answer = (await tg.wait_sent(CITIZEN, before + 1))[-1]
            assert "tổ điện sẽ thay" in (answer.text or "") and first in (answer.text or "")
