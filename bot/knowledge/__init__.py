"""The knowledge base: schemes, examples, contacts, signals and links, loaded from YAML."""

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import (
    BENIGN,
    Contact,
    Example,
    KnowledgeBase,
    Lang,
    Localized,
    Scheme,
)

__all__ = [
    "BENIGN",
    "Contact",
    "Example",
    "KnowledgeBase",
    "KnowledgeError",
    "Lang",
    "Localized",
    "Scheme",
    "load_knowledge",
]
