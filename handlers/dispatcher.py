"""The dispatcher: one update in, the answers out, in one database transaction.

Pipeline, in this order (the way aiogram's middlewares read):

    flood limit (per process, before any database work: typed messages and uploads count, button presses and
                 the later photos of an album do not)
    transaction {
        dedup of redelivered updates -> who is writing (citizen, staff, admin) and their conversation
        -> CHECKS, in order (banned, input limits): the first that answers ends the update
        -> route (ROUTES for private chats, `group_route` for the staff chat) -> save the conversation
    } -> answers

Routing is tables: `CITIZEN_COMMANDS` and `STAFF_COMMANDS` by command name, `MENU_BUTTONS` by exact button
data, `BUTTON_PREFIXES` by prefix. A database failure rolls everything back and answers "Hệ thống đang bận,
vui lòng thử lại sau".
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from handlers import feedback, my_tickets, privacy, procedure_guide, staff, staff_reports, start, survey, ticket_thread
from handlers.config import HandlerSettings
from handlers.context import Context
from handlers.flood import FloodGuard
from handlers.i18n import LANGUAGES, catalogue, translate
from handlers.keyboards import main_menu, menu_row
from knowledge import KnowledgeBase, Matcher
from knowledge.intent import wants_to_report, without_report_words
from messaging.clean import clean_incoming
from messaging.types import Button, Incoming, Outgoing
from storage.conversations import ConversationChange, save_conversation, save_conversations
from storage.db import connection_was_lost, describe, session_scope
from storage.outbox import ANSWER, NOTICE, Lease, NewMessage, OutboxItem, add_messages
from storage.senders import Identity, Sender, load_sender, load_senders
from storage.statuses import status as status_of
from storage.threads import ticket_for_thread
from storage.tickets import get_ticket, tickets_of_citizen
from storage.updates import already_processed, can_mark_many, log_security_event, mark_new

log = logging.getLogger(__name__)

Route = Callable[[Context], list[Outgoing]]

CITIZEN_COMMANDS: dict[str, Route] = {
    "start": start.start,
    "help": start.help_text,
    "menu": lambda ctx: [start.menu(ctx)],
    "feedback": feedback.begin,
    "phananh": feedback.begin,
    "mine": my_tickets.list_mine,
    "contact": start.contact,
    "language": start.choose_language,
    "lang": start.choose_language,
    "privacy": start.privacy,
    "procedures": start.procedures_prompt,
    "thutuc": start.procedures_prompt,
    "mydata": privacy.my_data,
    "forget": privacy.forget,
}

MENU_BUTTONS: dict[str, Route] = {
    "m:menu": lambda ctx: [start.menu(ctx)],
    "m:feedback": feedback.begin,
    "m:procedures": start.procedures_prompt,
    "m:mine": my_tickets.list_mine,
    "m:contact": start.contact,
    "m:lang": start.choose_language,
    "consent:no": lambda ctx: start.on_consent(ctx, "no", ""),
    "consent:withdraw": start.withdraw,
    "lang:vi": lambda ctx: start.set_language(ctx, "vi"),
    "lang:en": lambda ctx: start.set_language(ctx, "en"),
    "tk:guide": lambda ctx: answer_was_a_question(ctx),
}

STAFF_COMMANDS: dict[str, Callable[[Context, str], list[Outgoing]]] = {
    **staff.COMMANDS,
    **staff_reports.COMMANDS,
    "unmatched": lambda ctx, _args: procedure_guide.unmatched_command(ctx),
}

INTERNAL_PREFIXES = ("#", "//")

# every conversation state a handler may leave a citizen in (None: no flow); anything else is a bug
STATES: frozenset[str | None] = frozenset({None, *feedback.STATES, *ticket_thread.STATES, survey.COMMENT_STATE})


class Dispatcher:
    """Turns neutral incoming messages into neutral answers; safe to call from several threads."""

    def __init__(self, engine: Engine, settings: HandlerSettings, kb: KnowledgeBase, matcher: Matcher | None = None):
        self.engine = engine
        self.settings = settings
        self.kb = kb
        self.matcher = matcher or Matcher(kb)
        self.flood = FloodGuard(settings.flood_max_messages, settings.flood_window_seconds)

    def handle(self, msg: Incoming) -> list[Outgoing]:
        """Handle one update and return its answers in memory (tests and tools); never raises.

        Messages to other chats are written to the outbox for a sender to claim. Runtimes use `answer`,
        which writes the answers too.
        """
        return self._run([msg], None)[0]

    def handle_many(self, msgs: list[Incoming]) -> list[list[Outgoing]]:
        """`handle` for several updates, in order, in as few transactions as possible; never raises."""
        return self._run(msgs, None)

    def answer(self, msg: Incoming, lease: Lease | None) -> list[OutboxItem]:
        """Handle one update; every message it produces is written to the outbox in its transaction.

        Returned in order, claimed by `lease` for the caller's senders (see `outbox.add_messages`). When the
        database is down, the "busy" answer comes back unstored (id None) for the sender to try from memory.
        """
        return self.answer_many([msg], lease)[0]

    def answer_many(self, msgs: list[Incoming], lease: Lease | None) -> list[list[OutboxItem]]:
        """`answer` for several updates, in order, in as few transactions as possible; never raises."""
        return self._run(msgs, lease, durable=True)

    def _run(self, msgs: list[Incoming], lease: Lease | None, durable: bool = False) -> list[Result]:
        """Clean, flood-check and handle updates in rounds that hold at most one update per sender.

        A sender's updates keep their order and each sees the state the previous one left; a round is one
        transaction. When a round fails, its updates are handled again in one transaction each, so a bad
        update costs the others nothing.
        """
        msgs = [clean_incoming(msg) for msg in msgs]
        results: list[Result] = [[] for _ in msgs]
        admitted: list[int] = []
        missed: dict[int, int] = {}
        for i, msg in enumerate(msgs):
            refused, missed[i] = self._flood_step(msg)
            if refused is None:
                admitted.append(i)
            else:
                results[i] = _unstored(msg, refused) if durable else refused
        for members in _rounds(msgs, admitted):
            outcomes = self._handle_round([msgs[i] for i in members], lease, durable, [missed[i] for i in members])
            for i, out in zip(members, outcomes, strict=True):
                results[i] = out
        return results

    def _flood_step(self, msg: Incoming) -> tuple[list[Outgoing] | None, int]:
        """The answer to a private message over the flood limit (a warning once, then nothing), else None;
        and how many of the sender's messages were refused before this one."""
        if msg.is_group:
            return None, 0
        verdict = self.flood.check((msg.platform, msg.user_id), counted=msg.callback is None,
                                   album=msg.media_group_id)
        if verdict.allowed:
            return None, verdict.missed
        if not verdict.warn:
            return [], 0
        text = translate(_flood_language(msg, self.settings.default_language), "error.flood",
                         seconds=round(verdict.wait_seconds))
        return [Outgoing(text)], 0

    def _with_missed(self, msg: Incoming, missed: int, answers: list[Outgoing]) -> list[Outgoing]:
        """The answers, led by a note that `missed` earlier messages were refused (not handled)."""
        if not missed or not answers:
            return answers
        note = translate(_flood_language(msg, self.settings.default_language), "flood.missed", count=missed)
        return start.leading(note, answers)

    def _transact(self, msg: Incoming, lease: Lease | None = None, durable: bool = False, missed: int = 0) -> Result:
        """One update in its own transaction."""
        for attempt in (1, 2):
            try:
                with session_scope(self.engine) as session:
                    return self._write(session, [msg], [self._handle(session, msg)], lease, durable, [missed])[0]
            except SQLAlchemyError as err:
                if attempt == 1 and isinstance(err, IntegrityError):
                    # another worker wrote the same row first (a first contact from two chats at once, say):
                    # once more, the row is found; an update that worker handled is then seen as handled
                    log.info("Update %s:%s collided with another worker's write; handling it again",
                             msg.platform, msg.update_id)
                    continue
                if attempt == 1 and connection_was_lost(err):
                    log.warning("Database connection lost; handling update %s:%s again", msg.platform, msg.update_id)
                    continue  # nothing was committed, and the pool has replaced its stale connections
                log.error("Database error while handling an update from %s: %s", msg.platform, describe(err))
            except Exception:
                log.exception("Bug while handling an update from %s", msg.platform)
            break
        busy = self._with_missed(msg, missed, [Outgoing(translate(self.settings.default_language, "error.busy"))])
        return _unstored(msg, busy) if durable else busy

    def _handle_round(self, msgs: list[Incoming], lease: Lease | None, durable: bool,
                      missed: list[int]) -> list[Result]:
        """Updates of distinct senders in one transaction; one transaction each when that fails."""
        if len(msgs) > 1 and can_mark_many(self.engine):
            try:
                with session_scope(self.engine) as session:
                    return self._write(session, msgs, self._handle_together(session, msgs), lease, durable, missed)
            except Exception as err:  # noqa: BLE001 - handled again one by one, which logs what went wrong
                log.info("%d updates handled together failed (%s); handling them one by one", len(msgs),
                         type(err).__name__)
        return [self._transact(msg, lease, durable, n) for msg, n in zip(msgs, missed, strict=True)]

    def _write(self, session: Session, msgs: list[Incoming], handled: list[Handled], lease: Lease | None,
               durable: bool, missed: list[int]) -> list[Result]:
        """Write what the updates produced to the outbox with one statement: their answers when `durable`,
        and their messages to other chats. Returns each update's answers, or (durable) its stored rows.

        `missed`: per update, how many of the sender's messages the flood limit refused before it (a note
        leads its answers)."""
        handled = [(self._with_missed(msg, n, answers), later)
                   for msg, n, (answers, later) in zip(msgs, missed, handled, strict=True)]
        new: list[NewMessage] = []
        index_of: list[int] = []
        for i, (msg, (answers, later)) in enumerate(zip(msgs, handled, strict=True)):
            if durable:
                new += [_answer_message(msg, out) for out in answers]
                index_of += [i] * len(answers)
            new += [NewMessage(platform, chat_id, out.to_dict(), NOTICE) for platform, chat_id, out in later]
            index_of += [i] * len(later)
        items = add_messages(session, new, lease) if new else []
        if not durable:
            return [answers for answers, _ in handled]
        results: list[Result] = [[] for _ in msgs]
        for i, item in zip(index_of, items, strict=True):
            results[i].append(item)
        return results

    def _handle(self, session: Session, msg: Incoming) -> Handled:
        if msg.update_id is not None and already_processed(session, msg.platform, msg.update_id):
            return [], []
        sender = load_sender(session, _identity(msg), language=self.settings.default_language)
        out, later, change = self._respond(session, msg, sender)
        if change is not None:
            save_conversation(session, *change)
        return out, later

    def _handle_together(self, session: Session, msgs: list[Incoming]) -> list[Handled]:
        """Distinct senders' updates: marked in one statement, senders read in one, states saved in one."""
        new = mark_new(session, [(msg.platform, msg.update_id) for msg in msgs if msg.update_id is not None])
        fresh = [msg.update_id is None or (msg.platform, msg.update_id) in new for msg in msgs]
        senders = load_senders(session, [_identity(msg) for msg, ok in zip(msgs, fresh, strict=True) if ok],
                               language=self.settings.default_language)
        handled: list[Handled] = []
        changes: list[ConversationChange] = []
        for msg, ok in zip(msgs, fresh, strict=True):
            if not ok:  # delivered again: handled before
                handled.append(([], []))
                continue
            out, later, change = self._respond(session, msg, senders[(msg.platform, msg.user_id)])
            handled.append((out, later))
            if change is not None:
                changes.append(change)
        save_conversations(session, changes)
        return handled

    def _respond(self, session: Session, msg: Incoming,
                 sender: Sender) -> tuple[list[Outgoing], list[Later], ConversationChange | None]:
        """The answers to an update, its messages to other chats, and its conversation's new state."""
        citizen, member, conv = sender.citizen, sender.staff, sender.conversation
        is_admin = (msg.platform, msg.user_id) in self.settings.admins or bool(member and member.is_admin)
        ctx = Context(incoming=msg, session=session, settings=self.settings, kb=self.kb, matcher=self.matcher,
                      citizen=citizen, conversation=conv, staff=member, is_admin=is_admin,
                      state=conv.state, data=copy.deepcopy(conv.data or {}))  # nested: the feedback draft
        out = group_route(ctx) if msg.is_group else route(ctx)
        changed = (ctx.state, ctx.data) != (conv.state, conv.data)
        return out, ctx.later, ((conv, ctx.state, ctx.data) if changed else None)


