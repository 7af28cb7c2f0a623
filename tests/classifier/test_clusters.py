"""Grouping texts that are copies of one message (bot/classifier/clusters.py): what a wave is
made of. Kazakh and Russian side by side; the messages are written for these tests (a made-up
kindergarten-queue scam, and everyday lines), never taken from the measuring sets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bot.classifier.clusters import THRESHOLD, char_vectors, cluster_texts, cluster_vectors
from bot.devtools.waves_bench import wave_copies

def copies(lang: str, count: int, seed: int = 1) -> list[str]:
    """Copies of one made-up scam message as a wave sends them: its greeting, child's name,
    app, link, deadline and amount changed (`bot.devtools.waves_bench.QUEUE_WAVE`)."""
    return wave_copies(lang, count, random.Random(seed))


# Different messages of one kind: each its own words, as people write them, not one template.
UNRELATED = {
    "kk": ["Сәлем, ертең жиналыс сағат онда басталады, кешікпеңіз",
           "Kaspi-де сізге аударым келді, тексеріп көріңізші",
           "Анашым, сабақтан кейін кітапханаға барамын, кешірек келемін",
           "Сіздің картаңыз бұғатталды, кодты айтыңыз, әйтпесе ақшаңыз жоғалады"],
    "ru": ["Привет, завтра собрание в десять, не опаздывай",
           "Вам поступил перевод на Kaspi, проверьте, пожалуйста",
           "Мам, после уроков зайду в библиотеку, буду позже",
           "Ваша карта заблокирована, назовите код, иначе деньги пропадут"],
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_copies_of_one_message_with_other_amounts_links_and_names_are_one_group(lang):
    texts = copies(lang, 12) + UNRELATED[lang]
    grouped = cluster_texts(texts)
    assert grouped.groups == [list(range(12))]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_copies_score_above_the_threshold_and_different_messages_well_below(lang, knowledge):
    """Whatever else is in the batch (alone, or among the knowledge base's examples): a pair's
    similarity is its own."""
    others = [example.text for scheme in knowledge.schemes.values() for example in scheme.examples]
    for seed in range(10):
        texts = copies(lang, 20, seed) + UNRELATED[lang] + others
        vectors = char_vectors(texts)
        sims = (vectors[:24] @ vectors.T).toarray()
        assert sims[:20, :20][~np.eye(20, dtype=bool)].min() >= THRESHOLD
        # A scam of another kind may share a clause with the wave (a parcel "is cancelled
        # tomorrow, pay the fee today": 0.35 with a copy), still far under the threshold.
        assert sims[:20, 20:].max() <= THRESHOLD - 0.15
        assert sims[20:24, 20:24][~np.eye(4, dtype=bool)].max() <= THRESHOLD - 0.25
    alone = char_vectors(copies(lang, 5))
    assert (alone @ alone.T).toarray().min() >= THRESHOLD


def test_the_same_wave_in_two_languages_is_two_groups():
    texts = copies("kk", 5) + copies("ru", 5)
    assert cluster_texts(texts).groups == [list(range(5)), list(range(5, 10))]


def test_exact_repeats_collapse_to_one_distinct_text_before_clustering():
    text = copies("ru", 1)[0]
    grouped = cluster_texts([text] * 1000 + UNRELATED["ru"], keys=["h1"] * 1000 + ["a", "b", "c", "d"])
    assert grouped.distinct == 5
    assert grouped.groups == [list(range(1000))]


def test_a_lone_text_is_no_group_and_nothing_gives_nothing():
    assert cluster_texts(UNRELATED["kk"] + UNRELATED["ru"]).groups == []
    assert cluster_texts([]).groups == []


def test_texts_without_letters_are_grouped_with_nothing():
    grouped = cluster_texts(["", "!!!", "🙂🙂🙂", *copies("kk", 3)])
    assert grouped.groups == [[3, 4, 5]]


def test_different_examples_of_the_knowledge_base_are_not_waves(knowledge):
    """4 000 texts written one by one for 14 schemes, everyday life and warnings: a few are near
    copies (a template with another word), never five (a wave needs five people)."""
    texts = [example.text for example in knowledge.written_examples()]
    grouped = cluster_texts(texts)
    assert len(texts) > 4000
    assert max((len(group) for group in grouped.groups), default=0) <= 4
    assert len(grouped.groups) <= 0.03 * len(texts)  # 113 pairs, triples and fours: one line in several spellings, OTP templates


def test_a_big_wave_among_many_other_texts_is_found_whole():
    """5 000 copies of one message with 5 000 sentences made of everyday words: the wave is one
    group, and the other texts join it not at all (the buckets propose pairs with the wave's
    most repeated text and a neighbour, not all 12 million pairs of it)."""
    rng = random.Random(7)
    words = [w for text in UNRELATED["kk"] + UNRELATED["ru"] for w in text.replace(",", "").split()]
    others = [" ".join(rng.sample(words, 8)) for _ in range(5000)]
    wave = copies("ru", 5000, seed=3)
    grouped = cluster_texts(wave + others)
    biggest = max(grouped.groups, key=len)
    assert biggest == list(range(5000))


def test_dense_vectors_are_grouped_by_their_cosine():
    """Embeddings from a model come as dense rows: compared exactly."""
    rng = np.random.default_rng(0)
    centre = rng.normal(size=64)
    near = [centre + rng.normal(scale=0.05, size=64) for _ in range(4)]
    far = [rng.normal(size=64) for _ in range(4)]
    rows = np.array(near + far)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    groups = [sorted(g.tolist()) for g in cluster_vectors(rows, 0.95)]
    assert [0, 1, 2, 3] in groups
    assert all(len(g) == 1 for g in groups if g != [0, 1, 2, 3])


def test_one_key_per_text_is_required_and_the_error_says_so():
    with pytest.raises(ValueError, match="give one key per text"):
        cluster_texts(["a", "b"], keys=["k"])


def test_the_order_of_the_texts_does_not_change_the_groups():
    texts = copies("kk", 6) + UNRELATED["kk"] + copies("ru", 6, seed=2)
    expected = {frozenset(texts[i] for i in group) for group in cluster_texts(texts).groups}
    for seed in range(3):
        shuffled = random.Random(seed).sample(texts, len(texts))
        got = {frozenset(shuffled[i] for i in group) for group in cluster_texts(shuffled).groups}
        assert got == expected
