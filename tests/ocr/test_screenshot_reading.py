"""Screenshots in Kazakh and Russian are read closely enough to give the same verdict as the
text itself (Tesseract for real, on pictures drawn from texts the tests define)."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.devtools.ocr_bench import CER_TARGET
from bot.ocr.quality import character_error_rate, total
from tests.ocr.conftest import LOOKS

SCHEME_AGREEMENT = 0.95


def test_the_screenshots_cover_both_languages_every_look_and_layout(read_screenshots):
    scams = [shot for shot in read_screenshots if shot.sample.scheme != "benign"]
    assert len(scams) >= 100
    assert Counter(shot.sample.lang for shot in scams).keys() == {"kk", "ru"}
    assert {shot.look for shot in read_screenshots} == set(LOOKS)
    assert {(shot.sample.lang, shot.sample.layout) for shot in read_screenshots} == {
        (lang, layout) for lang in ("kk", "ru") for layout in ("sms", "chat")}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_character_error_rate_is_within_target(read_screenshots, lang):
    rates = {shot.sample.id: character_error_rate(shot.sample.text, shot.read)
             for shot in read_screenshots if shot.sample.lang == lang}
    pooled = total(rates.values())
    worst = sorted(rates, key=lambda i: rates[i].rate, reverse=True)[:3]
    assert pooled.rate <= CER_TARGET[lang], f"{lang} CER {pooled.rate:.2%}; worst: {worst}"


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1080, 720])
def test_every_theme_and_screen_size_is_read_well(read_screenshots, theme, width):
    shots = [s for s in read_screenshots if s.look[0] == theme and s.look[1][0] == width]
    pooled = total(character_error_rate(s.sample.text, s.read) for s in shots)
    assert pooled.rate <= min(CER_TARGET.values()), f"{theme} {width}px: CER {pooled.rate:.2%}"


def test_the_verdict_on_a_screenshot_names_the_same_scheme_as_on_its_text(read_screenshots, classifier):
    scams = [shot for shot in read_screenshots if shot.sample.scheme != "benign"]
    differ = []
    for shot in scams:
        on_text, on_picture = classifier.classify(shot.sample.text), classifier.classify(shot.read)
        if on_text.scheme != on_picture.scheme:
            differ.append(f"{shot.sample.id}: {on_text.scheme} → {on_picture.scheme}")
    agreement = 1 - len(differ) / len(scams)
    assert agreement >= SCHEME_AGREEMENT, f"{agreement:.1%} agree; differ: {differ}"
