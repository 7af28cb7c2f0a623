"""Loading knowledge/ and checking it, with errors an analyst can act on.

Every error names the file, the field and what is wrong, e.g.
``knowledge/schemes/prize_lottery.yaml: red_flags.2.kk: Field required``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.schema import (
    BENIGN,
    BenignFile,
    Contact,
    ContactsFile,
    Example,
    KnowledgeBase,
    LinksFile,
    Localized,
    LocalizedList,
    RepliesFile,
    Scheme,
    SignalsFile,
)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
M = TypeVar("M", bound=BaseModel)

# Something that reads as a phone number: three or more digits, maybe split by spaces,
# dashes or brackets, maybe with a leading +. Dates and years are taken out first.
_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NUMBER = re.compile(r"\+?\d[\d\s\-()]*\d")


class KnowledgeError(ValueError):
    """The knowledge base is invalid. The message says where and how to fix it."""


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


def _phone_like(text: str) -> list[str]:
    text = _YEAR.sub(" ", _DATE.sub(" ", text))
    found = []
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 3:
            found.append(digits)
    return found


def _user_texts(node: Any) -> list[str]:
    """Every string inside Localized / LocalizedList values of a model, recursively."""
    if isinstance(node, Localized):
        return [node.kk, node.ru]
    if isinstance(node, LocalizedList):
        return [*node.kk, *node.ru]
    if isinstance(node, BaseModel):
        return [t for name in type(node).model_fields for t in _user_texts(getattr(node, name))]
    if isinstance(node, (list, tuple)):
        return [t for item in node for t in _user_texts(item)]
    if isinstance(node, dict):
        return [t for item in node.values() for t in _user_texts(item)]
    return []


def _check_numbers(where: str, model: BaseModel, allowed: set[str]) -> None:
    for text in _user_texts(model):
        for digits in _phone_like(text):
            if digits not in allowed:
                raise KnowledgeError(
                    f"{where}: the number {digits} in «{text[:80]}» is not a verified contact. "
                    "Add it to knowledge/contacts.yaml with a source and `confidence: verified`, "
                    "or remove it."
                )


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _dedup_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _check_examples(pairs: list[tuple[str, Example, str]]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for label, example, where in pairs:
        key = _dedup_key(example.text)
        if key in seen:
            other_label, other_where = seen[key]
            what = "twice" if other_label == label else f"with two labels ({other_label}, {label})"
            raise KnowledgeError(
                f"{where}: the example «{example.text[:80]}» appears {what}; "
                f"it is also in {other_where}. Keep one."
            )
        seen[key] = (label, where)


def load_knowledge(root: Path | str = DEFAULT_DIR) -> KnowledgeBase:
    """Load and validate knowledge/; raise KnowledgeError with a precise message."""
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError(f"{root}: the knowledge folder does not exist")
    scheme_files = sorted((root / "schemes").glob("*.yaml"))
    benign_files = sorted((root / "benign").glob("*.yaml"))
    if not scheme_files:
        raise KnowledgeError(f"{root / 'schemes'}: no scheme files (*.yaml) found")
    single = {name: root / f"{name}.yaml" for name in ("contacts", "signals", "links", "replies")}

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
        for ref in scheme.report_via:
            if ref not in contacts:
                raise KnowledgeError(f"{where}: report_via: unknown contact '{ref}' (known: {', '.join(contacts)})")
            if not contacts[ref].showable:
                raise KnowledgeError(
                    f"{where}: report_via: contact '{ref}' is {contacts[ref].confidence}, not verified; "
                    "only verified contacts may be shown to users"
                )
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
    _check_examples(pairs)

    signals = _validate(SignalsFile, _read_yaml(single["signals"], root), single["signals"], root)
    links = _validate(LinksFile, _read_yaml(single["links"], root), single["links"], root)
    replies = _validate(RepliesFile, _read_yaml(single["replies"], root), single["replies"], root)
    _check_numbers(_rel(single["replies"], root), replies, verified_numbers)
    _check_numbers(_rel(single["signals"], root), signals, verified_numbers)

    files = scheme_files + benign_files + list(single.values())
    return KnowledgeBase(
        schemes=schemes,
        benign=benign,
        contacts=contacts,
        signals=signals,
        links=links,
        replies=replies,
        fingerprint=_fingerprint(files),
    )
