"""Knowledge texts that are near-copies of the labelled measuring files.

`dev.jsonl` and `real-dev.jsonl` measure the classifier and are never trained on. A knowledge
example (or intent example) that copies or paraphrases one of their texts turns the measured
figures into a memory test and says nothing about the unseen texts users send. This finds
such pairs, so a test can keep them out. Session 11 found and removed 40 written examples
(of 6 762): most shared a measuring text's sentence frame and its specifics (the same
appointment date, time and room; the same confirmation code).

How near is near: cosine of character 3–5-gram TF-IDF over the normalised texts (the same
folding the classifier reads through, so a respelling is no escape). Common formats sit just below
the line (one Kaspi transfer notice against another with other names and sums: 0.59); a
reworded sentence that keeps the measured text's details scores 0.6–0.8. Short generic lines
can cross it by chance ("купи хлеб по дороге"): those were removed too, being no loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.normalize import normalize
from bot.knowledge.schema import KnowledgeBase

NEAR_COPY = 0.6


@dataclass(frozen=True)
class NearCopy:
    similarity: float
    text: str  # the knowledge text
    measured: str  # the measuring text it is near


def knowledge_texts(knowledge: KnowledgeBase) -> list[str]:
    """Every text the bot learns from: labelled examples (schemes, genuine texts, warnings,
    officers' reviews) and the intent reader's examples."""
    texts = [ex.text for _, ex in knowledge.labelled_examples()]
    texts.extend(ex.text for intent in knowledge.intents for ex in intent.examples)
    return texts


def near_copies(texts: Sequence[str], measured: Iterable[str], threshold: float = NEAR_COPY) -> list[NearCopy]:
    """Pairs (knowledge text, measuring text) at least ``threshold`` alike, most alike first."""
    measured = list(measured)
    if not texts or not measured:
        return []
    ours = [normalize(t).text for t in texts]
    theirs = [normalize(t).text for t in measured]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(ours + theirs)
    sims = (vectorizer.transform(ours) @ vectorizer.transform(theirs).T).toarray()
    best = sims.argmax(axis=1)
    found = [
        NearCopy(round(float(sims[i, j]), 3), texts[i], measured[j])
        for i, j in enumerate(best)
        if sims[i, j] >= threshold
    ]
    return sorted(found, key=lambda c: -c.similarity)
