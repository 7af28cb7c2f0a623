# SaqBol image: CPU-only torch, non-root, knowledge base and (optionally) the model baked in.
#   docker build -t saqbol .                       # with intfloat/multilingual-e5-small
#   docker build --build-arg MODEL= -t saqbol .    # lexical backend only, much smaller
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG MODEL=intfloat/multilingual-e5-small

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CACHE_DIR=/data/cache MODELS_DIR=/app/models

WORKDIR /app
# CPU torch first, from the CPU index, so the CUDA build is never pulled.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY models/README.md ./models/README.md
RUN pip install .

# The model is fetched at build time (the bot never downloads at run time).
RUN if [ -n "${MODEL}" ]; then MODEL="${MODEL}" python -m bot download-model; fi

RUN useradd --create-home --uid 10001 saqbol && mkdir -p /data && chown -R saqbol /data /app/models
USER saqbol
VOLUME ["/data"]
ENV MODEL=${MODEL}

# The knowledge base must load and the classifier must answer.
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s \
    CMD python -m bot check --json "тест" > /dev/null || exit 1

ENTRYPOINT ["python", "-m", "bot"]
CMD ["--help"]
