"""Keyboards, one module per feature, in the current user's language (texts go through gettext).

Handlers write ``keyboards.check_actions(...)``: every keyboard is re-exported here, so a
handler needs one import whichever feature the keyboard belongs to.
"""

from bot.telegram.keyboards.alerts import alert_decision, alert_regions, alert_schemes, alert_submit
from bot.telegram.keyboards.help import back_to_faq, faq_list
from bot.telegram.keyboards.layout import HALF_ROW_CHARS, phone_rows
from bot.telegram.keyboards.menu import MENU_CHECK, MENU_HELP, MENU_PAID, MENU_SETTINGS, main_menu, settings
from bot.telegram.keyboards.privacy import forget_confirm
from bot.telegram.keyboards.reports import report_candidates, report_offer
from bot.telegram.keyboards.review import review_identifier_item, review_text_item
from bot.telegram.keyboards.start import languages, regions
from bot.telegram.keyboards.subscriptions import subscribe_offer, subscription_menu, subscription_regions
from bot.telegram.keyboards.verdicts import check_actions
from bot.telegram.keyboards.waves import wave_actions

__all__ = [
    "HALF_ROW_CHARS", "MENU_CHECK", "MENU_HELP", "MENU_PAID", "MENU_SETTINGS", "alert_decision", "alert_regions",
    "alert_schemes", "alert_submit", "back_to_faq", "check_actions", "faq_list", "forget_confirm", "languages",
    "main_menu", "phone_rows", "regions", "report_candidates", "report_offer", "review_identifier_item",
    "review_text_item", "settings", "subscribe_offer", "subscription_menu", "subscription_regions", "wave_actions",
]
