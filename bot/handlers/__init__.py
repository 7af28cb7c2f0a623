"""Telegram handlers: one aiogram Router per feature, joined in a fixed order.

They arrive with the bot issue; the classifier they call lives in bot.classifier.
"""
