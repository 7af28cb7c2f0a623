"""The waves bench (`python -m bot bench-waves`, bot/devtools/waves_bench.py): its day holds what
it promises, and a small run prints its figures against the issue's 10 s."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from bot.classifier.clusters import cluster_texts
from bot.devtools.waves_bench import day_of_checks, framed, ordinary_texts, run_waves_bench, wave_copies


def test_the_day_holds_its_checks_spread_over_24_hours_all_regions_and_both_languages(knowledge):
    end = time.time()
    day = day_of_checks(knowledge, 20_000, end)
    assert len(day) == 20_000
    assert all(end - 86_400 <= check.created_at <= end for check in day)
    assert {check.region for check in day} == set(knowledge.regions)
    assert {check.language for check in day} == {"kk", "ru"}
    candidates = [check for check in day if check.risk in ("high", "medium") or check.novel]
    assert 0.43 <= len(candidates) / len(day) <= 0.47
    assert len({check.user_id for check in day}) == len(day)  # every check its own person


def test_the_day_has_ten_new_waves_and_a_few_known_texts_sent_by_hundreds(knowledge):
    day = day_of_checks(knowledge, 20_000, time.time())
    novel = [check for check in day if check.novel]
    assert 10 * 100 <= len(novel) <= 10 * 750
    known = Counter(check.text for check in day if check.risk != "none" and not check.novel)
    assert known.most_common(1)[0][1] < 200 and len(known) > 1000  # framed differently: copies, not one text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_copies_of_a_wave_differ_from_each_other(lang):
    texts = wave_copies(lang, 50, random.Random(1))
    assert len(set(texts)) >= 45


def test_ordinary_texts_are_each_drawn_once_and_too_many_are_refused(knowledge):
    texts = ordinary_texts(knowledge, 300, random.Random(2))
    assert len({text for text, _, _ in texts}) == 300 and {lang for _, _, lang in texts} == {"kk", "ru"}
    with pytest.raises(ValueError, match="ask for fewer"):
        ordinary_texts(knowledge, 10**6, random.Random(2))


def test_no_two_ordinary_texts_are_copies_of_one_message_as_the_wave_detector_reads_them(knowledge):
    texts = [text for text, _, _ in ordinary_texts(knowledge, 2_000, random.Random(3))]
    assert cluster_texts(texts).groups == []
    # the knowledge base does hold such rewordings, so the rule has something to leave out
    rng = random.Random(3)
    assert cluster_texts([framed(ex.text, ex.lang, rng) for _, ex in knowledge.labelled_examples()]).groups


def test_a_small_run_prints_its_medians_and_the_target():
    report = run_waves_bench(checks=5_000, runs=1)
    assert "wave detection over 5000 checks of one day" in report
    assert report.count("target ≤ 10 s: met") == 2
    assert "reading the candidates" in report and "waves (" in report
