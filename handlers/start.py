"""Greeting, consent, main menu, language, help and the agency directory."""

from __future__ import annotations

from dataclasses import replace

from handlers.context import ANSWERED_IN, Context
from handlers.feedback import left_note
from handlers.keyboards import consent_buttons, main_menu, menu_row
from handlers.privacy import NOTICE_VERSION
from handlers.procedure_guide import agency_lines, short_label
from knowledge.models import Agency
from messaging.types import Button, Outgoing
from storage.citizens import give_consent, withdraw_consent
from storage.clock import format_local


def start(ctx: Context) -> list[Outgoing]:
    """Greet, explain what personal data is kept, ask for consent if not given, show the menu."""
    ctx.reset()
    name = f" {ctx.incoming.user_name}" if ctx.incoming.user_name else ""
    greeting = ctx.t("start.greeting", name=name, office=ctx.settings.office_name)
    if ctx.citizen.consent_at is None:
        return leading(greeting, [ctx.reply(ctx.t("start.privacy"), consent_buttons(ctx.t))])
    return leading(greeting, [menu(ctx)])


def leading(note: str, answers: list[Outgoing]) -> list[Outgoing]:
    """`note` at the top of the first answer: one message on the citizen's phone instead of two."""
    first, *rest = answers
    return [replace(first, text=f"{note}\n\n{first.text}"), *rest]


def menu(ctx: Context) -> Outgoing:
    """The main menu (reminding of a feedback draft that waits)."""
    note = left_note(ctx)
    return ctx.reply(f"{note}\n\n{ctx.t('menu.title')}" if note else ctx.t("menu.title"), main_menu(ctx.t))


def on_consent(ctx: Context, answer: str, then: str) -> list[Outgoing]:
    """Record an explicit yes (and continue where asked), or a no (and forget what was written for a ticket)."""
    if answer != "yes":
        from handlers.feedback import HELD_MEDIA, TYPED_COMPLAINT  # what waited for the consent

        ctx.drop_draft()
        for key in (TYPED_COMPLAINT, HELD_MEDIA, "pending_question"):
            ctx.data.pop(key, None)
        ctx.reset()
        return [ctx.reply(ctx.t("consent.declined"), main_menu(ctx.t))]
    give_consent(ctx.session, ctx.citizen, NOTICE_VERSION)
    if then == "fb":
        from handlers.feedback import begin  # the feedback flow asked for consent first

        return leading(ctx.t("consent.thanks"), begin(ctx))
    if then == "q" and ctx.data.get("pending_question"):
        from handlers.feedback import open_question_ticket  # a question waiting to go to staff

        return leading(ctx.t("consent.thanks"), open_question_ticket(ctx, ctx.data["pending_question"]))
    return leading(ctx.t("consent.thanks"), [menu(ctx)])


def privacy(ctx: Context) -> list[Outgoing]:
    """Show the privacy notice and whether consent was given, with a way to give or withdraw it."""
    if ctx.citizen.consent_at is None:
        return [ctx.reply(f"{ctx.t('start.privacy')}\n\n{ctx.t('consent.status_no')}", consent_buttons(ctx.t))]
    status = ctx.t("consent.status_yes", date=format_local(ctx.citizen.consent_at, with_time=False))
    return [ctx.reply(f"{ctx.t('start.privacy')}\n\n{status}",
                      ((Button(ctx.t("btn.withdraw"), "consent:withdraw"),), menu_row(ctx.t)))]


def withdraw(ctx: Context) -> list[Outgoing]:
    """Withdraw consent and forget the phone number (and a feedback draft: it is personal data too)."""
    withdraw_consent(ctx.session, ctx.citizen)
    ctx.drop_draft()
    ctx.reset()
    return [ctx.reply(ctx.t("consent.withdrawn"), main_menu(ctx.t))]


def help_text(ctx: Context) -> list[Outgoing]:
    """How to use the bot (and the staff commands, for staff)."""
    out = [ctx.reply(ctx.t("help.citizen"), (menu_row(ctx.t),))]
    if ctx.is_staff:
        out.append(ctx.reply(ctx.t("help.staff")))
    return out


def choose_language(ctx: Context) -> list[Outgoing]:
    """Offer the two languages."""
    return [ctx.reply(ctx.t("lang.choose"), ((Button(ctx.t("btn.lang_vi"), "lang:vi"),
                                              Button(ctx.t("btn.lang_en"), "lang:en")),))]


def set_language(ctx: Context, lang: str) -> list[Outgoing]:
    """Switch the citizen's language."""
    ctx.citizen.language = lang
    ctx.data.pop(ANSWERED_IN, None)
    ctx.session.add(ctx.citizen)
    return [ctx.reply(ctx.t("lang.set")), menu(ctx)]


CONTACT_ONE = "m:contact:"  # button data of one office of the directory
CONTACT_SHOWN = 4  # offices of the directory (the ward's own, listed first) shown in full; the rest one tap away


def _agency_label(ctx: Context, agency: Agency) -> str:
    return short_label(agency.name_en if ctx.lang == "en" and agency.name_en else agency.name)


def contact(ctx: Context) -> list[Outgoing]:
    """The ward's own offices in full (address, phone, hours); every other office as a button."""
    agencies = list(ctx.kb.agencies)
    shown, rest = agencies[:CONTACT_SHOWN], agencies[CONTACT_SHOWN:]
    parts = [ctx.t("contact.header"), *("\n".join(agency_lines(ctx, a, "contact.name")) for a in shown)]
    if rest:
        parts.append(ctx.t("contact.more"))
    rows = tuple((Button(f"🏛 {_agency_label(ctx, a)}", f"{CONTACT_ONE}{a.id}"),) for a in rest)
    return [ctx.reply("\n\n".join(parts), (*rows, menu_row(ctx.t)))]


def contact_one(ctx: Context, agency_id: str) -> list[Outgoing]:
    """One office of the directory in full."""
    agency = ctx.kb.agency(agency_id)
    if agency is None:
        return contact(ctx)
    back = (Button(ctx.t("btn.contact"), "m:contact"),)
    return [ctx.reply("\n".join(agency_lines(ctx, agency, "contact.name")), (back, menu_row(ctx.t)))]


def procedures_prompt(ctx: Context) -> list[Outgoing]:
    """Invite a procedure question."""
    ctx.reset()
    return [ctx.reply(ctx.t("procedures.prompt"), (menu_row(ctx.t),))]