Later = tuple[str, str, Outgoing]  # (platform, chat_id, message) to another chat
Handled = tuple[list[Outgoing], list[Later]]  # an update's answers and its messages to other chats
Result = list[Any]  # an update's answers (Outgoing), or its stored messages (OutboxItem) when durable


def _answer_message(msg: Incoming, out: Outgoing) -> NewMessage:
    """A direct answer as an outbox row: into the update's chat (and forum topic) unless it names another."""
    same_chat = out.chat_id in (None, msg.chat_id)
    return NewMessage(out.platform or msg.platform, out.chat_id or msg.chat_id, out.to_dict(), ANSWER,
                      msg.thread_id if same_chat else None)


def _unstored(msg: Incoming, answers: list[Outgoing]) -> list[OutboxItem]:
    """Answers that are not stored (the database is down, or no transaction was needed): sent from memory."""
    return [OutboxItem(None, m.platform, m.chat_id, m.payload, 0, ANSWER, m.thread_id)
            for m in (_answer_message(msg, out) for out in answers)]


def _flood_language(msg: Incoming, default: str) -> str:
    """The language of a flood notice, told before the database is read: the messenger's hint, else the default."""
    hint = (msg.language_code or "")[:2].lower()
    return hint if hint in LANGUAGES else default


def _identity(msg: Incoming) -> Identity:
    """Who wrote the update (in a group, the person's own chat is their user id)."""
    return Identity(msg.platform, msg.user_id, msg.chat_id if not msg.is_group else msg.user_id,
                    msg.user_name, msg.username)


