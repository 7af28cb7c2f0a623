"""The Bot API methods the emulator answers, each checked and answered as Telegram would.

Every method takes the call's :class:`Params` and returns the ``result`` JSON, or raises
:class:`ApiError` with Telegram's own wording so that aiogram raises the same exception
class, with the same message, that it would raise in production.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bot.devtools.devserver.content import caption_text, checked_reply_markup, message_text
from bot.devtools.devserver.errors import DEFAULT_DESCRIPTIONS, WEBHOOK_CONFLICT, ApiError
from bot.devtools.devserver.incoming import document_json, photo_json
from bot.devtools.devserver.params import Params, Upload
from bot.devtools.devserver.state import ChatState, FileStore, StoredFile
from bot.devtools.devserver.updates import PollTerminated, UpdateQueue
from bot.devtools.devserver.webhook import DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS_LIMIT, Execute, WebhookPusher

Handler = Callable[[Params], Awaitable[Any]]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
MESSAGE_ID_MISSING = "message identifier is not specified"
QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
CALLBACK_ANSWER_LIMIT = 200
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
NO_GIFTS = dict.fromkeys(
    ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
)


def _now() -> int:
    return int(time.time())


def _without(message: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key not in keys}


class BotApi:
    """The server side of the Bot API over the emulator's chats, files and update queue.

    It also keeps what only the API sees: callback answers, chat actions, commands, menu
    buttons, descriptions and the webhook.
    """

    def __init__(
        self,
        *,
        bot_user: dict[str, Any],
        chats: dict[int, ChatState],
        files: FileStore,
        queue: UpdateQueue,
        execute: Execute,
    ) -> None:
        self.bot_user = bot_user
        self.chats = chats
        self.files = files
        self.queue = queue
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.open_queries: dict[str, int] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.profile_texts: dict[tuple[str, str], str] = {}
        self.webhook: WebhookPusher | None = None
        self.webhook_replicas: list[str] = []  # set: a load balancer's targets, see `WebhookPusher`
        self._execute = execute
        self.methods: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setMyDescription": partial(self.set_profile_text, "description"),
            "getMyDescription": partial(self.get_profile_text, "description"),
            "setMyShortDescription": partial(self.set_profile_text, "short_description"),
            "getMyShortDescription": partial(self.get_profile_text, "short_description"),
        }
        self._names = {name.lower(): name for name in self.methods}

    def resolve(self, method: str) -> str | None:
        """The method's canonical name: Telegram matches method names in any case."""
        return self._names.get(method.lower())

    async def close(self) -> None:
        await self._remove_webhook(drop_pending=False)

    # --- chats and messages -------------------------------------------------------------

    def _chat(self, params: Params, *, writes: bool = False) -> ChatState:
        chat = self.chats.get(params.required_integer("chat_id", "chat_id is empty"))
        if chat is None:
            raise ApiError.bad_request("chat not found")
        if writes and chat.blocked:
            raise ApiError.of(403)
        return chat

    def _send(self, chat: ChatState, params: Params, content: dict[str, Any]) -> dict[str, Any]:
        """Stores and returns a new bot message; a reply keyboard goes under the input box, an
        inline one on the message, as Telegram returns it."""
        markup = checked_reply_markup(params.json("reply_markup"))
        replied = self._replied_message(chat, params)
        message = {"message_id": chat.new_message_id(), "from": self.bot_user, "chat": chat.chat, "date": _now()}
        message.update(content)
        if replied is not None:
            message["reply_to_message"] = replied
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif markup is not None and ("keyboard" in markup or markup.get("remove_keyboard")):
            chat.set_reply_keyboard(markup if "keyboard" in markup else None)
        chat.sent_by_bot(message)
        return message

    @staticmethod
    def _replied_message(chat: ChatState, params: Params) -> dict[str, Any] | None:
        reply = params.json("reply_parameters") or {}
        if not isinstance(reply, dict):
            raise ApiError.bad_request("can't parse reply parameters JSON object")
        message_id = reply.get("message_id") or params.integer("reply_to_message_id")
        if message_id is None:
            return None
        replied = chat.messages.get(int(message_id))
        if replied is not None:
            return _without(replied, "reply_to_message")
        if reply.get("allow_sending_without_reply") or params.flag("allow_sending_without_reply"):
            return None
        raise ApiError.bad_request("message to be replied not found")

    def _bot_message(self, chat: ChatState, params: Params) -> dict[str, Any]:
        message = chat.messages.get(params.required_integer("message_id", MESSAGE_ID_MISSING))
        if message is None:
            raise ApiError.bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError.bad_request("message can't be edited")
        return message

    @staticmethod
    def _inline_markup(params: Params) -> dict[str, Any] | None:
        markup = checked_reply_markup(params.json("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError.bad_request("can't parse inline keyboard markup JSON object")
        return markup

    @staticmethod
    def _edited(chat: ChatState, old: dict[str, Any], new: dict[str, Any], markup: dict[str, Any] | None) -> dict[str, Any]:
        """Stores an edit; like Telegram, an edit without reply_markup removes the inline keyboard
        and an edit that changes nothing is refused."""
        if markup is not None:
            new["reply_markup"] = markup
        if new == _without(old, "edit_date"):
            raise ApiError.bad_request(NOT_MODIFIED)
        new["edit_date"] = _now()
        chat.put(new)
        return new

    async def send_message(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params, writes=True)
        text = message_text(params.text("text"), params.text("parse_mode"), params.json("entities"))
        return self._send(chat, params, text.fields("text", "entities"))

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params, writes=True)
        message = self._bot_message(chat, params)
        if "text" not in message:
            raise ApiError.bad_request("there is no text in the message to edit")
        text = message_text(params.text("text"), params.text("parse_mode"), params.json("entities"))
        new = {**_without(message, "text", "entities", "reply_markup", "edit_date"), **text.fields("text", "entities")}
        return self._edited(chat, message, new, self._inline_markup(params))

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params, writes=True)
        message = self._bot_message(chat, params)
        new = _without(message, "reply_markup", "edit_date")
        return self._edited(chat, message, new, self._inline_markup(params))

    async def delete_message(self, params: Params) -> bool:
        chat = self._chat(params)
        if not chat.delete(params.required_integer("message_id", MESSAGE_ID_MISSING)):
            raise ApiError.bad_request("message to delete not found")
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        chat_id = self.open_queries.pop(query_id, None)
        if chat_id is None:
            raise ApiError.bad_request(QUERY_EXPIRED)
        text = params.text("text")
        if text and len(text) > CALLBACK_ANSWER_LIMIT:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        answer = {
            "callback_query_id": query_id,
            "chat_id": chat_id,
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
            "cache_time": params.integer("cache_time") or 0,
        }
        self.callback_answers.append(answer)
        if text and chat_id in self.chats:
            self.chats[chat_id].add_toast({"text": text, "show_alert": answer["show_alert"]})
        return True

    async def send_chat_action(self, params: Params) -> bool:
        chat = self._chat(params, writes=True)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        self.chat_actions.append({"chat_id": chat.chat["id"], "action": action, "time": time.monotonic()})
        return True

    async def get_chat(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        return {**chat.chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": NO_GIFTS}

    # --- files --------------------------------------------------------------------------

    def _input_file(self, params: Params, field: str, default_name: str) -> StoredFile:
        """An uploaded file is stored; a file_id must be known; a URL is taken on trust (the
        emulator cannot fetch it) and stored empty."""
        value = params.file(field)
        if value is None or value == "":
            raise ApiError.bad_request(f"there is no {field} in the request")
        if isinstance(value, Upload):
            return self.files.add(field, value.data, value.filename or default_name)
        if value.startswith(("http://", "https://")):
            return self.files.add(field, b"", value.rsplit("/", 1)[-1] or default_name)
        stored = self.files.get(value)
        if stored is None:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _caption(self, params: Params) -> dict[str, Any]:
        caption = caption_text(params.text("caption"), params.text("parse_mode"), params.json("caption_entities"))
        return caption.fields("caption", "caption_entities") if caption else {}

    async def send_photo(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params, writes=True)
        stored = self._input_file(params, "photo", "photo.jpg")
        return self._send(chat, params, {"photo": photo_json(stored), **self._caption(params)})

    async def send_document(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params, writes=True)
        stored = self._input_file(params, "document", "document")
        upload = params.file("document")
        mime_type = mimetypes.guess_type(stored.name)[0] or (upload.content_type if isinstance(upload, Upload) else None)
        document = document_json(stored, stored.name, mime_type)
        return self._send(chat, params, {"document": document, **self._caption(params)})

    async def get_file(self, params: Params) -> dict[str, Any]:
        stored = self.files.get(params.text("file_id") or "")
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        return stored.as_json()

    # --- updates and webhook ------------------------------------------------------------

    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if params.json("allowed_updates") is not None:
            self.queue.set_allowed(params.json("allowed_updates"))
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.integer("timeout") or 0, 0)
        try:
            return await self.queue.poll(params.integer("offset"), limit, timeout)
        except PollTerminated:
            raise ApiError(409, WEBHOOK_CONFLICT if self.webhook else DEFAULT_DESCRIPTIONS[409]) from None

    async def set_webhook(self, params: Params) -> bool:
        """Sets the webhook; unlike Telegram, plain http:// is allowed: the receiver is local."""
        url = params.text("url") or ""
        if not url:
            return await self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections") or DEFAULT_MAX_CONNECTIONS
        if not 1 <= max_connections <= MAX_CONNECTIONS_LIMIT:
            raise ApiError.bad_request(f"bad webhook: max_connections must be 1-{MAX_CONNECTIONS_LIMIT}")
        if params.json("allowed_updates") is not None:
            self.queue.set_allowed(params.json("allowed_updates"))
        if params.flag("drop_pending_updates"):
            self.queue.drop_pending()
        if self.webhook is not None and self.webhook.same_as(url, secret, max_connections):
            return True  # as Telegram: "Webhook is already set"; every replica of a bot sets it at start
        await self._remove_webhook(drop_pending=False)
        self.webhook = WebhookPusher(self.queue, url, secret, self._execute, replicas=self.webhook_replicas,
                                     max_connections=max_connections)
        self.webhook.start()
        self.queue.end_polls()
        return True

    async def delete_webhook(self, params: Params) -> bool:
        await self._remove_webhook(drop_pending=params.flag("drop_pending_updates"))
        return True

    async def _remove_webhook(self, *, drop_pending: bool) -> None:
        if drop_pending:
            self.queue.drop_pending()
        if self.webhook is not None:
            webhook, self.webhook = self.webhook, None
            await webhook.stop()

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.queue)}
        if self.webhook is None:
            return info
        info.update(url=self.webhook.url, max_connections=self.webhook.max_connections, ip_address="127.0.0.1")
        if self.webhook.last_error_date is not None:
            info.update(last_error_date=self.webhook.last_error_date, last_error_message=self.webhook.last_error_message)
        if self.queue.allowed is not None:
            info["allowed_updates"] = self.queue.allowed
        return info

    # --- bot settings -------------------------------------------------------------------

    @staticmethod
    def settings_key(scope: dict[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        """Commands are kept per scope and language, as Telegram keeps them."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    def _commands_key(self, params: Params) -> tuple[str, str]:
        return self.settings_key(params.json("scope"), params.text("language_code"))

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError.bad_request("command description must be 1-256 characters long")
        self.commands[self._commands_key(params)] = [
            {"command": command["command"], "description": command["description"]} for command in commands
        ]
        return True

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def set_chat_menu_button(self, params: Params) -> bool:
        chat_id = params.integer("chat_id")
        if chat_id is not None:
            self._chat(params)
        button = params.json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise ApiError.bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, params: Params) -> dict[str, Any]:
        chat_id = params.integer("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    async def set_profile_text(self, kind: str, params: Params) -> bool:
        """setMyDescription and setMyShortDescription, per language."""
        self.profile_texts[kind, params.text("language_code") or ""] = params.text(kind) or ""
        return True

    async def get_profile_text(self, kind: str, params: Params) -> dict[str, str]:
        return {kind: self.profile_texts.get((kind, params.text("language_code") or ""), "")}
