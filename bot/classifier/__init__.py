"""The fraud classifier: a plain library that knows nothing of Telegram.

The exported names load on first use (`bot.lazy_exports`): `bot.config` imports this
package's settings, and must not load the model's numpy and scikit-learn with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import lazy_exports

if TYPE_CHECKING:
    from bot.classifier.classifier import Classifier, EmptyText
    from bot.classifier.verdict import Verdict

__all__ = ["Classifier", "EmptyText", "Verdict"]
__getattr__ = lazy_exports(__name__, {"Classifier": "bot.classifier.classifier", "EmptyText": "bot.classifier.classifier",
                                      "Verdict": "bot.classifier.verdict"})
