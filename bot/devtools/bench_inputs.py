"""`python -m bot bench-inputs`: how long hostile texts take, beside normal ones.

One user's message must never hold up everybody else's answer, and every check waits behind
the one before it. So the time of a check must grow linearly with the text, whatever the
text is: a wall of digits, spaced digits, nested brackets, combining marks, emoji or
zero-width characters. This prints, for each such input, the median time of the lexical
classifier (what the bot runs per message) and of the other detectors that read user text
(redaction before storage, the alert allowlist), beside a normal message and a normal text
of the same length as the floods.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bot.config import Settings

FLOOD = 4096  # Telegram's longest message
BOUND_MS = 20.0  # what a hostile text may cost the lexical classifier

NORMAL = ("Здравствуйте! Вас беспокоит служба безопасности Kaspi. По вашей карте подозрительная "
          "операция, назовите код из SMS, чтобы отменить перевод 50 000 тг. Сілтеме: kaspi-bonus.top")


def hostile_inputs() -> dict[str, str]:
    """The inputs of the benchmark (also used by the tests), each about FLOOD characters."""
    sentence = "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз. Вам положен приз, перейдите по ссылке. "
    return {
        "normal message": NORMAL,
        f"normal text x{FLOOD}": (sentence * (FLOOD // len(sentence) + 1))[:FLOOD],
        '"9" x4096': "9" * FLOOD,
        '"1 " x2048': "1 " * (FLOOD // 2),
        "nested brackets": "(" * 2000 + ")" * 2000,
        "combining marks": "а" + "\u0301" * 4000,
        "emoji flood": "😀" * FLOOD,
        "zero-width flood": "\u200b" * FLOOD,
        '"9." x2048': "9." * (FLOOD // 2),
        '"a-" x2048': "a-" * (FLOOD // 2),
        '"a@" x2048': "a@" * (FLOOD // 2),
        '"к о д " x1000': "к о д " * 1000,
        '"http://" + "a" x4089': "http://" + "a" * (FLOOD - 7),
        '"+7 " x1365': "+7 " * (FLOOD // 3),
        # floods of the words the negation and reporting scope looks for around a request
        'cue: "не " x1360 + request': "не " * 1360 + "назовите код",
        'cue: "мошенники " x370': "мошенники " * 370,
        'cue: "кодты айтпаңыз, " x256': "кодты айтпаңыз, " * 256,
    }


def _median_ms(fn: Callable[[str], object], text: str, runs: int, clock=time.perf_counter) -> float:
    """Median milliseconds of ``fn(text)`` by ``clock``: wall time, or the process's CPU time,
    which other processes on a busy machine do not inflate."""
    times = []
    for _ in range(runs):
        start = clock()
        try:
            fn(text)
        except Exception:  # noqa: BLE001 - an empty-text refusal is an answer too: time it
            pass
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def run_input_bench(settings: Settings, runs: int = 7) -> str:
    from bot.alerts.policy import forbidden_links
    from bot.classifier import Classifier
    from bot.knowledge import load_knowledge
    from bot.privacy.redaction import redact

    knowledge = load_knowledge(settings.classifier.knowledge_dir)
    classifier = Classifier.build(knowledge, settings.classifier, "lexical")
    classifier.classify(NORMAL)  # warm caches before timing

    def allowlist(text: str) -> object:
        return forbidden_links(text, knowledge.links.broadcast_allowed)

    rows = [f"{'input':<26} {'chars':>5} {'classify ms':>12} {'(cpu ms)':>9} {'redact ms':>10} "
            f"{'allowlist ms':>13}  ≤{BOUND_MS:g} ms"]
    worst = worst_cpu = 0.0
    for name, text in hostile_inputs().items():
        classify = _median_ms(classifier.classify, text, runs)
        cpu = _median_ms(classifier.classify, text, runs, clock=time.process_time)
        if not name.startswith("normal"):
            worst, worst_cpu = max(worst, classify), max(worst_cpu, cpu)
        rows.append(
            f"{name:<26} {len(text):>5} {classify:>12.2f} {cpu:>9.2f} {_median_ms(redact, text, runs):>10.2f} "
            f"{_median_ms(allowlist, text, runs):>13.2f}  {'yes' if classify <= BOUND_MS else 'NO'}"
        )
    rows.append(f"median of {runs} runs each (lexical classifier); slowest hostile input: {worst:.2f} ms wall, "
                f"{worst_cpu:.2f} ms cpu ({'within' if worst <= BOUND_MS else 'OVER'} {BOUND_MS:g} ms)")
    return "\n".join(rows)
