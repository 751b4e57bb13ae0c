"""The python-telegram-bot 22 runtime: a thin adapter over `Runtime`."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from telegram import (
    BotCommand,
    BotCommandScope,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import error as tg_error
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.delivery_errors import Fatal, Rejected, RetryAfter, Transient, Unreachable
from bot.telegram.convert import ALLOWED_UPDATES
from bot.telegram.render import Upload
from bot.telegram.runtime import Runtime

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class PtbApi:
    """Bot API calls through PTB's typed `Bot` methods, with errors mapped to `bot.delivery_errors`."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot = application.bot

    def _convert(self, params: dict[str, Any]) -> dict[str, Any]:
        out = {k: InputFile(v.content, filename=v.name) if isinstance(v, Upload) else v for k, v in params.items()}
        markup = out.get("reply_markup")
        if isinstance(markup, dict):
            if "inline_keyboard" in markup:
                out["reply_markup"] = InlineKeyboardMarkup.de_json(markup, self.bot)
            elif "keyboard" in markup:
                out["reply_markup"] = ReplyKeyboardMarkup.de_json(markup, self.bot)
            else:
                out["reply_markup"] = ReplyKeyboardRemove()
        if "commands" in out:
            out["commands"] = [BotCommand(c["command"], c["description"]) for c in out["commands"]]
        if isinstance(out.get("scope"), dict):
            out["scope"] = BotCommandScope.de_json(out["scope"], self.bot)
        return out

    async def call(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        """Call the typed PTB method for `method` (getUpdates returns raw dicts)."""
        try:
            if method == "getUpdates":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PTBUserWarning)
                    return await self.bot.do_api_request(
                        "getUpdates", api_kwargs={k: v for k, v in params.items() if v is not None},
                        read_timeout=timeout)
            func = getattr(self.bot, _CAMEL.sub("_", method).lower())
            return await func(**self._convert(params))
        except tg_error.RetryAfter as err:
            wait = err.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryAfter(seconds, str(err)) from err
        except tg_error.Forbidden as err:
            raise Unreachable(str(err)) from err
        except tg_error.InvalidToken as err:
            raise Fatal(f"the bot token was refused ({err}); check TELEGRAM_BOT_TOKEN") from err
        except (tg_error.BadRequest, tg_error.EndPointNotFound, tg_error.ChatMigrated) as err:
            raise Rejected(str(err)) from err
        except (tg_error.NetworkError, tg_error.Conflict) as err:  # includes TimedOut and 5xx
            raise Transient(str(err)) from err
        except tg_error.TelegramError as err:  # "Invalid server response" (an HTML page) and the like
            raise Transient(str(err)) from err


class PtbRuntime(Runtime):
    """python-telegram-bot 22: our own intake loop, PTB's Application and Bot for the rest."""

    name = "ptb"

    def __init__(self, token: str, api_base: str, dispatcher: Any, engine: Engine, **kwargs: Any) -> None:
        base = api_base.rstrip("/")
        self.app = (
            ApplicationBuilder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
            .updater(None).connection_pool_size(128).pool_timeout(30).build()
        )
        self._api = PtbApi(self.app)
        super().__init__(token, api_base, dispatcher, engine, **kwargs)
        self.app.add_handler(TypeHandler(Update, self._on_update))

    @property
    def api(self) -> PtbApi:
        """The Bot API client."""
        return self._api

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.handle_update(update)

    async def start(self) -> None:
        """Initialise the Application (calls getMe)."""
        await self.app.initialize()

    async def stop(self) -> None:
        """Shut the Application down."""
        await self.app.shutdown()

    async def fetch_raw_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        """getUpdates for the kinds the bot handles, as raw dicts."""
        params = {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        return await self._api.call("getUpdates", params, timeout=timeout + 10)  # type: ignore[no-any-return]

    def parse(self, raw: dict[str, Any]) -> Update:
        """PTB's own parsing of one update."""
        update = Update.de_json(raw, self.app.bot)
        if update is None:
            raise ValueError("empty update")
        return update

    async def feed(self, update: Update) -> None:
        """Through PTB's Application (handlers, error handling) to the neutral handler."""
        await self.app.process_update(update)
