"""Settings: a bad value is refused with a message naming the variable."""

import pytest

from bot.config import SettingsError, load_settings


def test_admin_ids_are_read_from_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "101, 202;303")
    assert load_settings().admin_ids == [101, 202, 303]


@pytest.mark.parametrize(("name", "value", "hint"), [
    ("ADMIN_IDS", "101,boss", "ADMIN_IDS"),
    ("WEBHOOK_PORT", "eighty", "WEBHOOK_PORT"),
    ("WEBHOOK_URL", "bot.example.kz/hook", "WEBHOOK_URL"),
    ("BACKEND", "gpu", "BACKEND"),
])
def test_a_bad_value_names_the_setting(monkeypatch, name, value, hint):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=hint):
        load_settings()


def test_without_a_token_the_bot_runs_the_local_demo(monkeypatch):
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert load_settings(_env_file=None).bot_token is None
