"""The intent evaluation turns are well-formed, so a score measured on them means what it says.

`tests/data/intent_turns.jsonl` is the development file (the intent model may be measured on
it while it is built); `tests/data/intent_turns_heldout.jsonl` is measured only at the end. A
malformed line, a `paid` kind on a turn that is not a payment, a follow-up without the verdict
it follows, or the same text in both files would make the held-out figure lie, so each is
checked here rather than trusted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMES = Path(__file__).resolve().parents[2] / "knowledge" / "schemes"
FILES = {"intent_turns.jsonl": 320, "intent_turns_heldout.jsonl": 200}
INTENTS = {"message", "story", "paid", "question", "followup", "greeting", "other"}
PAID_KINDS = {"money", "code", "app", "card"}
LANGS = {"kk", "ru"}
REQUIRED = {"id", "text", "lang", "intent", "previous"}
# Kazakh written in Latin letters (2018 or 2021 alphabet, or informal): no Cyrillic at all.
LATIN_WORD = re.compile(r"[A-Za-zÁáǴǵÓóÚúÝýŃńÄäĞğÑñÖöŞşŪūÜüİı]{3,}")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def read_turns(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def problems(rows: list[dict], scheme_ids: set[str]) -> list[str]:
    """Every reason a row is unusable, as '<id>: what is wrong', so a failure says what to fix."""
    found = []
    seen_ids: set[str] = set()
    for n, row in enumerate(rows, 1):
        rid = row.get("id", f"line {n}")
        missing = REQUIRED - row.keys()
        extra = row.keys() - REQUIRED - {"paid"}
        if missing or extra:
            found.append(f"{rid}: missing {sorted(missing)}, unknown {sorted(extra)}")
            continue
        if rid in seen_ids:
            found.append(f"{rid}: id used twice")
        seen_ids.add(rid)
        if not isinstance(row["text"], str) or not row["text"].strip():
            found.append(f"{rid}: empty text")
        if row["lang"] not in LANGS:
            found.append(f"{rid}: lang {row['lang']!r} is not kk or ru")
        if row["intent"] not in INTENTS:
            found.append(f"{rid}: intent {row['intent']!r} is not one of {sorted(INTENTS)}")
        if row["previous"] is not None and row["previous"] not in scheme_ids:
            found.append(f"{rid}: previous {row['previous']!r} is not a scheme id in knowledge/schemes")
        if row["intent"] == "paid" and row.get("paid") not in PAID_KINDS:
            found.append(f"{rid}: a paid turn needs paid in {sorted(PAID_KINDS)}, has {row.get('paid')!r}")
        if row["intent"] != "paid" and "paid" in row:
            found.append(f"{rid}: 'paid' is only for intent paid, this one is {row['intent']}")
        if row["intent"] == "followup" and row["previous"] is None:
            found.append(f"{rid}: a follow-up can only be told from its context: set previous")
    return found


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.fixture(scope="module")
def scheme_ids() -> set[str]:
    """The scheme ids a verdict can name, read from the scheme files alone (the `id:` field),
    so these checks do not depend on the rest of the knowledge base loading."""
    ids = {yaml.safe_load(path.read_text(encoding="utf-8"))["id"] for path in SCHEMES.glob("*.yaml")}
    assert ids, f"no scheme files found in {SCHEMES}"
    return ids


@pytest.fixture(scope="module")
def turns() -> dict[str, list[dict]]:
    return {name: read_turns(DATA / name) for name in FILES}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_turn_has_the_fields_and_values_the_eval_reads(turns, scheme_ids, name):
    assert problems(turns[name], scheme_ids) == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_file_has_at_least_its_required_number_of_turns(turns, name):
    assert len(turns[name]) >= FILES[name]


def test_the_validator_names_each_broken_turn_in_kazakh_and_russian(scheme_ids):
    broken = [
        {"id": "x1", "text": "кодты айтып қойдым", "lang": "kk", "intent": "paid", "previous": None},
        {"id": "x2", "text": "я ему еще не говорила код", "lang": "ru", "intent": "followup", "previous": None},
        {"id": "x3", "text": "сәлем", "lang": "kk", "intent": "greeting", "previous": None, "paid": "money"},
        {"id": "x4", "text": "привет", "lang": "en", "intent": "hello", "previous": "no_such_scheme"},
    ]
    found = problems(broken, scheme_ids)
    assert any(p.startswith("x1: a paid turn needs paid") for p in found)
    assert any(p.startswith("x2: a follow-up can only be told") for p in found)
    assert any(p.startswith("x3: 'paid' is only for intent paid") for p in found)
    assert {p.split(":")[0] for p in found} == {"x1", "x2", "x3", "x4"}
    assert sum(p.startswith("x4:") for p in found) == 3


def test_no_text_appears_twice_within_or_across_the_two_files(turns):
    counts = Counter(normalised(row["text"]) for rows in turns.values() for row in rows)
    assert [text for text, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_intent_is_represented_in_kazakh_and_russian(turns, name):
    """A per-language recall needs enough turns of each intent in each language to mean anything."""
    counts = Counter((row["intent"], row["lang"]) for row in turns[name])
    floor = 10 if name == "intent_turns.jsonl" else 8
    thin = {(intent, lang): counts[intent, lang] for intent in INTENTS for lang in LANGS
            if counts[intent, lang] < floor}
    assert thin == {}


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_kind_of_payment_is_well_represented(turns, name):
    """'Already paid' recall is an acceptance figure: money, code, app and card each need turns."""
    kinds = Counter((row["paid"], row["lang"]) for row in turns[name] if row["intent"] == "paid")
    assert {(k, lang): kinds[k, lang] for k in PAID_KINDS for lang in LANGS if kinds[k, lang] < 4} == {}


@pytest.mark.parametrize("name", sorted(FILES))
def test_kazakh_turns_include_latin_script_as_people_type_it(turns, name):
    kk = [row["text"] for row in turns[name] if row["lang"] == "kk"]
    latin = [t for t in kk if LATIN_WORD.search(t) and not CYRILLIC.search(t)]
    assert len(latin) >= 0.15 * len(kk)


@pytest.mark.parametrize("name", sorted(FILES))
def test_follow_ups_and_non_follow_ups_both_come_after_a_verdict(turns, name):
    """`previous` alone must not give the intent away: other intents also follow a verdict."""
    after_verdict = Counter(row["intent"] for row in turns[name] if row["previous"] is not None)
    assert after_verdict["followup"] > 0
    assert sum(n for intent, n in after_verdict.items() if intent != "followup") >= 10
