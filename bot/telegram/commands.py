"""The command menus registered with setMyCommands: citizens everywhere, staff in every staff chat."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.delivery_errors import DeliveryError
from bot.telegram.delivery import TelegramApi

log = logging.getLogger(__name__)

# command: (Vietnamese description, English description)
CITIZEN_COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("Bắt đầu, lời chào", "Start, greeting"),
    "menu": ("Menu chính", "Main menu"),
    "feedback": ("Gửi phản ánh, kiến nghị", "File feedback"),
    "procedures": ("Tra cứu thủ tục hành chính", "Look up a procedure"),
    "mine": ("Phản ánh của tôi", "My feedback"),
    "contact": ("Liên hệ các cơ quan", "Contact the offices"),
    "language": ("Đổi ngôn ngữ", "Change language"),
    "privacy": ("Dữ liệu cá nhân và đồng ý", "Personal data and consent"),
    "mydata": ("Xem dữ liệu bot lưu về tôi", "See the data kept about me"),
    "forget": ("Xóa dữ liệu của tôi", "Erase my data"),
    "cancel": ("Hủy thao tác đang làm", "Cancel what you are doing"),
    "help": ("Hướng dẫn", "Help"),
}

STAFF_COMMANDS: dict[str, tuple[str, str]] = {
    "tickets": ("Danh sách phản ánh", "List tickets"),
    "ticket": ("Chi tiết một phản ánh", "Ticket details"),
    "reply": ("Trả lời công dân", "Answer the citizen"),
    "note": ("Ghi chú nội bộ", "Internal note"),
    "assign": ("Giao xử lý", "Assign"),
    "agencies": ("Mã các cơ quan", "Office ids"),
    "contact": ("Liên hệ người gửi (cán bộ được giao)", "The sender's contact (assignee)"),
    "templates": ("Câu trả lời mẫu", "Canned answers"),
    "status": ("Đổi trạng thái", "Change status"),
    "close": ("Đóng phản ánh", "Close a ticket"),
    "reopen": ("Mở lại phản ánh", "Reopen a ticket"),
    "ban": ("Chặn công dân", "Ban a citizen"),
    "unban": ("Bỏ chặn", "Unban"),
    "extend": ("Hẹn lại ngày trả lời", "Give a new answer date"),
    "stats": ("Thống kê theo tháng, quý, năm", "Statistics by month, quarter, year"),
    "report": ("Biểu đồ báo cáo", "Report chart"),
    "export": ("Xuất danh sách phản ánh (CSV, XLSX)", "Export tickets (CSV, XLSX)"),
    "unmatched": ("Câu hỏi bot chưa trả lời được", "Questions the bot could not answer"),
    "staff": ("Quản lý cán bộ", "Manage staff"),
    "help": ("Hướng dẫn", "Help"),
}


def command_list(commands: dict[str, tuple[str, str]], lang: str) -> list[dict[str, str]]:
    """BotCommand objects for one language."""
    index = 1 if lang == "en" else 0
    return [{"command": name, "description": texts[index]} for name, texts in commands.items()]


async def register_commands(api: TelegramApi, staff_chat_ids: Iterable[str]) -> None:
    """setMyCommands in Vietnamese (default) and English; the staff set scoped to each staff chat (the main one
    and every category's own)."""
    scopes: list[tuple[dict[str, object] | None, dict[str, tuple[str, str]]]] = [(None, CITIZEN_COMMANDS)]
    for chat_id in sorted(set(staff_chat_ids)):
        try:
            scopes.append(({"type": "chat", "chat_id": int(chat_id)}, STAFF_COMMANDS))
        except ValueError:
            log.warning("staff chat %r is not a Telegram chat id; no staff command menu there", chat_id)
    for scope, commands in scopes:
        for lang in ("vi", "en"):
            params: dict[str, object] = {"commands": command_list(commands, lang)}
            if scope is not None:
                params["scope"] = scope
            if lang == "en":
                params["language_code"] = "en"
            try:
                await api.call("setMyCommands", params)
            except DeliveryError as err:
                log.warning("setMyCommands (%s, %s) failed: %s", scope, lang, err)
