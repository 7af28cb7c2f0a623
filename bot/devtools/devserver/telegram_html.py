"""Telegram's HTML parse mode, applied the way its server applies it.

The emulator must refuse exactly what Telegram refuses (an unescaped ``<`` in user text, a
``<br>``, an unclosed tag), or a bug that breaks the real bot would pass every test. This is
a port of tdlib's ``parse_html``: tags in, plain text and MessageEntity dicts out, with
offsets in UTF-16 code units, or a :class:`HtmlParseError` worded like Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SIMPLE_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
SUPPORTED_TAGS = frozenset(SIMPLE_ENTITY_TYPES) | {"a", "code", "pre", "blockquote", "tg-emoji"}
NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_CHARACTER_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_PLAIN_RUN = re.compile(r"[^<&]+")
_SPACES = " \t\n\r\f\v"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?://)?")
_BARE_DOMAIN = re.compile(r"[^\s/:?#@]+\.[^\s/:?#@]+(?:[/?#]\S*)?$")
LINK_SCHEMES = frozenset({"http", "https", "tg", "ton"})


class HtmlParseError(ValueError):
    """Telegram's reason for refusing the text; the API prefixes it with "can't parse entities: "."""


def utf16_length(text: str) -> int:
    """Length as Telegram counts entity offsets: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    output_index: int


class _Parser:
    """One pass over the source; ``pos`` is a code-point index, errors report UTF-8 byte offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.output: list[str] = []
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[_Entity] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "<":
                if source.startswith("</", self.pos):
                    self._end_tag()
                else:
                    self._start_tag()
            elif char == "&":
                self._character_reference()
            else:
                run = _PLAIN_RUN.match(source, self.pos)
                assert run is not None
                self._emit(run.group())
                self.pos = run.end()
        if self.open_tags:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity.offset, -entity.length))
        return "".join(self.output), [entity.as_json() for entity in self.entities]

    def _emit(self, text: str) -> None:
        self.output.append(text)
        self.utf16_offset += utf16_length(text)

    def _byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8"))

    def _at(self, pos: int) -> str:
        """The character at ``pos``, or "" past the end (tdlib reads the terminating NUL)."""
        return self.source[pos] if pos < len(self.source) else ""

    def _skip_spaces(self, pos: int) -> int:
        while self._at(pos) and self._at(pos) in _SPACES:
            pos += 1
        return pos

    def _scan_word(self, pos: int, stops: str) -> int:
        while self._at(pos) and self._at(pos) not in _SPACES and self._at(pos) not in stops:
            pos += 1
        return pos

    def _character_reference(self) -> None:
        """``&lt;`` and friends, numeric ones too; an unknown ``&`` stays a literal, as in Telegram."""
        match = _CHARACTER_REFERENCE.match(self.source, self.pos)
        decoded = _decode_reference(match) if match else None
        if match is None or decoded is None:
            self._emit("&")
            self.pos += 1
        else:
            self._emit(decoded)
            self.pos = match.end()

    def _start_tag(self) -> None:
        begin = self.pos
        name_end = self._scan_word(begin + 1, ">")
        if not self._at(name_end):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        name = self.source[begin + 1 : name_end].lower()
        if name not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}')
        argument, self.pos = self._attributes(name, begin, name_end)
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self.open_tags.append(_OpenTag(name, argument, self.utf16_offset, len(self.output)))

    def _attributes(self, tag: str, begin: int, pos: int) -> tuple[str, int]:
        """Reads attributes up to ``>``; returns the one argument the tag cares about and the
        position after ``>``."""
        argument = ""
        while True:
            pos = self._skip_spaces(pos)
            if not self._at(pos):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            if self._at(pos) == ">":
                return argument, pos + 1
            name_end = self._scan_word(pos, "=>")
            attribute = self.source[pos:name_end].lower()
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(begin)}'
                )
            pos = self._skip_spaces(name_end)
            if self._at(pos) != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self._byte_offset(begin)}"
                )
            pos = self._skip_spaces(pos + 1)
            if not self._at(pos):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            value, pos = self._attribute_value(pos)
            argument = _tag_argument(tag, attribute, value, argument)

    def _attribute_value(self, pos: int) -> tuple[str, int]:
        quote = self._at(pos)
        if quote not in ("'", '"'):
            token = _NAME_TOKEN.match(self.source, pos)
            assert token is not None
            end = token.end()
            if self._at(end) and self._at(end) not in _SPACES + ">":
                raise HtmlParseError(f"Unexpected end of name token at byte offset {self._byte_offset(end)}")
            return token.group().lower(), end
        end = self.source.find(quote, pos + 1)
        if end < 0:
            raise HtmlParseError(f"Unclosed end of attribute value at byte offset {self._byte_offset(pos)}")
        value = _CHARACTER_REFERENCE.sub(lambda m: _decode_reference(m) or m.group(), self.source[pos + 1 : end])
        return value, end + 1

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.open_tags:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        name_end = self._scan_word(begin + 2, ">")
        end_name = self.source[begin + 2 : name_end].lower()
        close = self._skip_spaces(name_end)
        if self._at(close) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        tag = self.open_tags.pop()
        if end_name and end_name != tag.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        if self.utf16_offset > tag.utf16_offset:
            self._close_entity(tag)
        self.pos = close + 1

    def _close_entity(self, tag: _OpenTag) -> None:
        """Adds the tag's entity; ``<pre>`` and ``<code class="language-…">`` around the same text
        merge into one ``pre`` with a language, whichever of them closes first."""
        offset, length = tag.utf16_offset, self.utf16_offset - tag.utf16_offset
        if tag.name == "a" and not tag.argument:
            tag.argument = "".join(self.output[tag.output_index :])
        last = self.entities[-1] if self.entities else None
        if last is not None and (last.offset, last.length) == (offset, length):
            if tag.name == "code" and last.type == "pre" and tag.argument:
                last.extra["language"] = tag.argument
                return
            if tag.name == "pre" and last.type == "code" and last.code_language:
                last.type, last.extra["language"] = "pre", last.code_language
                return
        entity = _entity_for(tag, offset, length)
        if entity is not None:
            self.entities.append(entity)


