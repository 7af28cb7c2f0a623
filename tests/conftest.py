"""Shared fixtures: the real knowledge base, a lexical classifier and Tesseract, once per session."""

from __future__ import annotations

import os

import pytest

from bot.classifier import Classifier
from bot.config import Settings
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.ocr import TesseractMissing, find_tesseract
from bot.ocr.render import FontMissing, font_path
from bot.ocr.tesseract import Installation
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


@pytest.fixture(scope="session")
def tesseract() -> Installation:
    """Tesseract's kaz/rus/eng models and the DejaVu font (`make setup` installs them). CI
    must have them, so there a missing one fails the run; a developer's machine without them
    skips the picture tests, saying what to install."""
    try:
        font_path()
        return find_tesseract()
    except (TesseractMissing, FontMissing) as exc:
        message = f"screenshots cannot be read here: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
