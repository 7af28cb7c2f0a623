"""The README's layout and settings tables cannot go stale: both are checked against the code.

A newcomer reads the README first; a table that lists a room that moved, or misses a
setting, sends them the wrong way. The layout list must name every room of `bot/` in the
order of the layers (tests/test_layers.py), and every path it names must exist. The settings
table must list every environment variable `Settings` reads, with its default.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_layers import LAYERS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> str:
    found = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", README, re.S)
    assert found, f"README.md needs its {name} between <!-- {name} --> and <!-- /{name} -->"
    return found.group(1)


def _layout_paths() -> list[str]:
    return re.findall(r"^(\S+)\s", _block("layout").replace("```", ""), re.M)


def test_every_path_in_the_readme_layout_exists():
    missing = [path for path in _layout_paths() if not (ROOT / path).exists()]
    assert not missing, f"the README's layout names paths that do not exist: {missing}"


def test_the_readme_layout_lists_every_room_of_the_bot_in_layer_order():
    listed = [p.rstrip("/").removesuffix(".py").replace("/", ".") for p in _layout_paths() if p.startswith("bot/")]
    rooms = [room for layer in LAYERS for room in layer if room != "bot.__main__"]
    assert listed == rooms


def test_the_readme_settings_table_is_the_one_generated_from_the_settings_model():
    from bot.config import settings_markdown

    assert _block("settings") == settings_markdown(), (
        "the README's settings table is stale: replace it with the output of "
        '`.venv/bin/python -c "from bot.config import settings_markdown; print(settings_markdown())"`')


def test_the_readme_settings_table_names_every_environment_variable_the_settings_read():
    from bot.config import setting_fields

    table = set(re.findall(r"^\| `([A-Z_0-9]+)` \|", _block("settings"), re.M))
    assert table == {f.env for f in setting_fields()}
