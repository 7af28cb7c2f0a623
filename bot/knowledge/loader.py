"""Loading knowledge/ and checking it, with errors an analyst can act on.

Every error names the file, the field and what is wrong, e.g.
``knowledge/schemes/prize_lottery.yaml: red_flags.2.kk: Field required``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.schema import (
    BENIGN,
    FRAUD_WARNING,
    INTENTS,
    MIN_INTENT_EXAMPLES,
    BenignFile,
    Channel,
    ChannelsFile,
    Contact,
    ContactsFile,
    ConversationFile,
    Example,
    HelpFile,
    IntentFile,
    KnowledgeBase,
    KnowledgeError,
    LinksFile,
    Localized,
    LocalizedList,
    RegionsFile,
    RepliesFile,
    ReviewedFile,
    ReviewedText,
    Scheme,
    SignalsFile,
    WarningExample,
    WarningsFile,
    dedup_key,
    knowledge_label,
    officer_label,
)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
M = TypeVar("M", bound=BaseModel)

# Something that reads as a phone number: three or more digits, maybe split by spaces,
# dashes or brackets, maybe with a leading +. Dates and years are taken out first.
_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NUMBER = re.compile(r"\+?\d[\d\s\-()]*\d")


def _read_yaml(path: Path, root: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(f"{_rel(path, root)}: {where}YAML syntax error: {problem}") from exc
    except OSError as exc:
        raise KnowledgeError(f"{_rel(path, root)}: cannot read the file: {exc.strerror}") from exc


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _validate(model: type[M], data: Any, path: Path, root: Path) -> M:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{_rel(path, root)}: the file must hold a mapping of fields, found {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
            lines.append(f"{_rel(path, root)}: {loc}: {err['msg']}")
        raise KnowledgeError("\n".join(lines)) from exc


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _phone_matches(text: str) -> list[tuple[str, int, int]]:
    """(digits, start, end) of everything in `text` that reads as a phone number."""
    text = _YEAR.sub(_blank, _DATE.sub(_blank, text))  # same length: offsets stay valid
    found = []
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 3:
            found.append((digits, match.start(), match.end()))
    return found


def _excerpt(text: str, start: int, end: int, margin: int = 40) -> str:
    """The text around [start, end) on one line, so the analyst can find it in a long answer."""
    left, right = max(0, start - margin), min(len(text), end + margin)
    snippet = " ".join(text[left:right].split())
    return f"{'…' if left else ''}{snippet}{'…' if right < len(text) else ''}"


def _user_texts(node: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, text) for every string inside Localized / LocalizedList values, recursively.

    The path reads like the loader's other errors: ``faq.2.answer.ru``, ``red_flags.0.kk``.
    """
    def join(part: object) -> str:
        return f"{path}.{part}" if path else str(part)

    if isinstance(node, Localized):
        return [(join("kk"), node.kk), (join("ru"), node.ru)]
    if isinstance(node, LocalizedList):
        return [(join(f"{lang}.{i}"), t) for lang in ("kk", "ru") for i, t in enumerate(node.get(lang))]
    if isinstance(node, BaseModel):
        return [t for name in type(node).model_fields for t in _user_texts(getattr(node, name), join(name))]
    if isinstance(node, (list, tuple)):
        return [t for i, item in enumerate(node) for t in _user_texts(item, join(i))]
    if isinstance(node, dict):
        return [t for key, item in node.items() for t in _user_texts(item, join(key))]
    return []


def _check_numbers(where: str, model: BaseModel, allowed: set[str]) -> None:
    for field, text in _user_texts(model):
        for digits, start, end in _phone_matches(text):
            if digits not in allowed:
                raise KnowledgeError(
                    f"{where}: {field}: the number {digits} in «{_excerpt(text, start, end)}» "
                    "is not a verified contact. "
                    "Add it to knowledge/contacts.yaml with a source and `confidence: verified`, "
                    "or remove it."
                )


