"""Console chat: a terminal (or a pipe) as a messenger, for trying the bot and scripting conversations.

Buttons print as `[N] label`; typing N presses button N (a number with no such button is refused here,
not sent as text). `:reply TEXT` answers the last message about a ticket (a messenger's "reply to"). Lines
starting with `:` stand for what a phone would send: `:photo NAME [caption]`, `:file NAME`,
`:location LAT LON`, `:contact PHONE`, `:sticker`, `:quit`. Messages queued for this chat in the outbox
(staff answers, new tickets for the staff chat, and for staff their private messages from the bot) are
printed after each turn and marked delivered.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.app import App
from messaging.types import Attachment, AttachmentKind, Incoming, Location, Outgoing
from storage.db import session_scope
from storage.files import load_file, stored_id
from storage.outbox import Lease, claim_due, mark_sent
from storage.threads import link_thread

PLATFORM = "console"
HELP = ("Gõ tin nhắn rồi Enter. Gõ số N để bấm nút [N]. "
        "Lệnh giả lập: :photo TÊN [chú thích], :file TÊN, :location VĨ_ĐỘ KINH_ĐỘ, :contact SĐT, :quit")


class ConsoleChat:
    """One console user (a citizen, or staff in the staff chat) talking to the dispatcher."""

    def __init__(self, app: App, *, as_staff: bool = False, user_id: str | None = None,
                 user_name: str | None = None, out: TextIO = sys.stdout, echo: bool = False) -> None:
        self.app = app
        self.as_staff = as_staff
        staff_platform, staff_chat = app.settings.staff_chat_address
        self.user_id = user_id or ("admin" if as_staff else "citizen")
        self.chat_id = staff_chat if as_staff and staff_platform == PLATFORM else self.user_id
        self.user_name = user_name
        self.out = out
        self.echo = echo
        self.buttons: dict[str, str] = {}
        self.last_ticket_message: str | None = None  # the id of the last message about a ticket shown here
        self.lease = Lease(f"console-{uuid.uuid4().hex[:12]}", 30.0, frozenset({PLATFORM}), chat=self.chat_id)

    def incoming(self, line: str) -> Incoming | None:
        """The neutral message a typed line stands for (None for `:quit`)."""
        base = {"platform": PLATFORM, "user_id": self.user_id, "chat_id": self.chat_id,
                "user_name": self.user_name, "is_group": self.as_staff}
        stripped = line.strip()
        if stripped in self.buttons:
            return Incoming(callback=self.buttons[stripped], **base)
        if not stripped.startswith(":"):
            return Incoming(text=line.rstrip("\n"), **base)
        word, _, rest = stripped[1:].partition(" ")
        if word == "quit":
            return None
        if word == "reply":
            return Incoming(text=rest or None, reply_to=self.last_ticket_message, **base)
        if word in ("photo", "file"):
            name, _, caption = rest.partition(" ")
            kind = AttachmentKind.PHOTO if word == "photo" else AttachmentKind.DOCUMENT
            attachment = Attachment(kind, f"console-{name or 'file'}", file_name=name or None)
            return Incoming(text=caption or None, attachments=(attachment,), **base)
        if word == "location":
            try:
                lat, lon = (float(x) for x in rest.split()[:2])
            except ValueError:
                return Incoming(text=line, **base)
            return Incoming(location=Location(lat, lon), **base)
        if word == "contact":
            return Incoming(contact_phone=rest.strip(), **base)
        return Incoming(unsupported=word or "unknown", **base)

    def send(self, line: str) -> bool:
        """Handle one typed line and print the answers; False when the user quits."""
        msg = self.incoming(line)
        if msg is None:
            return False
        if self.echo:
            self.out.write(f"> {line.rstrip()}\n")
        if msg.callback is None and self.buttons and line.strip().isdigit() and len(line.strip()) <= 2:
            self.out.write(f"(Không có nút [{line.strip()}]; các nút: 1–{len(self.buttons)}.)\n\n")
            return True
        items = self.app.dispatcher.answer(msg, self.lease)  # written to the outbox, like every runtime's
        self.buttons = {}
        mine = [i for i in items if (i.platform, i.chat_id) == (PLATFORM, self.chat_id) and (i.claimed or i.id is None)]
        self.show([Outgoing.from_dict(i.payload) for i in mine], fresh=False)
        mark_sent(self.app.engine, [i.id for i in mine if i.id is not None])
        self.deliver_outbox()  # older messages first (then the answers that waited behind them)
        return True

    def deliver_outbox(self) -> None:
        """Print and mark delivered the queued messages addressed to this console chat (and, in the staff chat,
        to the staff member's own), in order."""
        chats = [self.chat_id] + ([self.user_id] if self.as_staff and self.user_id != self.chat_id else [])
        for chat in chats:
            while mine := claim_due(self.app.engine, PLATFORM, limit=200, lease_seconds=5, chat_id=chat,
                                    owner=self.lease.owner):
                self.show([Outgoing.from_dict(i.payload) for i in mine], fresh=False)
                mark_sent(self.app.engine, [i.id for i in mine if i.id is not None])
                for item in mine:
                    if item.payload.get("ticket_code") and item.chat_id == self.user_id:
                        self._link(item.payload["ticket_code"], str(item.id))

    def _link(self, code: str, message_id: str) -> None:
        """Remember a message about a ticket shown in this private chat, so `:reply` can answer it."""
        with session_scope(self.app.engine) as session:
            link_thread(session, code, PLATFORM, self.chat_id, message_id=message_id)
        self.last_ticket_message = message_id

    def show(self, messages: Iterable[Outgoing], *, fresh: bool) -> None:
        """Print messages; buttons are numbered and remembered for the next line."""
        if fresh:
            self.buttons = {}
        n = len(self.buttons)
        for msg in messages:
            self.out.write(f"{msg.text}\n")
            for a in msg.attachments:
                self.out.write(f"  ({a.kind.value}: {self.save_file(a.file_id) or a.file_name or a.file_id})\n")
            if msg.location is not None:
                self.out.write(f"  (vị trí: {msg.location.latitude}, {msg.location.longitude})\n")
            for row in msg.buttons:
                for b in row:
                    n += 1
                    self.buttons[str(n)] = b.data
                    self.out.write(f"[{n}] {b.label}\n")
            if msg.request_contact:
                self.out.write("  (:contact SỐ_ĐIỆN_THOẠI để gửi số)\n")
            if msg.request_location:
                self.out.write("  (:location VĨ_ĐỘ KINH_ĐỘ để gửi vị trí)\n")
            self.out.write("\n")
        self.out.flush()

    def save_file(self, file_id: str) -> str | None:
        """Write a file the bot made (a chart, an export) into REPORT_FILES_DIR; its path, or None for others."""
        found = load_file(self.app.engine, file_id) if stored_id(file_id) is not None else None
        if found is None:
            return None
        folder = Path(self.app.settings.report_files_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stored_id(file_id)}-{found.name}"
        path.write_bytes(found.content)
        return str(path.resolve())

    def loop(self, stream: TextIO = sys.stdin) -> None:
        """Read lines until end of input or `:quit`."""
        interactive = stream.isatty()
        self.echo = self.echo or not interactive
        if interactive:
            self.out.write(HELP + "\n\n")
        self.deliver_outbox()  # what arrived while this console was closed comes first, as on a phone
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = stream.readline()
            if not line:
                break
            if not line.strip() and not interactive:
                continue
            if not self.send(line):
                break
