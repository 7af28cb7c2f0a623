"""SaqBol («Сақ бол»): checks suspicious messages for fraud, in Kazakh and Russian."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A package's module ``__getattr__`` (PEP 562) that imports each exported name from its
    home module on first use. The settings sections live in the packages they configure
    (`bot.classifier.settings`, `bot.alerts.settings`, `bot.ocr.settings`) and `bot.config`,
    hence every command and the container's healthcheck, imports them: a package ``__init__``
    that imported its model, engine or reader eagerly would load numpy, scikit-learn, aiogram
    and Tesseract for a healthcheck (measured: `import bot.cli` 0.2 s / 34 MB before the
    sections, 4.9 s / 281 MB with eager packages)."""

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(homes[name]), name)

    return __getattr__
