"""SQLite storage (aiosqlite): one connection, versioned migrations, one repository per table group."""

from bot.storage.checks import ChecksRepo, Feedback
from bot.storage.conversation import ConversationRepo, Memory, VerdictNote
from bot.storage.database import Database
from bot.storage.users import UserRecord, UsersRepo

__all__ = [
    "ChecksRepo", "ConversationRepo", "Database", "Feedback", "Memory", "UserRecord", "UsersRepo", "VerdictNote",
]