def _check_contact_refs(where: str, refs: list[str], contacts: dict[str, Contact]) -> None:
    """Contacts shown to users must exist and be showable (verified, or advice without a number)."""
    for ref in refs:
        if ref not in contacts:
            raise KnowledgeError(f"{where}: unknown contact '{ref}' (known: {', '.join(contacts)})")
        if not contacts[ref].showable:
            raise KnowledgeError(
                f"{where}: contact '{ref}' is {contacts[ref].confidence}, not verified; "
                "only verified contacts may be shown to users"
            )


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _check_examples(pairs: list[tuple[str, Example, str]]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for label, example, where in pairs:
        key = dedup_key(example.text)
        if key in seen:
            other_label, other_where = seen[key]
            what = "twice" if other_label == label else f"with two labels ({other_label}, {label})"
            raise KnowledgeError(
                f"{where}: the example «{example.text[:80]}» appears {what}; "
                f"it is also in {other_where}. Keep one."
            )
        seen[key] = (label, where)


def _load_intents(files: list[Path], root: Path, schemes: dict[str, Scheme]) -> list[IntentFile]:
    """knowledge/intents/*.yaml: every intent with enough examples in kk and in ru, no text twice,
    and follow-ups that answer a verdict the bot can give."""
    parts: list[IntentFile] = []
    seen: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for path in files:
        part = _validate(IntentFile, _read_yaml(path, root), path, root)
        where = _rel(path, root)
        for number, ex in enumerate(part.examples):
            if ex.previous is not None and ex.previous != BENIGN and ex.previous not in schemes:
                raise KnowledgeError(
                    f"{where}: examples.{number}.previous: unknown scheme '{ex.previous}' "
                    f"(a scheme id from knowledge/schemes/, or {BENIGN})"
                )
            key = dedup_key(ex.text)
            if key in seen:
                raise KnowledgeError(f"{where}: the example «{ex.text[:80]}» is also in {seen[key]}. Keep one.")
            seen[key] = where
            counts[(part.intent, ex.lang)] = counts.get((part.intent, ex.lang), 0) + 1
        parts.append(part)
    if parts:
        short = [
            f"{intent} has {counts.get((intent, lang), 0)} '{lang}' examples"
            for intent in INTENTS for lang in ("kk", "ru")
            if counts.get((intent, lang), 0) < MIN_INTENT_EXAMPLES
        ]
        if short:
            raise KnowledgeError(
                f"{root.name}/intents: every intent needs at least {MIN_INTENT_EXAMPLES} examples in kk and in ru: "
                + "; ".join(short)
            )
    return parts


def _load_channels(path: Path, root: Path, schemes: dict[str, Scheme], contacts: dict[str, Contact],
                   verified_numbers: set[str]) -> dict[str, Channel]:
    """knowledge/channels.yaml: how a message reached the person, with the steps and contacts
    that fit; a scheme step marked with a channel must name one of them."""
    where = _rel(path, root)
    channels: dict[str, Channel] = {}
    for channel in _validate(ChannelsFile, _read_yaml(path, root), path, root).channels:
        if channel.id in channels:
            raise KnowledgeError(f"{where}: channel id '{channel.id}' is used twice")
        _check_contact_refs(f"{where}: {channel.id}.contacts", channel.contacts, contacts)
        _check_numbers(f"{where}: {channel.id}", channel, verified_numbers)
        channels[channel.id] = channel
    for scheme in schemes.values():
        for number, step in enumerate(scheme.what_to_do):
            if step.channel is not None and step.channel not in channels:
                raise KnowledgeError(
                    f"{root.name}/schemes/{scheme.id}.yaml: what_to_do.{number}.channel: unknown channel "
                    f"'{step.channel}' (known: {', '.join(channels)})"
                )
    return channels


def _load_reviewed(files: list[Path], root: Path, schemes: dict[str, Scheme],
                   written: set[str]) -> dict[str, list[ReviewedText]]:
    """knowledge/reviewed/<label>.yaml: the officers' labelled texts, one file per label (a
    scheme id, not_fraud, fraud_warning). A text in two files is an error (which label is
    right?); a text the written examples already hold is left out (the analysts' label stays)."""
    reviewed: dict[str, list[ReviewedText]] = {}
    seen: dict[str, str] = {}
    for path in files:
        where = _rel(path, root)
        try:
            label = knowledge_label(path.stem, schemes)
        except KnowledgeError as exc:
            raise KnowledgeError(f"{where}: {exc}; the file's name is its label") from None
        part = _validate(ReviewedFile, _read_yaml(path, root), path, root)
        for number, ex in enumerate(part.examples):
            key = dedup_key(ex.text)
            if key in seen:
                raise KnowledgeError(
                    f"{where}: examples.{number}: the text «{ex.text[:80]}» is also in {seen[key]}. Keep it under "
                    "the label that is right, or export the reviewed examples again (`python -m bot export-reviewed`)"
                )
            seen[key] = where
            if key not in written:
                reviewed.setdefault(label, []).append(ex)
    return reviewed


def write_reviewed(folder: Path | str, examples: Iterable[tuple[str, str, str]],
                   knowledge: KnowledgeBase) -> list[Path]:
    """Writes ``(label, text, lang)`` examples (an officer's label, oldest first) as
    knowledge/reviewed/<label>.yaml, one file per label, in the format `load_knowledge` reads;
    the files of labels that have no example any more are removed. Raises `KnowledgeError`
    for an unknown label before anything is written. Returns the files written."""
    folder = Path(folder)
    by_label: dict[str, list[dict[str, str]]] = {}
    seen: set[str] = set()
    for label, text, lang in reversed(list(examples)):  # the newest label of a text wins
        key = dedup_key(text)
        if key in seen:
            continue
        seen.add(key)
        ReviewedText(text=text, lang=lang)  # type: ignore[arg-type]  # an invalid one fails here, not at start
        name = officer_label(knowledge_label(label, knowledge.schemes))
        by_label.setdefault(name, []).insert(0, {"text": text, "lang": lang})
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(by_label):
        path = folder / f"{name}.yaml"
        body = yaml.safe_dump({"examples": by_label[name]}, allow_unicode=True, sort_keys=False, width=1000)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(f"# written by `python -m bot export-reviewed`: officers' labels of texts ({name})\n{body}",
                       encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    for stale in folder.glob("*.yaml"):
        if stale not in written:
            stale.unlink()
    return written


def load_knowledge(root: Path | str = DEFAULT_DIR) -> KnowledgeBase:
    """Load and validate knowledge/; raise KnowledgeError with a precise message."""
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError(f"{root}: the knowledge folder does not exist")
    scheme_files = sorted((root / "schemes").glob("*.yaml"))
    benign_files = sorted((root / "benign").glob("*.yaml"))
    warning_files = sorted((root / "warnings").glob("*.yaml"))
    if not scheme_files:
        raise KnowledgeError(f"{root / 'schemes'}: no scheme files (*.yaml) found")
    single = {
        name: root / f"{name}.yaml" for name in ("contacts", "signals", "links", "replies", "help", "regions")
    }

    contacts_file = _validate(ContactsFile, _read_yaml(single["contacts"], root), single["contacts"], root)
    contacts: dict[str, Contact] = {}
    for contact in contacts_file.contacts:
        if contact.id in contacts:
            raise KnowledgeError(f"{_rel(single['contacts'], root)}: contact id '{contact.id}' is used twice")
        contacts[contact.id] = contact
    verified_numbers = {c.number for c in contacts.values() if c.number and c.confidence == "verified"}
    for contact in contacts.values():
        if contact.showable:
            _check_numbers(f"{_rel(single['contacts'], root)}: {contact.id}", contact, verified_numbers)

    schemes: dict[str, Scheme] = {}
    pairs: list[tuple[str, Example, str]] = []
    for path in scheme_files:
        scheme = _validate(Scheme, _read_yaml(path, root), path, root)
        where = _rel(path, root)
        if scheme.id != path.stem:
            raise KnowledgeError(f"{where}: id '{scheme.id}' must match the file name '{path.stem}'")
        if scheme.id == BENIGN:
            raise KnowledgeError(f"{where}: '{BENIGN}' is not a scheme; put benign examples in knowledge/benign/")
        _check_contact_refs(f"{where}: report_via", scheme.report_via, contacts)
        _check_numbers(where, scheme.model_copy(update={"examples": []}), verified_numbers)
        schemes[scheme.id] = scheme
        pairs.extend((scheme.id, ex, where) for ex in scheme.examples)

    benign: list[Example] = []
    for path in benign_files:
        part = _validate(BenignFile, _read_yaml(path, root), path, root)
        benign.extend(part.examples)
        pairs.extend((BENIGN, ex, _rel(path, root)) for ex in part.examples)
    if not benign:
        raise KnowledgeError(f"{root / 'benign'}: no benign examples found; the classifier needs them")
    warnings: list[WarningExample] = []
    for path in warning_files:
        part = _validate(WarningsFile, _read_yaml(path, root), path, root)
        for number, ex in enumerate(part.examples):
            if ex.warns_about is not None and ex.warns_about not in schemes:
                raise KnowledgeError(
                    f"{_rel(path, root)}: examples.{number}.warns_about: unknown scheme '{ex.warns_about}' "
                    f"(known: {', '.join(sorted(schemes))})"
                )
        warnings.extend(part.examples)
        pairs.extend((FRAUD_WARNING, ex, _rel(path, root)) for ex in part.examples)
    _check_examples(pairs)
    reviewed_files = sorted((root / "reviewed").glob("*.yaml"))
    reviewed = _load_reviewed(reviewed_files, root, schemes, {dedup_key(ex.text) for _, ex, _ in pairs})

    signals = _validate(SignalsFile, _read_yaml(single["signals"], root), single["signals"], root)
    links = _validate(LinksFile, _read_yaml(single["links"], root), single["links"], root)
    for phone in links.broadcast_phones:
        if re.sub(r"\D", "", phone) not in verified_numbers:
            raise KnowledgeError(
                f"{_rel(single['links'], root)}: broadcast_phones: {phone} is not the number of a verified "
                "contact. Add it to knowledge/contacts.yaml with a source and `confidence: verified`, or remove it."
            )
    replies = _validate(RepliesFile, _read_yaml(single["replies"], root), single["replies"], root)
    _check_numbers(_rel(single["replies"], root), replies, verified_numbers)
    _check_numbers(_rel(single["signals"], root), signals, verified_numbers)

    help_where = _rel(single["help"], root)
    help_file = _validate(HelpFile, _read_yaml(single["help"], root), single["help"], root)
    _check_contact_refs(f"{help_where}: already_paid.contacts", help_file.already_paid.contacts, contacts)
    for number, entry in enumerate(help_file.faq):
        _check_contact_refs(f"{help_where}: faq.{number}.contacts (id {entry.id})", entry.contacts, contacts)
    for kind, path in help_file.paid_by_kind.items():
        _check_contact_refs(f"{help_where}: paid_by_kind.{kind}.contacts", path.contacts, contacts)
    _check_numbers(help_where, help_file, verified_numbers)
    conversation_path = root / "conversation.yaml"
    conversation = _validate(ConversationFile, _read_yaml(conversation_path, root), conversation_path, root)
    _check_contact_refs(f"{_rel(conversation_path, root)}: followup.again.contacts", conversation.followup.again.contacts,
                        contacts)
    _check_numbers(_rel(conversation_path, root), conversation, verified_numbers)

    regions_file = _validate(RegionsFile, _read_yaml(single["regions"], root), single["regions"], root)
    _check_numbers(_rel(single["regions"], root), regions_file, verified_numbers)

    intents = _load_intents(sorted((root / "intents").glob("*.yaml")), root, schemes)
    channels = _load_channels(root / "channels.yaml", root, schemes, contacts, verified_numbers)

    files = scheme_files + benign_files + warning_files + reviewed_files + list(single.values())
    return KnowledgeBase(
        schemes=schemes,
        benign=benign,
        warnings=warnings,
        contacts=contacts,
        signals=signals,
        links=links,
        replies=replies,
        help=help_file,
        conversation=conversation,
        regions={region.id: region for region in regions_file.regions},
        fingerprint=_fingerprint(files),
        intents=intents,
        channels=channels,
        reviewed=reviewed,
    )
