"""Police alert broadcasts: the delivery engine that sends an approved alert to its subscribers."""

from bot.broadcast.engine import BroadcastStopped, DeliveryEngine
from bot.broadcast.progress import Progress

__all__ = ["BroadcastStopped", "DeliveryEngine", "Progress"]