@dataclass
class _Entity:
    type: str
    offset: int
    length: int
    extra: dict[str, str] = field(default_factory=dict)
    code_language: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "offset": self.offset, "length": self.length, **self.extra}


def _entity_for(tag: _OpenTag, offset: int, length: int) -> _Entity | None:
    """The entity a closed tag makes; None for a link Telegram would not accept (it keeps the
    text and silently drops the link)."""
    if tag.name in SIMPLE_ENTITY_TYPES:
        return _Entity(SIMPLE_ENTITY_TYPES[tag.name], offset, length)
    if tag.name == "a":
        url = _checked_link(tag.argument)
        return _Entity("text_link", offset, length, {"url": url}) if url else None
    if tag.name == "code":
        return _Entity("code", offset, length, code_language=tag.argument)
    if tag.name == "pre":
        return _Entity("pre", offset, length)
    if tag.name == "blockquote":
        return _Entity("expandable_blockquote" if tag.argument else "blockquote", offset, length)
    if not tag.argument.isdigit():
        raise HtmlParseError("Invalid custom emoji identifier specified")
    return _Entity("custom_emoji", offset, length, {"custom_emoji_id": tag.argument})


def _checked_link(url: str) -> str | None:
    """Like tdlib's check_link: tg:// and ton:// links pass, a bare domain gets http://, and any
    other scheme (javascript:, data:…) is refused."""
    url = url.strip()
    scheme = _URL_SCHEME.match(url)
    if scheme is None:
        return f"http://{url}" if _BARE_DOMAIN.match(url) else None
    return url if scheme.group(1).lower() in LINK_SCHEMES and len(url) > len(scheme.group()) else None


def _decode_reference(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, named = match.groups()
    if named:
        return NAMED_CHARACTERS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """The single attribute each tag uses; tdlib ignores all others."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "expandable"
    return current


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``source`` in Telegram's HTML, or :class:`HtmlParseError`."""
    return _Parser(source).parse()
