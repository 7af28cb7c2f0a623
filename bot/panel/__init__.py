"""The officers' web dashboard: sign-in by a one-time link from the bot, server-rendered pages."""
