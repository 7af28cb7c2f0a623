"""SQLite storage (aiosqlite): one connection, versioned migrations, one repository per table group."""

from bot.storage.checks import CheckRecord, ChecksRepo, Feedback
from bot.storage.database import Database
from bot.storage.users import UserRecord, UsersRepo

__all__ = ["CheckRecord", "ChecksRepo", "Database", "Feedback", "UserRecord", "UsersRepo"]
