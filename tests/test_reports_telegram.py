"""The staff chat really receives the chart and the exports: uploads through the real runtimes (fake Bot API)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.fake_telegram.harness import BotHarness, database_url, sqlite_app, telegram_settings
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram

STAFF = 9001
STAFF_CHAT = -1001000
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_report_and_export_are_uploaded_to_the_staff_chat(tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with FakeTelegram(limits=FloodLimits()) as tg:
        tg.add_group(STAFF_CHAT, "Tổ tiếp nhận", is_forum=False)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework, staff_chat_id=str(STAFF_CHAT)),
                         core_kb)
        async with BotHarness(tg, app):
            tg.send_text(STAFF, "/report 2", chat_id=STAFF_CHAT)
            caption, photo = await tg.wait_sent(STAFF_CHAT, 2, timeout=30)
            assert "Biểu đồ 2 tháng" in (caption.text or "")
            assert photo.method == "sendPhoto"
            name, content = photo.params["_uploads"]["photo"]
            assert name.endswith(".png") and content.startswith(PNG)
            tg.send_text(STAFF, "/export xlsx", chat_id=STAFF_CHAT)
            sent = await tg.wait_sent(STAFF_CHAT, 4, timeout=30)
            document = sent[3]
            assert document.method == "sendDocument"
            name, content = document.params["_uploads"]["document"]
            assert name.endswith(".xlsx")
            assert load_workbook(io.BytesIO(content)).active["A1"].value == "Mã"