def _rounds(msgs: list[Incoming], indices: list[int]) -> list[list[int]]:
    """The updates at `indices` in rounds of distinct senders: a sender's n-th update goes to round n."""
    rounds: list[list[int]] = []
    seen: dict[tuple[str, str], int] = {}
    for i in indices:
        key = (msgs[i].platform, msgs[i].user_id)
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(i)
    return rounds


def refuse_banned(ctx: Context) -> list[Outgoing] | None:
    """A banned citizen is told so (and the attempt is logged); staff are never refused here."""
    if not ctx.citizen.banned or ctx.is_staff or privacy.is_data_request(ctx.incoming):
        return None  # a ban never takes away the right to see or erase one's data
    msg = ctx.incoming
    log_security_event(ctx.session, msg.platform, msg.user_id, "banned_message", (msg.text or "")[:100])
    return [ctx.reply(ctx.t("error.banned"))]


def check_input(ctx: Context) -> list[Outgoing] | None:
    """A polite answer for input the bot cannot take (empty, too long, unsupported), else None; inside the
    feedback form, followed by the step again (with its buttons)."""
    msg = ctx.incoming
    if msg.unsupported:
        kind = f"kind.{msg.unsupported}"
        named = ctx.t(kind) if kind in catalogue(ctx.lang) else ctx.t("kind.other")
        return _and_the_step(ctx, ctx.t("error.unsupported", kind=named))
    limit = ctx.settings.max_text_length
    if msg.text and len(msg.text) > limit:
        key = "fb.description_too_long" if ctx.state == "fb.description" else "error.too_long"
        return _and_the_step(ctx, ctx.t(key, length=len(msg.text), limit=limit))
    has_text = bool(msg.text and msg.text.strip())
    if not (has_text or msg.callback or msg.attachments or msg.location or msg.contact_phone):
        return _and_the_step(ctx, ctx.t("error.empty"))
    return None


