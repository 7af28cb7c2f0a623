"""`python -m bot soak`, short: a few Kazakh- and Russian-speaking users for a few seconds against
`python -m bot run`, with random Telegram faults and one kill -9 of the bot half-way."""

from __future__ import annotations

from bot.devtools.soak import run_soak


def test_a_short_soak_with_faults_and_a_kill_loses_no_message_and_stops_cleanly(settings):
    result = run_soak(settings.with_values(backend="lexical"), users=4, minutes=0.25,
                      fault_rate=0.1, kill=True, seed=3)

    assert result.sent >= 4, result.report()
    assert result.lost == 0 and result.answered == result.sent, result.report()
    assert result.killed_at is not None and result.orphans_after_kill == 0, result.report()
    assert result.stop_code == 0 and result.stop_s is not None and result.stop_s < 10, result.report()
    assert result.bot_exits == 0, result.report()
