"""The parameters of one Bot API call, read the way Telegram reads them.

Telegram takes the query string, a JSON body, an urlencoded form or a multipart form.
aiogram sends forms: every value is a string and nested objects (``reply_markup``,
``entities``…) are JSON-encoded inside them; files come as multipart parts named by an
``attach://<name>`` value. :class:`Params` hides those differences from the methods.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from bot.devtools.devserver.errors import ApiError

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "menu_button",
        "media",
    }
)
TRUE_STRINGS = frozenset({"true", "1", "yes", "on"})


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart part."""

    filename: str
    data: bytes
    content_type: str | None = None


class Params:
    """Typed access to a call's parameters; a malformed value is the 400 Telegram would answer."""

    def __init__(self, values: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None) -> None:
        self.values: dict[str, Any] = {name: _decode_json_field(name, value) for name, value in values.items()}
        self.uploads: dict[str, Upload] = dict(uploads or {})

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ApiError.bad_request(f"field \"{name}\" must be an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f"field \"{name}\" must be an integer") from None

    def required_integer(self, name: str, missing: str) -> int:
        """An integer the method cannot do without; ``missing`` is Telegram's complaint if absent."""
        value = self.integer(name)
        if value is None:
            raise ApiError.bad_request(missing)
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value.lower() in TRUE_STRINGS if isinstance(value, str) else bool(value)

    def json(self, name: str) -> Any:
        return self.values.get(name)

    def file(self, name: str) -> Upload | str | None:
        """An uploaded file (direct or ``attach://``), or the file_id/URL string given instead."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.text(name)
        if value is not None and value.startswith("attach://"):
            attached = self.uploads.get(value.removeprefix("attach://"))
            if attached is None:
                raise ApiError.bad_request(f"file {value} not found in the request")
            return attached
        return value

    def chat_id(self) -> int | None:
        """The target chat, for fault filters and the request log; None when absent or not numeric."""
        try:
            return self.integer("chat_id")
        except ApiError:
            return None

    def for_record(self) -> dict[str, Any]:
        """The values with uploads summarised, so the request log holds no file bodies."""
        files = {name: {"filename": u.filename, "size": len(u.data)} for name, u in self.uploads.items()}
        return {**self.values, **files}


def _decode_json_field(name: str, value: Any) -> Any:
    if name not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError.bad_request(f"can't parse {name} JSON object") from None


async def read_multipart(reader: MultipartReader, query: Mapping[str, str] | None = None) -> Params:
    """Fields and files of a multipart body (a request to the API or a webhook's answer);
    ``query`` holds the query-string parameters, which the body's fields override."""
    values: dict[str, str] = dict(query or {})
    uploads: dict[str, Upload] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            values[part.name] = await part.text()
        else:
            data = await part.read(decode=True)
            uploads[part.name] = Upload(part.filename, bytes(data), part.headers.get("Content-Type"))
    return Params(values, uploads)


async def read_request(request: web.Request) -> Params:
    """All of a request's parameters; a body that cannot be read is a 400, as at Telegram."""
    query = dict(request.query)
    if request.content_type == "multipart/form-data":
        return await read_multipart(await request.multipart(), query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("JSON object expected")
        return Params({**query, **body})
    if request.content_type == "application/x-www-form-urlencoded":
        return Params({**query, **(await request.post())})
    return Params(query)
