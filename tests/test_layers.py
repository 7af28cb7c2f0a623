"""The layer rule of docs/architecture.md, enforced: every import in `bot/` runs downward.

The rooms of `bot/` are stacked in layers, from the plain libraries at the bottom to the
entry point at the top. A module may import its own room and any room of a lower layer;
rooms of one layer do not import each other; handlers do not import each other (what two
handlers share belongs in `bot/telegram/` or a service). Imports inside functions and under
`if TYPE_CHECKING:` count: a lazy upward import is still an upward dependency.

The checker reads the source with `ast` (nothing is imported), so it also runs over a
made-up tree: the last tests build one with a deliberate upward import and see it caught.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. Keep in step with the table in docs/architecture.md (a test compares them).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.knowledge",),
    ("bot.i18n", "bot.metrics", "bot.workers"),
    ("bot.classifier", "bot.ocr"),
    ("bot.privacy",),
    ("bot.storage",),
    ("bot.alerts", "bot.replies"),
    ("bot.services",),
    ("bot.telegram",),
    ("bot.handlers", "bot.panel"),
    ("bot.config",),
    ("bot.app",),
    ("bot.devtools",),
    ("bot.cli",),
    ("bot.__main__",),
)
# Rooms whose modules must not import each other (only the package's own __init__ joins them).
SEALED = ("bot.handlers",)


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}: {self.why}"


def room_of(module: str) -> str | None:
    """The room (e.g. ``bot.alerts``) a module belongs to, or None for ``bot`` itself."""
    for layer in LAYERS:
        for room in layer:
            if module == room or module.startswith(room + "."):
                return room
    return None


def layer_of(room: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if room in layer)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[str, int]]:
    """Every `bot...` module ``path`` imports, anywhere in the file, with its line. ``from
    package import name`` counts as an import of ``package.name`` when the package is ``bot``
    or the importer's own room (where the name may be a sibling module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "bot" or (target == room_of(module) and module != target):
                found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((target, node.lineno))
    return [(name, line) for name, line in found if name.startswith("bot.")]


def violations(root: Path) -> list[Violation]:
    """Every upward or sideways import under ``root / 'bot'``."""
    found: list[Violation] = []
    for path in sorted((root / "bot").rglob("*.py")):
        module = module_name(path, root)
        room = room_of(module)
        if room is None:
            if module != "bot":
                found.append(Violation(module, "-", 1, "this module is in no room: add it to a layer"))
            continue
        for target, line in imports_of(path, module):
            target_room = room_of(target)
            if target_room is None:
                continue
            if target_room == room:
                if room in SEALED and module != room and target != room:
                    found.append(Violation(module, target, line, f"modules of {room} do not import each other"))
                continue
            mine, theirs = layer_of(room), layer_of(target_room)
            if theirs > mine:
                found.append(Violation(module, target, line, f"{target_room} is above {room}"))
            elif theirs == mine:
                found.append(Violation(module, target, line,
                                       f"{target_room} and {room} share a layer and do not import each other"))
    return found


def test_every_import_in_the_bot_runs_down_the_layers():
    found = violations(ROOT)
    assert not found, "imports against docs/architecture.md:\n" + "\n".join(map(str, found))


def test_every_room_of_the_bot_has_a_layer():
    rooms = {f"bot.{p.stem}" for p in (ROOT / "bot").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    placed = {room for layer in LAYERS for room in layer}
    assert rooms == placed


def test_the_architecture_document_lists_the_same_layers_as_this_test():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- layers -->\n(.*?)<!-- /layers -->", text, re.S)
    assert table, "docs/architecture.md needs its layer table between <!-- layers --> and <!-- /layers -->"
    rows = [line for line in table.group(1).splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    listed = [tuple(f"bot.{name}" for name in re.findall(r"`([\w_]+)/?`", row.split("|")[2])) for row in rows]
    assert tuple(reversed(listed)) == LAYERS or tuple(listed) == LAYERS


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("where", "code"), [
    ("bot/classifier/model.py", "from bot.handlers.messages import check_message\n"),
    ("bot/classifier/model.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.config import Settings\n"),
    ("bot/storage/users.py", "def later():\n    import bot.telegram.keyboards\n"),
    ("bot/app/runner.py", "from ..devtools.devserver import emulator\n"),
    ("bot/alerts/engine.py", "from bot.replies.verdict import ReplyRenderer\n"),
    ("bot/handlers/pictures.py", "from bot.handlers.messages import answer_check\n"),
    ("bot/handlers/pictures.py", "from . import messages\n"),
], ids=["upward", "type-checking", "lazy", "relative", "sideways", "handler-to-handler", "relative-handler"])
def test_a_deliberate_bad_import_in_a_made_up_tree_is_caught(tmp_path, where, code):
    root = _tree(tmp_path, {
        "bot/__init__.py": "", "bot/classifier/__init__.py": "", "bot/storage/__init__.py": "",
        "bot/app/__init__.py": "", "bot/alerts/__init__.py": "", "bot/handlers/__init__.py": "",
        "bot/handlers/messages.py": "", where: code,
    })
    found = violations(root)
    assert len(found) == 1 and found[0].importer == module_name(root / where, root), found


def test_downward_and_own_room_imports_in_a_made_up_tree_pass(tmp_path):
    root = _tree(tmp_path, {
        "bot/__init__.py": "",
        "bot/handlers/__init__.py": "from bot.handlers import messages, pictures\n",
        "bot/handlers/messages.py": "from bot.telegram.keyboards import check_actions\nfrom bot.storage import ChecksRepo\n",
        "bot/handlers/pictures.py": "from bot.services.verdicts import Verdicts\n",
        "bot/alerts/engine.py": "from bot.alerts.claims import claim\nfrom .sending import send\nfrom bot.storage import Database\n",
        "bot/cli.py": "def demo():\n    from bot.devtools.devserver import emulator\n",
    })
    assert violations(root) == []
