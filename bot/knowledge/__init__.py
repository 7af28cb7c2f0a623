"""The knowledge base: schemes, examples, contacts, signals, links, help texts and regions, loaded from YAML."""

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import (
    BENIGN,
    FRAUD_WARNING,
    NOT_FRAUD,
    AlreadyPaid,
    Contact,
    Example,
    FaqEntry,
    HelpFile,
    KnowledgeBase,
    Lang,
    Localized,
    Region,
    RegionsFile,
    Scheme,
    WarningExample,
)

__all__ = [
    "BENIGN",
    "FRAUD_WARNING",
    "NOT_FRAUD",
    "AlreadyPaid",
    "Contact",
    "Example",
    "FaqEntry",
    "HelpFile",
    "KnowledgeBase",
    "KnowledgeError",
    "Lang",
    "Localized",
    "Region",
    "RegionsFile",
    "Scheme",
    "WarningExample",
    "load_knowledge",
]
