"""The fraud classifier: a plain library that knows nothing of Telegram."""

from bot.classifier.classifier import Classifier, EmptyText
from bot.classifier.verdict import Verdict

__all__ = ["Classifier", "EmptyText", "Verdict"]
