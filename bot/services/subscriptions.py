"""Police-alert subscriptions as the person sees them: which regions, and what follows them.

By default a subscriber gets their own region's alerts and the national ones; when they
choose another region, the alerts of the old one go and the new one's come (the regions they
picked by hand stay). No Telegram here: ids in, region ids out; the handlers word them.
"""

from __future__ import annotations

from bot.knowledge import Lang
from bot.storage import Repositories, UserRecord
from bot.storage.subscriptions import NATIONAL


async def subscribe(repos: Repositories, user_id: int, record: UserRecord | None, lang: Lang) -> set[str]:
    """Subscribes to the user's own region (if any) and the national channel, replacing earlier
    choices; the regions subscribed to besides the national channel.

    ``lang`` is the language the person is being answered in. Someone who never chose one
    (their Telegram app's language decided) keeps it for the alerts: they are sent later, by
    whichever replica, with nothing but the stored language to go by."""
    if record is None or record.language is None:
        await repos.users.set_language(user_id, lang)
    regions = {record.region} if record and record.region else set()
    await repos.subscriptions.subscribe(user_id, regions)
    return regions


async def chosen_regions(repos: Repositories, user_id: int) -> set[str]:
    """The regions a subscriber gets alerts for, besides the national channel."""
    return await repos.subscriptions.regions_of(user_id) - {NATIONAL}


async def move_to_region(repos: Repositories, user_id: int, record: UserRecord | None, region: str | None) -> None:
    """Stores the user's region (None: no region); a subscriber's alerts follow them to it."""
    await repos.users.set_region(user_id, region)
    if record and record.subscribed:
        moved = await repos.subscriptions.regions_of(user_id) - {record.region, NATIONAL}
        await repos.subscriptions.subscribe(user_id, moved | ({region} if region else set()))
