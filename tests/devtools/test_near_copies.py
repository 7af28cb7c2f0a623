"""The labelled files measure the classifier and nothing in knowledge/ copies or paraphrases them."""

import os
from pathlib import Path

import pytest

from bot.classifier.evaluation import read_jsonl
from bot.classifier.settings import ROOT
from bot.devtools.near_copies import NEAR_COPY, knowledge_texts, near_copies

DATA = Path(os.environ.get("SHARED_DATA", ROOT.parent / "shared" / "data"))
MEASURING = ("dev.jsonl", "real-dev.jsonl")


@pytest.fixture(scope="module")
def measured() -> list[str]:
    files = [DATA / name for name in MEASURING if (DATA / name).is_file()]
    if not files:
        pytest.skip(f"no labelled files in {DATA} (set SHARED_DATA to the folder with dev.jsonl)")
    return [row.text for path in files for row in read_jsonl(path)]


def test_no_knowledge_text_is_a_near_copy_of_a_measuring_text(knowledge, measured):
    found = near_copies(knowledge_texts(knowledge), measured)
    assert not found, "remove or rewrite from scratch:\n" + "\n".join(
        f"{c.similarity:.2f}  «{c.text[:70]}»  ~  «{c.measured[:70]}»" for c in found[:20])


@pytest.mark.parametrize(
    ("written", "reworded", "other"),
    [
        ("Құрметті ата-аналар! Ертең сағат 18:00-де 7 «Б» сыныбында жиналыс өтеді, келулеріңізді сұраймыз.",
         "Ертең 18:00-де 7 «Б» сыныбында ата-аналар жиналысы болады, келулеріңізді сұраймыз",
         "Қайырлы таң! Бүгін күн ашық, кешке қарай жел күшейеді."),
        ("Напоминаем: вы записаны к стоматологу на 14.04 в 09:40, кабинет 305.",
         "Вы записаны к стоматологу 14.04 в 09:40, каб. 305, напоминаем",
         "Доброе утро! Сегодня солнечно, к вечеру усилится ветер."),
    ],
)
def test_a_reworded_text_with_the_same_details_is_found_and_a_different_one_is_not(written, reworded, other):
    assert [c.text for c in near_copies([reworded], [written])] == [reworded]
    assert near_copies([other], [written]) == []
    assert NEAR_COPY == pytest.approx(0.6)
