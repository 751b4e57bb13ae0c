"""The aiogram 3 runtime: a thin adapter over `Runtime`."""

from __future__ import annotations

import functools
import json
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import BufferedInputFile, CallbackQuery, InputFile, Message, Update
from pydantic import ConfigDict
from sqlalchemy.engine import Engine

from bot.delivery_errors import Fatal, Rejected, RetryAfter, Transient, Unreachable
from bot.telegram.convert import ALLOWED_UPDATES
from bot.telegram.render import Upload
from bot.telegram.runtime import Runtime


class _RawMethod(TelegramMethod[Any]):
    """A Bot API method with plain JSON parameters and a plain JSON result.

    Our calls are rendered and checked already (`render.py`); building aiogram's typed models for every
    button and parsing every reply into a `Message` cost more than the rest of the call. One unparseable
    update also cannot fail a whole getUpdates batch this way.
    """

    model_config = ConfigDict(extra="allow")
    __returning__ = Any
    __api_method__ = ""


@functools.cache
def _raw_method(method: str) -> type[_RawMethod]:
    return type(f"Raw_{method}", (_RawMethod,), {"__api_method__": method})


class JsonSession(AiohttpSession):
    """aiogram's aiohttp session, posting our plain-JSON calls as a JSON body, which Telegram accepts.

    aiogram writes every call as a form: each nested value as JSON inside it, each field quoted, and a
    multipart writer with a random boundary made even when it is not used. Our calls are plain JSON already.
    A call that uploads a file still goes as aiogram writes it.
    """

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        """POST the call's parameters as JSON; Telegram's answer is checked by aiogram as usual."""
        params = method.model_extra if isinstance(method, _RawMethod) else None
        if not params or any(isinstance(v, InputFile) for v in params.values()):
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        payload = {key: value for key, value in params.items() if value is not None}
        try:
            async with session.post(url, json=payload, timeout=self.timeout if timeout is None else timeout) as resp:
                raw_result = await resp.text()
        except TimeoutError as err:
            raise TelegramNetworkError(method=method, message="Request timeout error") from err
        except aiohttp.ClientError as err:
            raise TelegramNetworkError(method=method, message=f"{type(err).__name__}: {err}") from err
        if not raw_result.lstrip().startswith("{"):  # an HTML error page from a proxy: not Telegram's answer
            raise TelegramNetworkError(method=method, message=f"HTTP {resp.status} without a Bot API answer")
        if resp.status == 200:  # noqa: PLR2004 - the plain JSON result, as our raw methods return it
            answer = _ok_answer(raw_result)
            if answer is not None:
                return answer["result"]
        return self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result).result


def _ok_answer(raw: str) -> dict[str, Any] | None:
    """Telegram's answer when it is a success with a result; None for anything aiogram should check
    (errors, odd bodies). Parsing it into aiogram's generic `Response` model cost more than the call."""
    try:
        answer = json.loads(raw)
    except ValueError:
        return None
    if isinstance(answer, dict) and answer.get("ok") is True and "result" in answer:
        return answer
    return None


class AiogramApi:
    """Bot API calls through an aiogram `Bot`, with errors mapped to `bot.delivery_errors`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def call(self, method: str, params: dict[str, Any], timeout: int | None = None) -> Any:
        """Send `params` as they are; the result is the JSON Telegram returned."""
        params = {k: BufferedInputFile(v.content, v.name) if isinstance(v, Upload) else v for k, v in params.items()}
        # built without validation: the parameters are plain JSON rendered by render.py; the model only
        # carries them to aiogram's session (validating them cost as much as sending them)
        request = _raw_method(method).model_construct(**params)
        try:
            return await self.bot(request, request_timeout=timeout)
        except TelegramRetryAfter as err:
            raise RetryAfter(err.retry_after, str(err)) from err
        except TelegramForbiddenError as err:
            raise Unreachable(str(err)) from err
        except TelegramUnauthorizedError as err:
            raise Fatal(f"the bot token was refused ({err.message}); check TELEGRAM_BOT_TOKEN") from err
        except (TelegramServerError, RestartingTelegram, TelegramNetworkError, TelegramConflictError,
                ClientDecodeError) as err:
            raise Transient(str(err)) from err
        except TelegramAPIError as err:
            raise Rejected(str(err)) from err
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            raise Transient(f"{type(err).__name__}: {err}") from err


class AiogramRuntime(Runtime):
    """aiogram 3: our own intake loop, aiogram's Dispatcher and Bot for the rest."""

    name = "aiogram"

    def __init__(self, token: str, api_base: str, dispatcher: Any, engine: Engine, **kwargs: Any) -> None:
        server = TelegramAPIServer.from_base(api_base)
        self.bot = Bot(token, session=JsonSession(api=server, limit=100))
        self._api = AiogramApi(self.bot)
        super().__init__(token, api_base, dispatcher, engine, **kwargs)
        self.dp = Dispatcher(disable_fsm=True)  # conversation state lives in our database, not in aiogram
        router = Router(name="neutral")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback)
        self.dp.include_router(router)

    @property
    def api(self) -> AiogramApi:
        """The Bot API client."""
        return self._api

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self.handle_update(event_update)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self.handle_update(event_update)

    async def start(self) -> None:
        """Nothing to open ahead: aiogram opens its HTTP session on first use."""

    async def stop(self) -> None:
        """Close the HTTP session."""
        await self.bot.session.close()

    async def fetch_raw_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        """getUpdates for the kinds the bot handles, as raw dicts."""
        params = {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        return await self._api.call("getUpdates", params, timeout=timeout + 10)  # type: ignore[no-any-return]

    def parse(self, raw: dict[str, Any]) -> Update:
        """aiogram's own validation of one update."""
        return Update.model_validate(raw, context={"bot": self.bot})

    async def feed(self, update: Update) -> None:
        """Through aiogram's Dispatcher (middlewares, routers) to the neutral handler."""
        await self.dp.feed_update(self.bot, update)
