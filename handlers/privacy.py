"""Data rights (Law 91/2025/QH15): /mydata shows what is stored about the citizen, /forget erases it.

Consent is recorded with its time and the version of the privacy notice it was given under
(`NOTICE_VERSION`; `tests/test_privacy.py` fails when the notice's text changes and the version does not).
"""

from __future__ import annotations

from handlers.context import Context
from handlers.keyboards import main_menu, menu_row
from messaging.types import Button, Incoming, Outgoing
from storage.clock import format_local
from storage.privacy import erase_citizen, stored_data

NOTICE_VERSION = "2"  # of the texts `start.privacy` (vi and en); 1: before /mydata and /forget existed
MAX_SHOWN = 20  # tickets listed by /mydata (the count says how many there are)


def is_data_request(msg: Incoming) -> bool:
    """/mydata, /forget or their buttons: answered even to a banned citizen (a right, not a service)."""
    return msg.command in ("mydata", "forget") or (msg.callback or "").startswith("privacy:")


def my_data(ctx: Context) -> list[Outgoing]:
    """Everything the bot stores about the person writing, in their words."""
    data = stored_data(ctx.session, ctx.citizen)
    c = data.citizen
    none = ctx.t("privacy.none")
    if c.consent_at is not None:
        consent = ctx.t("privacy.consent_yes", date=format_local(c.consent_at), version=c.consent_version or "1")
    else:
        consent = ctx.t("privacy.consent_no")
    lines = [ctx.t("privacy.header"),
             ctx.t("privacy.account", platform=c.platform, user_id=c.user_id),
             ctx.t("privacy.names", name=c.display_name or none, username=f"@{c.username}" if c.username else none),
             ctx.t("privacy.phone", phone=c.phone or none),
             ctx.t("privacy.language", language=c.language),
             consent,
             ctx.t("privacy.tickets", count=len(data.tickets))]
    for ticket in data.tickets[:MAX_SHOWN]:
        text = " ".join(ticket.description.split())
        lines.append(ctx.t("privacy.ticket", code=ticket.code, date=format_local(ticket.created_at, with_time=False),
                           status=ctx.t(f"status.{ticket.status}"),
                           text=text if len(text) <= 80 else text[:79] + "…",
                           phone=ticket.phone or none, address=ticket.address or none))
    lines += [ctx.t("privacy.attachments", count=data.attachments),
              ctx.t("privacy.surveys", count=data.surveys, comments=data.survey_comments),
              ctx.t("privacy.draft_yes" if data.draft else "privacy.draft_no"),
              ctx.t("privacy.footer")]
    return [ctx.reply("\n".join(lines), ((Button(ctx.t("btn.forget"), "privacy:forget"),), menu_row(ctx.t)))]


def forget(ctx: Context) -> list[Outgoing]:
    """Ask before erasing (it cannot be undone)."""
    return [ctx.reply(ctx.t("privacy.forget_ask"), ((Button(ctx.t("btn.forget_yes"), "privacy:forget:yes"),
                                                     Button(ctx.t("btn.forget_no"), "privacy:forget:no")),))]


def on_button(ctx: Context, rest: str) -> list[Outgoing]:
    """privacy:forget (ask), privacy:forget:yes (erase), privacy:forget:no (keep everything)."""
    if rest == "forget":
        return forget(ctx)
    if rest == "forget:no":
        return [ctx.reply(ctx.t("privacy.forget_kept"), main_menu(ctx.t))]
    if rest != "forget:yes":
        return [ctx.reply(ctx.t("error.stale_button"), main_menu(ctx.t))]
    lang = ctx.lang
    ctx.reset()
    erased = erase_citizen(ctx.session, ctx.citizen, ctx.t("privacy.erased_marker"), actor="citizen:forget")
    text = ctx.t("privacy.forgotten", tickets=erased.tickets, attachments=erased.attachments)
    if erased.kept_account:
        text += "\n\n" + ctx.t("privacy.kept_banned")
    return [Outgoing(text=text, meta={"lang": lang})]
