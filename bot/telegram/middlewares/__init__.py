"""Cross-cutting concerns, run for every update before any handler: counting, throttling, storage, language."""

from bot.telegram.middlewares.language import LanguageMiddleware
from bot.telegram.middlewares.metrics import MetricsMiddleware
from bot.telegram.middlewares.storage import StorageMiddleware
from bot.telegram.middlewares.throttling import ThrottlingMiddleware

__all__ = ["LanguageMiddleware", "MetricsMiddleware", "StorageMiddleware", "ThrottlingMiddleware"]
