"""Storage on SQLite (aiosqlite, one file) or PostgreSQL (asyncpg, shared by replicas) behind one
thin `Database`: versioned migrations per engine, one repository per table group, and
`Repositories`, all of them built once per open database; Redis for what replicas share when
REDIS_URL is set."""

from bot.storage.checks import ChecksRepo, Feedback, Medium
from bot.storage.conversation import ConversationRepo, Memory, VerdictNote
from bot.storage.database import Database, SqliteDatabase
from bot.storage.notices import Notice, NoticesRepo
from bot.storage.reports import ExportRow, ReportsRepo, Standing
from bot.storage.repositories import Repositories
from bot.storage.reviews import IdentifierItem, Labelled, ReviewedExample, ReviewsRepo, TextItem
from bot.storage.users import UserRecord, UsersRepo

__all__ = [
    "ChecksRepo", "ConversationRepo", "Database", "SqliteDatabase", "ExportRow", "Feedback", "IdentifierItem", "Labelled", "Medium",
    "Memory", "Notice", "NoticesRepo", "ReportsRepo", "Repositories", "ReviewedExample", "ReviewsRepo", "Standing",
    "TextItem", "UserRecord", "UsersRepo", "VerdictNote",
]
