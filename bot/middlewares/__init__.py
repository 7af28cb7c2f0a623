"""Cross-cutting concerns, run for every update before any handler: throttling, storage, language."""

from bot.middlewares.language import LanguageMiddleware
from bot.middlewares.storage import StorageMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware

__all__ = ["LanguageMiddleware", "StorageMiddleware", "ThrottlingMiddleware"]
