"""Fuzzing with hypothesis (fixed seed, bounded time) over everything that reads user text:
normalisation, classification, the rendered answer, message splitting, redaction, the link
detector and the alert allowlist.

The texts mix what real messages and attacks mix: Cyrillic and Kazakh words, Latin, digits
with every separator, emoji, zero-width characters, homoglyphs, links with real and
invented zones, odd full stops. `derandomize=True` makes every run try the same examples,
so a failure here is reproducible and never flaky; each test has a fixed number of examples
(the whole file takes well under a minute on two cores).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.policy import forbidden_links
from bot.classifier import EmptyText
from bot.classifier.links import LinkInspector, find_hosts
from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_number_runs
from bot.devtools.devserver.telegram_html import parse_html
from bot.privacy.redaction import redact
from bot.telegram.text import split_message

FUZZ = settings(derandomize=True, deadline=None, max_examples=100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=40)  # for the slower properties (classification, rendering)

ALLOWED = ["gov.kz", "egov.kz", "police.kz"]

CYRILLIC_WORDS = ["код", "карта", "переведите", "срочно", "мама", "банк", "служба", "выигрыш", "ссылка"]
KAZAKH_WORDS = ["сізге", "ақша", "аударыңыз", "құттықтаймыз", "нөмір", "шұғыл", "ұтыс", "қоңырау", "өтіңіз"]
LATIN_WORDS = ["kaspi", "sizge", "aqsha", "kod", "bonus", "login", "secure", "egov", "halyk", "e.g", "т.д"]
HOMOGLYPH_WORDS = ["kаspi", "еgov", "hаlyk", "kоd", "сaрта", "bаnk"]  # Latin and Cyrillic mixed
EMOJI = ["😀", "🔥", "💳", "👉", "🇰🇿", "👍🏽", "❗"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u0301"]
SEPARATORS = [" ", "-", "–", "—", "‒", "−", ".", "/", ",", "_", "\u00a0", "\u2009", "\u202f", "(", ")", ""]
DOTS = [".", "。", "．", "｡"]
# Real zones (the public-suffix list) and invented ones.
ZONES = ["kz", "ru", "com", "de", "page", "help", "top", "xyz", "online", "рф", "қаз", "info", "io", "app"]
INVENTED = ["zzqx", "kzz", "д", "g", "14"]

words = st.sampled_from(CYRILLIC_WORDS + KAZAKH_WORDS + LATIN_WORDS + HOMOGLYPH_WORDS)
label = st.from_regex(r"[a-z0-9][a-z0-9\-]{0,14}[a-z0-9]", fullmatch=True)


@st.composite
def digits_with_separators(draw) -> str:
    groups = draw(st.lists(st.from_regex(r"[0-9]{1,4}", fullmatch=True), min_size=1, max_size=6))
    sep = draw(st.sampled_from(SEPARATORS))
    return draw(st.sampled_from(["", "+", "8 "])) + sep.join(groups)


@st.composite
def hosts(draw, zones=ZONES) -> str:
    labels = draw(st.lists(label, min_size=1, max_size=3))
    dot = draw(st.sampled_from(DOTS))
    return dot.join([*labels, draw(st.sampled_from(zones))])


@st.composite
def urls(draw) -> str:
    path = draw(st.sampled_from(["", "/", "/login", "/pay?x=1", "/a.b/c"]))
    if draw(st.booleans()):  # a name or a dotted IPv4 address: a link with or without a scheme
        host = draw(st.one_of(hosts(), st.from_regex(
            r"(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}", fullmatch=True)))
        return draw(st.sampled_from(["http://", "https://", "hxxp://", "", "www.", "tg://"])) + host + path
    # an integer, hex or IPv6 host is a link only after a scheme
    host = draw(st.one_of(st.integers(0, 2**32 - 1).map(str), st.integers(0, 2**32 - 1).map(hex),
                          st.sampled_from(["[::1]", "[2001:db8::1]", "0300.0250.0.1"])))
    return draw(st.sampled_from(["http://", "https://", "HTTP://", "tg://"])) + host + path


pieces = st.one_of(
    words,
    st.sampled_from(EMOJI),
    st.sampled_from(INVISIBLE),
    digits_with_separators(),
    hosts(ZONES + INVENTED),
    urls(),
    st.sampled_from(["@kaspi_help_bot", "tg://resolve?domain=evil_bot", "kaspi[.]kz", "18.11.2025", "10:00",
                     "50 000 тг", "1,5 млн", "&", "<b>", "&amp;", "\n", "  ", "(", ")", "«", "»", "…", "!", "?"]),
    st.text(max_size=8),  # anything at all, surrogates excluded by hypothesis
)
texts = st.lists(pieces, max_size=30).map(" ".join)
long_texts = st.lists(pieces, max_size=400).map(" ".join)


@pytest.fixture(scope="module")
def inspector(knowledge) -> LinkInspector:
    return LinkInspector(knowledge.links)


@FUZZ
@given(texts)
def test_normalize_never_raises_and_every_character_points_into_the_original(text):
    norm = normalize(text)
    assert len(norm.text_offsets) == len(norm.text) and len(norm.folded_offsets) == len(norm.folded)
    assert all(0 <= i < len(text) for i in (*norm.text_offsets, *norm.folded_offsets))
    a, b = norm.original_span(0, len(norm.text))
    assert 0 <= a <= b <= len(text)


@FEW
@given(texts)
def test_classify_gives_a_verdict_whose_quotes_are_the_users_own_words(classifier, text):
    try:
        verdict = classifier.classify(text)
    except EmptyText:
        assert not any(ch.isalnum() for ch in normalize(text).text)
        return
    assert 0.0 <= verdict.scam_probability <= 1.0
    for flag in verdict.red_flags:
        assert 0 <= flag.start <= flag.end <= len(text)
        assert flag.quote == text[flag.start:flag.end]


@FEW
@given(texts, st.sampled_from(["kk", "ru"]))
def test_the_rendered_answer_is_valid_telegram_html_without_the_users_links(classifier, renderer, text, lang):
    try:
        verdict = classifier.classify(text)
    except EmptyText:
        return
    html = renderer.render(verdict, lang, html=True)
    visible, entities = parse_html(html)  # raises on anything Telegram would refuse
    assert not any(e["type"] in ("text_link", "url") for e in entities)
    for flag in verdict.red_flags:
        for hit in find_hosts(flag.quote):
            if hit.kind in ("domain", "ip") and len(flag.quote) < 60:
                assert flag.quote[hit.start:hit.end] not in visible.replace("[.]", "\x00")


@FUZZ
@given(long_texts, st.integers(min_value=16, max_value=4096))
def test_split_message_keeps_every_part_under_the_limit_and_loses_nothing(text, limit):
    parts = split_message(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)


@FUZZ
@given(texts)
def test_redaction_leaves_no_long_number_and_redacting_again_changes_nothing(text):
    once = redact(text)
    assert not re.search(r"\d{10}", once)
    assert all(len(run.digits) < 10 for run in find_number_runs(once))
    assert redact(once) == once


@FUZZ
@given(st.lists(words, max_size=5).map(" ".join), digits_with_separators(), st.lists(words, max_size=5).map(" ".join))
def test_a_number_of_ten_digits_or_more_never_survives_redaction(before, number, after):
    digits = re.sub(r"\D", "", number)
    redacted = re.sub(r"\D", "", redact(f"{before} {number} {after}"))
    if len(digits) >= 10:
        assert digits not in redacted


@FUZZ
@given(texts)
def test_links_are_found_inside_the_text_and_defanged_links_are_not_tappable(inspector, text):
    for hit in find_hosts(text, nested=True):
        assert 0 <= hit.start < hit.end <= len(text)
    norm = normalize(text)
    for link in inspector.find(norm):
        assert 0 <= link.start < link.end <= len(norm.text)
    assert find_hosts(inspector.defang_text(text)) == []


@FUZZ
@given(st.lists(words, max_size=4).map(" ".join), hosts(), st.sampled_from(["", "https://", "http://", "www."]),
       st.sampled_from(["", "/", "/egov.kz", "?from=gov.kz"]), st.lists(words, max_size=4).map(" ".join))
def test_an_alert_with_a_foreign_host_is_refused(before, host, scheme, path, after):
    plain_host = host.translate(str.maketrans({d: "." for d in DOTS}))
    if any(plain_host == d or plain_host.endswith("." + d) for d in ALLOWED):
        return
    assert forbidden_links(f"{before} {scheme}{host}{path} {after}", ALLOWED)


@FUZZ
@given(urls(), st.sampled_from(["Құрметті азаматтар! {}", "Уважаемые граждане: {} срочно"]))
def test_an_alert_with_any_other_link_is_refused(url, template):
    scheme, _, rest = url.partition("://")
    host = re.split(r"[/?#]", rest or url)[0].removeprefix("www.").translate(str.maketrans({d: "." for d in DOTS}))
    if scheme in ("", "http", "https") and any(host == d or host.endswith("." + d) for d in ALLOWED):
        return
    assert forbidden_links(template.format(url), ALLOWED), url
