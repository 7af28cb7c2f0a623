"""Every repository of the bot's own tables, built once per open Database.

Handlers ask for one name, `repos: Repositories`, and read `repos.users`, `repos.checks`, ...:
one typed parameter instead of six loose ones (`users`, `checks`, `roles`, `subscriptions`,
`broadcasts`, `stats_repo`), so a new table never adds a new name to every handler's
signature, and a handler's parameters list its services, not the tables behind them.

The police alerts' repository is not here: it lives one layer up, in `bot/alerts/`, which
imports storage, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.checks import ChecksRepo
from bot.storage.conversation import ConversationRepo
from bot.storage.database import Database
from bot.storage.roles import RolesRepo
from bot.storage.stats import StatsRepo
from bot.storage.subscriptions import SubscriptionsRepo
from bot.storage.users import UsersRepo


@dataclass(frozen=True)
class Repositories:
    users: UsersRepo  # who talks to the bot: language, region, subscribed; /forget
    checks: ChecksRepo  # stored checks: each checked text, redacted, with its verdict, and the feedback on it
    roles: RolesRepo  # superadmins, officers and the audit trail of their actions
    subscriptions: SubscriptionsRepo  # which regions' police alerts each subscriber gets
    stats: StatsRepo  # the officers' numbers: subscribers, checks per scheme per day
    conversation: ConversationRepo  # each user's last verdict and intent, for follow-ups

    @classmethod
    def of(cls, db: Database, *, superadmins: frozenset[int], conversation_ttl: float) -> Repositories:
        """``superadmins``: the ADMIN_IDS (they are not stored); ``conversation_ttl``: seconds a
        conversation's memory stays fresh."""
        return cls(
            users=UsersRepo(db),
            checks=ChecksRepo(db),
            roles=RolesRepo(db, superadmins),
            subscriptions=SubscriptionsRepo(db),
            stats=StatsRepo(db),
            conversation=ConversationRepo(db, ttl=conversation_ttl),
        )