def _and_the_step(ctx: Context, text: str) -> list[Outgoing]:
    step = feedback.FLOW.get(ctx.state or "")
    if step is None or ctx.incoming.is_group:
        return [ctx.reply(text)]
    return [ctx.reply(text), *step.prompt(ctx)]


Check = Callable[[Context], list[Outgoing] | None]

CHECKS: tuple[Check, ...] = (refuse_banned, check_input)  # before routing a private message, in this order
GROUP_CHECKS: tuple[Check, ...] = (refuse_banned, check_input)  # before a staff-chat message to the bot


def run_checks(ctx: Context, checks: tuple[Check, ...] = CHECKS) -> list[Outgoing] | None:
    """The answer of the first check that refuses the update, or None when all let it through."""
    for check in checks:
        refused = check(ctx)
        if refused is not None:
            return refused
    return None


def route(ctx: Context) -> list[Outgoing]:
    """Private chat: the checks, then commands, buttons, a reply to an office message, the current flow, and
    free input (a ticket code, an answer the office waits for, the procedure guide).

    A citizen who leaves the feedback form with content (a menu, a command) is told the draft is kept.
    """
    refused = run_checks(ctx)
    if refused is not None:
        return refused
    in_form = ctx.state in feedback.STATES
    out = _route(ctx)
    if in_form and ctx.state not in feedback.STATES and (note := feedback.left_note(ctx)) \
            and out and not any(note in o.text for o in out):
        out = start.leading(note, out)
    return out


