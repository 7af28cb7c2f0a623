"""Police alerts, everything but the Telegram dialogs.

Two words, one meaning each:

* an **alert** is the police message people receive: a Kazakh and a Russian text under a
  fixed header (``message.py``), which may name only allowlisted links, accounts and phone
  numbers (``policy.py``);
* a **broadcast** is one sending of an alert to its subscribers, a row in the ``broadcasts``
  table (``repository.py``: one ``Broadcast`` type, its ``BroadcastStatus``, and the
  ``deliveries`` to each recipient). The row is written when an officer submits the alert
  (``pending``); once a second officer approves it, the delivery engine (``engine.py``, with
  ``claims.py``, ``ratelimit.py`` and ``sending.py``) sends it, and ``progress.py`` counts
  where it stands and shows that to the approving officer. With ``BROADCAST_RELAY_URL`` the
  sends go through the alert relay (``relay.py``), which journals each one (``journal.py``)
  so that a sender killed mid-alert leaves nothing to guess: exactly once per recipient.

The use cases that handlers call (submit, approve, reject, cancel) are in
``bot.services.alerts``; the dialog is ``bot.handlers.broadcast``.

The exported names load on first use (`bot.lazy_exports`): `bot.config` imports
``bot.alerts.settings`` and must not load aiogram with the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import lazy_exports

if TYPE_CHECKING:
    from bot.alerts.engine import BroadcastStopped, DeliveryEngine
    from bot.alerts.progress import Progress
    from bot.alerts.repository import Broadcast, BroadcastsRepo, BroadcastStatus

__all__ = ["Broadcast", "BroadcastStatus", "BroadcastStopped", "BroadcastsRepo", "DeliveryEngine", "Progress"]
__getattr__ = lazy_exports(__name__, {
    "BroadcastStopped": "bot.alerts.engine", "DeliveryEngine": "bot.alerts.engine", "Progress": "bot.alerts.progress",
    "Broadcast": "bot.alerts.repository", "BroadcastsRepo": "bot.alerts.repository",
    "BroadcastStatus": "bot.alerts.repository",
})
