"""Police alert broadcasts: the delivery engine that sends an approved alert to its subscribers."""

from bot.alerts.engine import BroadcastStopped, DeliveryEngine
from bot.alerts.progress import Progress

__all__ = ["BroadcastStopped", "DeliveryEngine", "Progress"]
