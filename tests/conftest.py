"""Shared fixtures: the real knowledge base and a lexical classifier, built once per session."""

from __future__ import annotations

import pytest

from bot.classifier import Classifier
from bot.config import Settings
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.replies import ReplyRenderer


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def classifier(kb, settings) -> Classifier:
    return Classifier.build(kb, settings, "lexical")


@pytest.fixture(scope="session")
def renderer(kb) -> ReplyRenderer:
    return ReplyRenderer(kb)
