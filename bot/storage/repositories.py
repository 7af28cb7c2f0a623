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
from bot.storage.conversation import ConversationMemory, ConversationRepo, RedisConversation
from bot.storage.dashboard import DashboardRepo
from bot.storage.database import Database
from bot.storage.notices import NoticesRepo
from bot.storage.panel import PanelRepo
from bot.storage.redis_store import RedisStore
from bot.storage.reports import ReportsRepo
from bot.storage.reviews import ReviewsRepo
from bot.storage.roles import RolesRepo
from bot.storage.stats import StatsRepo
from bot.storage.subscriptions import SubscriptionsRepo
from bot.storage.users import UsersRepo
from bot.storage.waves import WavesRepo


@dataclass(frozen=True)
class Repositories:
    users: UsersRepo  # who talks to the bot: language, region, subscribed; /forget
    checks: ChecksRepo  # stored checks: each checked text, redacted, with its verdict, and the feedback on it
    roles: RolesRepo  # superadmins, officers and the audit trail of their actions
    subscriptions: SubscriptionsRepo  # which regions' police alerts each subscriber gets
    stats: StatsRepo  # the officers' numbers: subscribers, checks per scheme per day
    conversation: ConversationMemory  # each user's last verdict and intent, for follow-ups (Redis when set)
    reports: ReportsRepo  # users' reports of fraudsters' identifiers, officers' reviews of them
    reviews: ReviewsRepo  # the officers' review queue and their labels of texts (reviewed examples)
    notices: NoticesRepo  # "your message was reviewed": pending and sent notices, one a day
    waves: WavesRepo  # new fraud waves found in recent checks, their members, the officers who watch for them
    panel: PanelRepo  # the officers' dashboard: one-time sign-in links and sessions
    dashboard: DashboardRepo  # the dashboard's reads: the overview's counts, identifiers, the alerts' history

    @classmethod
    def of(cls, db: Database, *, superadmins: frozenset[int], conversation_ttl: float,
           redis: RedisStore | None = None) -> Repositories:
        """``superadmins``: the ADMIN_IDS (they are not stored); ``conversation_ttl``: seconds a
        conversation's memory stays fresh; ``redis`` (REDIS_URL): the conversation's memory is
        kept there, shared by the replicas, instead of in the database."""
        reports = ReportsRepo(db)
        return cls(
            users=UsersRepo(db),
            checks=ChecksRepo(db),
            roles=RolesRepo(db, superadmins),
            subscriptions=SubscriptionsRepo(db),
            stats=StatsRepo(db),
            conversation=(RedisConversation(redis, ttl=conversation_ttl) if redis is not None
                          else ConversationRepo(db, ttl=conversation_ttl)),
            reports=reports,
            reviews=ReviewsRepo(db, reports=reports),  # one crowd rule for the queue and the answers
            notices=NoticesRepo(db),
            waves=WavesRepo(db),
            panel=PanelRepo(db),
            dashboard=DashboardRepo(db),
        )