def _route(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.command is not None:
        return command(ctx, msg.command)
    if msg.callback is not None:
        return button(ctx, msg.callback)
    replied = ticket_thread.replied_ticket(ctx)
    if replied is not None and ticket_thread.has_input(msg):  # a Telegram reply to an office message
        return ticket_thread.join(ctx, replied)
    if ctx.state in feedback.STATES:
        pressed = feedback.typed_control(ctx)  # "bo qua", "huy", "xong" typed instead of pressed
        if pressed is not None:
            ctx.incoming = replace(ctx.incoming, text=None, callback=pressed)
            return button(ctx, pressed)
        return feedback.handle(ctx)
    if ctx.state in ticket_thread.STATE_HANDLERS and my_tickets.only_a_code(msg.text or ""):
        ctx.reset()  # a ticket code alone while answering: the citizen wants to see that ticket
    if ctx.state in ticket_thread.STATE_HANDLERS:
        answered = survey.typed_answer(ctx) if msg.text else None  # "chua", "tam duoc" after the resolution
        if answered is not None:
            return answered
        out = ticket_thread.STATE_HANDLERS[ctx.state](ctx)
        if out is not None:
            return out
    if ctx.state == survey.COMMENT_STATE:
        return survey.take_comment(ctx)
    return free_input(ctx)


def free_input(ctx: Context) -> list[Outgoing]:
    """Text or media outside any flow: a ticket code, the answer an office message waits for, media to place,
    or a question for the procedure guide."""
    msg = ctx.incoming
    text = (msg.text or "").strip()
    code = my_tickets.find_code(text) if text else None
    if code is not None:
        return my_tickets.show_mine(ctx, code)
    guessable = msg.attachments or msg.location or any(ch.isalpha() for ch in text)  # "có", not a stray "1"
    waiting = ticket_thread.awaiting(ctx) if ticket_thread.has_input(msg) and guessable else None
    if waiting is not None and text and survey.survey_waiting(ctx, waiting) is not None:
        answered = survey.typed_answer(ctx)  # "roi", "5 sao" after the resolution: the survey, not the thread
        if answered is not None:
            return answered
    if waiting is not None:
        return ticket_thread.join(ctx, waiting, guessed=True)
    if not text:
        return _place_media(ctx)
    answered = survey.typed_answer(ctx)
    if answered is not None:
        return answered
    pending = ticket_thread.unanswered_offer(ctx)
    just_filed = ticket_thread.addition_to_new_ticket(ctx, text)
    if just_filed is not None:  # another addition: offered together with the one not added yet
        earlier = pending[1] if pending and pending[0] == just_filed.code else None
        return ticket_thread.offer_addition(ctx, just_filed, f"{earlier}\n{text}" if earlier else text)
    if ctx.data.get(feedback.TYPED_COMPLAINT) and _bare_wish_to_report(ctx, text):
        return feedback.begin(ctx)  # "e muon phan anh viec nay" after the complaint itself: the form, with it
    ctx.data.pop(feedback.TYPED_COMPLAINT, None)  # only the last message's complaint starts the form
    out = procedure_guide.answer_question(ctx, text)
    if pending is not None:  # say so rather than drop it silently
        code, held = pending
        out = start.leading(ctx.t("tk.addition_not_added", code=code, text=feedback.quoted(held)), out)
    return out


def _place_media(ctx: Context) -> list[Outgoing]:
    """A photo, file or location sent outside the form: kept, and the citizen asked where it belongs."""
    msg = ctx.incoming
    if not (msg.attachments or msg.location):
        return [ctx.reply(ctx.t("outside.media"), main_menu(ctx.t))]
    ctx.data[feedback.HELD_MEDIA] = feedback.held_media(msg)
    rows = [(Button(ctx.t("btn.feedback_with_media"), "m:feedback"),)]
    rows += [(Button(ctx.t("btn.tk_add_to", code=t.code), f"tk:add:{t.code}"),)
             for t in tickets_of_citizen(ctx.session, ctx.citizen.id or 0, limit=10)
             if status_of(t.status).is_open][:3]
    return [ctx.reply(ctx.t("outside.media_choice"), (*rows, menu_row(ctx.t)))]


def answer_was_a_question(ctx: Context) -> list[Outgoing]:
    """"It was not an answer": the text taken as an answer to the office is looked up as a procedure question."""
    text = ctx.data.pop("tk_text", None)
    ctx.reset()
    if not text:
        return stale_button(ctx)
    return procedure_guide.answer_question(ctx, text)


def command(ctx: Context, name: str) -> list[Outgoing]:
    """A slash command from a citizen or a staff member.

    A name in both tables (`/contact`) is the staff command for staff in a group or with arguments, and the
    citizen command otherwise.
    """
    if name == "cancel":
        return cancel(ctx)
    staff_command, citizen_command = STAFF_COMMANDS.get(name), CITIZEN_COMMANDS.get(name)
    msg = ctx.incoming
    if staff_command is not None and (citizen_command is None or (ctx.is_staff and (msg.args or msg.is_group))):
        if not ctx.is_staff:
            return staff.refuse(ctx, name)
        return staff_command(ctx, msg.args)
    if citizen_command is None:
        return [ctx.reply(ctx.t("error.unknown_command", command=f"/{name}"))]
    return citizen_command(ctx)


def cancel(ctx: Context) -> list[Outgoing]:
    """/cancel or "Hủy": leave the current flow; a feedback draft with content asks before it is dropped."""
    if ctx.state in feedback.STATES:
        return feedback.leave(ctx)
    had_flow = ctx.state is not None
    ctx.reset()
    return [ctx.reply(ctx.t("cancel.done" if had_flow else "cancel.nothing"), main_menu(ctx.t))]


def stale_button(ctx: Context) -> list[Outgoing]:
    """A button of an old message, or data nobody sent: say so politely, with the menu."""
    return [ctx.reply(ctx.t("error.stale_button"), main_menu(ctx.t))]


def _feedback_button(ctx: Context, rest: str) -> list[Outgoing]:
    if ctx.state not in feedback.STATES:
        return stale_button(ctx)
    if rest == "other" and ctx.state == "fb.resume":  # what the returning citizen sent was something else
        held = feedback.release_held(ctx)
        if held is None:
            return [start.menu(ctx)]
        ctx.incoming = held
        return free_input(ctx)
    return feedback.handle(ctx)


ButtonRoute = Callable[[Context, str], list[Outgoing]]

BUTTON_PREFIXES: tuple[tuple[str, ButtonRoute], ...] = (  # handler(ctx, data after the prefix); first match wins
    ("consent:yes:", lambda ctx, then: start.on_consent(ctx, "yes", then)),
    ("t:", my_tickets.show_mine),
    ("fb:", _feedback_button),
    ("tk:", ticket_thread.on_button),
    ("sv:", lambda ctx, rest: survey.on_button(ctx, "sv:" + rest)),
    ("p:", procedure_guide.on_button),
    ("privacy:", privacy.on_button),
    (start.CONTACT_ONE, start.contact_one),
)


def button(ctx: Context, data: str) -> list[Outgoing]:
    """A pressed button; data that is malformed or belongs to an old message gets a polite answer."""
    if data == "cancel":
        return command(ctx, "cancel")
    if data in MENU_BUTTONS:
        return MENU_BUTTONS[data](ctx)
    for prefix, handler in BUTTON_PREFIXES:
        if data.startswith(prefix):
            return handler(ctx, data.removeprefix(prefix))
    return stale_button(ctx)


def group_route(ctx: Context) -> list[Outgoing]:
    """Staff chat: staff commands, and staff messages in a ticket's topic or in reply to its message."""
    msg = ctx.incoming
    if msg.command is not None:
        if msg.command in STAFF_COMMANDS or msg.command == "help":
            refused = run_checks(ctx, GROUP_CHECKS)
            return refused if refused is not None else command(ctx, msg.command)
        return []
    if not ctx.is_staff or not msg.text or msg.text.lstrip().startswith(INTERNAL_PREFIXES):
        return []
    code = ticket_for_thread(ctx.session, msg.platform, msg.chat_id, thread_id=msg.thread_id,
                             message_id=msg.reply_to)
    ticket = get_ticket(ctx.session, code) if code else None
    if ticket is None:
        return []
    refused = run_checks(ctx, GROUP_CHECKS)
    if refused is not None:
        return refused
    sent = staff.reply_to_citizen(ctx, ticket, msg.text.strip())
    return [ctx.reply(staff.reply_confirmation(ctx, ticket, sent, "staff.reply_in_topic"), ticket_code=ticket.code)]


def _bare_wish_to_report(ctx: Context, text: str) -> bool:
    """Whether a message only says the citizen wants to report ("tôi muốn phản ánh việc này"), naming nothing."""
    return wants_to_report(text) and not ctx.matcher.analyze(without_report_words(text)).tokens
